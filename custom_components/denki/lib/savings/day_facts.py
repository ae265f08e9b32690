"""A day's facts for the cards: solar self-consumption and EcoCute night boiling.

From 30-minute slots (kWh, aware starts in Japan) of three optional
counters: PV generation, export to the grid, and the water heater's
consumption. A counter counts for a day only when it has all 48 slots of
it: a day with a gap gives None for that fact, never a guess.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from .scoring import DayFacts
from .slots import JST, SLOT

NIGHT_START_HOUR = 23
NIGHT_END_HOUR = 7
"""The night-rate hours EcoCute tariffs share (23:00-07:00): boiling then is "night"."""
SLOTS_A_DAY = 48


def _day_slots(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=JST)
    return [start + n * SLOT for n in range(SLOTS_A_DAY)]


def _whole_day(series: Mapping[datetime, float] | None, day: date) -> list[float] | None:
    """The day's 48 values, or None when the counter is absent or missed a slot."""
    if series is None:
        return None
    values = [series.get(slot) for slot in _day_slots(day)]
    if any(value is None for value in values):
        return None
    return [float(value) for value in values if value is not None]


def is_night(slot: datetime) -> bool:
    """Whether a slot lies in 23:00-07:00, Japan time."""
    hour = slot.astimezone(JST).hour
    return hour >= NIGHT_START_HOUR or hour < NIGHT_END_HOUR


def day_facts(
    day: date,
    *,
    pv: Mapping[datetime, float] | None = None,
    export: Mapping[datetime, float] | None = None,
    boiling: Mapping[datetime, float] | None = None,
) -> DayFacts | None:
    """The facts of `day`, or None when no counter has the whole day.

    Self-consumption is generation less export (never below zero): what the
    home used of its own PV. It needs both counters whole for the day.
    """
    pv_day = _whole_day(pv, day)
    export_day = _whole_day(export, day)
    boiling_day = _whole_day(boiling, day)
    pv_kwh = round(sum(pv_day), 6) if pv_day is not None else None
    self_consumed = (
        round(max(0.0, sum(pv_day) - sum(export_day)), 6)
        if pv_day is not None and export_day is not None
        else None
    )
    boiling_kwh = round(sum(boiling_day), 6) if boiling_day is not None else None
    night_kwh = (
        round(
            sum(v for slot, v in zip(_day_slots(day), boiling_day, strict=True) if is_night(slot)),
            6,
        )
        if boiling_day is not None
        else None
    )
    if pv_kwh is None and boiling_kwh is None:
        return None
    return DayFacts(
        day=day,
        pv_kwh=pv_kwh,
        self_consumed_kwh=self_consumed,
        boiling_kwh=boiling_kwh,
        night_boiling_kwh=night_kwh,
    )


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
