"""Reading the meter's own records for a range of times, to fill gaps in what was seen live.

The low-voltage meter keeps a count at every 30-minute boundary for at
least 45 days (0xE2 import, 0xE4 export, the day chosen with 0xE5). One day
costs two frames, whatever the number of hours wanted from it, so the reader
groups the hours by the meter's day and asks for each day once. A day the
meter refuses (a "not possible" answer, or a record that does not parse) is
skipped and reported, and the other days are still read.

A next-generation meter also keeps a count at every minute for 60 minutes
(0xEE, the newest minute and how many chosen with 0xEF: "1分値を60分保存",
next-gen-smart-meter-standard-functions.txt, 論点2-④), ten minutes a
request, so a gap shorter than an hour is re-read minute by minute.

Counts the meter pushed by itself (its fixed-time values, 0xEA/0xEB, every
half hour) are `known` to the reader: a day whose wanted boundaries are all
known is not asked for.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from .meter_values import (
    HISTORY_3_MAX_POINTS,
    HISTORY_DAYS,
    JST,
    MeterValueError,
    TimedCount,
    TimedPair,
)

type Progress = Callable[[int, int], None]
"""Called with (days read, days to read) after each day."""

DAYS_KEPT = 45
"""Days of 30-minute records a low-voltage meter keeps: today and the 44 before.

0xE5 itself takes 0 to 99 (ECHONET Lite Appendix Release R, 3.3.25, as
momonga 0.7.0 checks it: momonga_echonet_data.py lines 460-464), but what a
meter is obliged to keep is 45 days; asking for older days costs two frames
a day for nothing.
"""
MINUTES_KEPT = timedelta(minutes=60)
"""How long a next-generation meter keeps its 1-minute values (0xEE): 60 minutes."""


class DayHistory(Protocol):
    """A meter that gives the half-hourly counts of one of its days: low- or high-voltage."""

    async def history_day(self, days_ago: int) -> tuple[list[TimedCount], list[TimedCount]]:
        """The 48 import and export counts of the day `days_ago` (export may be empty)."""
        ...


class MinuteHistory(Protocol):
    """A meter that gives its 1-minute counts (historical data 3, 0xEF then 0xEE)."""

    async def history_3(self, newest: datetime, points: int = 10) -> list[TimedPair]:
        """Up to 10 one-minute pairs of counts, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class BoundaryCounts:
    """The raw import and export counts at one boundary; None where the meter has none."""

    at: datetime
    imported: int | None
    exported: int | None

    def merged(self, other: BoundaryCounts) -> BoundaryCounts:
        """These counts, completed with what `other` (the same moment) has and these lack."""
        return BoundaryCounts(
            self.at,
            self.imported if self.imported is not None else other.imported,
            self.exported if self.exported is not None else other.exported,
        )


@dataclass(frozen=True, slots=True)
class RefusedDay:
    """A day of records the meter would not give, and why."""

    days_ago: int
    day: date
    reason: str


def days_for(
    boundaries: Iterable[datetime], meter_today: date, kept: int = HISTORY_DAYS
) -> list[int]:
    """The "days ago" (0xE5 values) that hold these boundaries, oldest first.

    Boundaries older than `kept` days (by default all 0xE5 can name, 100)
    are left out: the meter cannot give them, and asking would only cost
    radio time.
    """
    days = {meter_today - b.astimezone(JST).date() for b in boundaries}
    return sorted(
        (d.days for d in days if 0 <= d.days < min(kept, HISTORY_DAYS)),
        reverse=True,
    )


def _complete(counts: BoundaryCounts, need_export: bool) -> bool:
    return counts.imported is not None and (counts.exported is not None or not need_export)


