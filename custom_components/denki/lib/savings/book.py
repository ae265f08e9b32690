"""The household's savings book: its slots, ledger, weekly challenge and DR events, sans I/O.

`SavingsBook` holds what the savings entry keeps and decides what each thing
that happens means for it:
- a reading of the energy counter goes into the 30-minute slots
  (`lib.savings.accumulate`); one of a day-fact counter (PV, export, the
  water heater) into that counter's slots;
- a new day in Japan records the facts of the whole days before it, and on a
  Monday settles the past week's challenge into the ledger and makes the new
  week's from the household's own last four weeks;
- an aggregator's result of a DR event waits until the event's slots are in,
  then is scored against the ERAB baseline (`compute_savings`), measured or
  with the slots that stayed missing;
- the meter's own 30-minute record fills the slots the readings missed; when
  it brings the household's history (a new household beside a smart meter,
  whose 35 days are read at once), the week's challenge is made from it there
  and then, not at the next midnight.

Each call returns what happened: the awards to announce (a card earned, a
challenge completed), whether the figures shown changed, the events settled
and when to look again. The caller keeps the clock, the timers, the storage
and the entities; `to_dict` and `from_dict` are the stored form.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
import logging
from typing import Any, Final

from .accumulate import SlotAccumulator
from .challenges import Challenge, ChallengeProgress, make_challenge, progress, week_of
from .compute import compute_savings
from .day_facts import day_facts
from .day_types import HolidayCalendar, japanese_holidays
from .errors import BaselineError
from .scoring import EventOutcome, Ledger, Score
from .slots import JST, SLOT, floor_slot, midnight, slots_between

_LOGGER = logging.getLogger(__name__)

KEEP: Final = timedelta(days=35)
"""Slots kept: the baseline's 30-day look-back and the challenge's 4 weeks, with a margin."""
FACTS_KEPT: Final = timedelta(days=3)
"""How far back a day's facts are still recorded, and the day-fact counters' slots kept."""
SETTLE_AFTER: Final = timedelta(minutes=35)
"""An event is settled once a reading at or after its last slot's end has come in (within
the meter's read interval of the end), or at the latest this long after the end."""
GIVE_UP_AFTER: Final = timedelta(hours=3)
"""Past this, an event with slots still missing is settled with what there is."""
LOOK_AGAIN: Final = timedelta(minutes=30)
"""How soon an event whose slots are missing is looked at again."""

CARD_EARNED: Final = "card_earned"
CHALLENGE_COMPLETED: Final = "challenge_completed"


class FactCounter(StrEnum):
    """What a day-fact counter counts."""

    PV = "pv"
    EXPORT = "export"
    BOILING = "boiling"


@dataclass(frozen=True, slots=True)
class Award:
    """Something to announce: `CARD_EARNED` or `CHALLENGE_COMPLETED`, with its details."""

    kind: str
    data: dict[str, str]


@dataclass(frozen=True, slots=True)
class Update:
    """What a change did to what the household is shown."""

    awards: tuple[Award, ...] = ()
    changed: bool = False
    """The score, the challenge or its progress may have changed: show them again."""


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A DR event that ended and awaits its slots: the slots scored, and whether it took part."""

    start: datetime
    end: datetime
    """The end of the last slot scored."""
    participated: bool

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "participated": self.participated,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PendingEvent:
        """Read `to_dict()`'s form back; KeyError, TypeError or ValueError when it does not."""
        return cls(
            datetime.fromisoformat(data["start"]),
            datetime.fromisoformat(data["end"]),
            bool(data["participated"]),
        )


@dataclass(frozen=True, slots=True)
class Settlement:
    """What looking at the pending events did."""

    outcomes: tuple[EventOutcome, ...] = ()
    """The events settled into the ledger now."""
    update: Update = field(default_factory=Update)
    look_again_in: timedelta | None = None
    """When an event still pending should be looked at again; None when none is."""
    wants_meter: bool = False
    """An event misses slots: the meter's own record may have them."""


@dataclass(frozen=True, slots=True)
class MeterGap:
    """The slots to ask the meter's own record for."""

    start: datetime
    """Slots before this were asked for already."""
    end: datetime
    """The current slot: the readings are still filling it."""
    first_missing: datetime | None
    """The first slot from `start` the readings do not hold whole; None when there is none."""


