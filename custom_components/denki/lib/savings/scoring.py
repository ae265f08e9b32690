"""Points, streaks, shields, levels and collectable cards, from a ledger that never counts twice.

What the rules follow (the evidence the issue cites):

- Feedback on each event, at once: every event scores on its own, as soon as
  its savings are known (Opower's reports worked while they kept coming).
- Active participation pays: taking part is worth `PARTICIPATION_POINTS`
  before any kWh is counted (Octopus Saving Sessions: opted-in households
  saved four times as much as invited ones).
- Streaks with forgiveness and tiers (OhmConnect): each consecutive success
  adds `STREAK_BONUS_STEP` (5 %) to an event's saving points, up to
  `STREAK_BONUS_CAP`; a miss costs a shield if one is held, and otherwise
  drops a streak of `STREAK_FLOOR` (10) or more back to 10, not to 0.
- A hard, specific goal with frequent feedback (Becker 1978): the weekly
  challenge (`challenges.py`); completing it earns points and a shield.

The ledger holds what happened, keyed by stable ids (an event's id, a week's
Monday, a day): recording the same thing again replaces it, so replaying the
same data never double counts, and a result revised later (say, after a
meter back-fill) replaces the first one. Everything else (points, streak,
level, cards) is computed from the ledger in time order by `score()`, so it
is the same after a restart as before. `to_dict()` / `from_dict()` give its
JSON form, versioned.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from .slots import JST

PARTICIPATION_POINTS: Final = 20
"""For taking part in an event (not opting out), whatever it saved."""
POINTS_PER_KWH: Final = 100
"""For each kWh saved against the adjusted baseline: a point per 10 Wh."""
STREAK_BONUS_STEP: Final = 0.05
"""Extra share of saving points per consecutive success before the event."""
STREAK_BONUS_CAP: Final = 0.5
"""The streak bonus stops growing at +50 % (ten in a row)."""
STREAK_FLOOR: Final = 10
"""A streak that reached this is not lost to a miss, only cut back to it."""
CHALLENGE_POINTS: Final = 50
"""For completing a week's challenge."""
MAX_SHIELDS: Final = 2
"""Shields held at most; a completed challenge earns one."""
PEAK_SHAVER_RATIO: Final = 0.3
"""An event's saving, as a share of its adjusted baseline, that earns the peak shaver card."""
SOLAR_SELF_CONSUMPTION_RATIO: Final = 0.8
"""A day's share of PV generation used at home that earns the solar card."""
SOLAR_MIN_KWH: Final = 5.0
"""PV generation a day needs before its self-consumption counts."""
NIGHT_BOILING_SHARE: Final = 0.9
"""A day's share of EcoCute boiling energy in night hours that earns the night-shift card."""
STORAGE_VERSION: Final = 1


def level_threshold(level: int) -> int:
    """Points needed to reach `level` (level 1 at 0): 100, 300, 600, 1000, ... for 2, 3, 4, 5."""
    if level < 1:
        raise ValueError("levels start at 1")
    return 50 * level * (level - 1)


def level_of(points: int) -> int:
    """The level that `points` reach."""
    level = 1
    while level_threshold(level + 1) <= points:
        level += 1
    return level


class Rarity(StrEnum):
    """How rare a card is, for the card's frame and sorting."""

    COMMON = "common"
    UNCOMMON = "uncommon"
    RARE = "rare"
    EPIC = "epic"


class Card(StrEnum):
    """A collectable card; its key names its translation."""

    FIRST_EVENT = "first_event"
    STREAK_5 = "streak_5"
    STREAK_10 = "streak_10"
    PEAK_SHAVER = "peak_shaver"
    SAVED_10_KWH = "saved_10_kwh"
    FIRST_CHALLENGE = "first_challenge"
    FOUR_WEEK_RUN = "four_week_run"
    SHIELD_SAVED_STREAK = "shield_saved_streak"
    SOLAR_SELF_CONSUMPTION = "solar_self_consumption"
    ECOCUTE_NIGHT_SHIFT = "ecocute_night_shift"

    @property
    def rarity(self) -> Rarity:
        """How rare the card is."""
        return _RARITY[self]


