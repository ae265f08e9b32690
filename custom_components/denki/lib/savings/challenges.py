"""Weekly personal challenges, made from the household's own meter data.

A challenge is a hard, specific goal against the household's own recent use
("evening peak 10 % below your usual on 3 weekdays"), with progress shown
every day: Becker (1978) found that neither a goal nor feedback alone
worked, and both together did. The reference is the household's own mean
over the `REFERENCE_WEEKS` weeks before the challenge week, so the goal fits
the home; the target moves up after a completed week and down after a
missed one, between `MIN_TARGET` and `MAX_TARGET`; and the kind rotates, the
least recently used first, so that it stays new.

A day counts only when the meter has every slot of its window; a day with
missing slots is reported as missing, never as met or missed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

from .day_types import DayType, HolidayCalendar, day_type_of
from .scoring import ChallengeOutcome
from .slots import JST, SLOT, MeterSeries

REFERENCE_WEEKS: Final = 4
"""Weeks before the challenge week that the household's reference is drawn from."""
MIN_REFERENCE_DAYS: Final = 5
"""Complete days a reference needs; a kind with fewer is not offered."""
START_TARGET: Final = 0.10
STEP: Final = 0.05
MIN_TARGET: Final = 0.05
MAX_TARGET: Final = 0.25
TOLERANCE_KWH: Final = 1e-6
"""Far below any meter's resolution: eight slots of 0.45 kWh sum to 3.6000000000000005."""


class ChallengeKind(StrEnum):
    """What a challenge asks; its key names its translation."""

    EVENING_PEAK = "evening_peak"
    """Weekdays, 17:00-21:00: the hours the grid is most stretched."""
    MORNING_PEAK = "morning_peak"
    """Weekdays, 07:00-10:00."""
    DAILY_TOTAL = "daily_total"
    """Any day, the whole day."""


@dataclass(frozen=True, slots=True)
class _Window:
    start: time
    end: time | None  # None: midnight at the end of the day
    weekdays_only: bool
    days_needed: int


_WINDOWS: Final = {
    ChallengeKind.EVENING_PEAK: _Window(time(17), time(21), weekdays_only=True, days_needed=3),
    ChallengeKind.MORNING_PEAK: _Window(time(7), time(10), weekdays_only=True, days_needed=3),
    ChallengeKind.DAILY_TOTAL: _Window(time(0), None, weekdays_only=False, days_needed=4),
}
ROTATION: Final = tuple(ChallengeKind)
"""The order kinds are offered in when none has been used yet."""


