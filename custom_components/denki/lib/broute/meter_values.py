"""Values of the low-voltage smart electric energy meter (class 0x0288), as typed readings.

Pure functions on property data (EDT bytes), from the ECHONET Lite Appendix
(Release R), section on the low-voltage smart electric energy meter class.
The details others get wrong:

- 0xD3 (coefficient) is optional: a meter without it has a coefficient of 1.
- 0xE1 (unit) has codes 0x00-0x04 (1 to 0.0001 kWh) and 0x0A-0x0D (10 to
  10 000 kWh); anything else is refused rather than guessed.
- Cumulative values roll over at 10^(0xD7) (effective digits), so a delta
  across the rollover is computed modulo that, never negative.
- 0xFFFFFFFE is "no data" in cumulative values and histories; 0x7FFFFFFE in
  instantaneous power; 0x7FFE in the R-phase current. A T-phase current of
  0x7FFE means a single-phase two-wire installation, not missing data.
- 0xE5 / 0xED / 0xEF must be set before 0xE2 / 0xEC / 0xEE are read; 0xEC
  holds at most 12 points and 0xEE at most 10, newest first.
- History timestamps come from the meter (its local time, Japan Standard
  Time), never from the host clock.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

NO_DATA_U32 = 0xFFFFFFFE
NO_DATA_POWER = 0x7FFFFFFE
_POWER_OUT_OF_RANGE = {0x7FFFFFFF, -0x80000000}
NO_DATA_CURRENT = 0x7FFE
_CURRENT_OUT_OF_RANGE = {0x7FFF, -0x8000}
HISTORY_DAYS = 100  # 0xE5 takes 0 (today) to 99
HISTORY_2_MAX_POINTS = 12
HISTORY_3_MAX_POINTS = 10

# 0xE1: unit code -> power of ten of one count, in kWh.
_UNIT_EXPONENTS = {
    0x00: 0,
    0x01: -1,
    0x02: -2,
    0x03: -3,
    0x04: -4,
    0x0A: 1,
    0x0B: 2,
    0x0C: 3,
    0x0D: 4,
}


class MeterValueError(ValueError):
    """Property data that does not fit its property's definition."""


def _length(edt: bytes, expected: int, what: str) -> None:
    if len(edt) != expected:
        raise MeterValueError(f"{what} takes {expected} bytes, not {len(edt)}")


def parse_coefficient(edt: bytes) -> int:
    """0xD3: the coefficient every cumulative value is multiplied by (1 to 999 999)."""
    _length(edt, 4, "the coefficient (0xD3)")
    value = int.from_bytes(edt)
    if not 1 <= value <= 999_999:
        raise MeterValueError(f"the coefficient (0xD3) {value} is outside 1 to 999999")
    return value


def parse_unit(edt: bytes) -> int:
    """0xE1: the power of ten of one count of cumulative energy, in kWh."""
    _length(edt, 1, "the unit (0xE1)")
    try:
        return _UNIT_EXPONENTS[edt[0]]
    except KeyError:
        raise MeterValueError(f"the unit (0xE1) code 0x{edt[0]:02X} is not defined") from None


def parse_digits(edt: bytes) -> int:
    """0xD7: the number of effective digits of cumulative values (1 to 8)."""
    _length(edt, 1, "the effective digits (0xD7)")
    if not 1 <= edt[0] <= 8:
        raise MeterValueError(f"the effective digits (0xD7) {edt[0]} are outside 1 to 8")
    return edt[0]


@dataclass(frozen=True, slots=True)
class EnergyScale:
    """How raw cumulative counts become kWh: coefficient, unit and rollover."""

    coefficient: int = 1
    unit_exponent: int = 0
    digits: int = 8

    @property
    def modulus(self) -> int:
        """The raw count at which cumulative values roll over to zero."""
        return int(10**self.digits)

    def kwh(self, raw: int) -> float | None:
        """KWh of a raw cumulative count, None for "no data"; exact to the unit."""
        if raw == NO_DATA_U32:
            return None
        if not 0 <= raw < self.modulus:
            raise MeterValueError(f"cumulative count {raw} exceeds {self.digits} digits")
        return float(Decimal(raw * self.coefficient).scaleb(self.unit_exponent))

    def delta_kwh(self, earlier: int, later: int) -> float:
        """KWh between two raw counts, across a rollover if there was one."""
        for raw in (earlier, later):
            if not 0 <= raw < self.modulus:
                raise MeterValueError(f"cumulative count {raw} exceeds {self.digits} digits")
        counts = (later - earlier) % self.modulus
        return float(Decimal(counts * self.coefficient).scaleb(self.unit_exponent))


def parse_cumulative(edt: bytes) -> int:
    """0xE0 / 0xE3: a raw cumulative count (scale it with EnergyScale.kwh)."""
    _length(edt, 4, "a cumulative value")
    return int.from_bytes(edt)


def parse_power(edt: bytes) -> int | None:
    """0xE7: instantaneous power in W (negative when exporting), None for no data."""
    _length(edt, 4, "the instantaneous power (0xE7)")
    value = int.from_bytes(edt, signed=True)
    if value == NO_DATA_POWER or value in _POWER_OUT_OF_RANGE:
        return None
    return value


@dataclass(frozen=True, slots=True)
class Current:
    """0xE8: instantaneous current per phase, in A."""

    r_phase: float | None
    t_phase: float | None
    single_phase: bool


def parse_current(edt: bytes) -> Current:
    """0xE8: R and T phase currents in units of 0.1 A."""
    _length(edt, 4, "the instantaneous current (0xE8)")
    r = int.from_bytes(edt[0:2], signed=True)
    t = int.from_bytes(edt[2:4], signed=True)
    single_phase = t == NO_DATA_CURRENT
    return Current(
        r_phase=None if r == NO_DATA_CURRENT or r in _CURRENT_OUT_OF_RANGE else r / 10,
        t_phase=None if single_phase or t in _CURRENT_OUT_OF_RANGE else t / 10,
        single_phase=single_phase,
    )


