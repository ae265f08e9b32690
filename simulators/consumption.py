"""What the simulated appliances draw: watts from their own settings, summed for the meter.

Each model reads an object's property bytes (as a `SimulatedNode` holds
them, so a SetC changes the draw at once) and a time (for what depends on
the hour: daylight, night-time boiling). Positive watts are drawn from the
grid, negative ones given to it (PV generation, a discharging battery).
The weather is fixed: 31 °C outdoors, as the air conditioner reports.

Per class (0x80 0x30 is on; off draws the standby figure):

- air conditioner (0x0130): off 3 W; cooling or automatic 120 W plus 100 W
  per kelvin the setpoint (0xB3) is below the outdoor 31 °C (26 °C: 620 W);
  heating 120 W plus 100 W per kelvin above it; dehumidifying 350 W; fan
  only 40 W; other 120 W; power saving (0x8F 0x41) four fifths of that;
  at most 2 kW;
- EcoCute (0x026B): 1.2 kW while boiling, 5 W otherwise (2 W off); it boils
  on manual heating (0xB0 0x42), and on automatic (0x41) from 23:00 to 7:00
  (Japan time), never on manual stop (0x43; pychonet's ElectricWaterHeater.py
  `_026BB0`: 0x41 automatic, 0x42 manual, 0x43 stop);
- hybrid water heater (0x02A6): the same, with a 600 W heat pump;
- PV (0x0279): generates 3 kW * sin(pi (hour - 6) / 12) from 6:00 to 18:00;
- storage battery (0x027D): by its operation mode (0xDA): rapid charging
  +3 kW, charging +1.5 kW, discharging -1.5 kW, automatic +1 kW from 9:00 to
  15:00 and -1 kW from 17:00 to 23:00, anything else 0 W;
- general lighting (0x0290): 60 W * brightness (0xB0) %, 0 W off;
- ceiling fan (0x013A): 2 W plus 4 W per air flow level; air cleaner
  (0x0135): 20 W; instantaneous (gas) water heater (0x0272): 5 W.

`HomeLoad` holds a home's objects, sums their draw for the meter (and, with
`as_started`, what they draw with the settings they started with, for the
meter's history before it measured them), and keeps each object's own
measured properties to the same figures when refreshed:
the air conditioner's 0x84 and 0x85, the PV's 0xE0 and 0xE1, the battery's
0xD3, 0xA8 and 0xA9, the water heaters' 0xB2, and the distribution board's
whole-home 0xC0, 0xC1, 0xC6, 0xC7 and its air conditioner circuit (0xD1).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import math

from custom_components.denki.lib.echonet import EOJ

from .meter_history import JST, MICROSECOND, VOLTS, Load, current_edt, minute_spans

type Values = Mapping[int, bytes]
type Model = Callable[[Values, datetime], int]

OUTDOOR_C = 31
"""The outdoor temperature (°C) of the simulated home, as its air conditioner reports it."""
AIR_CONDITIONER = 0x0130
ELECTRIC_WATER_HEATER = 0x026B
HYBRID_WATER_HEATER = 0x02A6
SOLAR = 0x0279
STORAGE_BATTERY = 0x027D
GENERAL_LIGHTING = 0x0290
DISTRIBUTION_BOARD = 0x0287
_WH = 3_600_000_000
"""W·µs in a watt-hour."""
_BOARD_UNITS_WH = {0x00: 1000, 0x01: 100, 0x02: 10, 0x03: 1}
"""A distribution board's energy unit (0xC2) in Wh."""


def _on(values: Values) -> bool:
    return values.get(0x80, b"\x30") == b"\x30"


def _hour(when: datetime) -> float:
    local = when.astimezone(JST)
    return local.hour + local.minute / 60


def _byte(values: Values, epc: int, default: int) -> int:
    edt = values.get(epc, b"")
    return edt[0] if len(edt) == 1 else default


def air_conditioner_w(values: Values, when: datetime) -> int:
    """A home air conditioner: its setpoint against the outdoor air, by mode."""
    if not _on(values):
        return 3
    mode = _byte(values, 0xB0, 0x42)
    setpoint = _byte(values, 0xB3, 26)
    if not 0 <= setpoint <= 50:
        setpoint = 26  # 0xFD: no setting
    if mode in (0x41, 0x42):  # automatic (it cools, in this weather) or cooling
        watts = 120 + 100 * max(0, OUTDOOR_C - setpoint)
    elif mode == 0x43:  # heating
        watts = 120 + 100 * max(0, setpoint - OUTDOOR_C)
    elif mode == 0x44:  # dehumidifying
        watts = 350
    elif mode == 0x45:  # air circulator (fan only)
        watts = 40
    else:
        watts = 120
    if _byte(values, 0x8F, 0x42) == 0x41:  # power-saving operation
        watts = watts * 4 // 5
    return min(watts, 2000)


