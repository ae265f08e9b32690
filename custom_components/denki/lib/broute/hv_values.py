"""Values of the high-voltage smart electric energy meters (classes 0x028A and 0x028F).

Pure functions on property data (EDT bytes), from the ECHONET Lite Appendix
(Release R) as shipped in pyhems' machine-readable definitions. The same EPC
numbers mean other things than on the low-voltage meter (0x0288), so nothing
here is looked up by EPC in `meter_values`; what is shared is the shape:

- 0xD3 (coefficient, 1 to 999 999, required here) times 0xD4 (its
  multiplying factor: 0x00 x1, 0x01 x0.1, 0x02 x0.01, 0x03 x0.001) times
  0xE6 (unit of cumulative active energy, the codes of the low-voltage
  0xE1, plus 0x0E = 100 000 kWh on 0x028F) gives kWh; cumulative values
  roll over at 10^(0xE5). Demand (kW) uses 0xC5 and 0xC4 in place of 0xE6
  and 0xE5. Both become an `EnergyScale`, whose exponent folds 0xD4 in.
- 0xE2 (cumulative active energy) and 0xC3 (the last 30-minute demand) are
  the meter's date and time (7 bytes) and one uint32 on 0x028A, two
  (normal, then reverse direction) on 0x028F; 0xFFFFFFFE is "no data".
- 0xE1 (uint8, 0 to 99) chooses the day that 0xE7 (and 0xE8, the reverse
  direction of 0x028F) returns: that day (uint16) and 48 uint32 counts, the
  same layout as the low-voltage 0xE2.
- 0x028A has no instantaneous power: its live figure is the 30-minute
  demand. 0x028F has 0xEA, instantaneous power in W (int32).
"""

from dataclasses import dataclass
from datetime import date

from . import meter_values
from .meter_values import (
    EnergyScale,
    MeterValueError,
    TimedCount,
    TimedPair,
    parse_coefficient,
    parse_digits,
    parse_fixed_time,
    parse_one_minute,
    parse_unit,
)

HIGH_VOLTAGE = 0x028A
HIGH_VOLTAGE_BIDIRECTIONAL = 0x028F
HIGH_VOLTAGE_CLASSES = frozenset({HIGH_VOLTAGE, HIGH_VOLTAGE_BIDIRECTIONAL})

EPC_DEMAND = 0xC3
EPC_DEMAND_DIGITS = 0xC4
EPC_DEMAND_UNIT = 0xC5
EPC_COEFFICIENT = 0xD3
EPC_COEFFICIENT_FACTOR = 0xD4
EPC_HISTORY_DAY = 0xE1
EPC_ENERGY = 0xE2
EPC_ENERGY_DIGITS = 0xE5
EPC_ENERGY_UNIT = 0xE6
EPC_HISTORY = 0xE7
EPC_HISTORY_REVERSE = 0xE8
EPC_POWER = 0xEA
EPC_DATE = 0x98

_CODE_100000 = 0x0E  # 0x028F only: 100 000 kWh (kW) a count


class HighVoltageValueError(MeterValueError):
    """Property data of a high-voltage meter that does not fit its definition."""


def _relabel(what: str, err: MeterValueError) -> HighVoltageValueError:
    """The shared parsers name low-voltage EPCs; say which high-voltage property it was."""
    return HighVoltageValueError(f"{what}: {err}")


def parse_coefficient_factor(edt: bytes) -> int:
    """0xD4: the power of ten (0 to -3) the coefficient 0xD3 is multiplied by."""
    if len(edt) != 1 or edt[0] > 3:
        raise HighVoltageValueError(f"the coefficient's factor (0xD4) {edt.hex()} is not 00-03")
    return -edt[0]


def parse_unit_code(edt: bytes, what: str, *, bidirectional: bool) -> int:
    """0xE6 / 0xC5: the power of ten of one count (0x0E, 10^5, only on 0x028F)."""
    if bidirectional and edt == bytes((_CODE_100000,)):
        return 5
    try:
        return parse_unit(edt)
    except MeterValueError as err:
        raise _relabel(what, err) from None