def _timestamp(edt: bytes, zone: tzinfo, *, seconds: bool) -> datetime:
    try:
        return datetime(
            int.from_bytes(edt[0:2]),
            edt[2],
            edt[3],
            edt[4],
            edt[5],
            edt[6] if seconds else 0,
            tzinfo=zone,
        )
    except ValueError as err:
        raise MeterValueError(
            f"the meter's timestamp {edt[:7].hex()} is not a date: {err}"
        ) from None


def _count(raw: int) -> int | None:
    return None if raw == NO_DATA_U32 else raw


@dataclass(frozen=True, slots=True)
class TimedCount:
    """A raw cumulative count and the meter's time it was taken at."""

    timestamp: datetime
    count: int | None


def parse_fixed_time(edt: bytes, zone: tzinfo = JST) -> TimedCount:
    """0xEA / 0xEB: the cumulative count at the last 30-minute boundary, with its time."""
    _length(edt, 11, "a fixed-time cumulative value")
    return TimedCount(_timestamp(edt, zone, seconds=True), _count(int.from_bytes(edt[7:11])))


def build_history_day(days_ago: int) -> bytes:
    """0xE5: which day 0xE2 / 0xE4 return, 0 = today (the meter's) to 99."""
    if not 0 <= days_ago < HISTORY_DAYS:
        raise MeterValueError(f"the meter keeps {HISTORY_DAYS} days, not {days_ago} days back")
    return bytes([days_ago])


def parse_history_day(edt: bytes, meter_today: date, zone: tzinfo = JST) -> list[TimedCount]:
    """0xE2 / 0xE4: 48 half-hourly counts of the day that 0xE5 chose, oldest first.

    `meter_today` is the meter's own date (0x98), so that "1 day ago" is the
    meter's yesterday even when the host's clock says otherwise.
    """
    _length(edt, 2 + 48 * 4, "a 30-minute history (0xE2/0xE4)")
    days_ago = int.from_bytes(edt[0:2])
    if days_ago >= HISTORY_DAYS:
        raise MeterValueError(f"a 30-minute history of {days_ago} days ago")
    day = meter_today - timedelta(days=days_ago)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return [
        TimedCount(
            start + timedelta(minutes=30 * i), _count(int.from_bytes(edt[2 + 4 * i : 6 + 4 * i]))
        )
        for i in range(48)
    ]


@dataclass(frozen=True, slots=True)
class TimedPair:
    """Normal- and reverse-direction raw counts at one of the meter's times."""

    timestamp: datetime
    normal: int | None
    reverse: int | None


def _build_history_request(newest: datetime, points: int, maximum: int, step: int) -> bytes:
    if not 1 <= points <= maximum:
        raise MeterValueError(f"between 1 and {maximum} points, not {points}")
    local = newest.astimezone(JST) if newest.tzinfo is not None else newest
    minute = local.minute - local.minute % step
    return local.year.to_bytes(2) + bytes([local.month, local.day, local.hour, minute, points])


def build_history_2(newest: datetime, points: int = HISTORY_2_MAX_POINTS) -> bytes:
    """0xED: the newest 30-minute point and how many (1 to 12) 0xEC returns."""
    return _build_history_request(newest, points, HISTORY_2_MAX_POINTS, 30)


def build_history_3(newest: datetime, points: int = HISTORY_3_MAX_POINTS) -> bytes:
    """0xEF: the newest 1-minute point and how many (1 to 10) 0xEE returns."""
    return _build_history_request(newest, points, HISTORY_3_MAX_POINTS, 1)


def _parse_pairs(
    edt: bytes, zone: tzinfo, maximum: int, step: timedelta, what: str
) -> list[TimedPair]:
    if len(edt) < 7:
        raise MeterValueError(f"{what} takes at least 7 bytes, not {len(edt)}")
    points = edt[6]
    if points > maximum:
        raise MeterValueError(f"{what} holds at most {maximum} points, not {points}")
    _length(edt, 7 + 8 * points, f"{what} of {points} points")
    newest = _timestamp(edt, zone, seconds=False)
    return [
        TimedPair(
            newest - step * i,
            _count(int.from_bytes(edt[7 + 8 * i : 11 + 8 * i])),
            _count(int.from_bytes(edt[11 + 8 * i : 15 + 8 * i])),
        )
        for i in range(points)
    ]


def parse_history_2(edt: bytes, zone: tzinfo = JST) -> list[TimedPair]:
    """0xEC: up to 12 half-hourly pairs of counts, newest first."""
    return _parse_pairs(
        edt, zone, HISTORY_2_MAX_POINTS, timedelta(minutes=30), "historical data 2 (0xEC)"
    )


def parse_history_3(edt: bytes, zone: tzinfo = JST) -> list[TimedPair]:
    """0xEE: up to 10 one-minute pairs of counts, newest first (next-generation meters)."""
    return _parse_pairs(
        edt, zone, HISTORY_3_MAX_POINTS, timedelta(minutes=1), "historical data 3 (0xEE)"
    )


def parse_one_minute(edt: bytes, zone: tzinfo = JST) -> TimedPair:
    """0xD0: the latest 1-minute pair of counts, with its time (next-generation meters)."""
    _length(edt, 15, "the 1-minute cumulative value (0xD0)")
    return TimedPair(
        _timestamp(edt, zone, seconds=True),
        _count(int.from_bytes(edt[7:11])),
        _count(int.from_bytes(edt[11:15])),
    )
