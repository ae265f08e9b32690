"""Which entities an ECHONET Lite object gets, decided from the class data alone.

Every property an object lists in its Get or Set map becomes one entity:
a property Home Assistant may set becomes a switch (two states, on/off),
a select (more states) or a number; a read-only one a binary sensor (fault,
or two states) or a sensor with the device class and unit its data implies.
A property or class the data does not know becomes a diagnostic sensor,
disabled by default, showing its value decoded as far as possible.
Properties a dedicated platform (climate, cover, fan, light, lock, water_heater) models are
left to it. Only properties whose role is the device's main function are
enabled by default; settings, status and specifications are there to enable.
"""

from dataclasses import dataclass, replace
import re

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    LIGHT_LUX,
    PERCENTAGE,
    EntityCategory,
    Platform,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfRatio,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)

from ..lib.echonet.classes import DataType, PropertySpec, Role, ValueSpec, class_spec, property_spec
from ..lib.echonet.nodes import ObjectInfo

# Properties that describe the object rather than measure anything: they go to the
# device registry (maker, model, serial) or are the protocol's own bookkeeping.
META_EPCS = frozenset({0x82, 0x83, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x9D, 0x9E, 0x9F, 0x97, 0x98})
EPC_OPERATION_STATUS = 0x80
EPC_FAULT_STATUS = 0x88

DEDICATED: dict[int, frozenset[int]] = {
    # Home air conditioner: climate has power, mode, target, fan, swing, humidity setpoint.
    0x0130: frozenset({0x80, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4}),
    # Ventilation fans, air cleaner: fan has power and air flow.
    0x0133: frozenset({0x80, 0xA0}),
    0x0134: frozenset({0x80, 0xA0}),
    0x0135: frozenset({0x80, 0xA0}),
    # Ceiling fan: fan has power, air flow and direction.
    0x013A: frozenset({0x80, 0xF0, 0xF1}),
    # Blinds, shutters, curtains, gates, windows, doors: cover has the open/close
    # command, the degree of opening, the slat angle and the open/closed status.
    **dict.fromkeys(range(0x0260, 0x0267), frozenset({0xE0, 0xE1, 0xE2, 0xEA})),
    # Electric water heater (EcoCute): water_heater has the mode and the temperature.
    0x026B: frozenset({0xB0, 0xB3}),
    # Electric lock: lock has the main lock.
    0x026F: frozenset({0xE0}),
    # Instantaneous water heater: water_heater has power, temperature and heating.
    0x0272: frozenset({0x80, 0xD0, 0xD1}),
    # Hybrid water heater: water_heater has the mode.
    0x02A6: frozenset({0xB0}),
    # Lighting: light has power and brightness.
    0x0290: frozenset({0x80, 0xB0}),
    0x0291: frozenset({0x80, 0xB0}),
}
"""Per class, the properties a dedicated platform shows instead of generic entities."""

_ON_OFF_KEYS = frozenset({"on", "off", "true", "false", "yes", "no", "valid", "invalid"})

_STATE_OF_CHARGE = re.compile(r"remaining_stored_electricity")
"""A percentage of what a battery holds (0xE4 of a storage battery or of an EV's
battery): the only percentages shown as a battery level."""
_STORED = re.compile(r"remaining|capacity|stored|chargeable|rated_electric_energy")
"""Energy a battery holds, can take or can give (Wh in the Appendix): stored energy."""

