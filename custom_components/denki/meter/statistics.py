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

Two more of the meter's records are used where they are exact:

- The counts a meter pushes within five minutes of every half hour (0xEA,
  0xEB by INF; `MeterLink.pushed`) cost no request: an hour, or a savings
  half hour, whose boundaries came pushed reads no day, and the 5-minute
  row that ends at a pushed boundary is set to its count.
- A next-generation meter keeps a count at every minute for 60 minutes
  (0xEE). A gap shorter than that (a restart, a short radio outage) is
  re-read minute by minute as soon as the meter answers again, and every
  missing 5-minute row of it is written with the meter's count at its end,
  as are the hours it touched: the gap's energy is where it was used, not
  on the first row after the gap, nor spread over it.

What the meter no longer keeps (30-minute records older than 45 days) is
not asked for: the run starts at that limit and says so in a repair issue.
A day the meter refuses is skipped, logged once, and the others are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from homeassistant.components.recorder.db_schema import StatisticsShortTerm
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
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..const import BACKFILL_DAYS, DOMAIN, LOGGER
from ..lib.broute.errors import DongleError
from ..lib.broute.history import (
    DAYS_KEPT,
    MINUTES_KEPT,
    BoundaryCounts,
    DayHistory,
    MinuteHistory,
    RefusedDay,
    hour_ends,
    read_boundaries,
    read_minutes,
    steps_between,
)
from ..lib.broute.meter_values import JST, EnergyScale, MeterValueError, TimedPair
from ..lib.echonet import EchonetError
from ..lib.savings.slots import SLOT, floor_slot

STORAGE_VERSION = 1
BACKFILL_MINUTE = 20
"""Minute of every hour at which the last hour's statistics are checked against the meter."""
SETTLE = timedelta(minutes=15)
"""How long after an hour ends before its row is corrected: the recorder writes first."""
SHORT = timedelta(minutes=5)
"""The recorder's short-term period."""
HOUR = timedelta(hours=1)
SHORT_SETTLE = timedelta(minutes=1)
"""How long after a 5-minute period ends before its row is written: the recorder compiles
it 10 seconds after, and a period it compiled is corrected rather than doubled."""
PUSHED_WITHIN = timedelta(days=1)
"""How far back pushed counts are set into the 5-minute rows (the recorder keeps those 10 days)."""
MINUTE_HISTORY = (0xEE,)
"""What a meter with a 1-minute record lists in its Get map (0xEF, which chooses, is set)."""
TOLERANCE = 1e-6
LINE_TOLERANCE = 0.01
"""A row whose sum - state is this far from the line belongs to before a reset: left alone."""

ISSUE_HISTORY_LOST = "meter_history_lost"
"""The repair issue of a gap longer than the meter keeps its records."""

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
    short_rows_written: int = 0
    """5-minute rows written from pushed or 1-minute counts."""
    minutes_read: int = 0
    """1-minute values read from the meter (0xEE)."""
    days_refused: list[str] = field(default_factory=list)
    """Days (ISO dates, the meter's) whose records the meter refused: skipped."""
    lost_until: datetime | None = None
    """Where the last gap longer than the meter's records could be filled from."""

    @property
    def percent(self) -> float:
        """Progress of the current run; 100 when there is nothing left to do."""
        if not self.running or self.days_total == 0:
            return 100.0
        return round(100 * self.days_done / self.days_total, 1)


def rows_to_write(
    counts: Mapping[datetime, BoundaryCounts],
    direction: Literal["imported", "exported"],
    kwh: Callable[[int], float | None],
    line: float,
    existing: dict[float, dict[str, Any]],
    *,
    period: timedelta = HOUR,
) -> list[StatisticData]:
    """The rows (hourly, or of another `period`) that differ from the meter's record.

    `counts` are keyed by period end; a row starts a period before. `line`
    is sum - state of the recorder's newest row; `existing` maps a row's
    start timestamp to the row the recorder holds.
    """
    rows: list[StatisticData] = []
    for end, boundary in sorted(counts.items()):
        raw = getattr(boundary, direction)
        if raw is None:
            continue
        state = kwh(raw)
        if state is None:  # pragma: no cover - "no data" is already None in `raw`
            continue
        start = dt_util.as_utc(end - period)
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


