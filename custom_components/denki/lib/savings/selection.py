"""Which past days the baseline is drawn from: "High 4 of 5" and "High 2 of 3".

This follows the standard baseline of the ERAB guideline (METI, エネルギー・
リソース・アグリゲーション・ビジネスに関するガイドライン, chapter 2
"ベースライン", section "ベースラインの設定方法": 標準ベースライン, High 4 of 5).
For a weekday event the baseline uses the 4 days with the highest demand in
the event window among the 5 most recent weekdays before the event day; for
an event on a Saturday, Sunday or holiday, the 2 highest of the 3 most recent
such days. Days of the other type are not looked at.

The rules, in the order they are applied:

1. The look-back period is the 30 days before the event day (the event day
   itself is never a candidate). Days of the event day's type are walked
   from the most recent backwards.
2. A day is skipped, with its reason, when it was a DR event day
   (`DR_EVENT_DAY`), or when any slot of the event window is missing from
   the meter series on that day (`MISSING_DATA`). Such days never count
   towards the 5 (or 3).
3. The *initial set* is the first 5 (or 3) days that were not skipped. The
   *reference mean* is the mean of their event-window means (the event-window
   mean of a day is its mean kWh per slot over the event window). It is
   computed once, over the whole initial set, before any day is dropped.
4. A day of the initial set whose event-window mean is below 25 % of the
   reference mean is dropped (`LOW_USAGE`).
5. Back-fill: the walk goes on further back, skipping days as in rule 2,
   until there are 5 (or 3) candidates or the look-back period is used up.
   Each back-filled day is tested against the same reference mean (it is
   not recomputed) and is dropped as `LOW_USAGE` when below 25 % of it.
6. Of the candidates, the 4 (or 2) with the highest event-window mean are
   kept (`KEPT`); the others are `NOT_HIGHEST`. Among equal means the more
   recent day is preferred, so the day farthest from the event day is the
   one dropped. Means that agree to 1e-9 kWh count as equal, so that float
   summation noise cannot decide a tie.
7. When fewer than 5 (or 3) candidates exist in the look-back period, the
   computation goes on with what there is: at most 4 (or 2) of them are
   kept, all of them when there are fewer, and the selection is marked
   insufficient. With no candidate at all there is no baseline.

Only the days the walk reached are reported: days further back than the
last day needed are not listed.

Rules 1, 4, 6 and the day counts match the guideline as quoted by Japanese
retailers' DR programme terms (5 weekdays or 3 weekend-or-holiday days,
going back within 30 days of the event day; days below 25 % of the mean
excluded; of equal lowest days, the one farthest from the event day
dropped). The order in rules 3-5 (reference taken once, over the initial
set) and rule 7 are Denki's reading where that wording is silent.
"""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from statistics import fmean

from .day_types import DayType, HolidayCalendar, day_type_of
from .slots import MeterSeries, shift_to_day

LOOKBACK_DAYS = 30
"""How many days before the event day the candidates may come from."""

LOW_USAGE_RATIO = 0.25
"""A day below this share of the reference mean is not a candidate."""

_RANK_QUANTUM = 1e-9
"""kWh; event-window means are compared at this resolution when ranking."""


@dataclass(frozen=True, slots=True)
class DayRule:
    """High `keep` of `candidates`: how many days are looked for, and how many kept."""

    candidates: int
    keep: int


WEEKDAY_RULE = DayRule(candidates=5, keep=4)
"""High 4 of 5, for an event on a weekday."""

WEEKEND_OR_HOLIDAY_RULE = DayRule(candidates=3, keep=2)
"""High 2 of 3, for an event on a Saturday, Sunday or holiday."""


def rule_for(day_type: DayType) -> DayRule:
    """The rule for an event day of this type."""
    return WEEKDAY_RULE if day_type is DayType.WEEKDAY else WEEKEND_OR_HOLIDAY_RULE


class DayOutcome(StrEnum):
    """What became of a day the selection looked at."""

    KEPT = "kept"
    """Among the highest: the baseline is drawn from it."""
    NOT_HIGHEST = "not_highest"
    """A candidate, but not among the highest."""
    LOW_USAGE = "low_usage"
    """Event-window mean below 25 % of the reference mean."""
    DR_EVENT_DAY = "dr_event_day"
    """A past DR event day."""
    MISSING_DATA = "missing_data"
    """At least one slot of the event window is missing."""


