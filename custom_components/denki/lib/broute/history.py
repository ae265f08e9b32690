"""Reading the meter's own records for a range of hours, to fill gaps in what was seen live.

The low-voltage meter keeps a count at every 30-minute boundary for at
least 45 days (0xE2 import, 0xE4 export, the day chosen with 0xE5). One day
costs two frames, whatever the number of hours wanted from it, so the reader
groups the hours by the meter's day and asks for each day once.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from .meter_values import HISTORY_DAYS, JST, TimedCount

type Progress = Callable[[int, int], None]
"""Called with (days read, days to read) after each day."""


class DayHistory(Protocol):
    """A meter that gives the half-hourly counts of one of its days: low- or high-voltage."""

    async def history_day(self, days_ago: int) -> tuple[list[TimedCount], list[TimedCount]]:
        """The 48 import and export counts of the day `days_ago` (export may be empty)."""
        ...


@dataclass(frozen=True, slots=True)
class BoundaryCounts:
    """The raw import and export counts at one boundary; None where the meter has none."""

    at: datetime
    imported: int | None
    exported: int | None


def days_for(boundaries: Iterable[datetime], meter_today: date) -> list[int]:
    """The "days ago" (0xE5 values) that hold these boundaries, oldest first.

    Boundaries older than the meter's history (100 days) are left out: the
    meter cannot give them, and asking would only cost radio time.
    """
    days = {meter_today - b.astimezone(JST).date() for b in boundaries}
    return sorted(
        (d.days for d in days if 0 <= d.days < HISTORY_DAYS),
        reverse=True,
    )


async def read_boundaries(
    meter: DayHistory,
    boundaries: Iterable[datetime],
    meter_today: date,
    progress: Progress | None = None,
) -> dict[datetime, BoundaryCounts]:
    """Counts at each wanted 30-minute boundary, read day by day from the meter.

    Boundaries the meter has no data for (too old, in its future, or a slot
    it marks "no data") are absent from the result, never zero.
    """
    wanted = {b.astimezone(JST) for b in boundaries}
    days = days_for(wanted, meter_today)
    found: dict[datetime, BoundaryCounts] = {}
    for done, days_ago in enumerate(days, start=1):
        imports, exports = await meter.history_day(days_ago)
        by_time: dict[datetime, list[TimedCount | None]] = {
            slot.timestamp: [slot, None] for slot in imports
        }
        for slot in exports:
            by_time.setdefault(slot.timestamp, [None, None])[1] = slot
        for at, (imported, exported) in by_time.items():
            if at not in wanted:
                continue
            counts = BoundaryCounts(
                at,
                imported.count if imported is not None else None,
                exported.count if exported is not None else None,
            )
            if counts.imported is not None or counts.exported is not None:
                found[at] = counts
        if progress is not None:
            progress(done, len(days))
    return found


def hour_ends(start: datetime, end: datetime) -> list[datetime]:
    """The whole hours h with start < h <= end, in Japan Standard Time."""
    first = start.astimezone(JST).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    last = end.astimezone(JST)
    out = []
    while first <= last:
        out.append(first)
        first += timedelta(hours=1)
    return out
