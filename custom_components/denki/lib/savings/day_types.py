"""Day types for the baseline: weekdays, and weekends or holidays.

The ERAB guideline's standard baseline (METI, エネルギー・リソース・
アグリゲーション・ビジネスに関するガイドライン, chapter 2 "ベースライン",
section "ベースラインの設定方法") draws the baseline from days of the same
type as the event day: weekdays (平日) for a weekday event, and Saturdays,
Sundays and public holidays (土日祝日) for an event on one of those.

Only the holiday calendar decides which weekdays are holidays. In
particular the New Year period (Dec 29 - Jan 3, 年末年始) is not treated
specially: with the default calendar only Jan 1 is a holiday, and the other
days count as weekdays. A caller that wants them as holidays passes its own
calendar.
"""

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import cache

from holidays import country_holidays

type HolidayCalendar = Callable[[date], bool]
"""Tells whether a date is a public holiday (Saturdays and Sundays need not be)."""


class DayType(StrEnum):
    """The two kinds of day the baseline tells apart."""

    WEEKDAY = "weekday"
    WEEKEND_OR_HOLIDAY = "weekend_or_holiday"


def day_type_of(day: date, is_holiday: HolidayCalendar) -> DayType:
    """Saturday, Sunday or a holiday in the calendar is a weekend-or-holiday day."""
    if day.weekday() >= 5 or is_holiday(day):
        return DayType.WEEKEND_OR_HOLIDAY
    return DayType.WEEKDAY


@cache
def japanese_holidays() -> HolidayCalendar:
    """Japan's public holidays (国民の祝日, 振替休日, 国民の休日), from the `holidays` package.

    The calendar covers 1949 to 2099; outside that range no day is a holiday.
    Building it may read locale files: in async code, call this from an
    executor the first time.
    """
    calendar = country_holidays("JP")

    def is_holiday(day: date) -> bool:
        return day in calendar

    return is_holiday
