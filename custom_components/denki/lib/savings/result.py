"""The result of a savings computation, and its JSON form for the CLI.

Values are kept at full float precision; rounding is left to whoever
displays them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .adjustment import Adjustment
from .day_types import DayType
from .selection import LOOKBACK_DAYS, LOW_USAGE_RATIO, ConsideredDay, DayRule
from .slots import JST


class Flag(StrEnum):
    """Something the reader of a result should know about how it was computed."""

    INSUFFICIENT_DAYS = "insufficient_days"
    """Fewer candidate days than the rule looks for were found in the look-back period."""
    MISSING_ACTUAL = "missing_actual"
    """Some event slots have no actual value: the total covers the others only."""
    ADJUSTMENT_PARTIAL = "adjustment_partial"
    """Some adjustment-window slots were left out of the adjustment."""
    ADJUSTMENT_UNAVAILABLE = "adjustment_unavailable"
    """No adjustment-window slot could be used: the adjustment is 0."""
    ADJUSTMENT_CAPPED = "adjustment_capped"
    """The cap limited the adjustment."""
    NEGATIVE_TOTAL = "negative_total"
    """The raw total was below zero; the total saved counts as zero."""


@dataclass(frozen=True, slots=True)
class SlotSavings:
    """One event slot: its baseline, the actual value, and what was saved."""

    start: datetime
    baseline_kwh: float
    """Mean of this slot over the kept days."""
    adjusted_baseline_kwh: float
    """The baseline plus the same-day adjustment."""
    actual_kwh: float | None
    """None when the meter series has no value for the slot."""

    @property
    def saved_kwh(self) -> float | None:
        """Adjusted baseline minus actual; None when the actual value is missing."""
        if self.actual_kwh is None:
            return None
        return self.adjusted_baseline_kwh - self.actual_kwh


@dataclass(frozen=True, slots=True)
class SavingsResult:
    """How much energy a household saved during one DR event, and how that was found."""

    event_start: datetime
    event_end: datetime
    event_day: date
    day_type: DayType
    rule: DayRule
    kept_days: tuple[date, ...]
    """The days the baseline is drawn from, most recent first."""
    considered_days: tuple[ConsideredDay, ...]
    """Every day the selection looked at, most recent first, with its outcome."""
    reference_mean_kwh: float
    """The mean the 25 % low-usage rule compared with."""
    adjustment: Adjustment
    slots: tuple[SlotSavings, ...]
    """Every event slot, in order."""
    raw_total_saved_kwh: float
    """The sum of the saved kWh over the slots with an actual value; may be negative."""
    flags: frozenset[Flag]

    @property
    def total_saved_kwh(self) -> float:
        """The raw total, or zero when the raw total is negative."""
        return max(0.0, self.raw_total_saved_kwh)

    @property
    def slot_baselines(self) -> dict[datetime, float]:
        """The baseline of every event slot."""
        return {slot.start: slot.baseline_kwh for slot in self.slots}

    @property
    def adjusted_baselines(self) -> dict[datetime, float]:
        """The adjusted baseline of every event slot."""
        return {slot.start: slot.adjusted_baseline_kwh for slot in self.slots}

    @property
    def slot_savings(self) -> dict[datetime, float]:
        """The saved kWh of every event slot with an actual value."""
        return {slot.start: slot.saved_kwh for slot in self.slots if slot.saved_kwh is not None}

    @property
    def missing_slots(self) -> tuple[datetime, ...]:
        """The event slots without an actual value (never counted as zero)."""
        return tuple(slot.start for slot in self.slots if slot.actual_kwh is None)

    def to_json_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: ISO 8601 times in Asia/Tokyo, kWh as floats."""
        adjustment = self.adjustment
        return {
            "event": {
                "start": _iso(self.event_start),
                "end": _iso(self.event_end),
                "day": self.event_day.isoformat(),
                "day_type": str(self.day_type),
            },
            "rule": {
                "name": f"High {self.rule.keep} of {self.rule.candidates}",
                "candidates": self.rule.candidates,
                "keep": self.rule.keep,
                "lookback_days": LOOKBACK_DAYS,
                "low_usage_ratio": LOW_USAGE_RATIO,
            },
            "kept_days": [day.isoformat() for day in self.kept_days],
            "considered_days": [
                {
                    "day": considered.day.isoformat(),
                    "outcome": str(considered.outcome),
                    "window_mean_kwh": considered.window_mean_kwh,
                    "missing_slots": _isos(considered.missing_slots),
                }
                for considered in self.considered_days
            ],
            "reference_mean_kwh": self.reference_mean_kwh,
            "adjustment": {
                "window_start": _iso(adjustment.window_start),
                "window_end": _iso(adjustment.window_end),
                "kwh_per_slot": adjustment.kwh_per_slot,
                "raw_kwh_per_slot": adjustment.raw_kwh_per_slot,
                "cap_kwh": adjustment.cap_kwh,
                "used_slots": _isos(adjustment.used_slots),
                "missing_actual": _isos(adjustment.missing_actual),
                "missing_baseline": _isos(adjustment.missing_baseline),
            },
            "slots": [
                {
                    "start": _iso(slot.start),
                    "baseline_kwh": slot.baseline_kwh,
                    "adjusted_baseline_kwh": slot.adjusted_baseline_kwh,
                    "actual_kwh": slot.actual_kwh,
                    "saved_kwh": slot.saved_kwh,
                }
                for slot in self.slots
            ],
            "total_saved_kwh": self.total_saved_kwh,
            "raw_total_saved_kwh": self.raw_total_saved_kwh,
            "flags": sorted(str(flag) for flag in self.flags),
            "missing_slots": _isos(self.missing_slots),
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(JST).isoformat()


def _isos(moments: Iterable[datetime]) -> list[str]:
    return [_iso(moment) for moment in moments]