def boiling(values: Values, when: datetime) -> bool:
    """Whether a tank water heater boils now: manual heating, or automatic at night."""
    if not _on(values):
        return False
    setting = _byte(values, 0xB0, 0x41)
    if setting == 0x42:  # manual water heating (0x43 is manual stop)
        return True
    hour = _hour(when)
    return setting == 0x41 and (hour >= 23 or hour < 7)


def _tank_heater(boiling_w: int) -> Model:
    def model(values: Values, when: datetime) -> int:
        if boiling(values, when):
            return boiling_w
        return 5 if _on(values) else 2

    return model


def solar_generation_w(values: Values, when: datetime) -> int:
    """What a PV system generates now: a daylight curve, 3 kW at noon."""
    hour = _hour(when)
    if not _on(values) or not 6 <= hour < 18:
        return 0
    return round(3000 * math.sin(math.pi * (hour - 6) / 12))


def battery_w(values: Values, when: datetime) -> int:
    """A storage battery by its operation mode (0xDA): charging +, discharging -."""
    if not _on(values):
        return 0
    mode = _byte(values, 0xDA, 0x44)
    hour = _hour(when)
    match mode:
        case 0x41:  # rapid charging
            return 3000
        case 0x42:  # charging
            return 1500
        case 0x43:  # discharging
            return -1500
        case 0x46 if 9 <= hour < 15:  # automatic: store the midday sun
            return 1000
        case 0x46 if 17 <= hour < 23:  # automatic: cover the evening
            return -1000
    return 0


def lighting_w(values: Values, when: datetime) -> int:
    """General lighting: 60 W at full brightness (0xB0 in %)."""
    if not _on(values):
        return 0
    return round(60 * min(_byte(values, 0xB0, 100), 100) / 100)


def _ceiling_fan_w(values: Values) -> int:
    if not _on(values):
        return 0
    return 2 + 4 * max(0, _byte(values, 0xF0, 0x31) - 0x30)


MODELS: dict[int, Model] = {
    AIR_CONDITIONER: air_conditioner_w,
    ELECTRIC_WATER_HEATER: _tank_heater(1200),
    HYBRID_WATER_HEATER: _tank_heater(600),
    SOLAR: lambda values, when: -solar_generation_w(values, when),
    STORAGE_BATTERY: battery_w,
    GENERAL_LIGHTING: lighting_w,
    0x013A: lambda values, when: _ceiling_fan_w(values),
    0x0135: lambda values, when: 20 if _on(values) else 0,
    0x0272: lambda values, when: 5 if _on(values) else 1,
}
"""Watts by class code; classes not here (shutters, locks, the board) draw nothing."""


def device_w(eoj: EOJ, values: Values, when: datetime) -> int:
    """What one object draws at `when` with its settings as they are."""
    model = MODELS.get(eoj.class_id)
    return 0 if model is None else model(values, when)


def _base_zero(when: datetime) -> int:
    return 0


