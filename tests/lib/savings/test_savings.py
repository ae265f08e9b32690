"""Savings per slot and per event: negative totals, missing slots, bad input, JSON."""

from datetime import UTC, date, datetime, timedelta
import json

import pytest

from custom_components.denki.lib.savings import (
    JST,
    BaselineError,
    Flag,
    SavingsResult,
    compute_savings,
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


def _flat(event: list[float], level: float = 2.0) -> dict[datetime, float]:
    """Baseline 2.0 everywhere, the event day at `level` with the given event values."""
    series = history(dict.fromkeys(weekdays_before(EVENT_DAY, 5), 2.0))
    return with_event_day(series, level=level, event=event)


def _run(series: dict[datetime, float]) -> SavingsResult:
    return compute_savings(series, EVENT_START, EVENT_END, is_holiday=no_holidays)


def test_a_negative_total_counts_as_zero_and_keeps_its_raw_value() -> None:
    result = _run(_flat([3.0] * 4))
    assert result.slot_savings == dict.fromkeys(EVENT_SLOTS, -1.0)
    assert result.raw_total_saved_kwh == -4.0
    assert result.total_saved_kwh == 0.0
    assert result.flags == {Flag.NEGATIVE_TOTAL}
    data = result.to_json_dict()
    assert (data["total_saved_kwh"], data["raw_total_saved_kwh"]) == (0.0, -4.0)


def test_slot_savings_are_not_floored_one_by_one() -> None:
    result = _run(_flat([1.0, 1.0, 1.0, 3.5]))
    assert list(result.slot_savings.values()) == [1.0, 1.0, 1.0, -1.5]
    assert result.total_saved_kwh == 1.5
    assert result.flags == frozenset()


def test_missing_event_slots_are_reported_never_zero() -> None:
    series = _flat([1.5] * 4)
    del series[EVENT_SLOTS[2]]
    result = _run(series)
    assert result.missing_slots == (EVENT_SLOTS[2],)
    assert result.flags == {Flag.MISSING_ACTUAL}
    assert result.slots[2].saved_kwh is None
    assert EVENT_SLOTS[2] not in result.slot_savings
    assert result.slot_baselines[EVENT_SLOTS[2]] == 2.0
    assert result.total_saved_kwh == 1.5  # 3 present slots x 0.5
    data = result.to_json_dict()
    assert data["missing_slots"] == ["2026-08-03T18:00:00+09:00"]
    assert data["slots"][2]["actual_kwh"] is None
    assert data["slots"][2]["saved_kwh"] is None


def test_the_baseline_is_ready_before_the_event_day_has_data() -> None:
    series = history(dict.fromkeys(weekdays_before(EVENT_DAY, 5), 2.0))
    result = _run(series)
    assert result.slot_baselines == dict.fromkeys(EVENT_SLOTS, 2.0)
    assert result.missing_slots == EVENT_SLOTS
    assert result.total_saved_kwh == 0.0
    assert result.flags == {Flag.MISSING_ACTUAL, Flag.ADJUSTMENT_UNAVAILABLE}


def test_slot_baselines_follow_each_slot() -> None:
    """Each slot's baseline is the mean of that slot over the kept days."""
    days = weekdays_before(EVENT_DAY, 5)
    series = history(dict.fromkeys(days, 2.0))
    for n, day in enumerate(days[:4]):
        series[at(day, 18)] = 1.0 + n  # 1, 2, 3, 4: mean 2.5
    series[at(days[4], 18)] = 0.0  # the fifth day is the lowest anyway
    result = _run(with_event_day(series, level=2.0, event=[2.0] * 4))
    assert list(result.slot_baselines.values()) == [2.0, 2.0, 2.5, 2.0]


def test_an_event_given_in_utc_is_computed_in_japan_time() -> None:
    series = _flat([1.5] * 4)
    start = EVENT_START.astimezone(UTC)
    assert start.hour == 8
    result = compute_savings(series, start, EVENT_END.astimezone(UTC), is_holiday=no_holidays)
    assert result.event_day == EVENT_DAY
    assert result.event_start.utcoffset() == timedelta(hours=9)
    assert result.total_saved_kwh == 2.0


def test_an_event_may_end_at_midnight() -> None:
    series = _flat([])
    result = compute_savings(
        series, at(EVENT_DAY, 23), at(EVENT_DAY + timedelta(days=1), 0), is_holiday=no_holidays
    )
    assert len(result.slots) == 2


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2026, 8, 3, 17, 0), EVENT_END, "has no time zone"),  # noqa: DTZ001
        (at(EVENT_DAY, 17, 15), EVENT_END, "not on a 30-minute boundary"),
        (EVENT_START, EVENT_END.replace(second=1), "not on a 30-minute boundary"),
        (EVENT_START, EVENT_START, "is not after its start"),
        (EVENT_END, EVENT_START, "is not after its start"),
        (at(EVENT_DAY, 23), at(EVENT_DAY + timedelta(days=1), 1), "goes past midnight"),
    ],
)
def test_bad_event_windows_are_refused(start: datetime, end: datetime, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        compute_savings(_flat([]), start, end, is_holiday=no_holidays)


@pytest.mark.parametrize(
    ("key", "kwh", "message"),
    [
        (datetime(2026, 7, 1, 0, 0), 1.0, "has no time zone"),  # noqa: DTZ001
        (datetime(2026, 7, 1, 0, 10, tzinfo=JST), 1.0, "not on a 30-minute boundary"),
        (datetime(2026, 7, 1, 0, 0, tzinfo=JST), -0.1, "non-negative"),
        (datetime(2026, 7, 1, 0, 0, tzinfo=JST), float("nan"), "finite"),
    ],
)
def test_bad_meter_slots_are_refused(key: datetime, kwh: float, message: str) -> None:
    series = _flat([])
    series[key] = kwh
    with pytest.raises(BaselineError, match=message):
        _run(series)


def test_json_form() -> None:
    series = history(dict.fromkeys(weekdays_before(EVENT_DAY, 6), 2.0))
    series = with_event_day(series, level=2.0, event=[1.5] * 4)
    del series[at(date(2026, 7, 30), 17)]
    data = json.loads(json.dumps(_run(series).to_json_dict()))
    assert data["event"] == {
        "start": "2026-08-03T17:00:00+09:00",
        "end": "2026-08-03T19:00:00+09:00",
        "day": "2026-08-03",
        "day_type": "weekday",
    }
    assert data["rule"] == {
        "name": "High 4 of 5",
        "candidates": 5,
        "keep": 4,
        "lookback_days": 30,
        "low_usage_ratio": 0.25,
    }
    assert data["kept_days"] == ["2026-07-31", "2026-07-29", "2026-07-28", "2026-07-27"]
    assert data["considered_days"][1] == {
        "day": "2026-07-30",
        "outcome": "missing_data",
        "window_mean_kwh": None,
        "missing_slots": ["2026-07-30T17:00:00+09:00"],
    }
    assert [entry["outcome"] for entry in data["considered_days"]] == [
        "kept",
        "missing_data",
        "kept",
        "kept",
        "kept",
        "not_highest",
    ]
    assert data["reference_mean_kwh"] == 2.0
    assert data["adjustment"]["window_start"] == "2026-08-03T14:00:00+09:00"
    assert data["adjustment"]["kwh_per_slot"] == 0.0
    assert data["slots"][0] == {
        "start": "2026-08-03T17:00:00+09:00",
        "baseline_kwh": 2.0,
        "adjusted_baseline_kwh": 2.0,
        "actual_kwh": 1.5,
        "saved_kwh": 0.5,
    }
    assert data["total_saved_kwh"] == 2.0
    assert data["flags"] == []
    assert data["missing_slots"] == []