async def read_boundaries(
    meter: DayHistory,
    boundaries: Iterable[datetime],
    meter_today: date,
    progress: Progress | None = None,
    *,
    known: Mapping[datetime, BoundaryCounts] | None = None,
    refused: list[RefusedDay] | None = None,
    kept: int = HISTORY_DAYS,
    need_export: bool = True,
) -> dict[datetime, BoundaryCounts]:
    """Counts at each wanted 30-minute boundary, read day by day from the meter.

    Boundaries the meter has no data for (too old, in its future, or a slot
    it marks "no data") are absent from the result, never zero. A boundary
    in `known` with its import (and, when `need_export`, its export) count
    needs no reading; a day whose wanted boundaries are all known is not
    read. With a `refused` list, a day the meter refuses is appended to it
    and skipped; without one, the refusal (MeterValueError) is raised.
    """
    wanted = {b.astimezone(JST) for b in boundaries}
    found: dict[datetime, BoundaryCounts] = {}
    if known:
        for at in wanted:
            counts = known.get(at)
            if counts is not None and (counts.imported is not None or counts.exported is not None):
                found[at] = counts
    to_read = {at for at in wanted if at not in found or not _complete(found[at], need_export)}
    days = days_for(to_read, meter_today, kept)
    for done, days_ago in enumerate(days, start=1):
        try:
            imports, exports = await meter.history_day(days_ago)
        except MeterValueError as err:
            if refused is None:
                raise
            refused.append(RefusedDay(days_ago, meter_today - timedelta(days=days_ago), str(err)))
            imports, exports = [], []
        by_time: dict[datetime, list[TimedCount | None]] = {
            slot.timestamp: [slot, None] for slot in imports
        }
        for slot in exports:
            by_time.setdefault(slot.timestamp, [None, None])[1] = slot
        for at, (imported, exported) in by_time.items():
            if at not in to_read:
                continue
            counts = BoundaryCounts(
                at,
                imported.count if imported is not None else None,
                exported.count if exported is not None else None,
            )
            if at in found:
                counts = counts.merged(found[at])
            if counts.imported is not None or counts.exported is not None:
                found[at] = counts
        if progress is not None:
            progress(done, len(days))
    return found


async def read_minutes(
    meter: MinuteHistory, minutes: Iterable[datetime]
) -> dict[datetime, BoundaryCounts]:
    """Counts at each wanted whole minute, from the meter's 1-minute history (0xEF, 0xEE).

    One request (SetC 0xEF, Get 0xEE) gives up to ten consecutive minutes,
    newest first (momonga 0.7.0 reads 0xEE the same way,
    momonga_echonet_data.py lines 375-404, and sets 0xEF as lines 487-503
    do), so the minutes are read in blocks of ten from the newest wanted
    down, each block as short as the minutes it still has to cover. A minute
    the meter marks "no data" (older than the 60 minutes it keeps, or not yet
    passed) is absent. A refusal (MeterValueError) is raised.
    """
    wanted = sorted(
        {m.astimezone(JST).replace(second=0, microsecond=0) for m in minutes}, reverse=True
    )
    found: dict[datetime, BoundaryCounts] = {}
    while wanted:
        newest = wanted[0]
        oldest = newest - timedelta(minutes=HISTORY_3_MAX_POINTS - 1)
        block = [m for m in wanted if m >= oldest]
        points = int((newest - block[-1]) / timedelta(minutes=1)) + 1
        for pair in await meter.history_3(newest, points):
            at = pair.timestamp.astimezone(JST)
            if at in block and (pair.normal is not None or pair.reverse is not None):
                found[at] = BoundaryCounts(at, pair.normal, pair.reverse)
        wanted = [m for m in wanted if m < oldest]
    return found


def hour_ends(start: datetime, end: datetime) -> list[datetime]:
    """The whole hours h with start < h <= end, in Japan Standard Time."""
    return steps_between(start, end, timedelta(hours=1))


def steps_between(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The times t with start < t <= end that are whole multiples of `step` (of an hour or less).

    In Japan Standard Time, whose offset is whole hours, so that the steps of
    a 5-minute, 30-minute and 1-hour grid fall on the same instants in UTC.
    """
    local = start.astimezone(JST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight + step * ((local - midnight) // step) + step
    last = end.astimezone(JST)
    out = []
    while first <= last:
        out.append(first)
        first += step
    return out
