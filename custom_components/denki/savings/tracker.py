"""The savings entry: an energy sensor's 30-minute slots, the weekly challenge and the ledger.

Any `total_increasing` energy sensor can be scored: the smart meter's import
energy by default. Each of its readings, changed or merely reported again,
goes into `lib.savings.accumulate`'s 30-minute slots (35 days are kept: the
baseline looks back 30). Each Monday (Japan time) the past week's challenge
is settled into the ledger and a new one is made from the household's own
last four weeks. Everything is stored, so a restart loses nothing and
replays nothing twice (`lib.savings.scoring`).

With a Denki meter's import, the slots the readings missed are taken from
the meter's own 30-minute record: the 35 days kept when the entry starts, so
that a new household has its baseline and its week's challenge on the first
day, and then each hour what a stop left out. A first read the meter could
not answer (its entry still loading, its radio busy or its dongle out) is
asked again as soon as the meter's entry has loaded or its statistics
back-fill has run, not an hour later.

What each of these means is decided by `lib.savings.book.SavingsBook`; the
tracker feeds it the sensors' states, the clock and the aggregators' results,
keeps its timers and its store, and tells the entities what it returns.
"""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    State,
    callback,
)
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
from ..lib.savings import JST, japanese_holidays
from ..lib.savings.accumulate import SlotAccumulator
from ..lib.savings.book import FactCounter, PendingEvent, SavingsBook, Update
from ..lib.savings.challenges import Challenge, ChallengeProgress
from ..lib.savings.scoring import Card, Ledger, Score
from ..meter.lookup import meter_backfill
from ..meter.statistics import MeterBackfill
from ..units import kilowatt_hours

STORAGE_VERSION = 1
SAVE_DELAY = 60
"""Seconds a change waits before it is written: one write for a burst of readings."""
FACT_COUNTERS = {
    CONF_PV_ENTITY: FactCounter.PV,
    CONF_EXPORT_ENTITY: FactCounter.EXPORT,
    CONF_BOILING_ENTITY: FactCounter.BOILING,
}
"""The options that name a day-fact counter, and what each counts."""

type SavingsConfigEntry = ConfigEntry[SavingsTracker]
type SavingsListener = Callable[[], None]
type AwardListener = Callable[[str, dict[str, Any]], None]


