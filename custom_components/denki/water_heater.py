"""Water heater entities of ECHONET Lite electric water heaters (EcoCute, 0x026B).

The operation mode is the automatic water heating setting (0xB0): automatic
(the heater boils at night on its own schedule), manual heating (boil now)
and manual stop (do not boil); the temperature is the water heating
temperature setting (0xB3), and the tank's measured temperature (0xC1)
where the heater reports it.
"""

from typing import Any

from homeassistant.components.water_heater import WaterHeaterEntity
from homeassistant.components.water_heater.const import WaterHeaterEntityFeature
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .appliances import AppliancesConfigEntry, ObjectCoordinator
from .appliances_entry import async_setup_appliance_platform
from .entity import ApplianceEntity

PARALLEL_UPDATES = 0

ELECTRIC_WATER_HEATER = 0x026B
EPC_AUTOMATIC = 0xB0
EPC_HEATING = 0xB2
EPC_TARGET = 0xB3
EPC_TANK = 0xC1
OPERATIONS = {0x41: "automatic", 0x42: "manual_heating", 0x43: "manual_stop"}
OPERATION_CODES = {name: code for code, name in OPERATIONS.items()}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a water heater entity for each EcoCute."""

    def _entities(coordinator: ObjectCoordinator) -> list[EcoCuteWaterHeater]:
        if coordinator.info.eoj.class_id != ELECTRIC_WATER_HEATER:
            return []
        return [EcoCuteWaterHeater(coordinator)]

    async_setup_appliance_platform(hass, entry, async_add_entities, _entities)


class EcoCuteWaterHeater(ApplianceEntity, WaterHeaterEntity):
    """An electric water heater: boiling mode and water temperature."""

    _attr_name = None
    _attr_translation_key = "eco_cute"
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_min_temp = 30
    _attr_max_temp = 90

    def __init__(self, coordinator: ObjectCoordinator) -> None:
        """Offer what the heater lets us set."""
        super().__init__(coordinator, "water_heater", (EPC_AUTOMATIC, EPC_TARGET, EPC_TANK))
        settable = coordinator.info.set_map if coordinator.settable else frozenset()
        features = WaterHeaterEntityFeature(0)
        if EPC_AUTOMATIC in settable:
            features |= WaterHeaterEntityFeature.OPERATION_MODE
        if EPC_TARGET in settable:
            features |= WaterHeaterEntityFeature.TARGET_TEMPERATURE
        self._attr_supported_features = features
        self._attr_operation_list = list(OPERATIONS.values())

    def _byte(self, epc: int) -> int | None:
        edt = self.raw(epc)
        return edt[0] if edt is not None and len(edt) == 1 else None

    @property
    def current_operation(self) -> str | None:
        """Automatic, manual heating or manual stop."""
        value = self._byte(EPC_AUTOMATIC)
        return None if value is None else OPERATIONS.get(value)

    @property
    def target_temperature(self) -> float | None:
        """The water heating temperature setting."""
        value = self._byte(EPC_TARGET)
        return float(value) if value is not None and value <= 100 else None

    @property
    def current_temperature(self) -> float | None:
        """The tank's water temperature, where the heater reports it."""
        value = self._byte(EPC_TANK)
        return float(value) if value is not None and value <= 100 else None

    async def async_set_operation_mode(self, operation_mode: str) -> None:
        """Boil automatically, now, or not at all."""
        await self.async_set_values({EPC_AUTOMATIC: bytes((OPERATION_CODES[operation_mode],))})

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set the water heating temperature."""
        temperature = kwargs.get(ATTR_TEMPERATURE)
        if temperature is not None:
            await self.async_set_values({EPC_TARGET: bytes((round(float(temperature)),))})