@dataclass(frozen=True, slots=True)
class ConsideredDay:
    """A day the selection looked at, and why it was kept or not."""

    day: date
    outcome: DayOutcome
    window_mean_kwh: float | None = None
    """Mean kWh per slot over the event window; None for a skipped day."""
    missing_slots: tuple[datetime, ...] = ()
    """For `MISSING_DATA`, the event-window slots missing on that day."""


@dataclass(frozen=True, slots=True)
class DaySelection:
    """The outcome of the day selection."""

    rule: DayRule
    kept: tuple[date, ...]
    """The days the baseline is drawn from, most recent first."""
    considered: tuple[ConsideredDay, ...]
    """Every day looked at, most recent first."""
    reference_mean_kwh: float | None
    """The mean the 25 % rule compares with; None when no day was usable."""

    @property
    def candidate_count(self) -> int:
        """How many candidates were found (kept or not among the highest)."""
        return sum(
            1
            for considered in self.considered
            if considered.outcome in (DayOutcome.KEPT, DayOutcome.NOT_HIGHEST)
        )

    @property
    def insufficient(self) -> bool:
        """Whether fewer candidates were found than the rule looks for."""
        return self.candidate_count < self.rule.candidates


def select_days(
    series: MeterSeries,
    event_slots: Sequence[datetime],
    event_day: date,
    *,
    is_holiday: HolidayCalendar,
    dr_days: Collection[date] = frozenset(),
) -> DaySelection:
    """Choose the days the baseline is drawn from, by the rules in this module's docstring.

    Args:
        series: The meter series, kWh per slot.
        event_slots: The slot starts of the event window, on the event day.
        event_day: The event day, in Japan.
        is_holiday: The holiday calendar.
        dr_days: Past DR event days, never used as candidates.
    """
    event_type = day_type_of(event_day, is_holiday)
    rule = rule_for(event_type)
    outcomes: dict[date, ConsideredDay] = {}

    def usable_days() -> Iterator[tuple[date, float]]:
        """Walk back through same-type days, recording skipped ones as it goes."""
        for back in range(1, LOOKBACK_DAYS + 1):
            day = event_day - timedelta(days=back)
            if day_type_of(day, is_holiday) is not event_type:
                continue
            if day in dr_days:
                outcomes[day] = ConsideredDay(day, DayOutcome.DR_EVENT_DAY)
                continue
            values: list[float] = []
            missing: list[datetime] = []
            for slot in event_slots:
                shifted = shift_to_day(slot, event_day, day)
                kwh = series.get(shifted)
                if kwh is None:
                    missing.append(shifted)
                else:
                    values.append(kwh)
            if missing:
                outcomes[day] = ConsideredDay(
                    day, DayOutcome.MISSING_DATA, missing_slots=tuple(missing)
                )
                continue
            yield day, fmean(values)

    walk = usable_days()
    initial = [entry for _, entry in zip(range(rule.candidates), walk, strict=False)]
    reference = fmean(mean for _, mean in initial) if initial else None

    candidates: list[tuple[date, float]] = []

    def admit(day: date, mean: float) -> None:
        if reference is not None and mean < LOW_USAGE_RATIO * reference:
            outcomes[day] = ConsideredDay(day, DayOutcome.LOW_USAGE, mean)
        else:
            candidates.append((day, mean))

    for day, mean in initial:
        admit(day, mean)
    while len(candidates) < rule.candidates:
        entry = next(walk, None)
        if entry is None:
            break
        admit(*entry)

    ranked = sorted(
        candidates, key=lambda entry: (round(entry[1] / _RANK_QUANTUM), entry[0]), reverse=True
    )
    kept = ranked[: rule.keep]
    for day, mean in kept:
        outcomes[day] = ConsideredDay(day, DayOutcome.KEPT, mean)
    for day, mean in ranked[rule.keep :]:
        outcomes[day] = ConsideredDay(day, DayOutcome.NOT_HIGHEST, mean)

    return DaySelection(
        rule=rule,
        kept=tuple(sorted((day for day, _ in kept), reverse=True)),
        considered=tuple(outcomes[day] for day in sorted(outcomes, reverse=True)),
        reference_mean_kwh=reference,
    )
