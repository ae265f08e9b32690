"""A high-voltage meter's gap is filled from its own 30-minute record (0xE7), hour by hour.

The same back-fill as the low-voltage meter's (`MeterBackfill`), reading the
high-voltage meter through ECHONET Lite over real UDP: after Home Assistant
was stopped for six hours, every hourly change of the import statistics
equals the meter's own, and a second run changes nothing.
"""

from datetime import datetime, timedelta
from itertools import pairwise
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.denki.const import DOMAIN
from simulators.hv_meter import SimulatedHighVoltageMeter
from tests.meter.hv_fixtures import IDENTITY, hv_entry
from tests.meter.test_backfill import (  # one pace of polls and compiled periods, one run
    _live_for,
    _run_backfill,
)

pytest_plugins = ["tests.meter.hv_plugin"]


def _hourly(hass: HomeAssistant, entity_id: str, start: datetime, end: datetime) -> list[dict]:
    rows = statistics_during_period(hass, start, end, {entity_id}, "hour", None, {"state", "sum"})
    return [dict(row) for row in rows.get(entity_id, [])]


async def test_six_hours_stopped_are_filled_from_the_meter(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hv_meter: SimulatedHighVoltageMeter,
    hv_port: int,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    freezer.move_to(start)
    entry = hv_entry(hv_port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    imported = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{IDENTITY}_energy_import")
    assert imported is not None
    await _live_for(hass, entry, freezer, 24)  # two hours of normal life

    assert await hass.config_entries.async_unload(entry.entry_id)  # Home Assistant stops
    await hass.async_block_till_done()
    stopped = dt_util.utcnow()
    freezer.tick(timedelta(hours=6))
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    backfill = entry.runtime_data.backfill
    assert backfill.task is not None
    await backfill.task  # the run a start begins with
    await _live_for(hass, entry, freezer, 24)  # two more hours

    caplog.set_level(logging.INFO)
    await _run_backfill(hass, backfill)
    assert backfill.status.hours_written > 0
    assert any("missing hours" in r.getMessage() for r in caplog.records)

    settled = (dt_util.utcnow() - timedelta(minutes=15)).replace(minute=0, second=0, microsecond=0)
    rows = await recorder_mock.async_add_executor_job(
        _hourly, hass, imported, start - timedelta(days=7), settled
    )
    starts = [dt_util.utc_from_timestamp(row["start"]) for row in rows]
    assert starts == [starts[0] + timedelta(hours=i) for i in range(len(starts))]  # no hole
    assert starts[-1] == settled - timedelta(hours=1)
    mismatched = []
    for previous, row in pairwise(rows):
        end = dt_util.utc_from_timestamp(row["start"]) + timedelta(hours=1)
        now, before = hv_meter.counts_at(end), hv_meter.counts_at(end - timedelta(hours=1))
        assert now is not None
        assert before is not None
        meter_kwh = (now[0] - before[0]) / 1000  # 1 x 0.01 x 0.1 kWh a count
        if abs((row["sum"] - previous["sum"]) - meter_kwh) > 1e-6:
            mismatched.append((end, row["sum"] - previous["sum"], meter_kwh))
    assert mismatched == []
    assert len([s for s in starts if stopped <= s < stopped + timedelta(hours=6)]) >= 5

    # A second run finds nothing to change: replaying never double counts.
    written = backfill.status.hours_written
    backfill.status.covered_until = None
    await _run_backfill(hass, backfill)
    assert backfill.status.hours_written == written