_RARITY: Final = {
    Card.FIRST_EVENT: Rarity.COMMON,
    Card.FIRST_CHALLENGE: Rarity.COMMON,
    Card.ECOCUTE_NIGHT_SHIFT: Rarity.UNCOMMON,
    Card.SHIELD_SAVED_STREAK: Rarity.UNCOMMON,
    Card.STREAK_5: Rarity.RARE,
    Card.PEAK_SHAVER: Rarity.RARE,
    Card.SOLAR_SELF_CONSUMPTION: Rarity.RARE,
    Card.SAVED_10_KWH: Rarity.RARE,
    Card.FOUR_WEEK_RUN: Rarity.EPIC,
    Card.STREAK_10: Rarity.EPIC,
}
REPEATABLE: Final = frozenset(
    {Card.PEAK_SHAVER, Card.SOLAR_SELF_CONSUMPTION, Card.ECOCUTE_NIGHT_SHIFT}
)
"""Cards earned again each time (the collection counts them); the others once."""


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """How one DR event went for the household."""

    event_id: str
    start: datetime
    end: datetime
    participated: bool
    """False when the household opted out (or did nothing it could be credited for)."""
    saved_kwh: float | None
    """kWh saved against the adjusted baseline, never below 0; None when not measurable."""
    baseline_kwh: float | None = None
    """The adjusted baseline over the event, for the peak shaver card."""

    def __post_init__(self) -> None:
        """Refuse what no computation gives."""
        if self.start.tzinfo is None or self.end <= self.start:
            raise ValueError("an event has an aware start before its end")
        if self.saved_kwh is not None and self.saved_kwh < 0:
            raise ValueError("saved kWh is never negative (a negative total counts as 0)")


@dataclass(frozen=True, slots=True)
class ChallengeOutcome:
    """Whether a week's challenge was completed."""

    week: date
    """The Monday the week starts on."""
    kind: str
    completed: bool

    def __post_init__(self) -> None:
        """A week is named by its Monday."""
        if self.week.weekday() != 0:
            raise ValueError(f"{self.week} is not a Monday")


@dataclass(frozen=True, slots=True)
class DayFacts:
    """Facts of one day that cards look at; None where the home has no such device."""

    day: date
    pv_kwh: float | None = None
    self_consumed_kwh: float | None = None
    boiling_kwh: float | None = None
    night_boiling_kwh: float | None = None


@dataclass(frozen=True, slots=True)
class EventScore:
    """What one event earned, and the streak after it."""

    event_id: str
    start: datetime
    points: int
    participation_points: int
    saving_points: int
    streak_bonus: float
    """The share added to the saving points, e.g. 0.15 for a streak of 3 before it."""
    success: bool
    streak_after: int
    shield_used: bool


@dataclass(frozen=True, slots=True)
class CardAward:
    """A card earned: the first time, and how often."""

    card: Card
    first_earned: datetime
    times: int


@dataclass(frozen=True, slots=True)
class Score:
    """Everything the household has earned so far."""

    points: int
    level: int
    level_points: int
    """Points at which the current level started."""
    next_level_points: int
    streak: int
    best_streak: int
    shields: int
    saved_kwh: float
    events: tuple[EventScore, ...]
    cards: tuple[CardAward, ...]
    """In the order first earned."""

    @property
    def level_progress(self) -> float:
        """How far through the current level, 0 to 1."""
        span = self.next_level_points - self.level_points
        return (self.points - self.level_points) / span


def _aware_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JST)


