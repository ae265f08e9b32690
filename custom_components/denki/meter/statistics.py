"""No lost data: make the energy sensors' hourly statistics equal the meter's own records.

Home Assistant compiles hourly statistics from the states it saw. After a gap
(Home Assistant stopped, the dongle unplugged, the radio silent) the hours of
the gap have no rows, and the hour after it holds the whole gap's energy. The
meter, though, keeps a count at every 30-minute boundary for at least 45
days. This module reads those counts and writes each hour's row as the
meter recorded it: the hour's end reading as its state, and as its sum the
same reading on the recorder's own line (sum - state is constant for a
total_increasing sensor between resets, so the line is read from the newest
5-minute row, which this module never touches). Every hour's change is then
the meter's, there is no hole, and nothing is counted twice.

Each run covers the hours from where the last run stopped (kept in a Store)
to 15 minutes before the last whole hour, so the recorder has written its
own row before this one is corrected. A long run reports its progress in
days and never holds the radio for more than one request at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_last_short_term_statistics,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..const import BACKFILL_DAYS, DOMAIN, LOGGER
from ..lib.broute.errors import DongleError
from ..lib.broute.history import BoundaryCounts, DayHistory, hour_ends, read_boundaries
from ..lib.broute.meter_values import EnergyScale, MeterValueError
from ..lib.echonet import EchonetError
from ..lib.savings.slots import SLOT, floor_slot

STORAGE_VERSION = 1
BACKFILL_MINUTE = 20
"""Minute of every hour at which the last hour's statistics are checked against the meter."""
SETTLE = timedelta(minutes=15)
"""How long after an hour ends before its row is corrected: the recorder writes first."""
TOLERANCE = 1e-6
LINE_TOLERANCE = 0.01
"""A row whose sum - state is this far from the line belongs to before a reset: left alone."""

ENERGY_KEYS: dict[str, Literal["imported", "exported"]] = {
    "energy_import": "imported",
    "energy_export": "exported",
}


@dataclass
class BackfillStatus:
    """What the last and the current run did, for a sensor and diagnostics."""

    days_done: int = 0
    days_total: int = 0
    running: bool = False
    hours_written: int = 0
    last_run: datetime | None = None
    covered_until: datetime | None = None
    waiting_for_recorder: bool = False

    @property
    def percent(self) -> float:
        """Progress of the current run; 100 when there is nothing left to do."""
        if not self.running or self.days_total == 0:
            return 100.0
        return round(100 * self.days_done / self.days_total, 1)


def rows_to_write(
    counts: dict[datetime, BoundaryCounts],
    direction: Literal["imported", "exported"],
    kwh: Callable[[int], float | None],
    line: float,
    existing: dict[float, dict[str, Any]],
) -> list[StatisticData]:
    """The hourly rows that differ from the meter's record, as they should be.

    `counts` are keyed by hour end; a row starts an hour before. `line` is
    sum - state of the recorder's newest row; `existing` maps a row's start
    timestamp to the row the recorder holds.
    """
    rows: list[StatisticData] = []
    for end, boundary in sorted(counts.items()):
        raw = getattr(boundary, direction)
        if raw is None:
            continue
        state = kwh(raw)
        if state is None:  # pragma: no cover - "no data" is already None in `raw`
            continue
        start = end - timedelta(hours=1)
        total = state + line
        row = existing.get(start.timestamp())
        if row is not None:
            if abs(row["sum"] - row["state"] - line) > LINE_TOLERANCE:
                continue  # before a reset of the counter: another line
            if abs(row["state"] - state) < TOLERANCE and abs(row["sum"] - total) < TOLERANCE:
                continue
        rows.append(StatisticData(start=start, state=state, sum=total))
    return rows


class RecordingMeter(DayHistory, Protocol):
    """A meter whose own records the back-fill reads: its scale, clock and days."""

    async def read_scale(self) -> EnergyScale:
        """How raw counts become kWh."""
        ...

    async def clock(self) -> datetime:
        """The meter's own time, whose date numbers its days."""
        ...


class MeterSource(Protocol):
    """What reaches the meter: the B-route link, or a high-voltage meter on the LAN."""

    @property
    def identification(self) -> str | None:
        """The meter's identity, which its entities' unique ids start with."""
        ...

    @property
    def scale(self) -> EnergyScale | None:
        """The scale, once read."""
        ...

    async def ensure(self) -> RecordingMeter:
        """The meter, reachable now."""
        ...


