"""Weekends and Japanese holidays: High 2 of 3, and holidays kept out of weekday baselines."""

from datetime import date, datetime, timedelta

import pytest

from custom_components.denki.lib.savings import (
    JST,
    DayOutcome,
    DayType,
    compute_savings,
    day_type_of,
    japanese_holidays,
)

from .series_builder import at, history


def _event(day: date) -> tuple[datetime, datetime]:
    return at(day, 17), at(day, 19)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 29),  # Showa Day
        date(2026, 5, 4),  # Greenery Day
        date(2026, 5, 5),  # Children's Day
        date(2026, 5, 6),  # substitute holiday for Constitution Day (a Sunday)
        date(2026, 9, 21),  # Respect for the Aged Day
        date(2026, 9, 22),  # citizens' holiday, between two holidays
        date(2026, 9, 23),  # Autumnal Equinox Day
    ],
)
def test_the_default_calendar_knows_japanese_holidays(day: date) -> None:
    assert day.weekday() < 5
    assert japanese_holidays()(day)
    assert day_type_of(day, japanese_holidays()) is DayType.WEEKEND_OR_HOLIDAY


def test_only_the_calendar_decides_the_new_year_period() -> None:
    """30 December is a weekday for the default calendar; a caller's calendar may differ."""
    day = date(2026, 12, 30)  # a Wednesday
    assert day_type_of(day, japanese_holidays()) is DayType.WEEKDAY
    assert day_type_of(date(2027, 1, 1), japanese_holidays()) is DayType.WEEKEND_OR_HOLIDAY

    def year_end(candidate: date) -> bool:
        return (candidate.month, candidate.day) >= (12, 29) or (
            candidate.month,
            candidate.day,
        ) <= (1, 3)

    assert day_type_of(day, year_end) is DayType.WEEKEND_OR_HOLIDAY
    assert day_type_of(date(2026, 12, 26), year_end) is DayType.WEEKEND_OR_HOLIDAY  # Saturday


def test_respect_for_the_aged_day_is_high_2_of_3() -> None:
    """An event on Monday 21 September 2026, a public holiday.

    The weekend-or-holiday days before it are 20 (Sun), 19 (Sat), 13 (Sun)
    and 12 (Sat) September. High 2 of 3 looks at 20, 19 and 13 and keeps 19
    and 13. The weekdays in between, much higher, are never looked at.
    """
    event_day = date(2026, 9, 21)
    levels = {
        date(2026, 9, 20): 1.0,
        date(2026, 9, 19): 3.0,
        date(2026, 9, 13): 2.0,
        date(2026, 9, 12): 9.0,
    } | {date(2026, 9, 14) + timedelta(days=n): 20.0 for n in range(5)}
    series = history(levels | {event_day: 2.5})

    result = compute_savings(series, *_event(event_day))

    assert result.day_type is DayType.WEEKEND_OR_HOLIDAY
    assert (result.rule.candidates, result.rule.keep) == (3, 2)
    assert result.kept_days == (date(2026, 9, 19), date(2026, 9, 13))
    assert {e.day: e.outcome for e in result.considered_days} == {
        date(2026, 9, 20): DayOutcome.NOT_HIGHEST,
        date(2026, 9, 19): DayOutcome.KEPT,
        date(2026, 9, 13): DayOutcome.KEPT,
    }
    assert set(result.slot_baselines.values()) == {2.5}  # (3 + 2) / 2
    assert result.to_json_dict()["rule"]["name"] == "High 2 of 3"


def test_golden_week_holidays_are_not_weekday_candidates() -> None:
    """An event on Thursday 7 May 2026: the five weekdays are 1 May, 30, 28, 27 and 24 April.

    29 April (Showa Day) and 4-6 May are holidays, however high their demand.
    """
    event_day = date(2026, 5, 7)
    weekdays = [date(2026, 5, 1), date(2026, 4, 30), date(2026, 4, 28), date(2026, 4, 27)]
    levels = dict.fromkeys(weekdays, 2.0) | {date(2026, 4, 24): 1.0}
    holidays = [date(2026, 4, 29), date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 6)]
    series = history(levels | dict.fromkeys(holidays, 50.0) | {event_day: 2.0})

    result = compute_savings(series, *_event(event_day))

    assert result.day_type is DayType.WEEKDAY
    assert result.kept_days == tuple(weekdays)
    assert [e.day for e in result.considered_days] == [*weekdays, date(2026, 4, 24)]
    assert set(result.slot_baselines.values()) == {2.0}


def test_a_substitute_holiday_draws_on_the_holidays_before_it() -> None:
    """6 May 2026 (a Wednesday, 振替休日): High 2 of 3 over 5, 4 and 3 May."""
    event_day = date(2026, 5, 6)
    levels = {
        date(2026, 5, 5): 4.0,
        date(2026, 5, 4): 1.0,
        date(2026, 5, 3): 2.0,
        date(2026, 5, 2): 8.0,
        date(2026, 5, 1): 8.0,
    }
    result = compute_savings(history(levels | {event_day: 3.0}), *_event(event_day))
    assert result.kept_days == (date(2026, 5, 5), date(2026, 5, 3))
    assert set(result.slot_baselines.values()) == {3.0}


def test_weekends_are_weekend_days_without_any_holiday() -> None:
    saturday = datetime(2026, 8, 1, tzinfo=JST).date()
    assert day_type_of(saturday, lambda _: False) is DayType.WEEKEND_OR_HOLIDAY
    assert day_type_of(saturday + timedelta(days=1), lambda _: False) is DayType.WEEKEND_OR_HOLIDAY
    assert day_type_of(saturday + timedelta(days=2), lambda _: False) is DayType.WEEKDAY