@runtime_checkable
class MinuteMeter(MinuteHistory, Protocol):
    """A meter that may keep 1-minute values, and says whether it does."""

    async def has(self, *epcs: int) -> bool:
        """Whether the meter offers every one of these properties."""
        ...


@runtime_checkable
class PushingSource(Protocol):
    """A source that keeps the counts the meter pushed (the B-route link)."""

    pushed: dict[datetime, BoundaryCounts]

    def add_push_listener(self, listener: Callable[[BoundaryCounts], None]) -> Callable[[], None]:
        """Call `listener` with each pushed count; returns the remover."""
        ...


class _CountingMinutes:
    """A minute history that counts the values it gave."""

    def __init__(self, meter: MinuteHistory) -> None:
        self._meter = meter
        self.values = 0

    async def history_3(self, newest: datetime, points: int = 10) -> list[TimedPair]:
        pairs = await self._meter.history_3(newest, points)
        self.values += len(pairs)
        return pairs


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
        self._again = False
        self._refusals_told: set[date] = set()
        self._follow_up: Callable[[], None] | None = None

    async def async_start(self) -> None:
        """Load where the last run stopped; run again whenever the meter pushes its counts."""
        stored = await self._store.async_load()
        if stored and (until := dt_util.parse_datetime(stored.get("covered_until", ""))):
            self.status.covered_until = until
        if isinstance(self.link, PushingSource):
            self.entry.async_on_unload(self.link.add_push_listener(self._pushed_one))
        self.entry.async_on_unload(self._cancel_follow_up)

    @callback
    def _cancel_follow_up(self) -> None:
        if self._follow_up is not None:
            self._follow_up()
            self._follow_up = None

    @callback
    def _follow(self, _now: datetime) -> None:
        self._follow_up = None
        self.schedule()

    @callback
    def _pushed_one(self, counts: BoundaryCounts) -> None:
        self.schedule()

    def _pushed(self) -> Mapping[datetime, BoundaryCounts]:
        return self.link.pushed if isinstance(self.link, PushingSource) else {}

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` whenever the status changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def schedule(self) -> None:
        """Start a run; one asked for while a run is on follows it."""
        if self.status.running:
            self._again = True
            return
        self.status.running = True
        self.task = self.entry.async_create_background_task(
            self.hass, self._run(), "denki meter back-fill"
        )

    async def async_half_hours(self, start: datetime, end: datetime) -> dict[datetime, float]:
        """The energy imported in each 30-minute slot from `start` to `end`, from the meter's record.

        Keyed by slot start (Japan); a slot the meter has no count for at either
        end, or whose count went down (a wrap or a meter change), is absent.
        Boundaries the meter pushed need no request; the rest are read a day
        at a time, one request at a time, as the back-fill does, and a day the
        meter refuses is skipped (its slots absent).
        """
        meter = await self.link.ensure()
        scale = self.link.scale or await meter.read_scale()
        today = (await meter.clock()).date()
        first = floor_slot(start)
        boundaries = []
        while first <= end:
            boundaries.append(first)
            first += SLOT
        refused: list[RefusedDay] = []
        counts = await read_boundaries(
            meter,
            boundaries,
            today,
            known=self._pushed(),
            refused=refused,
            kept=DAYS_KEPT,
            need_export=False,
        )
        self._tell_refusals(refused)
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
            while True:
                self._again = False
                await self._correct()
                if not self._again:
                    break
        except (DongleError, MeterValueError, EchonetError) as err:
            LOGGER.debug("The meter back-fill stopped and will run again: %s", err)
        finally:
            self.status.running = False
            self.status.days_done = self.status.days_total = 0
            self._changed()

    async def _correct(self) -> None:
        now = dt_util.utcnow()
        ids = self._statistic_ids()
        if not ids or "recorder" not in self.hass.config.components:
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
        await self._correct_recent(now, ids, lines)
        await self._correct_hours(now, ids, lines)

    async def _correct_recent(
        self, now: datetime, ids: dict[str, str], lines: dict[str, float]
    ) -> None:
        """Set the 5-minute rows (and the hours) that pushed or 1-minute counts make exact.

        The rows are those of the last `PUSHED_WITHIN` that end at a pushed
        boundary, and those of the last 60 minutes the recorder has no row
        for, though it has one before them: a gap, with the row before it. A
        gap's counts are read from the meter's 1-minute history, where it
        keeps one (0xEE), with those of the hour ends after it, whose hourly
        rows are set too.
        """
        recorder = get_instance(self.hass)
        settled = _floor(now - SHORT_SETTLE, SHORT)
        kept_from = now - MINUTES_KEPT
        pushed = {
            at: counts
            for at, counts in self._pushed().items()
            if settled - PUSHED_WITHIN < at <= settled
        }
        ends = steps_between(kept_from, settled, SHORT)
        first = min([*pushed, *ends], default=None)
        if first is None:
            return
        entity_ids = {ids[key] for key in lines}
        held_short = await recorder.async_add_executor_job(
            statistics_during_period,
            self.hass,
            first - SHORT - HOUR,
            settled,
            entity_ids,
            "5minute",
            None,
            {"state", "sum"},
        )
        rows = {e: {row["start"]: dict(row) for row in held_short.get(e, [])} for e in entity_ids}
        missing = {
            end
            for end in ends
            for held in rows.values()
            if held
            and min(held) < (end - SHORT).timestamp()
            and (end - SHORT).timestamp() not in held
        }
        # The row before a gap holds the last reading before the meter went quiet, not the
        # count at its end: it is set too.
        gaps = missing | {
            end - SHORT for end in missing if end - SHORT > kept_from and end - SHORT not in missing
        }
        hours = {_ceil(end, HOUR) for end in gaps} & set(ends)
        counts: dict[datetime, BoundaryCounts] = dict(pushed)
        wanted = {at for at in gaps | hours if at not in pushed}
        scale = self.link.scale
        if wanted:
            found, scale = await self._read_minutes(wanted)
            counts.update(found)
        if scale is None or not counts:
            return
        short_written = hours_written = 0
        for key, line in lines.items():
            entity_id = ids[key]
            held = rows[entity_id]
            if not held:
                continue
            ours = {at: c for at, c in counts.items() if (at - SHORT).timestamp() >= min(held)}
            fixes = rows_to_write(ours, ENERGY_KEYS[key], scale.kwh, line, held, period=SHORT)
            if fixes:
                recorder.async_import_statistics(_metadata(entity_id), fixes, StatisticsShortTerm)
                short_written += len(fixes)
        hour_counts = {at: counts[at] for at in hours if at in counts}
        if hour_counts:
            hours_written = await self._write_hours(
                hour_counts,
                ids,
                lines,
                scale,
                start=min(hour_counts) - HOUR,
                end=max(hour_counts),
            )
        self.status.short_rows_written += short_written
        self.status.hours_written += hours_written
        if gaps and short_written and self._follow_up is None:
            # The period the meter came back in is not settled yet: fill it once it is.
            self._follow_up = async_call_later(self.hass, SHORT + SHORT_SETTLE, self._follow)
        if gaps and short_written:
            LOGGER.info(
                "Filled %s minutes without readings from the meter's 1-minute record",
                len(missing) * int(SHORT / timedelta(minutes=1)),
            )

    async def _read_minutes(
        self, wanted: Iterable[datetime]
    ) -> tuple[dict[datetime, BoundaryCounts], EnergyScale | None]:
        """The meter's 1-minute counts at `wanted`, if it keeps them; and its scale."""
        meter = await self.link.ensure()
        scale = self.link.scale or await meter.read_scale()
        if not isinstance(meter, MinuteMeter) or not await meter.has(*MINUTE_HISTORY):
            return {}, scale
        counting = _CountingMinutes(meter)
        try:
            found = await read_minutes(counting, wanted)
        except MeterValueError as err:
            LOGGER.debug("The meter would not give its 1-minute record: %s", err)
            found = {}
        self.status.minutes_read += counting.values
        return found, scale

    async def _write_hours(
        self,
        counts: Mapping[datetime, BoundaryCounts],
        ids: dict[str, str],
        lines: dict[str, float],
        scale: EnergyScale,
        *,
        start: datetime,
        end: datetime,
    ) -> int:
        """Write the hourly rows (ending at the keys of `counts`) that differ; how many."""
        recorder = get_instance(self.hass)
        existing = await recorder.async_add_executor_job(
            statistics_during_period,
            self.hass,
            start - HOUR,
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
        if missing:
            LOGGER.info("Filled %s missing hours of energy statistics from the meter", missing)
        return written

    async def _correct_hours(
        self, now: datetime, ids: dict[str, str], lines: dict[str, float]
    ) -> None:
        """Set every settled hour since the last run to the meter's 30-minute record."""
        end = (now - SETTLE).replace(minute=0, second=0, microsecond=0)
        start = self.status.covered_until or end - timedelta(days=BACKFILL_DAYS)
        if start >= end:
            return
        meter = await self.link.ensure()
        scale = self.link.scale or await meter.read_scale()
        today = (await meter.clock()).date()
        # Midnight (Japan) of the oldest day the meter still keeps: its 0xE5 = DAYS_KEPT - 1.
        limit = datetime.combine(today - timedelta(days=DAYS_KEPT - 1), time(), JST)
        if start < limit - HOUR:
            self._tell_lost(start, limit)
            start = limit - HOUR

        def progress(done: int, total: int) -> None:
            self.status.days_done, self.status.days_total = done, total
            self._changed()

        refused: list[RefusedDay] = []
        counts = await read_boundaries(
            meter,
            hour_ends(start, end),
            today,
            progress,
            known=self._pushed(),
            refused=refused,
            kept=DAYS_KEPT,
            need_export="energy_export" in lines,
        )
        self._tell_refusals(refused)
        self.status.hours_written += await self._write_hours(
            counts, ids, lines, scale, start=start, end=end
        )
        self.status.last_run = now
        if counts:
            self.status.covered_until = max(counts)
            await self._store.async_save({"covered_until": self.status.covered_until.isoformat()})

    def _tell_refusals(self, refused: list[RefusedDay]) -> None:
        """Log each refused day once in the entry's life; the run carries on without it."""
        for day in refused:
            if day.day in self._refusals_told:
                continue
            self._refusals_told.add(day.day)
            self.status.days_refused.append(day.day.isoformat())
            LOGGER.warning(
                "The smart meter refused its 30-minute record of %s (%s); the hours of that "
                "day keep what Home Assistant recorded, and the other days are filled",
                day.day.isoformat(),
                day.reason,
            )

    def _tell_lost(self, start: datetime, limit: datetime) -> None:
        """Say in a repair issue (and the log, once) that a gap reached past what the meter keeps."""
        if self.status.lost_until == limit:
            return
        self.status.lost_until = limit
        shown_start = dt_util.as_local(start).strftime("%Y-%m-%d %H:%M")
        shown_limit = dt_util.as_local(limit).strftime("%Y-%m-%d %H:%M")
        LOGGER.warning(
            "Energy statistics from %s to %s cannot be filled: the smart meter keeps its "
            "30-minute records for %s days; they are filled from %s on",
            shown_start,
            shown_limit,
            DAYS_KEPT,
            shown_limit,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_HISTORY_LOST}_{self.entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_HISTORY_LOST,
            translation_placeholders={
                "start": shown_start,
                "limit": shown_limit,
                "days": str(DAYS_KEPT),
            },
        )


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


def _floor(moment: datetime, step: timedelta) -> datetime:
    """`moment` down to a whole `step` (of an hour or less) of Japan's clock, in UTC."""
    local = moment.astimezone(JST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return dt_util.as_utc(midnight + step * ((local - midnight) // step))


def _ceil(moment: datetime, step: timedelta) -> datetime:
    """`moment` up to a whole `step`; itself when it is one."""
    floor = _floor(moment, step)
    return floor if floor == moment else floor + step


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