@dataclass
class Ledger:
    """What happened, keyed by stable ids; the score is computed from it."""

    events: dict[str, EventOutcome] = field(default_factory=dict)
    challenges: dict[date, ChallengeOutcome] = field(default_factory=dict)
    days: dict[date, DayFacts] = field(default_factory=dict)

    def record_event(self, outcome: EventOutcome) -> bool:
        """Record or revise an event; True when the ledger changed."""
        return _put(self.events, outcome.event_id, outcome)

    def record_challenge(self, outcome: ChallengeOutcome) -> bool:
        """Record or revise a week's challenge; True when the ledger changed."""
        return _put(self.challenges, outcome.week, outcome)

    def record_day(self, outcome: DayFacts) -> bool:
        """Record or revise a day's facts; True when the ledger changed."""
        return _put(self.days, outcome.day, outcome)

    def score(self) -> Score:
        """Fold the ledger in time order: events at their end, weeks and days when they end."""
        return _Scorer().run(self)

    def to_dict(self) -> dict[str, Any]:
        """The ledger as JSON-ready data."""
        return {
            "version": STORAGE_VERSION,
            "events": [
                {
                    "id": e.event_id,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "participated": e.participated,
                    "saved_kwh": e.saved_kwh,
                    "baseline_kwh": e.baseline_kwh,
                }
                for e in sorted(self.events.values(), key=lambda e: (e.start, e.event_id))
            ],
            "challenges": [
                {"week": c.week.isoformat(), "kind": c.kind, "completed": c.completed}
                for c in sorted(self.challenges.values(), key=lambda c: c.week)
            ],
            "days": [
                {
                    "day": d.day.isoformat(),
                    "pv_kwh": d.pv_kwh,
                    "self_consumed_kwh": d.self_consumed_kwh,
                    "boiling_kwh": d.boiling_kwh,
                    "night_boiling_kwh": d.night_boiling_kwh,
                }
                for d in sorted(self.days.values(), key=lambda d: d.day)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ledger:
        """Read `to_dict()`'s form back.

        Raises:
            ValueError: An unknown version, or a record that does not read.
        """
        if data.get("version") != STORAGE_VERSION:
            raise ValueError(f"unknown savings ledger version {data.get('version')!r}")
        ledger = cls()
        try:
            for e in data.get("events", ()):
                ledger.record_event(
                    EventOutcome(
                        event_id=str(e["id"]),
                        start=datetime.fromisoformat(e["start"]),
                        end=datetime.fromisoformat(e["end"]),
                        participated=bool(e["participated"]),
                        saved_kwh=_optional_float(e.get("saved_kwh")),
                        baseline_kwh=_optional_float(e.get("baseline_kwh")),
                    )
                )
            for c in data.get("challenges", ()):
                ledger.record_challenge(
                    ChallengeOutcome(
                        date.fromisoformat(c["week"]), str(c["kind"]), bool(c["completed"])
                    )
                )
            for d in data.get("days", ()):
                ledger.record_day(
                    DayFacts(
                        date.fromisoformat(d["day"]),
                        _optional_float(d.get("pv_kwh")),
                        _optional_float(d.get("self_consumed_kwh")),
                        _optional_float(d.get("boiling_kwh")),
                        _optional_float(d.get("night_boiling_kwh")),
                    )
                )
        except (KeyError, TypeError, ValueError) as err:  # TypeError: a value of a wrong type
            raise ValueError(f"a savings ledger record does not read: {err}") from err
        return ledger


def _put[K, V](records: dict[K, V], key: K, value: V) -> bool:
    if records.get(key) == value:
        return False
    records[key] = value
    return True


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)


class _Scorer:
    """One pass over the ledger in time order."""

    def __init__(self) -> None:
        self.points = 0
        self.streak = 0
        self.best_streak = 0
        self.shields = 0
        self.saved_kwh = 0.0
        self.events: list[EventScore] = []
        self.cards: dict[Card, CardAward] = {}
        self.week_run = 0
        self.last_week: date | None = None

    def run(self, ledger: Ledger) -> Score:
        # Each record happens when it ends: an event at its end, a week on the
        # next Monday, a day at the next midnight. Ties: days, then weeks, then events.
        timeline: list[tuple[datetime, int, str, object]] = [
            (_aware_midnight(day.day + timedelta(days=1)), 0, "", day)
            for day in ledger.days.values()
        ]
        timeline += (
            (_aware_midnight(week.week + timedelta(days=7)), 1, "", week)
            for week in ledger.challenges.values()
        )
        timeline += ((event.end, 2, event.event_id, event) for event in ledger.events.values())
        for at, _, _, record in sorted(timeline, key=lambda item: item[:3]):
            if isinstance(record, EventOutcome):
                self._event(record)
            elif isinstance(record, ChallengeOutcome):
                self._challenge(record, at)
            elif isinstance(record, DayFacts):
                self._day(record, at)
        level = level_of(self.points)
        return Score(
            points=self.points,
            level=level,
            level_points=level_threshold(level),
            next_level_points=level_threshold(level + 1),
            streak=self.streak,
            best_streak=self.best_streak,
            shields=self.shields,
            saved_kwh=self.saved_kwh,
            events=tuple(self.events),
            cards=tuple(self.cards.values()),
        )

    def _award(self, card: Card, at: datetime) -> None:
        award = self.cards.get(card)
        if award is None:
            self.cards[card] = CardAward(card, at, 1)
        elif card in REPEATABLE:
            self.cards[card] = CardAward(card, award.first_earned, award.times + 1)

    def _event(self, event: EventOutcome) -> None:
        measurable = event.saved_kwh is not None
        success = event.participated and bool(event.saved_kwh)
        bonus = min(STREAK_BONUS_STEP * self.streak, STREAK_BONUS_CAP) if success else 0.0
        participation = PARTICIPATION_POINTS if event.participated else 0
        saved = (event.saved_kwh or 0.0) if event.participated else 0.0
        saving = math.floor(saved * POINTS_PER_KWH * (1 + bonus) + 0.5)  # half up
        shield_used = False
        if success:
            self.streak += 1
        elif event.participated and not measurable:
            pass  # no meter data: neither a success nor a miss
        elif not self.streak:
            pass  # a miss with no streak to lose keeps the shields for one that has one
        elif self.shields:
            self.shields -= 1
            shield_used = True
            self._award(Card.SHIELD_SAVED_STREAK, event.end)
        else:
            self.streak = STREAK_FLOOR if self.streak >= STREAK_FLOOR else 0
        self.best_streak = max(self.best_streak, self.streak)
        self.points += participation + saving
        self.saved_kwh += saved
        self.events.append(
            EventScore(
                event.event_id,
                event.start,
                participation + saving,
                participation,
                saving,
                bonus,
                success,
                self.streak,
                shield_used,
            )
        )
        if event.participated:
            self._award(Card.FIRST_EVENT, event.end)
        if self.streak >= 5:
            self._award(Card.STREAK_5, event.end)
        if self.streak >= 10:
            self._award(Card.STREAK_10, event.end)
        if success and event.baseline_kwh and saved >= PEAK_SHAVER_RATIO * event.baseline_kwh:
            self._award(Card.PEAK_SHAVER, event.end)
        if self.saved_kwh >= 10:
            self._award(Card.SAVED_10_KWH, event.end)

    def _challenge(self, week: ChallengeOutcome, at: datetime) -> None:
        consecutive = self.last_week is not None and week.week - self.last_week == timedelta(7)
        self.last_week = week.week
        if not week.completed:
            self.week_run = 0
            return
        self.week_run = self.week_run + 1 if consecutive else 1
        self.points += CHALLENGE_POINTS
        self.shields = min(self.shields + 1, MAX_SHIELDS)
        self._award(Card.FIRST_CHALLENGE, at)
        if self.week_run >= 4:
            self._award(Card.FOUR_WEEK_RUN, at)

    def _day(self, day: DayFacts, at: datetime) -> None:
        if (
            day.pv_kwh is not None
            and day.self_consumed_kwh is not None
            and day.pv_kwh >= SOLAR_MIN_KWH
            and day.self_consumed_kwh >= SOLAR_SELF_CONSUMPTION_RATIO * day.pv_kwh
        ):
            self._award(Card.SOLAR_SELF_CONSUMPTION, at)
        if (
            day.boiling_kwh
            and day.night_boiling_kwh is not None
            and day.night_boiling_kwh >= NIGHT_BOILING_SHARE * day.boiling_kwh
        ):
            self._award(Card.ECOCUTE_NIGHT_SHIFT, at)


def replay(ledger: Ledger, records: Iterable[EventOutcome | ChallengeOutcome | DayFacts]) -> int:
    """Record each of `records`; return how many changed the ledger."""
    changed = 0
    for record in records:
        if isinstance(record, EventOutcome):
            changed += ledger.record_event(record)
        elif isinstance(record, ChallengeOutcome):
            changed += ledger.record_challenge(record)
        else:
            changed += ledger.record_day(record)
    return changed