_UNITS: dict[str, tuple[SensorDeviceClass | None, str]] = {
    "W": (SensorDeviceClass.POWER, UnitOfPower.WATT),
    "kW": (SensorDeviceClass.POWER, UnitOfPower.KILO_WATT),
    "Wh": (SensorDeviceClass.ENERGY, UnitOfEnergy.WATT_HOUR),
    "kWh": (SensorDeviceClass.ENERGY, UnitOfEnergy.KILO_WATT_HOUR),
    "A": (SensorDeviceClass.CURRENT, UnitOfElectricCurrent.AMPERE),
    "mA": (SensorDeviceClass.CURRENT, UnitOfElectricCurrent.MILLIAMPERE),
    "V": (SensorDeviceClass.VOLTAGE, UnitOfElectricPotential.VOLT),
    "°C": (SensorDeviceClass.TEMPERATURE, UnitOfTemperature.CELSIUS),
    "Celsius": (SensorDeviceClass.TEMPERATURE, UnitOfTemperature.CELSIUS),
    "L": (SensorDeviceClass.VOLUME_STORAGE, UnitOfVolume.LITERS),
    "liter": (SensorDeviceClass.VOLUME_STORAGE, UnitOfVolume.LITERS),
    "m3": (SensorDeviceClass.VOLUME, UnitOfVolume.CUBIC_METERS),
    "m³": (SensorDeviceClass.VOLUME, UnitOfVolume.CUBIC_METERS),
    "lx": (SensorDeviceClass.ILLUMINANCE, LIGHT_LUX),
    "ppm": (SensorDeviceClass.CO2, UnitOfRatio.PARTS_PER_MILLION),
    "%": (None, PERCENTAGE),
    "%RH": (SensorDeviceClass.HUMIDITY, PERCENTAGE),
    "second": (SensorDeviceClass.DURATION, UnitOfTime.SECONDS),
    "minute": (SensorDeviceClass.DURATION, UnitOfTime.MINUTES),
    "hour": (SensorDeviceClass.DURATION, UnitOfTime.HOURS),
    "day": (SensorDeviceClass.DURATION, UnitOfTime.DAYS),
}


UNKNOWN_PROPERTY = "unknown_property"
"""The translation key of a property the class data does not know: "EPC 0xNN"."""


@dataclass(frozen=True, slots=True)
class PlannedEntity:
    """One entity of one object: its platform, property, and how Home Assistant shows it."""

    platform: Platform
    epc: int
    spec: PropertySpec | None
    enabled: bool
    category: EntityCategory | None
    device_class: SensorDeviceClass | None = None
    unit: str | None = None
    state_class: SensorStateClass | None = None
    translation_key: str = UNKNOWN_PROPERTY
    """Its name (and enum states) in Home Assistant's translations; see `translation_key`."""
    field: int | None = None
    """For one number of a property holding several (a circuit's energy and currents), its index."""
    factors: tuple[int, ...] = ()
    """Properties whose values multiply this one's (a unit, a coefficient); see UNIT_FACTORS."""

    @property
    def key(self) -> str:
        """The suffix of its unique id: the EPC (and field), stable whatever the data calls it."""
        return f"{self.epc:02x}" if self.field is None else f"{self.epc:02x}_{self.field}"

    @property
    def known_spec(self) -> PropertySpec:
        """The class data of the property (switches, selects and numbers always have it)."""
        if self.spec is None:
            raise ValueError(f"EPC 0x{self.epc:02X} has no class data")
        return self.spec

    @property
    def translation_placeholders(self) -> dict[str, str]:
        """The EPC, which the name of a property the data does not know shows."""
        return {"epc": f"0x{self.epc:02X}"}

    @property
    def options(self) -> list[str]:
        """The states of an enum property, as translation-safe keys, in the data's order."""
        return [state_key(value.key) for value in self.known_spec.value.enum]

    def raw_key(self, option: str) -> str:
        """The class data's key of the state `option` (a key from `options`)."""
        for value in self.known_spec.value.enum:
            if state_key(value.key) == option:
                return value.key
        raise ValueError(f"EPC 0x{self.epc:02X} has no state {option!r}")


def translation_key(class_id: int, epc: int) -> str:
    """The translation key of property `epc` as class `class_id` has it.

    A class's own property is keyed by class and EPC ("c0130_b0"), since the
    same EPC means different things in different classes; a property of the
    device super class, which every class shares, by EPC alone ("super_80").
    """
    spec = class_spec(class_id)
    if spec is not None and epc in spec.properties:
        return f"c{class_id:04x}_{epc:02x}"
    if property_spec(class_id, epc) is not None:
        return f"super_{epc:02x}"
    return UNKNOWN_PROPERTY


