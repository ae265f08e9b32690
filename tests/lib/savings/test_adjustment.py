"""Same-day adjustment: its sign, its window, its cap, and the slots it lacks."""

from datetime import date, datetime, timedelta

import pytest

from custom_components.denki.lib.savings import (
    AdjustmentWindow,
    BaselineError,
    Flag,
    SavingsResult,
    compute_savings,
)

from .series_builder import (
    ADJUSTMENT_SLOTS,
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

KEPT = weekdays_before(EVENT_DAY, 5)[:4]


def _run(series: dict[datetime, float], window: AdjustmentWindow | None = None) -> SavingsResult:
    if window is None:
        return compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays)
    return compute_savings(
        series, EVENT_START, EVENT_END, is_holiday=no_holidays, adjustment_window=window
    )


def _flat_history() -> dict[datetime, float]:
    """Five weekdays at 2 kWh in every slot: the baseline is 2.0 everywhere."""
    return history(dict.fromkeys(weekdays_before(EVENT_DAY, 5), 2.0))


def test_default_window_is_the_two_hours_ending_an_hour_before_the_event() -> None:
    result = _run(with_event_day(_flat_history(), level=2.0))
    assert result.adjustment.window_start == at(EVENT_DAY, 14)
    assert result.adjustment.window_end == at(EVENT_DAY, 16)
    assert result.adjustment.used_slots == ADJUSTMENT_SLOTS


def test_positive_adjustment_raises_the_baseline() -> None:
    """The window ran 0.5, 1.0, 0.0, 0.5 above the baseline: +0.5 kWh per slot.

    Everything else on the event day is at 9 kWh, including 13:30 and the
    hour 16:00-17:00 just outside the window: it must not count.
    """
    series = with_event_day(
        _flat_history(), level=9.0, adjustment=[2.5, 3.0, 2.0, 2.5], event=[1.5] * 4
    )
    result = _run(series)
    assert result.adjustment.kwh_per_slot == 0.5
    assert result.adjustment.raw_kwh_per_slot == 0.5
    assert result.slot_baselines == dict.fromkeys(EVENT_SLOTS, 2.0)
    assert result.adjusted_baselines == dict.fromkeys(EVENT_SLOTS, 2.5)
    assert result.slot_savings == dict.fromkeys(EVENT_SLOTS, 1.0)
    assert result.total_saved_kwh == 4.0
    assert result.flags == frozenset()


def test_negative_adjustment_lowers_the_baseline() -> None:
    series = with_event_day(_flat_history(), level=2.0, adjustment=[1.5] * 4, event=[1.0] * 4)
    result = _run(series)
    assert result.adjustment.kwh_per_slot == -0.5
    assert result.adjusted_baselines == dict.fromkeys(EVENT_SLOTS, 1.5)
    assert result.total_saved_kwh == 2.0  # 4 x (1.5 - 1.0)


@pytest.mark.parametrize(
    ("window_actual", "raw", "applied"), [(3.0, 1.0, 0.25), (1.0, -1.0, -0.25), (2.25, 0.25, 0.25)]
)
def test_the_cap_limits_the_adjustment_both_ways(
    window_actual: float, raw: float, applied: float
) -> None:
    series = with_event_day(_flat_history(), level=2.0, adjustment=[window_actual] * 4)
    result = _run(series, AdjustmentWindow(cap_kwh=0.25))
    assert result.adjustment.raw_kwh_per_slot == raw
    assert result.adjustment.kwh_per_slot == applied
    assert result.adjusted_baselines == dict.fromkeys(EVENT_SLOTS, 2.0 + applied)
    assert (Flag.ADJUSTMENT_CAPPED in result.flags) is (raw != applied)
    assert result.to_json_dict()["adjustment"]["cap_kwh"] == 0.25


def test_missing_window_slots_are_left_out_and_reported() -> None:
    series = with_event_day(_flat_history(), level=2.0, adjustment=[9.0, 3.0, 2.0, 9.0])
    del series[ADJUSTMENT_SLOTS[0]], series[ADJUSTMENT_SLOTS[3]]
    result = _run(series)
    assert result.adjustment.used_slots == ADJUSTMENT_SLOTS[1:3]
    assert result.adjustment.missing_actual == (ADJUSTMENT_SLOTS[0], ADJUSTMENT_SLOTS[3])
    assert result.adjustment.kwh_per_slot == 0.5  # (1.0 + 0.0) / 2
    assert result.flags == {Flag.ADJUSTMENT_PARTIAL}


