"""Thirty-minute metering slots in Japan Standard Time.

A smart meter in Japan reports energy per 30-minute slot (コマ). A slot is
named by its start, an aware datetime on :00 or :30. Japan has had no
daylight saving time since 1951, so wall-clock arithmetic in Asia/Tokyo is
plain arithmetic: the slot "the same time N days earlier" is the slot minus
N days.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
import math
from zoneinfo import ZoneInfo

from .errors import BaselineError

JST = ZoneInfo("Asia/Tokyo")
"""Every date in this package (event day, candidate days) is a date in Japan."""

SLOT = timedelta(minutes=30)
"""The length of one metering slot."""

type MeterSeries = Mapping[datetime, float]
"""Energy per slot, in kWh, keyed by the slot's start. Slots may be missing."""


def floor_slot(moment: datetime) -> datetime:
    """The start, in Asia/Tokyo, of the 30-minute slot that holds the aware `moment`."""
    local = moment.astimezone(JST)
    return local.replace(minute=local.minute // 30 * 30, second=0, microsecond=0)


def to_slot_start(moment: datetime, what: str = "timestamp") -> datetime:
    """Return `moment` in Asia/Tokyo, checking that it starts a slot.

    Args:
        moment: An aware datetime.
        what: What the moment is, for the error message.

    Raises:
        BaselineError: The moment is naive, or not on :00 or :30.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BaselineError(f"{what} {moment.isoformat()} has no time zone")
    local = moment.astimezone(JST)
    if local.minute % 30 or local.second or local.microsecond:
        raise BaselineError(f"{what} {moment.isoformat()} is not on a 30-minute boundary")
    return local


def slots_between(start: datetime, end: datetime) -> tuple[datetime, ...]:
    """The slot starts from `start` (included) to `end` (excluded), in order."""
    count = (end - start) // SLOT
    return tuple(start + index * SLOT for index in range(count))


def midnight(day: date) -> datetime:
    """The start of `day` in Asia/Tokyo."""
    return datetime.combine(day, time(0), tzinfo=JST)


def shift_to_day(slot: datetime, from_day: date, to_day: date) -> datetime:
    """The slot at the same offset from `to_day`'s midnight as `slot` from `from_day`'s."""
    return slot - (from_day - to_day)


def check_series(series: MeterSeries) -> None:
    """Check every slot of a meter series.

    Raises:
        BaselineError: A key is naive or misaligned, or a value is not a
            finite, non-negative number of kWh.
    """
    for start, kwh in series.items():
        to_slot_start(start, "meter slot")
        if not math.isfinite(kwh) or kwh < 0:
            raise BaselineError(
                f"meter slot {start.isoformat()} has {kwh!r} kWh; "
                "expected a finite, non-negative number"
            )
