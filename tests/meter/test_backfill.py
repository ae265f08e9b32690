"""No lost data: after Home Assistant was stopped for six hours, the hourly energy
statistics equal the meter's own 30-minute records, hour by hour, with no hole and no
double count. A real recorder (SQLite) compiles the statistics; the meter is the
simulator with 45 days of records, on Home Assistant's frozen clock."""

from datetime import datetime, timedelta
import logging

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

from custom_components.denki.meter.statistics import MeterBackfill

from .conftest import Home

IMPORTED = "sensor.smart_meter_energy_imported"
EXPORTED = "sensor.smart_meter_energy_exported"
STEP = timedelta(minutes=5)


async def _run_backfill(hass: HomeAssistant, backfill: MeterBackfill) -> None:
    """Run the back-fill once, as the hourly timer would, and wait until its rows are written."""
    backfill.schedule()
    assert backfill.task is not None
    await backfill.task
    await async_wait_recording_done(hass)


async def _live_for(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory, steps: int
) -> None:
    """Poll every 5 minutes and let the recorder compile each 5-minute period."""
    for _ in range(steps):
        period = dt_util.utcnow().replace(second=0, microsecond=0)
        freezer.tick(STEP)
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
        do_adhoc_statistics(hass, start=period)
        await async_wait_recording_done(hass)


def _hourly(hass: HomeAssistant, start: datetime, end: datetime) -> dict[str, list[dict]]:
    rows = statistics_during_period(
        hass, start, end, {IMPORTED, EXPORTED}, "hour", None, {"state", "sum"}
    )
    return {key: [dict(row) for row in value] for key, value in rows.items()}


async def test_six_hours_stopped_are_filled_from_the_meter(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    freezer.move_to(start)
    history = home.meter.history
    assert history is not None

    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    await _live_for(hass, meter_entry, freezer, 24)  # two hours of normal life

    assert await hass.config_entries.async_unload(meter_entry.entry_id)  # Home Assistant stops
    await hass.async_block_till_done()
    stopped = dt_util.utcnow()
    freezer.tick(timedelta(hours=6))
    await home.plug_in()  # the host rebooted: a fresh dongle at the same path
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    backfill = meter_entry.runtime_data.backfill
    assert backfill.task is not None
    await backfill.task  # the run a start begins with
    await _live_for(hass, meter_entry, freezer, 24)  # two more hours

    # Before the back-fill: the six stopped hours are missing, the hour after holds them all.
    first_hour = start
    last_hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    before = await recorder_mock.async_add_executor_job(_hourly, hass, first_hour, last_hour)
    assert len(before[IMPORTED]) < 10

    caplog.set_level(logging.INFO)
    await _run_backfill(hass, backfill)
    assert backfill.status.hours_written > 0
    assert any("missing hours" in r.getMessage() for r in caplog.records)

    # Settled hours: those that ended 15 minutes or more ago. The hour in progress and the
    # one that just ended are the recorder's own until then.
    settled = (dt_util.utcnow() - timedelta(minutes=15)).replace(minute=0, second=0, microsecond=0)
    rows = await recorder_mock.async_add_executor_job(
        _hourly, hass, first_hour - timedelta(days=7), settled
    )
    for entity_id, index in ((IMPORTED, 0), (EXPORTED, 1)):
        starts = [dt_util.utc_from_timestamp(row["start"]) for row in rows[entity_id]]
        assert len(starts) == len(set(starts))  # no hour twice
        # Every hour from 7 days before set-up to the last settled hour: no hole.
        expected = [starts[0] + timedelta(hours=i) for i in range(len(starts))]
        assert starts == expected
        assert starts[-1] == settled - timedelta(hours=1)
        assert starts[0] <= first_hour - timedelta(days=6)
        # Each hour's change is the meter's, including the six stopped hours and the hour
        # Home Assistant came back in.
        mismatched = []
        for previous, row in zip(rows[entity_id], rows[entity_id][1:], strict=False):
            end = dt_util.utc_from_timestamp(row["start"]) + timedelta(hours=1)
            meter_now = history.counts_at(end)
            meter_before = history.counts_at(end - timedelta(hours=1))
            assert meter_now is not None
            assert meter_before is not None
            meter_kwh = (meter_now[index] - meter_before[index]) / 100
            if abs((row["sum"] - previous["sum"]) - meter_kwh) > 1e-6:
                mismatched.append((end, row["sum"] - previous["sum"], meter_kwh))
        assert mismatched == []
        outage_hours = [s for s in starts if stopped <= s < stopped + timedelta(hours=6)]
        assert len(outage_hours) >= 5

    # A second run finds nothing to change: replaying never double counts.
    written = backfill.status.hours_written
    backfill.status.covered_until = None
    await _run_backfill(hass, backfill)
    assert backfill.status.hours_written == written