class SavingsTracker:
    """The entry's `SavingsBook`, kept up to date from the energy sensor and the calendar."""

    def __init__(self, hass: HomeAssistant, entry: SavingsConfigEntry) -> None:
        """Prepare; `async_start` loads what was stored and starts listening."""
        self.hass = hass
        self.entry = entry
        self.energy_entity: str = entry.data[CONF_ENERGY_ENTITY]
        self.store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.savings.{entry.entry_id}"
        )
        self.book = SavingsBook(dt_util.now(JST).date())
        self._listeners: list[SavingsListener] = []
        self._award_listeners: list[AwardListener] = []
        self._unusable_logged = False
        self._settle_timer: Callable[[], None] | None = None
        self._filling = False
        self._fill_again = False
        self._fill_owed = True
        """The meter's record has not been read since the start, or the last read failed."""
        self._watched: MeterBackfill | None = None
        self._unwatch: Callable[[], None] | None = None

    # --- what the entities and the diagnostics read: the book's --------------------------

    @property
    def slots(self) -> SlotAccumulator:
        """The energy counter's 30-minute slots."""
        return self.book.slots

    @property
    def ledger(self) -> Ledger:
        """What happened: events, weeks and days."""
        return self.book.ledger

    @property
    def score(self) -> Score:
        """The score of the ledger."""
        return self.book.score

    @property
    def challenge(self) -> Challenge | None:
        """This week's challenge; None while the history is too short."""
        return self.book.challenge

    @property
    def progress(self) -> ChallengeProgress | None:
        """How this week's challenge is going."""
        return self.book.progress

    @property
    def today(self) -> date:
        """The day (in Japan) the book is on."""
        return self.book.today

    @property
    def pending_events(self) -> dict[str, PendingEvent]:
        """DR events that ended and await their slots."""
        return self.book.pending_events

    @property
    def last_result(self) -> dict[str, Any] | None:
        """The last settled event, slot by slot, for the card's chart."""
        return self.book.last_result

    @property
    def meter_until(self) -> datetime | None:
        """Slots before this were asked of the meter's own record (a Denki meter's import)."""
        return self.book.meter_until

    @property
    def cards(self) -> tuple[Card, ...]:
        """The cards earned, in the order first earned."""
        return tuple(award.card for award in self.score.cards)

    @property
    def fact_entities(self) -> dict[str, str]:
        """The optional counters the day facts read: option name -> entity id."""
        options = self.entry.options
        return {name: str(options[name]) for name in FACT_COUNTERS if options.get(name)}

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
        holidays = await self.hass.async_add_executor_job(japanese_holidays)
        self.book.is_holiday = holidays
        stored = await self.store.async_load()
        if stored is not None:
            try:
                self.book = SavingsBook.from_dict(stored, self.book.today, holidays)
            except ValueError as err:
                # Keep the unreadable copy beside the fresh start: nothing is overwritten.
                backup: Store[dict[str, Any]] = Store(
                    self.hass, STORAGE_VERSION, f"{DOMAIN}.savings.{self.entry.entry_id}.unreadable"
                )
                await backup.async_save(stored)
                LOGGER.warning("Starting the savings afresh; %s (a copy is kept)", err)
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
        fact_entities = self.fact_entities
        self.book.use_counters({name: FACT_COUNTERS[name] for name in fact_entities})
        for entity_id in fact_entities.values():
            entry.async_on_unload(
                async_track_state_change_event(self.hass, entity_id, self._on_counter_changed)
            )
            entry.async_on_unload(
                async_track_state_report_event(self.hass, entity_id, self._on_counter_reported)
            )
        entry.async_on_unload(self._cancel_settle)
        entry.async_on_unload(self._stop_watching)
        entry.async_on_unload(
            async_dispatcher_connect(self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._on_entry_changed)
        )
        if (current := self.hass.states.get(self.energy_entity)) is not None:
            self._reading(current)
        self._roll(dt_util.now(JST).date())
        self._settle()
        self._schedule_fill()

    async def async_stop(self) -> None:
        """Write what is pending."""
        await self.store.async_save(self.book.to_dict())

    def add_listener(self, listener: SavingsListener) -> Callable[[], None]:
        """Call `listener` after every change of the score, challenge or progress."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_award_listener(self, listener: AwardListener) -> Callable[[], None]:
        """Call `listener(kind, data)` when a card is earned or a challenge completed."""
        self._award_listeners.append(listener)
        return lambda: self._award_listeners.remove(listener)

    def _save(self) -> None:
        self.store.async_delay_save(self.book.to_dict, SAVE_DELAY)

    def _tell(self, update: Update) -> None:
        """Announce the awards, then have the entities show what changed."""
        for award in update.awards:
            for award_listener in tuple(self._award_listeners):
                award_listener(award.kind, award.data)
        if update.changed:
            for listener in tuple(self._listeners):
                listener()

    @callback
    def _on_changed(self, event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None and self._reading(state):
            self._tell(self.book.refresh())
            self._settle_if_in()

    @callback
    def _on_reported(self, event: Event[EventStateReportedData]) -> None:
        if self._reading(event.data["new_state"]):
            self._settle_if_in()

    @callback
    def _settle_if_in(self) -> None:
        """A reading came in: settle now any pending event whose last slot it closed."""
        if self.book.event_closed():
            self._cancel_settle()
            self._settle()

    @callback
    def _on_hour(self, now: datetime) -> None:
        today = now.astimezone(JST).date()
        if today != self.book.today:
            self._roll(today)
        self._schedule_fill()

    def _roll(self, today: date) -> None:
        """A new day: record its facts, roll the week's challenge, and tell the entities."""
        update = self.book.begin_day(today)
        self._save()
        self._tell(update)

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
        if not self.book.reading(state.last_reported, kwh):
            return False
        self._save()
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
            if counted == entity_id and self.book.counter_reading(name, state.last_reported, kwh):
                self._save()

    # --- the meter's own record --------------------------------------------------------

    def _meter_backfill(self) -> MeterBackfill | None:
        """The back-fill of the Denki meter whose import the savings count, if it is loaded."""
        return meter_backfill(self.hass, self.energy_entity)

    @callback
    def _schedule_fill(self) -> None:
        """Ask the meter for the slots the readings missed, unless that is already under way."""
        if self._filling:
            self._fill_again = True  # asked while one runs: go again once it is done
            return
        if (backfill := self._meter_backfill()) is None:
            return
        self._watch(backfill)
        self._filling = True
        self.entry.async_create_background_task(
            self.hass, self._fill_from_meter(), "denki savings from the meter's record"
        )

    async def _fill_from_meter(self) -> None:
        """Take the meter's 30-minute record for every slot the readings missed.

        The first time that is the 35 days kept, so that a new household has a
        baseline and this week's challenge on its first day (the book makes the
        challenge as the slots come in); afterwards, what a stop or an outage
        left out since the last time. One day's record is two requests; a meter
        that does not answer is asked again when its back-fill has run, or next
        hour.
        """
        try:
            backfill = self._meter_backfill()
            if backfill is None:
                return
            gap = self.book.meter_gap(dt_util.utcnow())
            measured: Mapping[datetime, float] = {}
            if gap.first_missing is not None:
                try:
                    measured = await backfill.async_half_hours(gap.first_missing, gap.end)
                except (DongleError, MeterValueError, EchonetError, TimeoutError) as err:
                    LOGGER.debug("The meter's record for the savings waits: %s", err)
                    self._fill_owed = True
                    return
            self._fill_owed = False
            if added := self.book.meter_filled(gap, measured):
                LOGGER.info("Savings: %s half-hours taken from the meter's own record", added)
                self._tell(self.book.refresh(rescore=True))
                if self.book.pending_events:  # an event may have waited for these slots
                    self._cancel_settle()
                    self._settle()
            self._save()
        finally:
            self._filling = False
            if self._fill_again:
                self._fill_again = False
                self._schedule_fill()

    @callback
    def _on_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry[Any]) -> None:
        """A Denki entry loaded: the meter's, after this one (Home Assistant starting, say)."""
        if (
            self._fill_owed
            and entry.domain == DOMAIN
            and entry.entry_id != self.entry.entry_id
            and entry.state is ConfigEntryState.LOADED
        ):
            self._schedule_fill()

    def _watch(self, backfill: MeterBackfill) -> None:
        """Follow the meter's statistics back-fill (a reloaded meter has a new one)."""
        if backfill is self._watched:
            return
        self._stop_watching()
        self._watched = backfill
        self._unwatch = backfill.add_listener(self._on_backfill)

    @callback
    def _stop_watching(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
        self._watched = self._unwatch = None

    @callback
    def _on_backfill(self) -> None:
        """The meter's back-fill moved on: when a run has ended, read the record if it is owed."""
        if self._watched is not None and not self._watched.status.running and self._fill_owed:
            self._schedule_fill()

    # --- demand-response events -------------------------------------------------------

    @callback
    def _on_dr_result(self, source: str, event: DrEvent, participated: bool) -> None:
        """An aggregator's event ended: settle it once its slots are in."""
        if self.dr_source not in (None, source) or not self.book.event_result(
            event.event_id, event.start, event.end, participated
        ):
            return
        self._save()
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
        settlement = self.book.settle(dt_util.utcnow())
        if settlement.wants_meter:
            self._schedule_fill()
        if settlement.look_again_in is not None:
            self._settle_timer = async_call_later(self.hass, settlement.look_again_in, self._settle)
        if settlement.outcomes:
            self._save()
            self._tell(settlement.update)
