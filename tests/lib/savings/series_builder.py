"""Small synthetic meter series whose baselines can be worked out by hand."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta

from custom_components.denki.lib.savings import JST, SLOT

EVENT_DAY = date(2026, 8, 3)
"""A Monday with no holiday near it (the Mountain Day is on the 11th)."""
EVENT_START = datetime(2026, 8, 3, 17, 0, tzinfo=JST)
EVENT_END = datetime(2026, 8, 3, 19, 0, tzinfo=JST)
EVENT_SLOTS = tuple(EVENT_START + index * SLOT for index in range(4))
ADJUSTMENT_SLOTS = tuple(datetime(2026, 8, 3, 14, 0, tzinfo=JST) + i * SLOT for i in range(4))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a day in Japan."""
    return datetime.combine(day, time(hour, minute), tzinfo=JST)


def no_holidays(day: date) -> bool:
    """A calendar without public holidays: only Saturdays and Sundays are off."""
    return False


def weekdays_before(day: date, count: int) -> list[date]:
    """The `count` Mondays-to-Fridays before `day`, most recent first."""
    found: list[date] = []
    current = day
    while len(found) < count:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            found.append(current)
    return found


def fill_day(series: dict[datetime, float], day: date, kwh: float) -> None:
    """Every slot of the day at the same level."""
    start = at(day, 0)
    for index in range(48):
        series[start + index * SLOT] = kwh


def history(levels: Mapping[date, float]) -> dict[datetime, float]:
    """A series where each given day is flat at its level."""
    series: dict[datetime, float] = {}
    for day, kwh in levels.items():
        fill_day(series, day, kwh)
    return series


def with_event_day(
    series: dict[datetime, float],
    *,
    level: float,
    adjustment: Iterable[float] | None = None,
    event: Iterable[float] | None = None,
) -> dict[datetime, float]:
    """Add the event day: flat at `level`, with the given adjustment-window and event values."""
    fill_day(series, EVENT_DAY, level)
    series.update(zip(ADJUSTMENT_SLOTS, adjustment or (), strict=False))
    series.update(zip(EVENT_SLOTS, event or (), strict=False))
    return series
