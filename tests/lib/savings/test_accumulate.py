"""Thirty-minute slots from a cumulative counter's readings, worked out by hand."""

from datetime import datetime, timedelta
import json

import pytest

from custom_components.denki.lib.savings import JST
from custom_components.denki.lib.savings.accumulate import SlotAccumulator


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 8, 3, hour, minute, second, tzinfo=JST)


def test_energy_goes_into_the_slots_the_interval_covers_in_proportion_to_time() -> None:
    acc = SlotAccumulator()
    assert acc.add(at(17, 20), 100.0) == []  # the first reading only sets the start
    assert acc.add(at(17, 25), 100.1) == [at(17, 0)]
    # 17:25 -> 17:40 spans the boundary: 5 minutes before, 10 after.
    assert acc.add(at(17, 40), 100.4) == [at(17, 0), at(17, 30)]
    assert acc.slots[at(17, 0)] == pytest.approx(0.1 + 0.1)
    assert acc.slots[at(17, 30)] == pytest.approx(0.2)


def test_a_long_silence_is_a_gap_and_a_drop_is_a_reset() -> None:
    acc = SlotAccumulator()
    acc.add(at(10, 0), 50.0)
    acc.add(at(11, 10), 52.0)  # 70 minutes: the 2 kWh are not guessed into slots
    assert acc.slots == {}
    acc.add(at(11, 20), 52.5)
    acc.add(at(11, 25), 0.3)  # a new counter
    acc.add(at(11, 28), 0.4)
    assert acc.slots == {at(11, 0): pytest.approx(0.5 + 0.1)}


def test_a_reading_from_the_past_is_ignored_and_naive_times_refused() -> None:
    acc = SlotAccumulator()
    acc.add(at(9, 0), 1.0)
    acc.add(at(9, 10), 1.5)
    assert acc.add(at(9, 5), 1.2) == []
    assert acc.add(at(9, 10), 9.9) == []
    assert acc.slots == {at(9, 0): pytest.approx(0.5)}
    with pytest.raises(ValueError, match="aware"):
        acc.add(datetime(2026, 8, 3, 9, 20), 2.0)  # noqa: DTZ001 - the point of the test


def test_slots_survive_json_and_old_ones_are_forgotten() -> None:
    acc = SlotAccumulator()
    acc.add(at(9, 0), 1.0)
    acc.add(at(9, 40), 1.0 + 1 / 3)  # 40 minutes: more than MAX_SPREAD, a gap
    acc.add(at(9, 50), 1.5)
    restored = SlotAccumulator.from_dict(json.loads(json.dumps(acc.to_dict())))
    assert restored.slots == pytest.approx(acc.slots, abs=1e-6)  # kept to the mWh
    assert (restored.last_time, restored.last_total) == (acc.last_time, acc.last_total)
    restored.forget_before(at(9, 30) + timedelta(minutes=30))
    assert restored.slots == {}
    with pytest.raises(ValueError, match="do not read"):
        SlotAccumulator.from_dict({"slots": {"yesterday": 1.0}})
    with pytest.raises(ValueError, match="do not read"):
        SlotAccumulator.from_dict({"slots": [1.0]})


def test_the_meters_record_fills_only_the_slots_the_readings_missed() -> None:
    acc = SlotAccumulator()
    acc.add(datetime(2026, 8, 3, 10, 0, tzinfo=JST), 100.0)
    acc.add(datetime(2026, 8, 3, 10, 40, tzinfo=JST), 100.4)  # a gap: 10:00 and 10:30 stay out
    acc.add(datetime(2026, 8, 3, 10, 50, tzinfo=JST), 100.5)  # 10:30 gets 0.1 from the readings
    measured = {
        datetime(2026, 8, 3, 9, 30, tzinfo=JST): 0.2,
        datetime(2026, 8, 3, 10, 0, tzinfo=JST): 0.25,
        datetime(2026, 8, 3, 10, 30, tzinfo=JST): 0.3,  # the readings' own slot is kept
        datetime(2026, 8, 3, 11, 0, tzinfo=JST): 0.3,  # not yet read: the readings' to fill
        datetime(2026, 8, 3, 8, 0, tzinfo=JST): -1.0,  # never negative
    }
    assert acc.fill(measured) == 2
    assert acc.slots == {
        datetime(2026, 8, 3, 9, 30, tzinfo=JST): 0.2,
        datetime(2026, 8, 3, 10, 0, tzinfo=JST): 0.25,
        datetime(2026, 8, 3, 10, 30, tzinfo=JST): pytest.approx(0.1),
    }
    with pytest.raises(ValueError, match="30-minute slot"):
        acc.fill({datetime(2026, 8, 3, 9, 10, tzinfo=JST): 0.1})
    with pytest.raises(ValueError, match="aware"):
        acc.fill({datetime(2026, 8, 3, 9, 0): 0.1})  # noqa: DTZ001 - the naive time refused


def test_a_slot_the_readings_cover_in_part_is_partial_until_the_meters_record_replaces_it() -> None:
    acc = SlotAccumulator()
    acc.add(at(17, 12), 100.0)  # Home Assistant started at 17:12: 17:00 lacks 12 minutes
    acc.add(at(17, 20), 100.1)
    acc.add(at(17, 40), 100.3)
    acc.add(at(18, 50), 101.0)  # 70 minutes of silence: 17:30 lacks its last 20 minutes
    acc.add(at(19, 0), 101.1)  # counting restarts at 18:50: 18:30 lacks 20 minutes
    acc.add(at(19, 5), 0.2)  # a new counter: 19:00 lacks what came between 19:00 and 19:05
    acc.add(at(19, 10), 0.3)
    assert acc.partial == {at(17, 0), at(17, 30), at(18, 30), at(19, 0)}
    assert set(acc.slots) == {at(17, 0), at(17, 30), at(18, 30), at(19, 0)}
    assert acc.complete == {}

    restored = SlotAccumulator.from_dict(json.loads(json.dumps(acc.to_dict())))
    assert restored.partial == acc.partial
    measured = {at(17, 0): 0.35, at(17, 30): 0.4, at(18, 0): 0.5, at(18, 30): 0.45, at(19, 0): 9.0}
    assert restored.fill(measured) == 4  # 19:00 is the current slot: the readings' to finish
    assert restored.complete == {at(17, 0): 0.35, at(17, 30): 0.4, at(18, 0): 0.5, at(18, 30): 0.45}
    assert restored.partial == {at(19, 0)}
    restored.forget_before(at(20, 0))
    assert restored.partial == set()


def test_a_first_reading_on_the_half_hour_leaves_no_partial_slot() -> None:
    acc = SlotAccumulator()
    acc.add(at(17, 0), 100.0)
    acc.add(at(17, 30), 100.5)
    assert acc.partial == set()
    assert acc.complete == {at(17, 0): pytest.approx(0.5)}
    with pytest.raises(ValueError, match="do not read"):
        SlotAccumulator.from_dict({"slots": {}, "partial": "17:00"})
