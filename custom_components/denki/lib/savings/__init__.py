"""Demand-response savings: the ERAB standard baseline and the energy saved against it.

Follows the standard baseline of METI's ERAB guideline (エネルギー・リソース・
アグリゲーション・ビジネスに関するガイドライン, chapter 2 "ベースライン",
section "ベースラインの設定方法"): "High 4 of 5" (weekdays) or "High 2 of 3"
(weekends and holidays) with same-day adjustment, on 30-minute slots.

Nothing here imports Home Assistant.
"""

from .adjustment import DEFAULT_ADJUSTMENT_WINDOW, Adjustment, AdjustmentWindow
from .compute import compute_savings
from .day_types import DayType, HolidayCalendar, day_type_of, japanese_holidays
from .errors import BaselineError
from .meter_csv import MeterCsvError, read_meter_csv
from .result import Flag, SavingsResult, SlotSavings
from .selection import (
    LOOKBACK_DAYS,
    LOW_USAGE_RATIO,
    WEEKDAY_RULE,
    WEEKEND_OR_HOLIDAY_RULE,
    ConsideredDay,
    DayOutcome,
    DayRule,
    DaySelection,
    select_days,
)
from .slots import JST, SLOT, MeterSeries

__all__ = [
    "DEFAULT_ADJUSTMENT_WINDOW",
    "JST",
    "LOOKBACK_DAYS",
    "LOW_USAGE_RATIO",
    "SLOT",
    "WEEKDAY_RULE",
    "WEEKEND_OR_HOLIDAY_RULE",
    "Adjustment",
    "AdjustmentWindow",
    "BaselineError",
    "ConsideredDay",
    "DayOutcome",
    "DayRule",
    "DaySelection",
    "DayType",
    "Flag",
    "HolidayCalendar",
    "MeterCsvError",
    "MeterSeries",
    "SavingsResult",
    "SlotSavings",
    "compute_savings",
    "day_type_of",
    "japanese_holidays",
    "read_meter_csv",
    "select_days",
]
