"""The aggregator entry: demand-response events in, the automatic response, reports out.

One entry per aggregator. Its protocol (OpenADR 3 over REST, or the MQTT
aggregator profile) feeds `lib.dr.EventStore`; the store tells each change
once (announced, modified, cancelled, started, ended), and the hub acts on
it:

- the entities (calendar, event, sensors) are told;
- at the start of an event the household takes part in, the automatic
  response runs the plan of `lib.dr.response` on the appliances chosen in
  the options, after recording how each one was; at every boundary of an
  interval, and on every modification, the plan is made again for what is
  asked then (a higher level adds appliances or depth, a lower one or a
  looser limit gives back); at the end, on a cancellation or an opt-out,
  every appliance still in the plan is put back exactly. An appliance a person changes during the event leaves the plan:
  it is neither touched again nor "restored" over that person's choice;
- a restart during an event keeps the plan (it is stored), and a restart
  after an event ended puts the appliances back as soon as they answer.

Reports of the meter's power and the curtailed kW go out at the report
interval, through `lib.dr.reports` (deadband, keep-alive, a disk outbox that
survives the link being down and a restart).

What to do is decided in `lib.dr` (`Responder`, `BaselineWindow`,
`ReportPlanner`); the hub carries it out: timers, service calls, state
listeners and storage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Context, Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_AUTO_RESPONSE,
    CONF_BATTERIES,
    CONF_BATTERY_OPTION,
    CONF_CLIMATE_OFFSET,
    CONF_CLIMATES,
    CONF_COOLING_MAX,
    CONF_EV_CHARGERS,
    CONF_HEATING_MIN,
    CONF_LIGHT_PERCENT,
    CONF_LIGHTS,
    CONF_MIN_LEVEL,
    CONF_POWER_ENTITY,
    CONF_REPORT_MINUTES,
    CONF_WATER_HEATERS,
    DEFAULT_REPORT_MINUTES,
    DOMAIN,
    LOGGER,
    SIGNAL_DR_RESULT,
)
from ..lib.dr import (
    Change,
    ChangeKind,
    DrEvent,
    EventError,
    EventStatus,
    EventStore,
    OptState,
    SignalType,
)
from ..lib.dr.baseline import BaselineWindow
from ..lib.dr.reports import OutboxError, ReportPlanner, ReportThrottle
from ..lib.dr.responder import Decision, EntityState, Replan, Responder, Response, Seen, stored_dict
from ..lib.dr.response import Demand, Limits, Role, Snapshot, Step, demand_at, respond
from ..units import kilowatts
from .source import Source

STORAGE_VERSION = 1
SAVE_DELAY = 5
BACKSTOP = timedelta(seconds=60)
"""The clock is also checked this often, besides the timer set for the next start or end."""
DEADBANDS = {"power_kw": 0.1, "curtailed_kw": 0.1}
OVER_LIMIT_KW = 0.05
"""How far the home's draw may rise above an import limit before the plan is made again."""
OVER_LIMIT_RECHECK = timedelta(seconds=60)
"""The soonest a draw still over an import limit makes the plan again: what was just
curtailed needs a reading or two (the meter's 15 s) to show in the draw."""

ROLE_OPTIONS: dict[Role, str] = {
    Role.CLIMATE: CONF_CLIMATES,
    Role.WATER_HEATER: CONF_WATER_HEATERS,
    Role.BATTERY: CONF_BATTERIES,
    Role.EV: CONF_EV_CHARGERS,
    Role.LIGHT: CONF_LIGHTS,
}

type AggregatorConfigEntry = ConfigEntry[AggregatorHub]
type HubListener = Callable[[], None]
type ChangeListener = Callable[[str, DrEvent, dict[str, Any]], None]