@dataclass
class HomeLoad:
    """A home's appliances: their draw summed, and their measured properties kept to it.

    `objects` are the objects' property tables, shared with the nodes that
    answer for them. `base` is the household load the meter sees besides
    them, for the distribution board's whole-home figures.
    """

    objects: Mapping[EOJ, dict[int, bytes]]
    clock: Callable[[], datetime]
    base: Callable[[datetime], int] = _base_zero
    _since: datetime | None = field(default=None, repr=False)
    _drawn: dict[EOJ, int] = field(default_factory=dict, repr=False)
    _given: dict[EOJ, int] = field(default_factory=dict, repr=False)
    _home: list[int] = field(default_factory=lambda: [0, 0], repr=False)
    _initial: dict[tuple[EOJ, int], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Remember the cumulative properties' values to count on from."""
        for eoj, values in self.objects.items():
            for epc in (0x85, 0xA8, 0xA9, 0xC0, 0xC1, 0xD1, 0xE1):
                if epc in values and len(values[epc]) >= 4:
                    self._initial[eoj, epc] = int.from_bytes(values[epc][:4])
        self._since = self.clock()

    def draw(self, eoj: EOJ, when: datetime | None = None) -> int:
        """What one object draws at `when` (now if None)."""
        return device_w(eoj, self.objects[eoj], when or self.clock())

    def watts(self, when: datetime) -> int:
        """What all the objects draw at `when`, with their settings as they are now."""
        return sum(device_w(eoj, values, when) for eoj, values in self.objects.items())

    def as_started(self) -> Load:
        """What the objects draw at a time with the settings they have now, whatever comes later.

        The simulated home's usual day: the meter's history before it was
        connected is the base load plus this, so the live power of a home
        nobody touches matches its history hour by hour.
        """
        kept = {eoj: dict(values) for eoj, values in self.objects.items()}
        return lambda when: sum(device_w(eoj, values, when) for eoj, values in kept.items())

    def advance(self) -> None:
        """Count each object's energy up to now, at the draw of its settings so far."""
        if self._since is None:
            return
        now = self.clock()
        for start, end in minute_spans(self._since, now):
            span = (end - start) // MICROSECOND
            for eoj, values in self.objects.items():
                energy = device_w(eoj, values, start) * span
                self._drawn[eoj] = self._drawn.get(eoj, 0) + max(energy, 0)
                self._given[eoj] = self._given.get(eoj, 0) + max(-energy, 0)
            home = (self.base(start) + self.watts(start)) * span
            self._home[0] += max(home, 0)
            self._home[1] += max(-home, 0)
            self._since = end

    def refresh(self) -> None:
        """Advance, then write every object's measured properties for now."""
        self.advance()
        now = self.clock()
        for eoj, values in self.objects.items():
            self._write(eoj, values, now)

    def _count(self, eoj: EOJ, epc: int, energy: int, wh_per_unit: int = 1) -> None:
        values = self.objects[eoj]
        if (eoj, epc) in self._initial:
            total = self._initial[eoj, epc] + energy // (_WH * wh_per_unit)
            values[epc] = (total % 1_000_000_000).to_bytes(4) + values[epc][4:]

    def _write(self, eoj: EOJ, values: dict[int, bytes], now: datetime) -> None:
        watts = device_w(eoj, values, now)
        drawn, given = self._drawn.get(eoj, 0), self._given.get(eoj, 0)
        match eoj.class_id:
            case 0x0130:
                if 0x84 in values:
                    values[0x84] = min(watts, 0xFFFD).to_bytes(2)
                self._count(eoj, 0x85, drawn)
            case 0x0279:
                if 0xE0 in values:
                    values[0xE0] = min(-watts, 0xFFFD).to_bytes(2)
                self._count(eoj, 0xE1, given)
            case 0x027D:
                if 0xD3 in values:
                    values[0xD3] = watts.to_bytes(4, signed=True)
                self._count(eoj, 0xA8, drawn)
                self._count(eoj, 0xA9, given)
            case 0x026B | 0x02A6:
                if 0xB2 in values:
                    values[0xB2] = b"\x41" if boiling(values, now) else b"\x42"
            case 0x0287:
                self._write_board(eoj, values, now)

    def _write_board(self, eoj: EOJ, values: dict[int, bytes], now: datetime) -> None:
        """The whole home (the meter's figures) and circuit 2, the air conditioner's."""
        home = self.base(now) + self.watts(now)
        if 0xC6 in values:
            values[0xC6] = home.to_bytes(4, signed=True)
        if 0xC7 in values:
            values[0xC7] = current_edt(home)
        wh_per_unit = _BOARD_UNITS_WH.get(_byte(values, 0xC2, 0x01), 100)
        self._count(eoj, 0xC0, self._home[0], wh_per_unit)
        self._count(eoj, 0xC1, self._home[1], wh_per_unit)
        conditioners = [e for e in self.objects if e.class_id == AIR_CONDITIONER]
        if conditioners and len(values.get(0xD1, b"")) == 8:
            conditioner = conditioners[0]
            amps = round(device_w(conditioner, self.objects[conditioner], now) * 10 / VOLTS)
            values[0xD1] = values[0xD1][:6] + amps.to_bytes(2, signed=True)
            self._count(eoj, 0xD1, self._drawn.get(conditioner, 0), wh_per_unit)
