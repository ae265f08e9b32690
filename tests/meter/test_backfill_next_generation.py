"""What next-generation meters offer the statistics: 1-minute values, and pushed half hours.

A next-generation low-voltage meter keeps a count at every minute for 60
minutes so that a consumer can re-acquire what the B-route lost ("1分値を60分
保存", next-gen-smart-meter-standard-functions.txt, 論点2-④). A gap shorter
than that, a radio outage or a restart of Home Assistant, is filled with the
meter's own counts, 5-minute row by 5-minute row, and the hour it crossed is
made exact at once. Every meter also pushes its counts at each half hour
(0xEA/0xEB by INF or INFC); those are used for the half-hour rows and the
hours, and cost no request.

A real recorder (SQLite) compiles the statistics from the sensors' states;
the dongle is the simulator on a real pseudo-terminal, the meter the
simulated one with its records, on Home Assistant's frozen clock.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.denki.lib.echonet import ESV
from custom_components.denki.meter.statistics import MeterBackfill

from .conftest import Home
from .test_backfill import _run_backfill

IMPORTED = "sensor.smart_meter_energy_imported"
EXPORTED = "sensor.smart_meter_energy_exported"
STEP = timedelta(minutes=5)
KWH_A_COUNT = 0.01  # the simulated meter's history counts 10 Wh (0xE1 = 0x02)


async def _yield_until(condition: Callable[[], bool], rounds: int = 2000) -> None:
    """Let the loop serve the pseudo-terminal until `condition` holds.

    The clock is frozen (asyncio.sleep would never end); the pty's data is
    read by the loop's own reader callbacks, which each round lets run.
    """
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the link never heard it")


async def _step(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory, home: Home
) -> None:
    """Five minutes: the meter announces any half hour passed, one poll, the period compiled.

    A run of the back-fill that a push or the meter's return started is let
    finish before the clock moves on: a jump of the frozen clock would time
    out its request in flight.
    """
    period = dt_util.utcnow().replace(second=0, microsecond=0)
    freezer.tick(STEP)
    link = entry.runtime_data.link
    heard = link.pushes
    if home.announce_due():
        await _yield_until(lambda: link.pushes > heard)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    await _finish(entry.runtime_data.backfill, hass)
    do_adhoc_statistics(hass, start=period)
    await async_wait_recording_done(hass)


async def _steps(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    home: Home,
    count: int,
) -> None:
    for _ in range(count):
        await _step(hass, entry, freezer, home)


def _rows(
    hass: HomeAssistant, start: datetime, end: datetime, period: str
) -> dict[str, dict[datetime, dict]]:
    """The rows of both energy statistics from `start` to `end`, by the end of their period."""
    length = timedelta(hours=1) if period == "hour" else STEP
    found = statistics_during_period(
        hass, start, end, {IMPORTED, EXPORTED}, period, None, {"state", "sum"}
    )  # type: ignore[arg-type]
    return {
        entity_id: {dt_util.utc_from_timestamp(row["start"]) + length: dict(row) for row in rows}
        for entity_id, rows in found.items()
    }


def _meter_kwh(home: Home, at: datetime) -> tuple[float, float]:
    history = home.meter.history
    assert history is not None
    counts = history.counts_at(at)
    assert counts is not None, at
    return counts[0] * KWH_A_COUNT, counts[1] * KWH_A_COUNT


async def _finish(backfill: MeterBackfill, hass: HomeAssistant) -> None:
    """Let the run the meter's return (or its push) started finish, and its rows be written."""
    if backfill.task is not None:
        await backfill.task
    await async_wait_recording_done(hass)


