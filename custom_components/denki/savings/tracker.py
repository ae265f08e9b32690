"""The savings entry: an energy sensor's 30-minute slots, the weekly challenge and the ledger.

Any `total_increasing` energy sensor can be scored: the smart meter's import
energy by default. Each of its readings, changed or merely reported again,
goes into `lib.savings.accumulate`'s 30-minute slots (35 days are kept: the
baseline looks back 30). Each Monday (Japan time) the past week's challenge
is settled into the ledger and a new one is made from the household's own
last four weeks. Everything is stored, so a restart loses nothing and
replays nothing twice (`lib.savings.scoring`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_state_report_event,
    async_track_time_change,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_BOILING_ENTITY,
    CONF_DR_SOURCE,
    CONF_ENERGY_ENTITY,
    CONF_EXPORT_ENTITY,
    CONF_PV_ENTITY,
    CONF_YEN_PER_KWH,
    DOMAIN,
    LOGGER,
    SIGNAL_DR_RESULT,
)
from ..lib.broute.errors import DongleError
from ..lib.broute.meter_values import MeterValueError
from ..lib.dr import DrEvent
from ..lib.echonet import EchonetError
from ..lib.savings import JST, BaselineError, HolidayCalendar, compute_savings, japanese_holidays
from ..lib.savings.accumulate import SlotAccumulator
from ..lib.savings.challenges import Challenge, ChallengeProgress, make_challenge, progress, week_of
from ..lib.savings.day_facts import day_facts
from ..lib.savings.scoring import Card, EventOutcome, Ledger, Score
from ..lib.savings.slots import SLOT, floor_slot, midnight, slots_between
from ..meter.statistics import MeterBackfill
from ..units import kilowatt_hours

STORAGE_VERSION = 1
KEEP = timedelta(days=35)
"""Slots kept: the baseline's 30-day look-back and the challenge's 4 weeks, with a margin."""
SAVE_DELAY = 60
"""Seconds a change waits before it is written: one write for a burst of readings."""
SETTLE_AFTER = timedelta(minutes=35)
"""An event is settled once a reading at or after its last slot's end has come in (within
the meter's read interval of the end), or at the latest this long after the end."""
GIVE_UP_AFTER = timedelta(hours=3)
"""Past this, an event with slots still missing is settled with what there is."""

type SavingsConfigEntry = ConfigEntry[SavingsTracker]
type SavingsListener = Callable[[], None]
type AwardListener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class _Stored:
    slots: SlotAccumulator
    counters: dict[str, SlotAccumulator]
    facts_until: date | None
    ledger: Ledger
    challenge: Challenge | None
    pending: dict[str, dict[str, Any]]
    last_result: dict[str, Any] | None
    meter_until: datetime | None


def _parse(data: dict[str, Any]) -> _Stored:
    """The stored state, or ValueError when any of it does not read."""
    try:
        return _Stored(
            SlotAccumulator.from_dict(data["slots"]),
            {
                name: SlotAccumulator.from_dict(value)
                for name, value in data.get("counters", {}).items()
            },
            date.fromisoformat(data["facts_until"]) if data.get("facts_until") else None,
            Ledger.from_dict(data["ledger"]),
            None if data.get("challenge") is None else Challenge.from_dict(data["challenge"]),
            dict(data.get("pending_events", {})),
            data.get("last_result"),
            datetime.fromisoformat(data["meter_until"]) if data.get("meter_until") else None,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"the stored savings do not read: {err}") from err


