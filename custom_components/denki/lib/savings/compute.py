"""Energy saved during a DR event, against the ERAB guideline's standard baseline.

The ERAB guideline (METI, エネルギー・リソース・アグリゲーション・ビジネスに
関するガイドライン, chapter 2 "ベースライン", section "ベースラインの設定方法")
sets "High 4 of 5 with same-day adjustment" as the standard baseline for
demand reduction. Here:

- The days the baseline is drawn from are chosen as in `selection`.
- The baseline of a slot is the mean of that slot's kWh over the kept days.
- The same-day adjustment is computed as in `adjustment` and added to every
  event slot's baseline. The adjusted baseline is not floored at zero.
- The saving of a slot is its adjusted baseline minus its actual kWh. A
  slot without an actual value is reported in `missing_slots`, never taken
  as zero, and the total covers the slots that have one (flagged).
- The event's total is the sum of the slot savings; a negative total counts
  as zero saved, and the raw total is kept beside it.

An event lies within one day in Japan: it may end at the next midnight, but
not later. The adjustment window may reach into the previous day; its
baseline then comes from the evening before each kept day.
"""

from collections.abc import Collection
from datetime import date, datetime, timedelta
from statistics import fmean

from .adjustment import DEFAULT_ADJUSTMENT_WINDOW, AdjustmentWindow, compute_adjustment
from .day_types import HolidayCalendar, day_type_of, japanese_holidays
from .errors import BaselineError
from .result import Flag, SavingsResult, SlotSavings
from .selection import LOOKBACK_DAYS, select_days
from .slots import MeterSeries, check_series, midnight, shift_to_day, slots_between, to_slot_start


def compute_savings(
    series: MeterSeries,
    event_start: datetime,
    event_end: datetime,
    *,
    dr_days: Collection[date] = frozenset(),
    is_holiday: HolidayCalendar | None = None,
    adjustment_window: AdjustmentWindow = DEFAULT_ADJUSTMENT_WINDOW,
) -> SavingsResult:
    """Compute the baseline of a DR event and the energy saved against it.

    Args:
        series: Energy per 30-minute slot, kWh, keyed by aware slot starts.
            It holds the past days the baseline is drawn from and the event
            day itself (the adjustment window and the event window).
        event_start: The event's first slot start (aware, on :00 or :30).
        event_end: The event's end (aware, on :00 or :30), after the start,
            and no later than the next midnight in Japan.
        dr_days: Past DR event days, never used for the baseline.
        is_holiday: The holiday calendar; Japan's public holidays by default.
        adjustment_window: Where the same-day adjustment reads, and its cap.

    Raises:
        BaselineError: A bad timestamp, value or event window, or no usable
            day of the event day's type in the 30 days before it.
    """
    start = to_slot_start(event_start, "event start")
    end = to_slot_start(event_end, "event end")
    if end <= start:
        raise BaselineError(
            f"event end {event_end.isoformat()} is not after its start {event_start.isoformat()}"
        )
    event_day = start.date()
    if end > midnight(event_day) + timedelta(days=1):
        raise BaselineError(
            f"event {event_start.isoformat()}/{event_end.isoformat()} "
            "goes past midnight; split it into one event per day"
        )
    check_series(series)
    calendar = japanese_holidays() if is_holiday is None else is_holiday

    event_slots = slots_between(start, end)
    selection = select_days(series, event_slots, event_day, is_holiday=calendar, dr_days=dr_days)
    if not selection.kept or selection.reference_mean_kwh is None:
        raise BaselineError(
            f"no usable day of type {day_type_of(event_day, calendar)} in the "
            f"{LOOKBACK_DAYS} days before {event_day.isoformat()}: each one was "
            "missing meter data in the event window or was a DR event day"
        )
    kept = selection.kept

    def baseline_of(slot: datetime) -> float | None:
        """The mean of the slot over the kept days; None unless every kept day has it."""
        values = [series.get(shift_to_day(slot, event_day, day)) for day in kept]
        present = [value for value in values if value is not None]
        return fmean(present) if len(present) == len(values) else None

    def event_baseline(slot: datetime) -> float:
        """The mean of an event slot over the kept days, which all have it (selection rule 2)."""
        return fmean(series[shift_to_day(slot, event_day, day)] for day in kept)

    adjustment = compute_adjustment(series, start, adjustment_window, baseline_of)

    slots: list[SlotSavings] = []
    for slot in event_slots:
        baseline = event_baseline(slot)
        slots.append(
            SlotSavings(
                start=slot,
                baseline_kwh=baseline,
                adjusted_baseline_kwh=baseline + adjustment.kwh_per_slot,
                actual_kwh=series.get(slot),
            )
        )
    raw_total = sum(slot.saved_kwh for slot in slots if slot.saved_kwh is not None)

    flags: set[Flag] = set()
    if selection.insufficient:
        flags.add(Flag.INSUFFICIENT_DAYS)
    if any(slot.actual_kwh is None for slot in slots):
        flags.add(Flag.MISSING_ACTUAL)
    if adjustment.partial:
        flags.add(Flag.ADJUSTMENT_PARTIAL)
    if adjustment.unavailable:
        flags.add(Flag.ADJUSTMENT_UNAVAILABLE)
    if adjustment.capped:
        flags.add(Flag.ADJUSTMENT_CAPPED)
    if raw_total < 0:
        flags.add(Flag.NEGATIVE_TOTAL)

    return SavingsResult(
        event_start=start,
        event_end=end,
        event_day=event_day,
        day_type=day_type_of(event_day, calendar),
        rule=selection.rule,
        kept_days=kept,
        considered_days=selection.considered,
        reference_mean_kwh=selection.reference_mean_kwh,
        adjustment=adjustment,
        slots=tuple(slots),
        raw_total_saved_kwh=float(raw_total),
        flags=frozenset(flags),
    )