async def _start_next_generation(
    hass: HomeAssistant,
    home: Home,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> tuple[datetime, MeterBackfill]:
    """A next-generation meter; Home Assistant set up at ten past an hour. Returns that hour."""
    home.meter.next_generation = True
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    freezer.move_to(hour + timedelta(minutes=10))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    backfill: MeterBackfill = entry.runtime_data.backfill
    await _finish(backfill, hass)  # the run a start begins with
    home.announce_due()  # the meter's last half hour went by before the dongle was there
    return hour, backfill


async def test_a_40_minute_radio_outage_is_filled_from_the_meters_minutes(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hour, backfill = await _start_next_generation(hass, home, meter_entry, freezer)
    await _steps(hass, meter_entry, freezer, home, 6)  # to 40 past: every poll answered

    home.unplug()  # 40 minutes without the dongle, across the hour
    await _steps(hass, meter_entry, freezer, home, 8)
    assert hass.states.get(IMPORTED).state == "unavailable"
    outage_end = dt_util.utcnow()
    assert outage_end == hour + timedelta(minutes=80)
    before = _rows(hass, hour, outage_end, "5minute")[IMPORTED]
    # The period the first failed poll ended still had a reading (the last before the
    # outage); the six after it have no row at all.
    missing = [
        end for end in (hour + timedelta(minutes=m) for m in range(45, 85, 5)) if end not in before
    ]
    assert missing == [hour + timedelta(minutes=m) for m in range(55, 85, 5)]

    await home.plug_in()  # the dongle is back: the next poll reads the meter again
    minutes_before, rows_before = backfill.status.minutes_read, backfill.status.short_rows_written
    await _step(hass, meter_entry, freezer, home)
    await _finish(backfill, hass)  # the run the meter's return started

    # The 6 periods without a row, and the one before them, were read minute by minute:
    # 4 requests (0xEF then 0xEE) of up to 10 minutes, 19 values, for the 7 period ends
    # (the hour they crossed is one of them).
    requests = home.meter.minutes_asked
    assert [newest for newest, _ in requests] == [
        hour + timedelta(minutes=m) for m in (80, 70, 60, 50)
    ]
    assert backfill.status.minutes_read - minutes_before == 19
    assert backfill.status.short_rows_written - rows_before == 14  # 7 periods, import and export

    # The one the meter came back in settles, and the follow-up fills it: one more request.
    assert backfill._follow_up is not None
    await _steps(hass, meter_entry, freezer, home, 2)
    await _run_backfill(hass, backfill)
    assert home.meter.minutes_asked[4:] == [(hour + timedelta(minutes=85), 6)]

    # No hole, and every row of the gap holds the meter's own count at its end, on the
    # recorder's line (sum - state), so each 5 minutes' change is the meter's.
    rows = _rows(hass, hour, dt_util.utcnow() - STEP, "5minute")
    for index, entity_id in enumerate((IMPORTED, EXPORTED)):
        ends = sorted(rows[entity_id])
        assert ends == [ends[0] + STEP * i for i in range(len(ends))]
        line = rows[entity_id][ends[-1]]["sum"] - rows[entity_id][ends[-1]]["state"]
        filled = [hour + timedelta(minutes=m) for m in range(50, 90, 5)]  # 40 minutes
        for end in filled:
            row = rows[entity_id][end]
            assert row["state"] == pytest.approx(_meter_kwh(home, end)[index])
            assert row["sum"] - row["state"] == pytest.approx(line)
        for earlier, later in pairwise(filled):
            change = rows[entity_id][later]["sum"] - rows[entity_id][earlier]["sum"]
            meter = _meter_kwh(home, later)[index] - _meter_kwh(home, earlier)[index]
            assert change == pytest.approx(meter)

        # The hour the outage crossed was compiled during it, short of its last 20 minutes:
        # it now ends on the meter's count at the hour, at once, not 15 minutes after.
        hourly = _rows(hass, hour - timedelta(hours=1), hour + timedelta(hours=1), "hour")
        row = hourly[entity_id][hour + timedelta(hours=1)]
        assert row["state"] == pytest.approx(_meter_kwh(home, hour + timedelta(hours=1))[index])
        assert row["sum"] - row["state"] == pytest.approx(line)
    assert any("1-minute record" in r.getMessage() for r in caplog.records)
    # A second run finds nothing to change.
    written = backfill.status.short_rows_written
    await _run_backfill(hass, backfill)
    assert backfill.status.short_rows_written == written


async def test_a_restart_under_an_hour_is_filled_from_the_meters_minutes(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    hour, backfill = await _start_next_generation(hass, home, meter_entry, freezer)
    await _steps(hass, meter_entry, freezer, home, 6)  # to 40 past
    assert await hass.config_entries.async_unload(meter_entry.entry_id)  # Home Assistant stops
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=40))  # and starts again 40 minutes later, past the hour
    await home.plug_in()
    home.meter.minutes_asked.clear()
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    backfill = meter_entry.runtime_data.backfill
    await _finish(backfill, hass)  # the start's run

    # The 7 periods from 40 to 75 past that ended a minute or more before the start, and the
    # one before them, which holds the last reading before the stop: 8 period ends, read in
    # 4 requests of 6 minutes (24 values).
    filled = [hour + timedelta(minutes=m) for m in range(40, 80, 5)]
    assert backfill.status.minutes_read == 24
    assert backfill.status.short_rows_written >= 14
    rows = _rows(hass, hour, dt_util.utcnow(), "5minute")
    hourly = _rows(hass, hour, hour + timedelta(hours=1), "hour")
    for index, entity_id in enumerate((IMPORTED, EXPORTED)):
        line = None
        for end in filled:
            row = rows[entity_id][end]
            assert row["state"] == pytest.approx(_meter_kwh(home, end)[index])
            line = line if line is not None else row["sum"] - row["state"]
            assert row["sum"] - row["state"] == pytest.approx(line)
        # The hour the restart crossed, which the recorder never finished, is the meter's.
        row = hourly[entity_id][hour + timedelta(hours=1)]
        assert row["state"] == pytest.approx(_meter_kwh(home, hour + timedelta(hours=1))[index])
    assert home.meter.minutes_asked == [(hour + timedelta(minutes=m), 6) for m in (75, 65, 55, 45)]


async def test_an_older_meter_has_no_minutes_to_give(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without 0xEE in its Get map the meter is never asked for minutes: the gap stays a gap."""
    hour, backfill = await _start_next_generation(hass, home, meter_entry, freezer)
    home.meter.next_generation = False
    await _steps(hass, meter_entry, freezer, home, 6)
    home.unplug()
    await _steps(hass, meter_entry, freezer, home, 8)
    await home.plug_in()
    await _step(hass, meter_entry, freezer, home)
    await _finish(backfill, hass)
    assert home.meter.minutes_asked == []
    assert backfill.status.minutes_read == 0
    rows = _rows(hass, hour, dt_util.utcnow(), "5minute")[IMPORTED]
    assert not {hour + timedelta(minutes=m) for m in range(55, 85, 5)} & set(rows)


@pytest.mark.parametrize("esv", [ESV.INF, ESV.INFC], ids=["INF", "INFC"])
async def test_the_counts_the_meter_pushes_every_half_hour_are_used(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    esv: ESV,
) -> None:
    home.meter.announce_esv = esv
    hour, backfill = await _start_next_generation(hass, home, meter_entry, freezer)
    await _steps(hass, meter_entry, freezer, home, 2)
    await _run_backfill(hass, backfill)  # the recorder has rows now: a week is read
    assert backfill.status.covered_until is not None
    home.meter.days_asked.clear()
    hours_before = backfill.status.hours_written
    await _steps(hass, meter_entry, freezer, home, 26)  # to 2 h 20 min, with five half hours
    await _finish(backfill, hass)
    link = meter_entry.runtime_data.link
    pushed = sorted(link.pushed)
    assert pushed == [hour + timedelta(minutes=30 * i) for i in range(6)]  # set-up's hour too
    if esv is ESV.INFC:
        assert home.meter.frames.count(ESV.INFC_RES) == 6  # each answered

    await _run_backfill(hass, backfill)  # the hourly run, 20 past
    # Each push started a run; the hours since the last run all end on a pushed count, and
    # were set to it without reading a day of records.
    assert home.meter.days_asked == []
    assert backfill.status.hours_written > hours_before
    hourly = _rows(hass, hour, dt_util.utcnow(), "hour")
    short = _rows(hass, hour, dt_util.utcnow(), "5minute")
    for index, entity_id in enumerate((IMPORTED, EXPORTED)):
        for at in (hour + timedelta(hours=1), hour + timedelta(hours=2)):
            assert hourly[entity_id][at]["state"] == pytest.approx(_meter_kwh(home, at)[index])
        # The 5-minute row that ends at each pushed half hour holds the pushed count: not the
        # first push's (of the hour Home Assistant started in, no row ends there), nor the
        # last's (its row is not a minute old yet).
        for at in pushed[1:-1]:
            assert short[entity_id][at]["state"] == pytest.approx(_meter_kwh(home, at)[index])

    # The savings' half hours come from the pushes too, without a request.
    start, end = hour + timedelta(minutes=30), hour + timedelta(hours=2)
    slots = await backfill.async_half_hours(start, end)
    assert home.meter.days_asked == []
    assert sorted(slots) == [start + timedelta(minutes=30 * i) for i in range(3)]
    for slot, kwh in slots.items():
        meter = _meter_kwh(home, slot + timedelta(minutes=30))[0] - _meter_kwh(home, slot)[0]
        assert kwh == pytest.approx(meter)