def _digits(edt: bytes, what: str) -> int:
    try:
        return parse_digits(edt)
    except MeterValueError as err:
        raise _relabel(what, err) from None


def build_scale(
    values: dict[int, bytes], unit_epc: int, digits_epc: int, *, bidirectional: bool
) -> EnergyScale:
    """The scale of cumulative energy (0xE6, 0xE5) or demand (0xC5, 0xC4) with 0xD3 and 0xD4.

    Raises:
        HighVoltageValueError: A property is missing or out of its range.
    """
    needed = (EPC_COEFFICIENT, EPC_COEFFICIENT_FACTOR, unit_epc, digits_epc)
    missing = [f"0x{epc:02X}" for epc in needed if epc not in values]
    if missing:
        raise HighVoltageValueError(f"the meter did not give {', '.join(missing)}")
    try:
        coefficient = parse_coefficient(values[EPC_COEFFICIENT])
    except MeterValueError as err:
        raise _relabel("the coefficient", err) from None
    exponent = parse_unit_code(
        values[unit_epc], f"the unit (0x{unit_epc:02X})", bidirectional=bidirectional
    ) + parse_coefficient_factor(values[EPC_COEFFICIENT_FACTOR])
    return EnergyScale(coefficient, exponent, _digits(values[digits_epc], f"0x{digits_epc:02X}"))


def _timed(edt: bytes, what: str, *, bidirectional: bool) -> TimedPair:
    """Date and time (7 bytes) and one uint32 (0x028A) or two (0x028F)."""
    expected = 15 if bidirectional else 11
    if len(edt) != expected:
        raise HighVoltageValueError(f"{what} takes {expected} bytes, not {len(edt)}")
    try:
        if bidirectional:
            return parse_one_minute(edt)
        single: TimedCount = parse_fixed_time(edt)
    except MeterValueError as err:
        raise _relabel(what, err) from None
    return TimedPair(single.timestamp, single.count, None)


def parse_energy(edt: bytes, *, bidirectional: bool) -> TimedPair:
    """0xE2: the time of measurement and the raw cumulative counts (reverse: 0x028F only)."""
    return _timed(edt, "the cumulative energy (0xE2)", bidirectional=bidirectional)


def parse_demand(edt: bytes, *, bidirectional: bool) -> TimedPair:
    """0xC3: the end of the last 30-minute period and its raw demand (reverse: 0x028F only)."""
    return _timed(edt, "the 30-minute demand (0xC3)", bidirectional=bidirectional)


@dataclass(frozen=True, slots=True)
class HighVoltageScales:
    """How the meter's raw counts become kWh and kW."""

    energy: EnergyScale
    demand: EnergyScale | None
    """None when the meter gives no demand unit (0xC5) or digits (0xC4)."""


def parse_power(edt: bytes) -> int | None:
    """0xEA (0x028F): instantaneous power in W, negative when exporting; None for no data."""
    try:
        return meter_values.parse_power(edt)
    except MeterValueError as err:
        raise _relabel("the instantaneous power (0xEA)", err) from None


def parse_history(edt: bytes, meter_today: date, what: str) -> list[TimedCount]:
    """0xE7 / 0xE8: 48 half-hourly raw counts of the day 0xE1 chose, oldest first."""
    try:
        return meter_values.parse_history_day(edt, meter_today)
    except MeterValueError as err:
        raise _relabel(what, err) from None


def parse_date(edt: bytes) -> date:
    """0x98 (super class, optional): the meter's current date, year (2 bytes), month, day."""
    try:
        if len(edt) == 4:
            return date(int.from_bytes(edt[0:2]), edt[2], edt[3])
    except ValueError:
        pass
    raise HighVoltageValueError(f"the meter's date (0x98) {edt.hex()} is not a date")