class MeterBackfill:
    """Runs the correction in the background, one run at a time."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], link: MeterSource) -> None:
        """Nothing runs until `async_start` and `schedule`."""
        self.hass = hass
        self.entry = entry
        self.link = link
        self.status = BackfillStatus()
        self._store: Store[dict[str, str]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.backfill"
        )
        self._listeners: list[Callable[[], None]] = []
        self.task: asyncio.Task[None] | None = None

    async def async_start(self) -> None:
        """Load where the last run stopped."""
        stored = await self._store.async_load()
        if stored and (until := dt_util.parse_datetime(stored.get("covered_until", ""))):
            self.status.covered_until = until

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` whenever the status changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def schedule(self) -> None:
        """Start a run unless one is running."""
        if self.status.running:
            return
        self.status.running = True
        self.task = self.entry.async_create_background_task(
            self.hass, self._run(), "denki meter back-fill"
        )

    async def async_half_hours(self, start: datetime, end: datetime) -> dict[datetime, float]:
        """The energy imported in each 30-minute slot from `start` to `end`, from the meter's record.

        Keyed by slot start (Japan); a slot the meter has no count for at either
        end, or whose count went down (a wrap or a meter change), is absent.
        Reads each day once, one request at a time, as the back-fill does.
        """
        meter = await self.link.ensure()
        scale = self.link.scale or await meter.read_scale()
        today = (await meter.clock()).date()
        first = floor_slot(start)
        boundaries = []
        while first <= end:
            boundaries.append(first)
            first += SLOT
        counts = await read_boundaries(meter, boundaries, today)
        slots: dict[datetime, float] = {}
        for boundary in boundaries[1:]:
            before, after = counts.get(boundary - SLOT), counts.get(boundary)
            if before is None or after is None or before.imported is None or after.imported is None:
                continue
            low, high = scale.kwh(before.imported), scale.kwh(after.imported)
            if low is not None and high is not None and high >= low:
                slots[boundary - SLOT] = round(high - low, 6)
        return slots

    def _statistic_ids(self) -> dict[str, str]:
        registry = er.async_get(self.hass)
        ids = {}
        for key in ENERGY_KEYS:
            unique_id = f"{self.link.identification}_{key}"
            if entity_id := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
                ids[key] = entity_id
        return ids

    async def _run(self) -> None:
        try:
            await self._correct()
        except (DongleError, MeterValueError, EchonetError) as err:
            LOGGER.debug("The meter back-fill stopped and will run again: %s", err)
        finally:
            self.status.running = False
            self.status.days_done = self.status.days_total = 0
            self._changed()

    async def _correct(self) -> None:
        now = dt_util.utcnow()
        end = (now - SETTLE).replace(minute=0, second=0, microsecond=0)
        start = self.status.covered_until or end - timedelta(days=BACKFILL_DAYS)
        ids = self._statistic_ids()
        if start >= end or not ids or "recorder" not in self.hass.config.components:
            return
        recorder = get_instance(self.hass)
        lines: dict[str, float] = {}
        for key, entity_id in ids.items():
            last = await recorder.async_add_executor_job(
                get_last_short_term_statistics, self.hass, 1, entity_id, False, {"state", "sum"}
            )
            if rows := last.get(entity_id):
                lines[key] = float(rows[0]["sum"] or 0) - float(rows[0]["state"] or 0)
        self.status.waiting_for_recorder = not lines
        if not lines:
            return
        meter = await self.link.ensure()
        scale = self.link.scale or await meter.read_scale()
        today = (await meter.clock()).date()

        def progress(done: int, total: int) -> None:
            self.status.days_done, self.status.days_total = done, total
            self._changed()

        counts = await read_boundaries(meter, hour_ends(start, end), today, progress)
        existing = await recorder.async_add_executor_job(
            statistics_during_period,
            self.hass,
            start - timedelta(hours=1),
            end,
            {ids[key] for key in lines},
            "hour",
            None,
            {"state", "sum"},
        )
        written = missing = 0
        for key, line in lines.items():
            entity_id = ids[key]
            held = {row["start"]: dict(row) for row in existing.get(entity_id, [])}
            fixes = rows_to_write(counts, ENERGY_KEYS[key], scale.kwh, line, held)
            if fixes:
                async_import_statistics(self.hass, _metadata(entity_id), fixes)
                written += len(fixes)
                missing += sum(fix["start"].timestamp() not in held for fix in fixes)
        self.status.hours_written += written
        self.status.last_run = now
        if counts:
            self.status.covered_until = max(counts)
            await self._store.async_save({"covered_until": self.status.covered_until.isoformat()})
        if missing:
            LOGGER.info("Filled %s missing hours of energy statistics from the meter", missing)


def async_keep_whole(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    coordinator: DataUpdateCoordinator[Any],
    backfill: MeterBackfill,
) -> None:
    """Run the back-fill now, every hour, and as soon as the meter answers again after a gap."""

    @callback
    def _hourly(now: datetime) -> None:
        backfill.schedule()

    recovered = coordinator.last_update_success

    @callback
    def _on_update() -> None:
        nonlocal recovered
        # Back from a gap (dongle unplugged, radio or LAN silent): fill it now, not at the hour.
        if coordinator.last_update_success and not recovered:
            backfill.schedule()
        recovered = coordinator.last_update_success

    entry.async_on_unload(async_track_time_change(hass, _hourly, minute=BACKFILL_MINUTE, second=0))
    entry.async_on_unload(coordinator.async_add_listener(_on_update))
    backfill.schedule()


def _metadata(entity_id: str) -> StatisticMetaData:
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=entity_id,
        unit_class="energy",
        unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    )
