"""Choosing the days: High 4 of 5, the 25 % rule, DR days, back-fill, ties, gaps."""

from datetime import date, datetime

import pytest

from custom_components.denki.lib.savings import (
    BaselineError,
    ConsideredDay,
    DayOutcome,
    DaySelection,
    Flag,
    compute_savings,
    select_days,
)

from .series_builder import (
    EVENT_DAY,
    EVENT_END,
    EVENT_SLOTS,
    EVENT_START,
    at,
    history,
    no_holidays,
    weekdays_before,
    with_event_day,
)

JUL = {day: date(2026, 7, day) for day in range(1, 32)}


def _select(series: dict[datetime, float], dr_days: frozenset[date] = frozenset()) -> DaySelection:
    return select_days(series, EVENT_SLOTS, EVENT_DAY, is_holiday=no_holidays, dr_days=dr_days)


def _outcomes(considered: tuple[ConsideredDay, ...]) -> dict[date, DayOutcome]:
    return {entry.day: entry.outcome for entry in considered}


def test_ten_weekdays_keep_the_four_highest_of_the_five_most_recent() -> None:
    """The 5 most recent weekdays are 1, 3, 2, 5, 4 kWh/slot: 3, 2, 5, 4 are kept.

    The five weekdays before them are at 9 kWh/slot: higher, but never looked at.
    """
    recent = dict(zip(weekdays_before(EVENT_DAY, 5), [1.0, 3.0, 2.0, 5.0, 4.0], strict=True))
    older = dict.fromkeys(weekdays_before(EVENT_DAY, 10)[5:], 9.0)
    assert list(recent) == [JUL[31], JUL[30], JUL[29], JUL[28], JUL[27]]
    series = with_event_day(history(recent | older), level=3.5, event=[2.5] * 4)

    result = compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays)

    assert result.kept_days == (JUL[30], JUL[29], JUL[28], JUL[27])
    assert _outcomes(result.considered_days) == {
        JUL[31]: DayOutcome.NOT_HIGHEST,
        JUL[30]: DayOutcome.KEPT,
        JUL[29]: DayOutcome.KEPT,
        JUL[28]: DayOutcome.KEPT,
        JUL[27]: DayOutcome.KEPT,
    }
    assert [entry.window_mean_kwh for entry in result.considered_days] == [1.0, 3.0, 2.0, 5.0, 4.0]
    assert result.reference_mean_kwh == 3.0  # (1 + 3 + 2 + 5 + 4) / 5
    # (3 + 2 + 5 + 4) / 4 = 3.5, and the event day ran at 3.5 before the event: no adjustment.
    assert result.slot_baselines == dict.fromkeys(EVENT_SLOTS, 3.5)
    assert result.adjustment.kwh_per_slot == 0.0
    assert result.slot_savings == dict.fromkeys(EVENT_SLOTS, 1.0)
    assert result.total_saved_kwh == 4.0
    assert result.flags == frozenset()
    assert (result.rule.candidates, result.rule.keep) == (5, 4)


def test_weekends_between_are_not_candidates_for_a_weekday_event() -> None:
    series = history({JUL[31]: 2.0, JUL[30]: 2.0, JUL[29]: 2.0, JUL[28]: 2.0, JUL[27]: 2.0})
    series |= history({date(2026, 8, 1): 50.0, date(2026, 8, 2): 50.0})  # Saturday, Sunday
    selection = _select(series)
    assert date(2026, 8, 1) not in _outcomes(selection.considered)
    assert selection.kept == (JUL[31], JUL[30], JUL[29], JUL[28])


def test_a_day_below_a_quarter_of_the_mean_is_dropped_and_back_filled() -> None:
    """4, 4, 4, 4 and 0.5: the mean is 3.3, a quarter of it 0.825, so 0.5 goes.

    The sixth weekday back (2 kWh/slot) takes its place and is the one not kept.
    """
    levels = [4.0, 4.0, 0.5, 4.0, 4.0, 2.0, 9.0]
    series = history(dict(zip(weekdays_before(EVENT_DAY, 7), levels, strict=True)))

    selection = _select(series)

    assert selection.reference_mean_kwh == pytest.approx(3.3)
    assert _outcomes(selection.considered) == {
        JUL[31]: DayOutcome.KEPT,
        JUL[30]: DayOutcome.KEPT,
        JUL[29]: DayOutcome.LOW_USAGE,
        JUL[28]: DayOutcome.KEPT,
        JUL[27]: DayOutcome.KEPT,
        JUL[24]: DayOutcome.NOT_HIGHEST,
    }
    assert not selection.insufficient


def test_back_filled_days_are_tested_against_the_initial_mean() -> None:
    """The reference mean is taken once, over the initial five, before dropping.

    Initial: 4, 4, 4, 4, 0.4; mean 3.28, a quarter 0.82. The back-filled day
    at 0.9 passes against it; it would fail against the mean of the four
    days left (4, a quarter 1.0).
    """
    levels = [4.0, 4.0, 4.0, 4.0, 0.4, 0.9]
    series = history(dict(zip(weekdays_before(EVENT_DAY, 6), levels, strict=True)))

    selection = _select(series)

    assert selection.reference_mean_kwh == pytest.approx(3.28)
    assert _outcomes(selection.considered)[JUL[27]] is DayOutcome.LOW_USAGE
    assert _outcomes(selection.considered)[JUL[24]] is DayOutcome.NOT_HIGHEST