@dataclass(frozen=True, slots=True)
class Challenge:
    """One week's challenge: use `target` below `reference_kwh` in the window on `days_needed` days."""

    week: date
    """The Monday the week starts on."""
    kind: ChallengeKind
    target: float
    """The share below the reference, e.g. 0.1 for 10 %."""
    reference_kwh: float
    """The household's mean use in the window over the reference weeks."""
    days_needed: int

    @property
    def limit_kwh(self) -> float:
        """A day meets the challenge at or below this use in the window."""
        return self.reference_kwh * (1 - self.target)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, to store the week's challenge."""
        return {
            "week": self.week.isoformat(),
            "kind": str(self.kind),
            "target": self.target,
            "reference_kwh": self.reference_kwh,
            "days_needed": self.days_needed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Challenge:
        """Read `to_dict()`'s form back.

        Raises:
            KeyError, TypeError, ValueError: Something in it does not read.
        """
        return cls(
            week=date.fromisoformat(data["week"]),
            kind=ChallengeKind(data["kind"]),
            target=float(data["target"]),
            reference_kwh=float(data["reference_kwh"]),
            days_needed=int(data["days_needed"]),
        )


@dataclass(frozen=True, slots=True)
class ChallengeProgress:
    """How the week is going."""

    challenge: Challenge
    used_kwh: dict[date, float]
    """Use in the window of each complete day so far."""
    missing_days: tuple[date, ...]
    """Days of the week (so far) that the meter has gaps in."""

    @property
    def days_met(self) -> int:
        """Complete days at or below the limit."""
        limit = self.challenge.limit_kwh + TOLERANCE_KWH
        return sum(used <= limit for used in self.used_kwh.values())

    @property
    def completed(self) -> bool:
        """Enough days met."""
        return self.days_met >= self.challenge.days_needed

    def outcome(self) -> ChallengeOutcome:
        """What the ledger records for the week."""
        return ChallengeOutcome(self.challenge.week, str(self.challenge.kind), self.completed)


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def _counts(kind: ChallengeKind, day: date, is_holiday: HolidayCalendar) -> bool:
    return not _WINDOWS[kind].weekdays_only or day_type_of(day, is_holiday) is DayType.WEEKDAY


def window_use(series: MeterSeries, kind: ChallengeKind, day: date) -> float | None:
    """The energy used in `kind`'s window on `day` (kWh), or None when a slot is missing."""
    window = _WINDOWS[kind]
    start = datetime.combine(day, window.start, JST)
    end = (
        datetime.combine(day, window.end, JST)
        if window.end is not None
        else datetime.combine(day + timedelta(days=1), time(0), JST)
    )
    total = 0.0
    slot = start
    while slot < end:
        value = series.get(slot)
        if value is None:
            return None
        total += value
        slot += SLOT
    return total


def reference(
    series: MeterSeries, kind: ChallengeKind, week: date, is_holiday: HolidayCalendar
) -> float | None:
    """The household's mean use in the window over the reference weeks; None if too few days."""
    days = [week - timedelta(days=n) for n in range(1, 7 * REFERENCE_WEEKS + 1)]
    used = [
        value
        for day in days
        if _counts(kind, day, is_holiday) and (value := window_use(series, kind, day)) is not None
    ]
    if len(used) < MIN_REFERENCE_DAYS:
        return None
    return sum(used) / len(used)


def next_target(history: Sequence[ChallengeOutcome]) -> float:
    """Harder after a completed week, easier after a missed one."""
    target = START_TARGET
    for outcome in sorted(history, key=lambda o: o.week):
        target += STEP if outcome.completed else -STEP
        target = min(max(target, MIN_TARGET), MAX_TARGET)
    return round(target, 2)


def make_challenge(
    series: MeterSeries,
    week: date,
    history: Sequence[ChallengeOutcome],
    is_holiday: HolidayCalendar,
) -> Challenge | None:
    """The challenge for `week` (a Monday), or None while the meter has too little history.

    The kind is the least recently used one that has a reference; among kinds
    never used, ROTATION's order decides.
    """
    if week.weekday() != 0:
        raise ValueError(f"{week} is not a Monday")
    last_used: dict[str, date] = {}
    for outcome in history:
        if outcome.week < week:
            last_used[outcome.kind] = max(outcome.week, last_used.get(outcome.kind, outcome.week))
    never = date.min
    for kind in sorted(ROTATION, key=lambda k: (last_used.get(str(k), never), ROTATION.index(k))):
        ref = reference(series, kind, week, is_holiday)
        if ref is None or ref <= 0:
            continue
        return Challenge(
            week=week,
            kind=kind,
            target=next_target([o for o in history if o.week < week]),
            reference_kwh=ref,
            days_needed=_WINDOWS[kind].days_needed,
        )
    return None


def progress(
    challenge: Challenge,
    series: MeterSeries,
    is_holiday: HolidayCalendar,
    today: date | None = None,
) -> ChallengeProgress:
    """The challenge's days so far: up to `today` (excluded), or the whole week."""
    end = challenge.week + timedelta(days=7)
    if today is not None:
        end = min(end, today)
    used: dict[date, float] = {}
    missing: list[date] = []
    day = challenge.week
    while day < end:
        if _counts(challenge.kind, day, is_holiday):
            value = window_use(series, challenge.kind, day)
            if value is None:
                missing.append(day)
            else:
                used[day] = value
        day += timedelta(days=1)
    return ChallengeProgress(challenge, used, tuple(missing))
