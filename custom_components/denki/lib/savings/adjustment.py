"""Same-day adjustment (当日調整) of the baseline.

The ERAB guideline's standard baseline is "High 4 of 5 with same-day
adjustment" (chapter 2 "ベースライン", section "ベースラインの設定方法"): the
baseline is shifted by how far the event day's actual demand ran above or
below it shortly before the event, so that a hot day is not measured
against the cooler days it is drawn from.

Here the adjustment is the mean, over the slots of an adjustment window, of
(actual - baseline), where the baseline of a window slot comes from the same
kept days as the event's baseline. It is one number of kWh per slot, added
to every event slot's baseline.

The window is a parameter. By default it is the 2 hours (4 slots) that end
1 hour before the event starts: for an event from 17:00 it is 14:00-16:00.
This default is Denki's choice; set the window to what the aggregator's
contract states when it differs.
The hour between the window and the event is left out because demand may
already move in anticipation of the event. A window of length zero means
no adjustment ("High 4 of 5" without adjustment).

A window slot is used only when both its actual value and its baseline
exist; its baseline exists when every kept day has that slot. Slots without
an actual value or without a baseline are left out and reported. When no
slot is left, the adjustment is 0 and the result is flagged.

An optional cap limits the size of the adjustment, in absolute kWh per
slot, in both directions: the applied adjustment is the raw one clamped to
[-cap, +cap]. The default is no cap.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from statistics import fmean

from .errors import BaselineError
from .slots import SLOT, MeterSeries, slots_between

DEFAULT_ADJUSTMENT_LENGTH = timedelta(hours=2)
DEFAULT_ADJUSTMENT_LEAD = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AdjustmentWindow:
    """Where the same-day adjustment reads, before the event start, and its cap."""

    length: timedelta = DEFAULT_ADJUSTMENT_LENGTH
    """How long the window is; zero for no adjustment."""
    lead: timedelta = DEFAULT_ADJUSTMENT_LEAD
    """How long before the event start the window ends."""
    cap_kwh: float | None = None
    """The largest adjustment allowed, in kWh per slot, either way; None for no cap."""

    def __post_init__(self) -> None:
        """Check that the window is made of whole slots and the cap is sensible.

        Raises:
            BaselineError: A negative or fractional-slot length or lead, or a
                negative or non-finite cap.
        """
        for name, value in (("length", self.length), ("lead", self.lead)):
            if value < timedelta(0) or value % SLOT:
                raise BaselineError(
                    f"adjustment window {name} {value} is not a non-negative multiple of 30 minutes"
                )
        if self.cap_kwh is not None and not (math.isfinite(self.cap_kwh) and self.cap_kwh >= 0):
            raise BaselineError(f"adjustment cap {self.cap_kwh!r} kWh is not a non-negative number")

    def bounds(self, event_start: datetime) -> tuple[datetime, datetime]:
        """The window's start (included) and end (excluded) for an event."""
        end = event_start - self.lead
        return end - self.length, end


DEFAULT_ADJUSTMENT_WINDOW = AdjustmentWindow()
"""The 2 hours ending 1 hour before the event, no cap."""


@dataclass(frozen=True, slots=True)
class Adjustment:
    """The same-day adjustment of one event, and what it was computed from."""

    window_start: datetime
    window_end: datetime
    kwh_per_slot: float
    """The adjustment added to every event slot's baseline (after the cap)."""
    raw_kwh_per_slot: float
    """The adjustment before the cap."""
    cap_kwh: float | None
    used_slots: tuple[datetime, ...]
    """The window slots the adjustment was computed over."""
    missing_actual: tuple[datetime, ...]
    """Window slots without an actual value on the event day."""
    missing_baseline: tuple[datetime, ...]
    """Window slots that not every kept day has."""

    @property
    def capped(self) -> bool:
        """Whether the cap changed the adjustment."""
        return self.kwh_per_slot != self.raw_kwh_per_slot

    @property
    def partial(self) -> bool:
        """Whether some, but not all, window slots were left out."""
        return bool(self.used_slots) and bool(self.missing_actual or self.missing_baseline)

    @property
    def unavailable(self) -> bool:
        """Whether the window has slots but none could be used (adjustment 0)."""
        return not self.used_slots and bool(self.missing_actual or self.missing_baseline)


def compute_adjustment(
    series: MeterSeries,
    event_start: datetime,
    window: AdjustmentWindow,
    baseline_of: Callable[[datetime], float | None],
) -> Adjustment:
    """Compute the same-day adjustment, by the rules in this module's docstring.

    Args:
        series: The meter series; the window's actual values come from it.
        event_start: The event's first slot.
        window: Where to read, and the cap.
        baseline_of: The baseline of an event-day slot, or None when not
            every kept day has it.
    """
    start, end = window.bounds(event_start)
    used: list[datetime] = []
    differences: list[float] = []
    missing_actual: list[datetime] = []
    missing_baseline: list[datetime] = []
    for slot in slots_between(start, end):
        actual = series.get(slot)
        baseline = baseline_of(slot)
        if actual is None:
            missing_actual.append(slot)
        if baseline is None:
            missing_baseline.append(slot)
        if actual is not None and baseline is not None:
            used.append(slot)
            differences.append(actual - baseline)
    raw = fmean(differences) if differences else 0.0
    applied = raw if window.cap_kwh is None else max(-window.cap_kwh, min(window.cap_kwh, raw))
    return Adjustment(
        window_start=start,
        window_end=end,
        kwh_per_slot=applied,
        raw_kwh_per_slot=raw,
        cap_kwh=window.cap_kwh,
        used_slots=tuple(used),
        missing_actual=tuple(missing_actual),
        missing_baseline=tuple(missing_baseline),
    )