def test_a_back_filled_day_below_a_quarter_is_dropped_too() -> None:
    levels = [4.0, 4.0, 4.0, 4.0, 0.4, 0.5, 3.0]
    series = history(dict(zip(weekdays_before(EVENT_DAY, 7), levels, strict=True)))
    outcomes = _outcomes(_select(series).considered)
    assert outcomes[JUL[24]] is DayOutcome.LOW_USAGE
    assert outcomes[JUL[23]] is DayOutcome.NOT_HIGHEST


def test_dr_event_days_are_skipped_and_back_filled() -> None:
    """With 30 and 29 July as DR days, the five are 31, 28, 27, 24 and 23 July."""
    levels = dict.fromkeys(weekdays_before(EVENT_DAY, 10), 2.0)
    levels[JUL[30]] = levels[JUL[29]] = 8.0  # high on DR days: must not pull the baseline up
    levels[JUL[23]] = 1.0
    series = with_event_day(history(levels), level=2.0, event=[1.5] * 4)

    result = compute_savings(
        series,
        EVENT_START,
        EVENT_END,
        is_holiday=no_holidays,
        dr_days=frozenset({JUL[30], JUL[29]}),
    )

    assert _outcomes(result.considered_days) == {
        JUL[31]: DayOutcome.KEPT,
        JUL[30]: DayOutcome.DR_EVENT_DAY,
        JUL[29]: DayOutcome.DR_EVENT_DAY,
        JUL[28]: DayOutcome.KEPT,
        JUL[27]: DayOutcome.KEPT,
        JUL[24]: DayOutcome.KEPT,
        JUL[23]: DayOutcome.NOT_HIGHEST,
    }
    assert result.slot_baselines == dict.fromkeys(EVENT_SLOTS, 2.0)
    assert result.total_saved_kwh == 2.0  # 4 slots x (2.0 - 1.5)


def test_ties_drop_the_day_farthest_from_the_event() -> None:
    """Five equal days: the four most recent are kept."""
    series = history(dict.fromkeys(weekdays_before(EVENT_DAY, 5), 2.0))
    selection = _select(series)
    assert selection.kept == (JUL[31], JUL[30], JUL[29], JUL[28])
    assert _outcomes(selection.considered)[JUL[27]] is DayOutcome.NOT_HIGHEST


def test_a_tie_for_the_last_place_keeps_the_more_recent_day() -> None:
    levels = [3.0, 1.0, 3.0, 1.0, 3.0]  # 31, 30, 29, 28, 27 July
    series = history(dict(zip(weekdays_before(EVENT_DAY, 5), levels, strict=True)))
    selection = _select(series)
    assert selection.kept == (JUL[31], JUL[30], JUL[29], JUL[27])
    assert _outcomes(selection.considered)[JUL[28]] is DayOutcome.NOT_HIGHEST


def test_means_equal_but_for_float_noise_are_a_tie() -> None:
    """0.1 + 0.2 is a hair above 0.3 in binary; the farther day still loses the tie."""
    days = weekdays_before(EVENT_DAY, 5)
    series = history(dict(zip(days, [0.5, 0.5, 0.5, 0.3, 0.3], strict=True)))
    for slot in EVENT_SLOTS[:2]:
        series[slot.replace(month=7, day=27)] = 0.1 + 0.2
    selection = _select(series)
    assert selection.considered[4].window_mean_kwh > selection.considered[3].window_mean_kwh  # type: ignore[operator]
    assert JUL[28] in selection.kept
    assert JUL[27] not in selection.kept


def test_a_day_missing_an_event_slot_is_skipped_and_reported() -> None:
    levels = dict.fromkeys(weekdays_before(EVENT_DAY, 6), 2.0)
    series = history(levels)
    gap = at(JUL[30], 17, 30)
    del series[gap]
    del series[at(JUL[29], 3, 0)]  # outside the event window: does not matter

    selection = _select(series)

    assert selection.considered[1] == ConsideredDay(
        JUL[30], DayOutcome.MISSING_DATA, None, missing_slots=(gap,)
    )
    assert selection.kept == (JUL[31], JUL[29], JUL[28], JUL[27])
    assert _outcomes(selection.considered)[JUL[24]] is DayOutcome.NOT_HIGHEST


def test_fewer_days_than_needed_are_used_and_flagged() -> None:
    """Only three weekdays have data in the 30 days: all three are kept."""
    series = with_event_day(
        history({JUL[31]: 1.0, JUL[22]: 2.0, date(2026, 7, 6): 3.0}), level=2.0, event=[1.0] * 4
    )
    # Older than 30 days (3 July is the 31st day back): never used.
    series |= history({date(2026, 7, 3): 100.0, date(2026, 7, 2): 100.0})

    result = compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays)

    assert result.kept_days == (JUL[31], JUL[22], date(2026, 7, 6))
    assert Flag.INSUFFICIENT_DAYS in result.flags
    assert result.slot_baselines == dict.fromkeys(EVENT_SLOTS, 2.0)
    missing = [e.day for e in result.considered_days if e.outcome is DayOutcome.MISSING_DATA]
    assert len(missing) == 17  # the other 17 of the 20 weekdays from 6 to 31 July
    assert result.considered_days[-1].day == date(2026, 7, 6)


def test_no_usable_day_is_an_error() -> None:
    series = with_event_day(history({date(2026, 7, 3): 2.0}), level=2.0)  # 31 days back
    with pytest.raises(BaselineError, match=r"no usable day of type weekday in the 30 days"):
        compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays)


def test_only_dr_days_is_an_error() -> None:
    series = history({JUL[31]: 2.0})
    with pytest.raises(BaselineError, match="DR event day"):
        compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays, dr_days={JUL[31]})