class SavingsTracker:
    """The entry's state, kept up to date from the energy sensor and the calendar."""

    def __init__(self, hass: HomeAssistant, entry: SavingsConfigEntry) -> None:
        """Prepare; `async_start` loads what was stored and starts listening."""
        self.hass = hass
        self.entry = entry
        self.energy_entity: str = entry.data[CONF_ENERGY_ENTITY]
        self.store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.savings.{entry.entry_id}"
        )
        self.slots = SlotAccumulator()
        self.ledger = Ledger()
        self.challenge: Challenge | None = None
        self.progress: ChallengeProgress | None = None
        self.score: Score = self.ledger.score()
        self.today: date = dt_util.now(JST).date()
        self._holidays: HolidayCalendar | None = None
        self._listeners: list[SavingsListener] = []
        self._award_listeners: list[AwardListener] = []
        self._unusable_logged = False
        self.pending_events: dict[str, dict[str, Any]] = {}
        """DR events that ended and await their slots: id -> start, end, participated."""
        self.last_result: dict[str, Any] | None = None
        """The last settled event, slot by slot, for the card's chart."""
        self._settle_timer: Callable[[], None] | None = None
        self.counters: dict[str, SlotAccumulator] = {}
        """The day-fact counters' slots (PV, export, water heater), by option name."""
        self.facts_until: date | None = None
        """The last day whose facts were recorded."""
        self.meter_until: datetime | None = None
        """Slots before this were asked of the meter's own record (a Denki meter's import)."""
        self._filling = False
        self._fill_again = False

    @property
    def fact_entities(self) -> dict[str, str]:
        """The optional counters the day facts read: option name -> entity id."""
        options = self.entry.options
        return {
            name: str(options[name])
            for name in (CONF_PV_ENTITY, CONF_EXPORT_ENTITY, CONF_BOILING_ENTITY)
            if options.get(name)
        }

    @property
    def dr_source(self) -> str | None:
        """The aggregator entry whose events are scored; None for every aggregator."""
        source = self.entry.options.get(CONF_DR_SOURCE)
        return str(source) if source and source != "all" else None

    @property
    def yen_per_kwh(self) -> float:
        """The price the estimates use."""
        return float(self.entry.options.get(CONF_YEN_PER_KWH, self.entry.data[CONF_YEN_PER_KWH]))

    async def async_start(self) -> None:
        """Load the stored state, settle any weeks that ended while stopped, and listen."""
        self._holidays = await self.hass.async_add_executor_job(japanese_holidays)
        stored = await self.store.async_load()
        if stored is not None:
            try:
                state = _parse(stored)
            except ValueError as err:
                # Keep the unreadable copy beside the fresh start: nothing is overwritten.
                backup: Store[dict[str, Any]] = Store(
                    self.hass, STORAGE_VERSION, f"{DOMAIN}.savings.{self.entry.entry_id}.unreadable"
                )
                await backup.async_save(stored)
                LOGGER.warning("Starting the savings afresh; %s (a copy is kept)", err)
            else:
                self.slots, self.ledger, self.challenge = state.slots, state.ledger, state.challenge
                self.pending_events, self.last_result = state.pending, state.last_result
                self.counters, self.facts_until = state.counters, state.facts_until
                self.meter_until = state.meter_until
        entry = self.entry
        entry.async_on_unload(
            async_track_state_change_event(self.hass, self.energy_entity, self._on_changed)
        )
        entry.async_on_unload(
            async_track_state_report_event(self.hass, self.energy_entity, self._on_reported)
        )
        # Hourly, for a new day in Japan whatever Home Assistant's time zone: a new day for
        # the progress, and on Mondays a new week.
        entry.async_on_unload(
            async_track_time_change(self.hass, self._on_hour, minute=0, second=30)
        )
        entry.async_on_unload(
            async_dispatcher_connect(self.hass, SIGNAL_DR_RESULT, self._on_dr_result)
        )
        for name, entity_id in self.fact_entities.items():
            self.counters.setdefault(name, SlotAccumulator())
            entry.async_on_unload(
                async_track_state_change_event(self.hass, entity_id, self._on_counter_changed)
            )
            entry.async_on_unload(
                async_track_state_report_event(self.hass, entity_id, self._on_counter_reported)
            )
        for name in set(self.counters) - set(self.fact_entities):
            del self.counters[name]  # a counter taken out of the options
        entry.async_on_unload(self._cancel_settle)
        if (current := self.hass.states.get(self.energy_entity)) is not None:
            self._reading(current)
        # The score of what was stored, so that its cards are not announced again.
        self.score = self.ledger.score()
        self._roll(dt_util.now(JST).date())
        self._settle()
        self._schedule_fill()

    async def async_stop(self) -> None:
        """Write what is pending."""
        await self.store.async_save(self._to_dict())

    def add_listener(self, listener: SavingsListener) -> Callable[[], None]:
        """Call `listener` after every change of the score, challenge or progress."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_award_listener(self, listener: AwardListener) -> Callable[[], None]:
        """Call `listener(kind, data)` when a card is earned or a challenge completed."""
        self._award_listeners.append(listener)
        return lambda: self._award_listeners.remove(listener)

    @callback
    def _on_changed(self, event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None and self._reading(state):
            self._update()
            self._settle_if_in()

    @callback
    def _on_reported(self, event: Event[EventStateReportedData]) -> None:
        if self._reading(event.data["new_state"]):
            self._settle_if_in()

    @callback
    def _settle_if_in(self) -> None:
        """A reading came in: settle now any pending event whose last slot it closed."""
        last = self.slots.last_time
        if last is not None and any(
            datetime.fromisoformat(item["end"]) <= last for item in self.pending_events.values()
        ):
            self._cancel_settle()
            self._settle()

    @callback
    def _on_hour(self, now: datetime) -> None:
        today = now.astimezone(JST).date()
        if today != self.today:
            self._roll(today)
        self._schedule_fill()

    # --- the meter's own record --------------------------------------------------------

    def _meter_backfill(self) -> MeterBackfill | None:
        """The back-fill of the Denki meter whose import the savings count, if it is loaded."""
        entity = er.async_get(self.hass).async_get(self.energy_entity)
        if (
            entity is None
            or entity.platform != DOMAIN
            or entity.config_entry_id is None
            or not entity.unique_id.endswith("_energy_import")
        ):
            return None
        meter = self.hass.config_entries.async_get_entry(entity.config_entry_id)
        if meter is None or meter.state is not ConfigEntryState.LOADED:
            return None
        backfill = getattr(meter.runtime_data, "backfill", None)
        return backfill if isinstance(backfill, MeterBackfill) else None

    @callback
    def _schedule_fill(self) -> None:
        """Ask the meter for the slots the readings missed, unless that is already under way."""
        if self._filling:
            self._fill_again = True  # asked while one runs: go again once it is done
            return
        if self._meter_backfill() is None:
            return
        self._filling = True
        self.entry.async_create_background_task(
            self.hass, self._fill_from_meter(), "denki savings from the meter's record"
        )

    async def _fill_from_meter(self) -> None:
        """Take the meter's 30-minute record for every slot the readings missed.

        The first time that is the 35 days kept, so that a new household has a
        baseline and a challenge from its first event on; afterwards, what a
        stop or an outage left out since the last time. One day's record is
        two requests; a meter that does not answer is asked again next hour.
        """
        try:
            backfill = self._meter_backfill()
            if backfill is None:
                return
            end = floor_slot(dt_util.utcnow())
            start = self.meter_until or end - KEEP
            missing = [
                slot for slot in slots_between(start, end) if slot not in self.slots.complete
            ]
            if missing:
                try:
                    measured = await backfill.async_half_hours(missing[0], end)
                except (DongleError, MeterValueError, EchonetError, TimeoutError) as err:
                    LOGGER.debug("The meter's record for the savings waits: %s", err)
                    return
                added = self.slots.fill({k: v for k, v in measured.items() if k >= start})
                if added:
                    LOGGER.info("Savings: %s half-hours taken from the meter's own record", added)
                    self._update(rescore=True)
                    if self.pending_events:  # an event may have waited for these slots
                        self._cancel_settle()
                        self._settle()
            self.meter_until = end
            self.store.async_delay_save(self._to_dict, SAVE_DELAY)
        finally:
            self._filling = False
            if self._fill_again:
                self._fill_again = False
                self._schedule_fill()

    def _reading(self, state: State) -> bool:
        """Put one reading into the slots; True when a slot changed."""
        if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            return False
        if (kwh := kilowatt_hours(state)) is None:
            if not self._unusable_logged:
                self._unusable_logged = True
                LOGGER.warning(
                    "%s reads %s %s, not an energy: the savings skip it",
                    self.energy_entity,
                    state.state,
                    state.attributes.get("unit_of_measurement"),
                )
            return False
        self._unusable_logged = False
        if not self.slots.add(state.last_reported, kwh):
            return False
        self.store.async_delay_save(self._to_dict, SAVE_DELAY)
        return True

    @callback
    def _on_counter_changed(self, event: Event[EventStateChangedData]) -> None:
        self._counter(event.data["entity_id"], event.data["new_state"])

    @callback
    def _on_counter_reported(self, event: Event[EventStateReportedData]) -> None:
        self._counter(event.data["entity_id"], event.data["new_state"])

    def _counter(self, entity_id: str, state: State | None) -> None:
        """A reading of a day-fact counter."""
        kwh = kilowatt_hours(state)
        if kwh is None or state is None:
            return
        for name, counted in self.fact_entities.items():
            counter = self.counters.get(name) if counted == entity_id else None
            if counter is not None and counter.add(state.last_reported, kwh):
                self.store.async_delay_save(self._to_dict, SAVE_DELAY)

    def _record_days(self, today: date) -> None:
        """Record the facts of every whole day before today not yet recorded (3 days back)."""
        if not self.counters:
            return
        if self.facts_until is None:
            self.facts_until = today - timedelta(days=1)  # counting starts today
            return
        series = {name: counter.slots for name, counter in self.counters.items()}
        first = max(self.facts_until + timedelta(days=1), today - timedelta(days=3))
        day = first
        while day < today:
            facts = day_facts(
                day,
                pv=series.get(CONF_PV_ENTITY),
                export=series.get(CONF_EXPORT_ENTITY),
                boiling=series.get(CONF_BOILING_ENTITY),
            )
            if facts is not None:
                self.ledger.record_day(facts)
            self.facts_until = day
            day += timedelta(days=1)
        for counter in self.counters.values():
            counter.forget_before(
                datetime.combine(today, datetime.min.time(), JST) - timedelta(days=3)
            )

    def _roll(self, today: date) -> None:
        """Settle the challenge of a week that ended, make this week's, and tell the entities."""
        self._record_days(today)
        self.today = today
        week = week_of(today)
        if self.challenge is not None and self.challenge.week < week:
            self.ledger.record_challenge(
                progress(self.challenge, self.slots.complete, self._calendar).outcome()
            )
            self.challenge = None
        if self.challenge is None:
            self.challenge = make_challenge(
                self.slots.complete, week, list(self.ledger.challenges.values()), self._calendar
            )
        self.slots.forget_before(datetime.combine(today, datetime.min.time(), JST) - KEEP)
        self.store.async_delay_save(self._to_dict, SAVE_DELAY)
        self._update(rescore=True)

    @property
    def _calendar(self) -> HolidayCalendar:
        """Japan's holidays: built in the executor at start, cached by japanese_holidays."""
        return self._holidays or japanese_holidays()

    def _update(self, *, rescore: bool = False) -> None:
        """Recompute the week's progress, and the score when the ledger changed.

        The entities are told only when something they show changed: the meter's
        readings come every few seconds, most of them inside one slot.
        """
        before = self.progress
        self.progress = (
            progress(
                self.challenge, self.slots.complete, self._calendar, today=self.today + timedelta(1)
            )
            if self.challenge is not None
            else None
        )
        if (
            self.progress is not None
            and self.progress.completed
            and (
                before is None
                or before.challenge != self.progress.challenge
                or not before.completed
            )
        ):
            self._award("challenge_completed", {"challenge": str(self.progress.challenge.kind)})
        if rescore:
            earned = {award.card for award in self.score.cards}
            self.score = self.ledger.score()
            for award in self.score.cards:
                if award.card not in earned:
                    self._award(
                        "card_earned", {"card": str(award.card), "rarity": str(award.card.rarity)}
                    )
        elif self.progress == before:
            return  # a reading inside a slot the challenge does not look at, say
        for listener in tuple(self._listeners):
            listener()

    def _award(self, kind: str, data: dict[str, Any]) -> None:
        for listener in tuple(self._award_listeners):
            listener(kind, data)

    def _to_dict(self) -> dict[str, Any]:
        return {
            "slots": self.slots.to_dict(),
            "ledger": self.ledger.to_dict(),
            "challenge": self.challenge.to_dict() if self.challenge else None,
            "pending_events": self.pending_events,
            "counters": {name: counter.to_dict() for name, counter in self.counters.items()},
            "facts_until": self.facts_until.isoformat() if self.facts_until else None,
            "last_result": self.last_result,
            "meter_until": self.meter_until.isoformat() if self.meter_until else None,
        }

    # --- demand-response events -------------------------------------------------------

    @callback
    def _on_dr_result(self, source: str, event: DrEvent, participated: bool) -> None:
        """An aggregator's event ended: settle it once its slots are in."""
        if event.event_id in self.ledger.events or self.dr_source not in (None, source):
            return
        start = floor_slot(event.start)
        end = floor_slot(event.end)
        if end < event.end:
            end += SLOT  # a slot the event only began is scored whole
        # The ERAB baseline is per day: an event past midnight (Japan) is scored to midnight.
        end = min(end, midnight(start.astimezone(JST).date()) + timedelta(days=1))
        self.pending_events[event.event_id] = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "participated": participated,
        }
        self.store.async_delay_save(self._to_dict, SAVE_DELAY)
        self._settle()

    @callback
    def _cancel_settle(self) -> None:
        if self._settle_timer is not None:
            self._settle_timer()
            self._settle_timer = None

    @callback
    def _settle(self, _now: datetime | None = None) -> None:
        """Record every pending event whose slots are in; come back for the others."""
        self._settle_timer = None
        now = dt_util.utcnow()
        waits: list[timedelta] = []
        settled = False
        for event_id, item in list(self.pending_events.items()):
            start = datetime.fromisoformat(item["start"])
            end = datetime.fromisoformat(item["end"])
            closed = self.slots.last_time is not None and self.slots.last_time >= end
            if not closed and now < end + SETTLE_AFTER:
                waits.append(end + SETTLE_AFTER - now)
                continue
            outcome = self._outcome(event_id, start, end, bool(item["participated"]), now)
            if outcome is None:  # slots missing: ask the meter's record, look again, give up
                waits.append(min(timedelta(minutes=30), end + GIVE_UP_AFTER - now))
                self._schedule_fill()
                continue
            self.ledger.record_event(outcome)
            del self.pending_events[event_id]
            settled = True
        if waits:
            self._settle_timer = async_call_later(self.hass, min(waits), self._settle)
        if settled:
            self.store.async_delay_save(self._to_dict, SAVE_DELAY)
            self._update(rescore=True)

    def _outcome(
        self, event_id: str, start: datetime, end: datetime, participated: bool, now: datetime
    ) -> EventOutcome | None:
        """The event's outcome, or None to wait for missing slots a little longer."""
        if not participated:
            return EventOutcome(event_id, start, end, participated=False, saved_kwh=None)
        dr_days = {
            outcome.start.astimezone(JST).date()
            for outcome in self.ledger.events.values()
            if outcome.participated
        }
        try:
            result = compute_savings(
                self.slots.complete, start, end, dr_days=dr_days, is_holiday=self._calendar
            )
        except BaselineError as err:
            LOGGER.info("No baseline for event %s, so no kWh to credit: %s", event_id, err)
            return EventOutcome(event_id, start, end, participated=True, saved_kwh=None)
        if result.missing_slots and now < end + GIVE_UP_AFTER:
            return None
        measured = len(result.missing_slots) < len(result.slots)
        self.last_result = {
            "event_id": event_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "saved_kwh": round(result.total_saved_kwh, 3) if measured else None,
            "slots": [
                {
                    "start": slot.start.isoformat(),
                    "baseline": round(slot.adjusted_baseline_kwh, 3),
                    "actual": None if slot.actual_kwh is None else round(slot.actual_kwh, 3),
                }
                for slot in result.slots
            ],
            "missing_slots": [slot.isoformat() for slot in result.missing_slots],
        }
        return EventOutcome(
            event_id,
            start,
            end,
            participated=True,
            saved_kwh=result.total_saved_kwh if measured else None,
            baseline_kwh=sum(result.adjusted_baselines.values()),
        )

    @property
    def cards(self) -> tuple[Card, ...]:
        """The cards earned, in the order first earned."""
        return tuple(award.card for award in self.score.cards)
