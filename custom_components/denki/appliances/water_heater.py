"""Water heater entities of ECHONET Lite water heaters: EcoCute (0x026B), hybrid (0x02A6), instantaneous (0x0272).

EcoCute and hybrid water heaters: the operation mode is the automatic
water heating setting (0xB0): automatic (the heater boils at night on its
own schedule), manual heating (boil now) and manual stop (do not boil).
The EcoCute also has a water heating temperature setting (0xB3) and, on
some models, the tank's measured temperature (0xC1).

Instantaneous water heaters (mostly gas): on or off (0x80), the hot water
temperature setting (0xD1), and whether it is heating water right now
(0xD0) as the operation "heating" or "idle" while on.
"""

from dataclasses import dataclass
from typing import Any

from homeassistant.components.water_heater import WaterHeaterEntity
from homeassistant.components.water_heater.const import WaterHeaterEntityFeature
from homeassistant.const import ATTR_TEMPERATURE, STATE_OFF, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

ELECTRIC_WATER_HEATER = 0x026B
INSTANTANEOUS_WATER_HEATER = 0x0272
HYBRID_WATER_HEATER = 0x02A6
EPC_POWER = 0x80
ON, OFF = 0x30, 0x31
TRUE = 0x41
OPERATIONS = {0x41: "automatic", 0x42: "manual_heating", 0x43: "manual_stop"}
OPERATION_CODES = {name: code for code, name in OPERATIONS.items()}
HEATING, IDLE = "heating", "idle"


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a class keeps what the entity shows."""

    translation_key: str
    mode: int | None = None
    """The automatic water heating setting, when the class has one."""
    target: int | None = None
    current: int | None = None
    heating: int | None = None
    """Whether it heats water now: the operation while on, for classes without a mode."""
    min_temp: float = 30
    max_temp: float = 90


LAYOUTS: dict[int, Layout] = {
    ELECTRIC_WATER_HEATER: Layout("eco_cute", mode=0xB0, target=0xB3, current=0xC1),
    HYBRID_WATER_HEATER: Layout("hybrid", mode=0xB0),
    INSTANTANEOUS_WATER_HEATER: Layout(
        "instantaneous", target=0xD1, heating=0xD0, min_temp=32, max_temp=75
    ),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a water heater entity for each water heater object."""

    def _entity(coordinator: ObjectCoordinator) -> ApplianceWaterHeater:
        return ApplianceWaterHeater(coordinator, LAYOUTS[coordinator.info.eoj.class_id])

    async_setup_appliance_platform(
        hass, entry, async_add_entities, dedicated_entities(LAYOUTS, _entity)
    )


class ApplianceWaterHeater(ApplianceEntity, WaterHeaterEntity):
    """A water heater: its boiling mode or on/off, and its water temperature."""

    _attr_name = None
    _attr_temperature_unit = UnitOfTemperature.CELSIUS

    def __init__(self, coordinator: ObjectCoordinator, layout: Layout) -> None:
        """Offer what the heater lets us set."""
        epcs = [layout.mode, layout.target, layout.current, layout.heating]
        if layout.mode is None:
            epcs.append(EPC_POWER)
        super().__init__(coordinator, "water_heater", (epc for epc in epcs if epc is not None))
        self._layout = layout
        self._attr_translation_key = layout.translation_key
        self._attr_min_temp = layout.min_temp
        self._attr_max_temp = layout.max_temp
        settable = coordinator.info.set_map if coordinator.settable else frozenset()
        features = WaterHeaterEntityFeature(0)
        if layout.mode is not None:
            self._attr_operation_list = list(OPERATIONS.values())
            if layout.mode in settable:
                features |= WaterHeaterEntityFeature.OPERATION_MODE
        else:
            self._attr_operation_list = [HEATING, IDLE, STATE_OFF]
            if EPC_POWER in settable:
                features |= WaterHeaterEntityFeature.ON_OFF
        if layout.target is not None and layout.target in settable:
            features |= WaterHeaterEntityFeature.TARGET_TEMPERATURE
        self._attr_supported_features = features

    def _byte(self, epc: int | None) -> int | None:
        if epc is None:
            return None
        edt = self.raw(epc)
        return edt[0] if edt is not None and len(edt) == 1 else None

    def _celsius(self, epc: int | None) -> float | None:
        value = self._byte(epc)
        return float(value) if value is not None and value <= 100 else None

    @property
    def current_operation(self) -> str | None:
        """The boiling mode; or heating, idle or off for a heater without one."""
        if self._layout.mode is not None:
            value = self._byte(self._layout.mode)
            return None if value is None else OPERATIONS.get(value)
        power = self._byte(EPC_POWER)
        if power is None:
            return None
        if power != ON:
            return STATE_OFF
        return HEATING if self._byte(self._layout.heating) == TRUE else IDLE

    @property
    def target_temperature(self) -> float | None:
        """The water temperature setting."""
        return self._celsius(self._layout.target)

    @property
    def current_temperature(self) -> float | None:
        """The tank's water temperature, where the heater reports it."""
        return self._celsius(self._layout.current)

    async def async_set_operation_mode(self, operation_mode: str) -> None:
        """Boil automatically, now, or not at all."""
        if self._layout.mode is not None:
            code = OPERATION_CODES[operation_mode]
            await self.async_set_values({self._layout.mode: bytes((code,))})

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set the water temperature."""
        temperature = kwargs.get(ATTR_TEMPERATURE)
        if temperature is not None and self._layout.target is not None:
            await self.async_set_values({self._layout.target: bytes((round(float(temperature)),))})

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn an instantaneous water heater on."""
        await self.async_set_values({EPC_POWER: bytes((ON,))})

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn an instantaneous water heater off."""
        await self.async_set_values({EPC_POWER: bytes((OFF,))})
