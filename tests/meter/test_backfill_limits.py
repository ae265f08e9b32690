"""What the meter's records cannot give: a day it refuses, and days it no longer keeps.

Home Assistant is stopped for 50 days; the meter keeps 45 days of 30-minute
records, and refuses one of them (SetC_SNA to 0xE5). The back-fill skips the
refused day, logs it once and fills the others; it asks for nothing older
than the meter keeps, and says in a translated repair issue which hours are
lost and where the statistics are the meter's again. A real recorder
(SQLite); the dongle simulator on a pseudo-terminal; the simulated meter.
"""

from datetime import datetime, time, timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.denki.const import DOMAIN
from custom_components.denki.lib.broute.history import DAYS_KEPT
from custom_components.denki.lib.broute.meter_values import JST
from custom_components.denki.meter.statistics import MeterBackfill

from .conftest import Home
from .test_backfill import _live_for, _run_backfill

IMPORTED = "sensor.smart_meter_energy_imported"
REFUSED = 3
"""The day (days ago, on the meter's calendar) the meter refuses."""


def _hourly(hass: HomeAssistant, start: datetime, end: datetime) -> dict[datetime, dict]:
    rows = statistics_during_period(hass, start, end, {IMPORTED}, "hour", None, {"state", "sum"})
    return {
        dt_util.utc_from_timestamp(row["start"]) + timedelta(hours=1): dict(row)
        for row in rows.get(IMPORTED, [])
    }


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "refused its 30-minute record" in r.getMessage()
    ]


async def test_a_refused_day_and_a_gap_longer_than_the_meter_keeps(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    history = home.meter.history
    assert history is not None
    freezer.move_to(
        dt_util.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    )
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    await _live_for(hass, meter_entry, freezer, 12)
    backfill: MeterBackfill = meter_entry.runtime_data.backfill
    await _run_backfill(hass, backfill)
    stopped_at = backfill.status.covered_until
    assert stopped_at is not None

    assert await hass.config_entries.async_unload(meter_entry.entry_id)  # stopped 50 days
    await hass.async_block_till_done()
    freezer.tick(timedelta(days=50))
    await home.plug_in()
    home.meter.refused_days = {REFUSED}
    home.meter.days_asked.clear()
    caplog.set_level(logging.WARNING)
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    backfill = meter_entry.runtime_data.backfill
    await _live_for(hass, meter_entry, freezer, 1)  # the recorder's first row since the start
    await _run_backfill(hass, backfill)

    meter_today = history.now().date()
    limit = datetime.combine(meter_today - timedelta(days=DAYS_KEPT - 1), time(), JST)
    # Nothing older than the meter keeps was asked for; every day it keeps was, the refused
    # one included, once.
    assert max(home.meter.days_asked) == DAYS_KEPT - 1
    assert sorted(set(home.meter.days_asked)) == list(range(DAYS_KEPT))
    assert home.meter.days_asked.count(REFUSED) == 1

    # The repair says which hours are lost and where the meter's own record starts again.
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"meter_history_lost_{meter_entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "meter_history_lost"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "start": dt_util.as_local(stopped_at).strftime("%Y-%m-%d %H:%M"),
        "limit": dt_util.as_local(limit).strftime("%Y-%m-%d %H:%M"),
        "days": str(DAYS_KEPT),
    }
    assert backfill.status.lost_until == limit

    # The refused day: logged once, its hours left as Home Assistant had them (none: it was
    # stopped); every other hour from the limit on is the meter's own.
    refused_day = meter_today - timedelta(days=REFUSED)
    assert len(_refusals(caplog)) == 1
    assert refused_day.isoformat() in _refusals(caplog)[0]
    assert backfill.status.days_refused == [refused_day.isoformat()]
    rows = await recorder_mock.async_add_executor_job(
        _hourly, hass, stopped_at - timedelta(hours=2), dt_util.utcnow()
    )
    line = next(iter(rows.values()))["sum"] - next(iter(rows.values()))["state"]
    settled = (dt_util.utcnow() - timedelta(minutes=15)).replace(minute=0, second=0, microsecond=0)
    end = limit
    while end <= settled:
        # An hour ending at 00:00 to 23:00 of the refused day ends on one of its counts.
        if end.astimezone(JST).date() == refused_day:
            assert end not in rows, end
        else:
            counts = history.counts_at(end)
            assert counts is not None
            assert rows[end]["state"] == pytest.approx(counts[0] / 100), end
            assert rows[end]["sum"] - rows[end]["state"] == pytest.approx(line), end
        end += timedelta(hours=1)
    # Between the stop and the limit, nothing could be had: no row but the one ending at the
    # limit, which carries the lost days' energy.
    lost = [at for at in rows if stopped_at + timedelta(hours=1) < at < limit]
    assert lost == []

    # Another run over the refused day does not log it again.
    backfill.status.covered_until = None
    await _run_backfill(hass, backfill)
    assert len(_refusals(caplog)) == 1
    assert home.meter.days_asked.count(REFUSED) == 2
    await async_wait_recording_done(hass)