class SavingsBook:
    """The slots, ledger, score, challenge and pending events of one household."""

    def __init__(self, today: date, is_holiday: HolidayCalendar | None = None) -> None:
        """An empty book on `today` (in Japan); `is_holiday` defaults to Japan's holidays."""
        self.is_holiday = is_holiday
        self.slots = SlotAccumulator()
        self.counters: dict[str, SlotAccumulator] = {}
        """The day-fact counters' slots, by name."""
        self.facts_until: date | None = None
        """The last day whose facts were recorded."""
        self.ledger = Ledger()
        self.challenge: Challenge | None = None
        self.pending_events: dict[str, PendingEvent] = {}
        self.last_result: dict[str, Any] | None = None
        """The last event scored, slot by slot, for the card's chart."""
        self.meter_until: datetime | None = None
        """Slots before this were asked of the meter's own record."""
        self.today = today
        self.progress: ChallengeProgress | None = None
        self.score: Score = self.ledger.score()
        self._roles: dict[str, FactCounter] = {}

    @property
    def calendar(self) -> HolidayCalendar:
        """The holidays the baseline and the challenges know (`japanese_holidays` is cached)."""
        return self.is_holiday or japanese_holidays()

    # --- readings --------------------------------------------------------------------------

    def use_counters(self, roles: Mapping[str, FactCounter]) -> None:
        """Count the day facts with these counters (name -> what it counts); drop any other."""
        self._roles = dict(roles)
        for name in roles:
            self.counters.setdefault(name, SlotAccumulator())
        for name in set(self.counters) - set(roles):
            del self.counters[name]

    def reading(self, at: datetime, kwh: float) -> bool:
        """Take a reading of the energy counter; True when a slot changed."""
        return bool(self.slots.add(at, kwh))

    def counter_reading(self, name: str, at: datetime, kwh: float) -> bool:
        """Take a reading of the day-fact counter `name`; True when a slot changed."""
        counter = self.counters.get(name)
        return counter is not None and bool(counter.add(at, kwh))

    def refresh(self, *, rescore: bool = False) -> Update:
        """Recompute the week's progress, and the score when the ledger may have changed.

        `changed` is False when neither changed: a reading inside a slot the
        challenge does not look at, say.
        """
        before = self.progress
        self.progress = (
            progress(
                self.challenge,
                self.slots.complete,
                self.calendar,
                today=self.today + timedelta(days=1),
            )
            if self.challenge is not None
            else None
        )
        awards: list[Award] = []
        if (
            self.progress is not None
            and self.progress.completed
            and (
                before is None
                or before.challenge != self.progress.challenge
                or not before.completed
            )
        ):
            awards.append(
                Award(CHALLENGE_COMPLETED, {"challenge": str(self.progress.challenge.kind)})
            )
        if rescore:
            earned = {award.card for award in self.score.cards}
            self.score = self.ledger.score()
            awards.extend(
                Award(CARD_EARNED, {"card": str(award.card), "rarity": str(award.card.rarity)})
                for award in self.score.cards
                if award.card not in earned
            )
        return Update(tuple(awards), changed=rescore or self.progress != before)

    # --- days and weeks --------------------------------------------------------------------

    def begin_day(self, today: date) -> Update:
        """A day began in Japan: record the days before it; on a new week, roll the challenge."""
        self._record_days(today)
        self.today = today
        week = week_of(today)
        if self.challenge is not None and self.challenge.week < week:
            self.ledger.record_challenge(
                progress(self.challenge, self.slots.complete, self.calendar).outcome()
            )
            self.challenge = None
        self._offer_challenge()
        self.slots.forget_before(midnight(today) - KEEP)
        return self.refresh(rescore=True)

    def _offer_challenge(self) -> None:
        """Make this week's challenge, if there is none yet and the slots now have a reference."""
        if self.challenge is None:
            self.challenge = make_challenge(
                self.slots.complete,
                week_of(self.today),
                list(self.ledger.challenges.values()),
                self.calendar,
            )

    def _record_days(self, today: date) -> None:
        """Record the facts of every whole day before today not yet recorded (3 days back)."""
        if not self.counters:
            return
        if self.facts_until is None:
            self.facts_until = today - timedelta(days=1)  # counting starts today
            return
        series = {
            self._roles[name]: counter.slots
            for name, counter in self.counters.items()
            if name in self._roles
        }
        day = max(self.facts_until + timedelta(days=1), today - FACTS_KEPT)
        while day < today:
            facts = day_facts(
                day,
                pv=series.get(FactCounter.PV),
                export=series.get(FactCounter.EXPORT),
                boiling=series.get(FactCounter.BOILING),
            )
            if facts is not None:
                self.ledger.record_day(facts)
            self.facts_until = day
            day += timedelta(days=1)
        for counter in self.counters.values():
            counter.forget_before(midnight(today) - FACTS_KEPT)

    # --- demand-response events ------------------------------------------------------------

    def event_result(
        self, event_id: str, start: datetime, end: datetime, participated: bool
    ) -> bool:
        """An event ended: keep it pending until its slots are in; False if it was scored.

        A slot the event only began is scored whole; the ERAB baseline is per
        day, so an event past midnight (Japan) is scored to midnight.
        """
        if event_id in self.ledger.events:
            return False
        first = floor_slot(start)
        last = floor_slot(end)
        if last < end:
            last += SLOT
        last = min(last, midnight(first.astimezone(JST).date()) + timedelta(days=1))
        self.pending_events[event_id] = PendingEvent(first, last, participated)
        return True

    def event_closed(self) -> bool:
        """Whether the readings reached the end of a pending event's last slot."""
        last = self.slots.last_time
        return last is not None and any(item.end <= last for item in self.pending_events.values())

    def settle(self, now: datetime) -> Settlement:
        """Record every pending event whose slots are in; say when to look at the others."""
        waits: list[timedelta] = []
        outcomes: list[EventOutcome] = []
        wants_meter = False
        for event_id, item in list(self.pending_events.items()):
            closed = self.slots.last_time is not None and self.slots.last_time >= item.end
            if not closed and now < item.end + SETTLE_AFTER:
                waits.append(item.end + SETTLE_AFTER - now)
                continue
            outcome = self._outcome(event_id, item, now)
            if outcome is None:  # slots missing: ask the meter's record, look again, give up
                waits.append(min(LOOK_AGAIN, item.end + GIVE_UP_AFTER - now))
                wants_meter = True
                continue
            self.ledger.record_event(outcome)
            del self.pending_events[event_id]
            outcomes.append(outcome)
        return Settlement(
            tuple(outcomes),
            self.refresh(rescore=True) if outcomes else Update(),
            min(waits) if waits else None,
            wants_meter,
        )

    def _outcome(self, event_id: str, item: PendingEvent, now: datetime) -> EventOutcome | None:
        """The event's outcome, or None to wait for missing slots a little longer."""
        start, end = item.start, item.end
        if not item.participated:
            return EventOutcome(event_id, start, end, participated=False, saved_kwh=None)
        dr_days = {
            outcome.start.astimezone(JST).date()
            for outcome in self.ledger.events.values()
            if outcome.participated
        }
        try:
            result = compute_savings(
                self.slots.complete, start, end, dr_days=dr_days, is_holiday=self.calendar
            )
        except BaselineError as err:
            _LOGGER.info("No baseline for event %s, so no kWh to credit: %s", event_id, err)
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

    # --- the meter's own record ------------------------------------------------------------

    def meter_gap(self, now: datetime) -> MeterGap:
        """The slots to ask the meter for: the 35 days kept at first, then since the last time."""
        end = floor_slot(now)
        start = self.meter_until or end - KEEP
        complete = self.slots.complete
        first = next((slot for slot in slots_between(start, end) if slot not in complete), None)
        return MeterGap(start, end, first)

    def meter_filled(self, gap: MeterGap, measured: Mapping[datetime, float]) -> int:
        """Take the meter's record for `gap` (empty when nothing was missing); the slots added.

        Slots added may be the history the week's challenge waited for: it is
        made now if there is none (`refresh` then shows it). A challenge
        already made is kept as it is, so that a week's goal never moves.
        """
        added = self.slots.fill({slot: kwh for slot, kwh in measured.items() if slot >= gap.start})
        self.meter_until = gap.end
        if added:
            self._offer_challenge()
        return added

    # --- the stored form -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "slots": self.slots.to_dict(),
            "ledger": self.ledger.to_dict(),
            "challenge": self.challenge.to_dict() if self.challenge else None,
            "pending_events": {
                event_id: item.to_dict() for event_id, item in self.pending_events.items()
            },
            "counters": {name: counter.to_dict() for name, counter in self.counters.items()},
            "facts_until": self.facts_until.isoformat() if self.facts_until else None,
            "last_result": self.last_result,
            "meter_until": self.meter_until.isoformat() if self.meter_until else None,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], today: date, is_holiday: HolidayCalendar | None = None
    ) -> SavingsBook:
        """Read `to_dict()`'s form back; ValueError when any of it does not read."""
        book = cls(today, is_holiday)
        try:
            book.slots = SlotAccumulator.from_dict(data["slots"])
            book.counters = {
                name: SlotAccumulator.from_dict(value)
                for name, value in data.get("counters", {}).items()
            }
            facts_until = data.get("facts_until")
            book.facts_until = date.fromisoformat(facts_until) if facts_until else None
            book.ledger = Ledger.from_dict(data["ledger"])
            challenge = data.get("challenge")
            book.challenge = None if challenge is None else Challenge.from_dict(challenge)
            book.pending_events = {
                str(event_id): PendingEvent.from_dict(item)
                for event_id, item in data.get("pending_events", {}).items()
            }
            book.last_result = data.get("last_result")
            meter_until = data.get("meter_until")
            book.meter_until = datetime.fromisoformat(meter_until) if meter_until else None
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"the stored savings do not read: {err}") from err
        book.score = book.ledger.score()
        return book