def limits_from(options: dict[str, Any]) -> Limits:
    """The household's limits, from the entry's options (defaults where unset)."""
    default = Limits()
    return Limits(
        climate_offset=float(options.get(CONF_CLIMATE_OFFSET, default.climate_offset)),
        cooling_max=float(options.get(CONF_COOLING_MAX, default.cooling_max)),
        heating_min=float(options.get(CONF_HEATING_MIN, default.heating_min)),
        light_percent=int(options.get(CONF_LIGHT_PERCENT, default.light_percent)),
        battery_option=str(options.get(CONF_BATTERY_OPTION, default.battery_option)),
        min_level=int(options.get(CONF_MIN_LEVEL, default.min_level)),
    )


class AggregatorHub:
    """An aggregator entry's state: its events, the response in force, its reports."""

    def __init__(self, hass: HomeAssistant, entry: AggregatorConfigEntry, source: Source) -> None:
        """Prepare; `async_start` loads the store and connects."""
        self.hass = hass
        self.entry = entry
        self.source = source
        self.store = EventStore()
        self.responder = Responder()
        self._storage: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.aggregator.{entry.entry_id}"
        )
        self._listeners: list[HubListener] = []
        self._change_listeners: list[ChangeListener] = []
        self._timer: Callable[[], None] | None = None
        self._watch: Callable[[], None] | None = None
        self._baseline = BaselineWindow()
        self._reports = ReportPlanner(ReportThrottle(DEADBANDS))
        self._context = Context()
        self._lock = asyncio.Lock()
        self.refused: dict[str, str] = {}
        self._missing: dict[str, datetime] = {}
        """Events absent from the aggregator's latest full list, since when."""
        self._aliases: dict[str, str] = {}
        """A re-posted event's id at the aggregator -> the id the store keeps it under."""
        self._planned_for: Demand | None = None
        self._over_limit_at: datetime | None = None
        """The demand the plan in force was made for (the clock re-plans when it moves)."""

    # --- set-up -------------------------------------------------------------------

    @property
    def response(self) -> Response | None:
        """The plan in force, if any."""
        return self.responder.response

    @property
    def restore_pending(self) -> list[Step]:
        """The steps that could not be put back yet."""
        return self.responder.restore_pending

    @property
    def participated(self) -> dict[str, bool]:
        """Whether the household took part, by event."""
        return self.responder.participated

    @property
    def limits(self) -> Limits:
        """The household's limits."""
        return limits_from(dict(self.entry.options))

    @property
    def automatic(self) -> bool:
        """Whether the home answers events by itself (the default)."""
        return bool(self.entry.options.get(CONF_AUTO_RESPONSE, True))

    @property
    def power_entity(self) -> str | None:
        """The sensor whose power is reported and whose drop is the curtailment."""
        value = self.entry.options.get(CONF_POWER_ENTITY)
        return str(value) if value else None

    async def async_start(self) -> None:
        """Load what was stored, connect, and start the clock and the reports."""
        stored = await self._storage.async_load()
        if stored is not None:
            try:
                self.store = EventStore.from_dict(stored["events"])
                self.responder.load(stored)
                self._aliases = {str(k): str(v) for k, v in stored.get("aliases", {}).items()}
            except (EventError, KeyError, TypeError, ValueError) as err:
                LOGGER.warning(
                    "The stored demand-response events do not read (%s); starting afresh", err
                )
                self.store = EventStore()
        await self.source.async_start(self)
        entry = self.entry
        entry.async_on_unload(async_track_time_interval(self.hass, self._on_backstop, BACKSTOP))
        minutes = int(entry.options.get(CONF_REPORT_MINUTES, DEFAULT_REPORT_MINUTES))
        entry.async_on_unload(
            async_track_time_interval(self.hass, self._on_report_time, timedelta(minutes=minutes))
        )
        if (entity := self.power_entity) is not None:
            entry.async_on_unload(async_track_state_change_event(self.hass, entity, self._on_power))
        entry.async_on_unload(self._cancel_timers)
        self._watch_appliances()
        # Whatever the clock did while Home Assistant was stopped; then the next start or end.
        self.handle(self.store.advance(dt_util.utcnow()))
        self._schedule(dt_util.utcnow())
        if self.restore_pending:
            self.hass.async_create_task(self._restore_steps(()), "denki restore after restart")

    async def async_stop(self) -> None:
        """Disconnect and write what is pending."""
        await self.source.async_stop()
        await self._storage.async_save(self._to_dict())

    @callback
    def _cancel_timers(self) -> None:
        for unsub in (self._timer, self._watch):
            if unsub is not None:
                unsub()
        self._timer = self._watch = None

    def add_listener(self, listener: HubListener) -> Callable[[], None]:
        """Call `listener` after any change the entities show."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_change_listener(self, listener: ChangeListener) -> Callable[[], None]:
        """Call `listener(kind, event, data)` for each change told (and each result)."""
        self._change_listeners.append(listener)
        return lambda: self._change_listeners.remove(listener)

    # --- events in ----------------------------------------------------------------

    @callback
    def receive(self, event: DrEvent) -> None:
        """A protocol received an event (new, repeated or updated).

        A new event that is one the aggregator deleted within the grace,
        re-posted under another id, takes its place (as in `receive_all`).
        """
        event = self._local(event)
        if self.store.get(event.event_id) is None:
            twin = next(
                (
                    known
                    for known in self.store.events
                    if known.event_id in self._missing and _same_event(known, event)
                ),
                None,
            )
            if twin is not None:
                event = self._adopt(event, twin)
        self._missing.pop(event.event_id, None)
        self.handle(self.store.apply(event, dt_util.utcnow()))

    def _adopt(self, event: DrEvent, twin: DrEvent) -> DrEvent:
        """`event` is `twin` re-posted under another id: keep it under the first one."""
        LOGGER.info(
            "Event %s is event %s re-posted by the aggregator; the response goes on",
            event.event_id,
            twin.event_id,
        )
        self._aliases[event.event_id] = twin.event_id
        return replace(event, event_id=twin.event_id)

    @callback
    def vanish(self, event_id: str) -> None:
        """The aggregator deleted an event: a cancellation once the grace passes unre-posted."""
        local = self._aliases.get(event_id, event_id)
        grace = self.source.vanish_grace
        if not grace or self.store.get(local) is None:
            self.cancel(event_id)
            return
        self._missing.setdefault(local, dt_util.utcnow())
        self.entry.async_on_unload(async_call_later(self.hass, grace, partial(self._expire, local)))

    @callback
    def _expire(self, local: str, _now: datetime) -> None:
        """The grace of a deleted event has passed: cancelled, unless it came back."""
        since = self._missing.get(local)
        if since is not None and dt_util.utcnow() - since >= self.source.vanish_grace:
            del self._missing[local]
            self.handle(self.store.cancel(local, dt_util.utcnow()))

    @callback
    def receive_all(self, events: list[DrEvent]) -> None:
        """A protocol received the full list of current events.

        An event missing from the list counts as cancelled only once it has
        been missing for the source's `vanish_grace`. A new event that is a
        missing one re-posted (another id; the same program, intervals and
        values) takes its place: the household's response goes on, and the
        aggregator hears of it under the new id (`aggregator_event`).
        """
        now = dt_util.utcnow()
        received = [self._local(event) for event in events]
        present = {event.event_id for event in received}
        missing = [
            known
            for known in self.store.events
            if known.event_id not in present
            and known.status_at(now) in (EventStatus.PENDING, EventStatus.ACTIVE)
        ]
        for index, event in enumerate(received):
            if self.store.get(event.event_id) is not None:
                continue
            twin = next((known for known in missing if _same_event(known, event)), None)
            if twin is not None:
                received[index] = self._adopt(event, twin)
                missing.remove(twin)
        changes: list[Change] = []
        for event in received:
            self._missing.pop(event.event_id, None)
            changes += self.store.apply(event, now)
        grace = self.source.vanish_grace
        for known in missing:
            since = self._missing.setdefault(known.event_id, now)
            if now - since >= grace:
                del self._missing[known.event_id]
                changes += self.store.cancel(known.event_id, now)
        self._forget_aliases()
        self.handle(changes)

    @callback
    def cancel(self, event_id: str) -> None:
        """A protocol says the aggregator withdrew an event."""
        local = self._aliases.get(event_id, event_id)
        self._missing.pop(local, None)
        self.handle(self.store.cancel(local, dt_util.utcnow()))

    def _local(self, event: DrEvent) -> DrEvent:
        """The event under the id the store knows it by (a re-posted event's first id)."""
        local = self._aliases.get(event.event_id)
        return event if local is None else replace(event, event_id=local)

    def aggregator_event(self, event: DrEvent) -> DrEvent:
        """The event under the id the aggregator knows it by now (for reports and opts)."""
        for remote, local in self._aliases.items():
            if local == event.event_id:
                return replace(event, event_id=remote)
        return event

    def _forget_aliases(self) -> None:
        self._aliases = {
            remote: local
            for remote, local in self._aliases.items()
            if self.store.get(local) is not None
        }

    @callback
    def refuse(self, event_id: str, reason: str) -> None:
        """A protocol could not read an event: a repair issue says so, once per event."""
        if self.refused.get(event_id) == reason:
            return
        self.refused[event_id] = reason
        LOGGER.warning("Set aside event %s from the aggregator: %s", event_id, reason)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"dr_event_refused_{self.entry.entry_id}_{event_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="dr_event_refused",
            translation_placeholders={"event": event_id, "reason": reason},
        )

    @callback
    def handle(self, changes: list[Change]) -> None:
        """Act on what the store told: entities, the response, the clock, the store."""
        now = dt_util.utcnow()
        for change in changes:
            LOGGER.debug("Event %s %s", change.event.event_id, change.kind)
            self._tell(change.kind, change.event, {})
            if change.kind is ChangeKind.STARTED:
                self._on_started(change.event, now)
            elif change.kind is ChangeKind.ENDED:
                self._on_ended(change.event)
            elif change.kind is ChangeKind.CANCELLED:
                self._leave(change.event.event_id)
            elif change.kind is ChangeKind.MODIFIED:
                self._on_modified(change.event, now)
        if changes:
            self._schedule(now)
            self._save()
        # Even without a change: a multi-interval event's level moves with the clock.
        self._follow_demand(now)
        self._update()

    def _on_modified(self, event: DrEvent, now: datetime) -> None:
        """An event changed: answer it if it now asks, and make the plan again."""
        if event.status_at(now) is not EventStatus.ACTIVE:
            return
        response = self.responder.response
        if response is not None and event.event_id in response.events:
            self._carry_out(self.responder.boundary(), event.event_id)
        else:
            self._on_started(event, now)

    def _demand(self, now: datetime) -> Demand:
        """What the events the plan answers ask for now."""
        response = self.responder.response
        events = [
            event
            for event in self.store.active(now)
            if response is not None and event.event_id in response.events
        ]
        return demand_at(events, now, self.limits)

    def _follow_demand(self, now: datetime) -> None:
        """Make the plan again when the demand in force moved (an interval's boundary)."""
        if self.responder.response is None:
            return
        # None: a plan from before a restart, made for a demand not known now.
        if self._planned_for is None or self._demand(now) != self._planned_for:
            self._carry_out(self.responder.boundary(), "an interval boundary")

    def _on_started(self, event: DrEvent, now: datetime) -> None:
        self._carry_out(
            self.responder.start(
                event,
                now,
                automatic=self.automatic,
                limits=self.limits,
                baseline_kw=self._baseline.baseline(now),
            ),
            event.event_id,
        )

    def _on_ended(self, event: DrEvent) -> None:
        participated, decision = self.responder.end(event)
        self._carry_out(decision, event.event_id)
        self._tell("result", event, {"participated": participated})
        async_dispatcher_send(self.hass, SIGNAL_DR_RESULT, self.entry.entry_id, event, participated)

    def _leave(self, event_id: str) -> None:
        self._carry_out(self.responder.leave(event_id), event_id)

    def _carry_out(self, decision: Decision, event_id: str) -> None:
        """Start curtailing for a new plan, or put back what an ended plan held."""
        if decision.begin:
            self.hass.async_create_task(self._replan(), f"denki plan for {event_id}")
        if decision.restore is not None:
            self._watch_appliances()
            self.hass.async_create_task(self._restore_steps(decision.restore), "denki restore")

    def _tell(self, kind: str, event: DrEvent, data: dict[str, Any]) -> None:
        for listener in tuple(self._change_listeners):
            listener(kind, event, data)

    # --- the household's choice ---------------------------------------------------

    async def async_set_opt(self, event_id: str, opt: OptState) -> DrEvent:
        """Opt in or out of an event; opting out mid-event puts the appliances back now."""
        event = self.store.set_opt(event_id, opt)
        self.source.send_opt(self.aggregator_event(event))
        now = dt_util.utcnow()
        decision = self.responder.opt(
            event,
            opt,
            active=event in self.store.active(now),
            now=now,
            automatic=self.automatic,
            limits=self.limits,
            baseline_kw=self._baseline.baseline(now),
        )
        self._carry_out(decision, event_id)
        self._save()
        self._update()
        return event

    # --- the clock ------------------------------------------------------------------

    def _schedule(self, now: datetime) -> None:
        """A timer at the next start or end, so a response starts on the second."""
        if self._timer is not None:
            self._timer()
            self._timer = None
        moments = [
            moment
            for event in self.store.events
            if not event.cancelled
            for moment in (event.start, *event.boundaries(), event.end)
            if moment > now
        ]
        if moments:
            self._timer = async_track_point_in_utc_time(self.hass, self._on_timer, min(moments))

    @callback
    def _on_timer(self, now: datetime) -> None:
        self._timer = None
        self.handle(self.store.advance(dt_util.utcnow()))
        self._schedule(dt_util.utcnow())  # also when the timer fired a hair early

    @callback
    def _on_backstop(self, now: datetime) -> None:
        self.handle(self.store.advance(dt_util.utcnow()))

    # --- the response ---------------------------------------------------------------

    def _snapshots(self) -> list[Snapshot]:
        snapshots = []
        for role, option in ROLE_OPTIONS.items():
            for entity_id in self.entry.options.get(option, ()):
                state = self.hass.states.get(entity_id)
                if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
                    continue
                snapshots.append(Snapshot(entity_id, role, state.state, dict(state.attributes)))
        return snapshots

    def _draws(self) -> dict[str, float]:
        """Each planned appliance's measured draw, in kW: a power sensor on its device.

        A battery's power sensor tells its charge or discharge, not a draw to
        give up, so batteries are always counted at their estimate.
        """
        registry = er.async_get(self.hass)
        draws: dict[str, float] = {}
        for role, option in ROLE_OPTIONS.items():
            if role is Role.BATTERY:
                continue
            for entity_id in self.entry.options.get(option, ()):
                entry = registry.async_get(entity_id)
                if entry is None or entry.device_id is None:
                    continue
                measured = [
                    kw
                    for other in er.async_entries_for_device(registry, entry.device_id)
                    if other.domain == "sensor"
                    and (other.device_class or other.original_device_class)
                    == SensorDeviceClass.POWER
                    and (kw := kilowatts(self.hass.states.get(other.entity_id))) is not None
                ]
                if measured:
                    draws[entity_id] = max(measured)
        return draws

    def preview(self, event: DrEvent) -> list[Step]:
        """What the automatic response would do for `event` if it started now (nothing sent)."""
        chosen = self.automatic or event.opt is OptState.OPT_IN
        if not chosen or not event.participating:
            return []
        at = event.start if event.start > dt_util.utcnow() else dt_util.utcnow()
        for moment in (at, *event.boundaries()):
            demand = demand_at([event], moment, self.limits)
            if moment >= at and demand != Demand():
                break
        else:
            return []
        return respond(
            self._snapshots(), self.limits, demand, power_kw=self.power_kw, draws=self._draws()
        )

    async def _replan(self) -> None:
        """Fit the plan to the demand in force: curtail what it adds, give back what it drops."""
        async with self._lock:
            now = dt_util.utcnow()
            demand = self._demand(now)
            replan = self.responder.replan(
                self._snapshots(),
                self.limits,
                demand,
                power_kw=self.power_kw,
                draws=self._draws(),
                keep=self._planned_for is None or demand == self._planned_for,
            )
            if replan is None:
                return
            self._planned_for = demand
            if replan == Replan():
                return
            # Stored before any command: a crash mid-way still knows the way back.
            await self._storage.async_save(self._to_dict())
            self._watch_appliances()
            results = await self._call_each(replan.curtail, curtail=True)
            if replan.curtail:
                LOGGER.info(
                    "Demand response: %s of %s appliance(s) curtailed (%s)",
                    sum(results),
                    len(replan.curtail),
                    _describe(demand),
                )
            if replan.give_back:
                LOGGER.info(
                    "Demand response: %s given back (%s)",
                    ", ".join(step.entity_id for step in replan.give_back),
                    _describe(demand),
                )
                await self._put_back(replan.give_back)
        self._update()

    async def _restore_steps(self, steps: tuple[Step, ...]) -> None:
        """Put appliances back; what cannot be reached now is retried when it answers."""
        async with self._lock:
            await self._put_back(steps)
        self._update()

    async def _put_back(self, steps: tuple[Step, ...]) -> None:
        """`_restore_steps` under the lock the caller holds."""
        todo = self.responder.take_restore(steps)
        results = await self._call_each(todo, curtail=False)
        if waiting := self.responder.restored(todo, results):
            LOGGER.warning(
                "Could not put back %s yet; retrying when they answer",
                ", ".join(step.entity_id for step in waiting),
            )
        await self._storage.async_save(self._to_dict())
        self._watch_appliances()

    async def _call_each(self, steps: Sequence[Step], *, curtail: bool) -> list[bool]:
        """Every step's command, all under way together, each started in a turn of its own.

        Started in one turn, forty appliances' service calls held the event
        loop for about 8 ms (bench_loop_lag --slow-callbacks); one a turn,
        other callbacks run between them.
        """
        calls = []
        for step in steps:
            command = (step.curtail if curtail else step.restore).as_dict()
            calls.append(
                self.hass.async_create_task(
                    self._call(step, command), f"denki {step.entity_id}", eager_start=True
                )
            )
            await asyncio.sleep(0)
        return list(await asyncio.gather(*calls))

    async def _call(self, step: Step, command: dict[str, Any]) -> bool:
        state = self.hass.states.get(step.entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return False
        try:
            await self.hass.services.async_call(
                command["domain"],
                command["service"],
                {"entity_id": step.entity_id, **command["data"]},
                blocking=True,
                context=self._context,
            )
        except (HomeAssistantError, ValueError) as err:
            LOGGER.warning("Demand response could not change %s: %s", step.entity_id, err)
            return False
        return True

    def _watch_appliances(self) -> None:
        """Follow the appliances in the plan (for overrides) and those awaiting restoration."""
        if self._watch is not None:
            self._watch()
            self._watch = None
        if entities := self.responder.watched():
            self._watch = async_track_state_change_event(self.hass, entities, self._on_appliance)

    @callback
    def _on_appliance(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        seen = self.responder.appliance_changed(
            entity_id, _plain(event.data["old_state"]), _plain(event.data["new_state"])
        )
        if seen is Seen.RETRY_RESTORE:
            self.hass.async_create_task(self._restore_steps(()), "denki restore retry")
        elif seen is Seen.OVERRIDDEN:
            LOGGER.info(
                "%s was changed during the demand-response event; it leaves the plan", entity_id
            )
            demand = self._planned_for
            if demand is not None and (
                demand.import_limit_kw is not None or demand.reduce_kw is not None
            ):
                # A size in kW: what the person took back is made up from the others.
                self._carry_out(self.responder.boundary(), "an override")
            self._save()
            self._update()

    # --- reports --------------------------------------------------------------------

    @callback
    def _on_power(self, event: Event[EventStateChangedData]) -> None:
        if (kw := kilowatts(event.data["new_state"])) is None:
            return
        now = dt_util.utcnow()
        self._baseline.add(now, kw)
        self._hold_import_limit(kw, now)

    def _hold_import_limit(self, kw: float, now: datetime) -> None:
        """An import limit holds for its whole interval, not only at its start.

        A home under the limit when the interval began (nothing curtailed) can
        rise above it later (a kettle, the evening's cooking): the draw over
        the limit makes the plan again, which only adds at the same demand.
        """
        demand = self._planned_for
        if demand is None or demand.import_limit_kw is None or self.responder.response is None:
            return
        if kw <= demand.import_limit_kw + OVER_LIMIT_KW:
            return
        if self._over_limit_at is not None and now - self._over_limit_at < OVER_LIMIT_RECHECK:
            return
        self._over_limit_at = now
        LOGGER.debug(
            "The home draws %.2f kW over its import limit of %.2f kW: planning again",
            kw,
            demand.import_limit_kw,
        )
        self._carry_out(self.responder.boundary(), "the draw over the import limit")

    @property
    def power_kw(self) -> float | None:
        """The household's draw now, in kW."""
        entity = self.power_entity
        return None if entity is None else kilowatts(self.hass.states.get(entity))

    @property
    def curtailed_kw(self) -> float:
        """The draw before the response less the draw now, while a response is in force."""
        return self.responder.curtailed_kw()

    @callback
    def _on_report_time(self, now: datetime) -> None:
        report = self._reports.plan(
            {"power_kw": self.power_kw, "curtailed_kw": self.curtailed_kw},
            now,
            changes_only=self.source.changes_only,
            active=self.store.active(dt_util.utcnow()),
        )
        if report is not None:
            self.hass.async_create_task(
                self._report(report.values, report.at, report.event), "denki report"
            )

    async def _report(self, values: dict[str, float], at: datetime, event: DrEvent | None) -> None:
        try:
            await self.source.report(
                values, at, None if event is None else self.aggregator_event(event)
            )
        except OutboxError as err:
            LOGGER.error("A report could not be queued: %s", err)
        self._update()

    # --- storage and entities -------------------------------------------------------

    def _to_dict(self) -> dict[str, Any]:
        stored = stored_dict(self.store, self.responder)
        if self._aliases:  # only while a re-posted event is known: the file is as it was
            stored["aliases"] = dict(self._aliases)
        return stored

    def _save(self) -> None:
        self._storage.async_delay_save(self._to_dict, SAVE_DELAY)

    def _update(self) -> None:
        for listener in tuple(self._listeners):
            listener()

    @callback
    def source_changed(self) -> None:
        """The protocol's link came or went: the entities show it now."""
        self._update()

    # --- what the entities show -----------------------------------------------------

    def current(self) -> DrEvent | None:
        """The event in force now, if any."""
        active = self.store.active(dt_util.utcnow())
        return active[0] if active else None

    def value_now(self, signal: SignalType) -> float | None:
        """The payload of that type in force now, as a number."""
        now = dt_util.utcnow()
        for event in self.store.active(now):
            value = event.value_at(signal, now)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None


def _same_event(known: DrEvent, new: DrEvent) -> bool:
    """Whether `new` is `known` re-posted: the same program, intervals and values."""
    return known.program_id == new.program_id and known.intervals == new.intervals


def _describe(demand: Demand) -> str:
    """The demand in a log line."""
    parts = [f"depth {demand.depth.name.lower()}"]
    if demand.import_limit_kw is not None:
        parts.append(f"import limit {demand.import_limit_kw} kW")
    if demand.reduce_kw is not None:
        parts.append(f"reduce {demand.reduce_kw} kW")
    if demand.export_limit_kw is not None:
        parts.append(f"export limit {demand.export_limit_kw} kW")
    return ", ".join(parts)


def _plain(state: State | None) -> EntityState | None:
    return None if state is None else EntityState(state.state, state.attributes)