def test_a_window_with_no_actual_value_gives_no_adjustment() -> None:
    series = with_event_day(_flat_history(), level=3.0, event=[1.5] * 4)
    for slot in ADJUSTMENT_SLOTS:
        del series[slot]
    result = _run(series)
    assert result.adjustment.kwh_per_slot == 0.0
    assert result.adjustment.missing_actual == ADJUSTMENT_SLOTS
    assert result.flags == {Flag.ADJUSTMENT_UNAVAILABLE}
    assert result.total_saved_kwh == 2.0  # 4 x (2.0 - 1.5)


def test_a_window_slot_missing_on_a_kept_day_has_no_baseline() -> None:
    series = with_event_day(_flat_history(), level=2.0, adjustment=[9.0, 2.5, 2.5, 2.5])
    del series[at(KEPT[2], 14)]
    result = _run(series)
    assert result.kept_days == tuple(KEPT)
    assert result.adjustment.missing_baseline == (ADJUSTMENT_SLOTS[0],)
    assert result.adjustment.missing_actual == ()
    assert result.adjustment.kwh_per_slot == 0.5
    assert result.flags == {Flag.ADJUSTMENT_PARTIAL}


def test_the_window_length_and_lead_are_parameters() -> None:
    series = with_event_day(_flat_history(), level=2.0, adjustment=[9.0, 9.0, 2.5, 2.5])
    series[at(EVENT_DAY, 16)] = series[at(EVENT_DAY, 16, 30)] = 3.5

    one_hour = _run(series, AdjustmentWindow(length=timedelta(hours=1)))
    assert one_hour.adjustment.used_slots == ADJUSTMENT_SLOTS[2:]
    assert one_hour.adjustment.kwh_per_slot == 0.5

    no_lead = _run(series, AdjustmentWindow(length=timedelta(hours=1), lead=timedelta(0)))
    assert no_lead.adjustment.window_start == at(EVENT_DAY, 16)
    assert no_lead.adjustment.kwh_per_slot == 1.5


def test_a_window_of_length_zero_means_no_adjustment() -> None:
    series = with_event_day(_flat_history(), level=5.0, event=[1.0] * 4)
    result = _run(series, AdjustmentWindow(length=timedelta(0)))
    assert result.adjustment.used_slots == ()
    assert result.adjustment.kwh_per_slot == 0.0
    assert result.flags == frozenset()
    assert result.total_saved_kwh == 4.0


def test_a_window_before_midnight_reads_the_evening_before_each_kept_day() -> None:
    """An event at 01:00 on Tuesday 4 August: the window is 22:00-24:00 on Monday."""
    days = [date(2026, 7, 27) + timedelta(days=n) for n in range(8)]
    series = history(dict.fromkeys(days, 2.0))
    for slot in (at(date(2026, 8, 3), 22), at(date(2026, 8, 3), 22, 30)):
        series[slot] = 3.0
    result = compute_savings(
        series, at(date(2026, 8, 4), 1), at(date(2026, 8, 4), 2), is_holiday=no_holidays
    )
    assert result.kept_days[0] == date(2026, 8, 3)
    assert result.adjustment.window_start == at(date(2026, 8, 3), 22)
    assert result.adjustment.kwh_per_slot == 0.5  # (1 + 1 + 0 + 0) / 4


@pytest.mark.parametrize(
    "window",
    [
        {"length": timedelta(minutes=45)},
        {"length": timedelta(hours=-1)},
        {"lead": timedelta(minutes=10)},
        {"cap_kwh": -0.1},
        {"cap_kwh": float("nan")},
    ],
)
def test_bad_windows_are_refused(window: dict[str, object]) -> None:
    with pytest.raises(BaselineError, match="adjustment"):
        AdjustmentWindow(**window)  # type: ignore[arg-type]
