"""The meter entry living on the drills' clock, for the meter's drills.

`MeterLife` moves the clock in steps, polls the meter as the coordinator's
timer would, has the recorder compile every 5-minute period that ended (and
with the last of each hour, the hour), and runs the back-fill at minute 20 of
every hour as the entry's own hourly timer does. `hourly_slots` then compares
every hour's change of the energy sensors' statistics with the meter's record.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from freezegun.api import TickingDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.denki.meter.statistics import BACKFILL_MINUTE
from simulators.meter_history import MeterHistory

from .conftest import advance

IMPORTED = "sensor.smart_meter_energy_imported"
EXPORTED = "sensor.smart_meter_energy_exported"
POWER = "sensor.smart_meter_power"
LIVE = (POWER, IMPORTED, EXPORTED)
"""The entities a poll feeds: unavailable exactly while the meter cannot be read."""
PERIOD = timedelta(minutes=5)
HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    """The start of the hour `moment` is in."""
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class MeterLife:
    """Time, polls, the recorder's compiles and the hourly back-fill of one meter entry."""

    hass: HomeAssistant
    entry: MockConfigEntry
    clock: TickingDateTimeFactory
    compiled_until: datetime

    @classmethod
    def starting_now(
        cls, hass: HomeAssistant, entry: MockConfigEntry, clock: TickingDateTimeFactory
    ) -> MeterLife:
        """Start at the current (whole 5-minute) time: nothing compiled yet."""
        now = dt_util.utcnow()
        return cls(hass, entry, clock, hour_of(now) + PERIOD * (now.minute // 5))

    async def poll(self) -> None:
        """One poll, as the coordinator's timer runs it (real I/O on the pty)."""
        await self.entry.runtime_data.coordinator.async_refresh()
        await self.hass.async_block_till_done()

    async def settle(self) -> None:
        """Wait for a back-fill run in progress (one starts on recovery) and the recorder."""
        backfill = self.entry.runtime_data.backfill
        if backfill.task is not None:
            await backfill.task
        await async_wait_recording_done(self.hass)

    async def step(self, delta: timedelta, *, poll: bool = True) -> None:
        """Move the clock by `delta`, poll, compile what ended, back-fill at minute 20."""
        before = dt_util.utcnow()
        advance(self.clock, delta)
        now = dt_util.utcnow()
        if poll:
            await self.poll()
        await self.compile()
        hourly = hour_of(now) + timedelta(minutes=BACKFILL_MINUTE)
        if before < hourly <= now and self.entry.state is ConfigEntryState.LOADED:
            await self.settle()
            self.entry.runtime_data.backfill.schedule()  # what the entry's hourly timer does
            await self.settle()

    async def compile(self) -> None:
        """Have the recorder compile every 5-minute period that has ended."""
        now = dt_util.utcnow()
        while self.compiled_until + PERIOD <= now:
            do_adhoc_statistics(self.hass, start=self.compiled_until)
            self.compiled_until += PERIOD
        await async_wait_recording_done(self.hass)

    async def live_until(self, moment: datetime, step: timedelta = PERIOD) -> None:
        """Live in steps until `moment`."""
        while dt_util.utcnow() < moment:
            await self.step(min(step, moment - dt_util.utcnow()))


def _hourly(hass: HomeAssistant, start: datetime, end: datetime) -> dict[str, list[dict[str, Any]]]:
    rows = statistics_during_period(
        hass, start, end, {IMPORTED, EXPORTED}, "hour", None, {"state", "sum"}
    )
    return {key: [dict(row) for row in value] for key, value in rows.items()}


@dataclass
class SlotCheck:
    """How the hourly statistics compare with the meter over some hours."""

    hours: list[datetime]
    equal: int
    total: int
    mismatched: list[tuple[str, datetime, float, float]]
    missing: list[tuple[str, datetime]]
    duplicated: list[tuple[str, datetime]]

    @property
    def whole(self) -> bool:
        """Every slot there once, and equal to the meter's."""
        return not self.mismatched and not self.missing and not self.duplicated


async def hourly_slots(
    recorder: Recorder, hass: HomeAssistant, history: MeterHistory, first: datetime, last: datetime
) -> SlotCheck:
    """Compare each hour from `first` to `last` (starts, both included) with the meter.

    A slot is one hour of one energy sensor: its change (sum minus the previous
    hour's sum) must be the meter's counts at the hour's end less those at its
    start, and every hour must have exactly one row.
    """
    rows = await recorder.async_add_executor_job(_hourly, hass, first - HOUR, last + HOUR)
    hours = [first + HOUR * i for i in range(int((last - first) / HOUR) + 1)]
    check = SlotCheck(hours, 0, 0, [], [], [])
    for entity_id, index in ((IMPORTED, 0), (EXPORTED, 1)):
        by_start: dict[datetime, list[dict[str, Any]]] = {}
        for row in rows.get(entity_id, []):
            by_start.setdefault(dt_util.utc_from_timestamp(row["start"]), []).append(row)
        for hour in hours:
            check.total += 1
            here, previous = by_start.get(hour, []), by_start.get(hour - HOUR, [])
            if len(here) > 1:
                check.duplicated.append((entity_id, hour))
            if not here or not previous:
                check.missing.append((entity_id, hour))
                continue
            after, before = history.counts_at(hour + HOUR), history.counts_at(hour)
            assert after is not None
            assert before is not None
            meter_kwh = (after[index] - before[index]) / 100
            ours = here[0]["sum"] - previous[0]["sum"]
            if abs(ours - meter_kwh) > 1e-6:
                check.mismatched.append((entity_id, hour, ours, meter_kwh))
            elif len(here) == 1:
                check.equal += 1
    return check