def state_key(key: str) -> str:
    """A class data enum key as Home Assistant wants state keys: lower snake case."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()
    return re.sub(r"[^a-z0-9_]+", "_", snake).strip("_")


def is_on_off(spec: PropertySpec) -> bool:
    """Whether an enum property is a two-state switch (on/off, yes/no, valid/invalid)."""
    keys = {value.key for value in spec.value.enum}
    return spec.value.type is DataType.ENUM and len(keys) == 2 and keys <= _ON_OFF_KEYS


def on_code(spec: PropertySpec) -> int:
    """The raw code of the "on" state of a two-state property."""
    for value in spec.value.enum:
        if value.key in {"on", "true", "yes", "valid"}:
            return value.raw
    return spec.value.enum[0].raw


def _sensor_kind(
    spec: PropertySpec,
) -> tuple[SensorDeviceClass | None, str | None, SensorStateClass | None]:
    return _value_kind(spec.value, spec.key, spec.role)


def _value_kind(
    value: ValueSpec, key: str, role: Role
) -> tuple[SensorDeviceClass | None, str | None, SensorStateClass | None]:
    if value.type is DataType.ENUM:
        return SensorDeviceClass.ENUM, None, None
    if value.type not in (DataType.UNSIGNED, DataType.SIGNED):
        return None, None, None
    device_class, unit = _UNITS.get(value.unit or "", (None, value.unit))
    if device_class is None and unit == PERCENTAGE and "humidity" in key:
        device_class = SensorDeviceClass.HUMIDITY
    if device_class is None and unit == PERCENTAGE and _STATE_OF_CHARGE.search(key):
        device_class = SensorDeviceClass.BATTERY
    cumulative = "cumulative" in key
    if device_class is SensorDeviceClass.ENERGY and not cumulative and _STORED.search(key):
        # What a battery holds or can take goes down as well as up: never a total.
        device_class = SensorDeviceClass.ENERGY_STORAGE
    if role is Role.SPECIFICATION or role is Role.SETTING:
        return device_class, unit, None
    if device_class is SensorDeviceClass.ENERGY:
        # A counter only grows; an energy of some period (an hour's use, an expected amount)
        # is neither a total nor a measurement Home Assistant can keep statistics of.
        return device_class, unit, SensorStateClass.TOTAL_INCREASING if cumulative else None
    if device_class is SensorDeviceClass.VOLUME and cumulative:
        return device_class, unit, SensorStateClass.TOTAL_INCREASING
    return device_class, unit, SensorStateClass.MEASUREMENT


def _enabled(spec: PropertySpec, epc: int) -> bool:
    return epc in (EPC_OPERATION_STATUS, EPC_FAULT_STATUS) or spec.role in (
        Role.PRIMARY,
        Role.INSTANTANEOUS,
    )


def _category(spec: PropertySpec, settable: bool) -> EntityCategory | None:
    if spec.role is Role.SETTING and settable:
        return EntityCategory.CONFIG
    if spec.role in (Role.STATUS, Role.SPECIFICATION) or (spec.role is Role.SETTING):
        return EntityCategory.DIAGNOSTIC
    return None


def plan_one(class_id: int, epc: int, settable: bool) -> PlannedEntity:
    """The entity of property `epc` of class `class_id` (settable if the user allows it)."""
    spec = property_spec(class_id, epc)
    if spec is None:
        return PlannedEntity(Platform.SENSOR, epc, None, False, EntityCategory.DIAGNOSTIC)
    planned = _plan_known(class_id, epc, spec, settable)
    return replace(planned, translation_key=translation_key(class_id, epc))


def _plan_known(class_id: int, epc: int, spec: PropertySpec, settable: bool) -> PlannedEntity:
    value_type = spec.value.type
    enabled = _enabled(spec, epc)
    category = _category(spec, settable)
    if settable and spec.set.allowed:
        if is_on_off(spec):
            return PlannedEntity(Platform.SWITCH, epc, spec, enabled, category)
        if value_type is DataType.ENUM:
            return PlannedEntity(Platform.SELECT, epc, spec, enabled, category)
        if value_type in (DataType.UNSIGNED, DataType.SIGNED, DataType.LEVEL):
            device_class, unit, _ = _sensor_kind(spec)
            return PlannedEntity(Platform.NUMBER, epc, spec, enabled, category, device_class, unit)
    if epc == EPC_FAULT_STATUS or (value_type is DataType.ENUM and is_on_off(spec)):
        return PlannedEntity(Platform.BINARY_SENSOR, epc, spec, enabled, category)
    known_layout = value_type in (
        DataType.UNSIGNED,
        DataType.SIGNED,
        DataType.ENUM,
        DataType.LEVEL,
        DataType.TEXT,
    )
    device_class, unit, state_class = _sensor_kind(spec)
    return PlannedEntity(
        Platform.SENSOR,
        epc,
        spec,
        enabled and known_layout,
        category if known_layout else EntityCategory.DIAGNOSTIC,
        device_class,
        unit,
        state_class,
    )


_BOARD_CHANNELS = range(0xD0, 0xF0)

UNIT_FACTORS: dict[int, dict[int, tuple[int, ...]]] = {
    # Distribution board metering: cumulative energies, the board's and each
    # circuit's, are in the unit of 0xC2 (1, 0.1, ... 10000 kWh).
    0x0287: {0xC0: (0xC2,), 0xC1: (0xC2,), **dict.fromkeys(_BOARD_CHANNELS, (0xC2,))},
    # Low-voltage smart meter on the LAN: coefficient 0xD3 (optional) times unit 0xE1.
    0x0288: {0xE0: (0xD3, 0xE1), 0xE3: (0xD3, 0xE1)},
    # Watt-hour meter: unit 0xE2.
    0x0280: {0xE0: (0xE2,)},
}
"""Per class, the numbers (EPC) whose value is only meaningful multiplied by other properties:
an enum unit by the number its code stands for, a coefficient by its value. For a property of
several numbers, the first (the energy) is the one multiplied."""


def numeric_fields(spec: PropertySpec) -> bool:
    """Whether a property is several numbers with units (a circuit: energy and currents)."""
    fields = spec.value.fields
    return (
        spec.value.type is DataType.STRUCT
        and len(fields) > 1
        and all(
            f.value.type in (DataType.UNSIGNED, DataType.SIGNED) and f.value.unit for f in fields
        )
    )


def plan_fields(
    class_id: int, epc: int, spec: PropertySpec, factors: tuple[int, ...]
) -> list[PlannedEntity]:
    """One sensor per number of a property of several, e.g. a circuit's energy and currents.

    A circuit's energy is enabled (the Energy dashboard wants it); its
    currents are there to enable.
    """
    parent = _enabled(spec, epc)
    kinds = [_value_kind(f.value, f.key, spec.role) for f in spec.value.fields]
    energy = (SensorDeviceClass.ENERGY, SensorDeviceClass.ENERGY_STORAGE)
    has_energy = any(kind[0] in energy for kind in kinds)
    base = translation_key(class_id, epc)
    planned = []
    for index, (device_class, unit, state_class) in enumerate(kinds):
        secondary = has_energy and device_class not in energy
        planned.append(
            PlannedEntity(
                Platform.SENSOR,
                epc,
                spec,
                parent and not secondary,
                _category(spec, settable=False),
                device_class,
                unit,
                state_class,
                translation_key=f"{base}_{index}",
                field=index,
                factors=factors if index == 0 else (),
            )
        )
    return planned


def factors_of(class_id: int, epc: int, readable: frozenset[int]) -> tuple[int, ...]:
    """The unit and coefficient properties `epc` is multiplied by, those the device has."""
    return tuple(f for f in UNIT_FACTORS.get(class_id, {}).get(epc, ()) if f in readable)


def plan(info: ObjectInfo, settable: bool) -> list[PlannedEntity]:
    """Every generic entity of an object, in EPC order."""
    class_id = info.eoj.class_id
    dedicated = DEDICATED.get(class_id, frozenset())
    planned: list[PlannedEntity] = []
    # A write-only property has no state to show; Get map properties only.
    for epc in sorted(info.get_map - META_EPCS - dedicated):
        can_set = settable and epc in info.set_map
        factors = factors_of(class_id, epc, info.get_map)
        spec = property_spec(class_id, epc)
        if spec is not None and not can_set and numeric_fields(spec):
            planned.extend(plan_fields(class_id, epc, spec, factors))
            continue
        one = plan_one(class_id, epc, can_set)
        planned.append(replace(one, factors=factors) if factors else one)
    return planned
