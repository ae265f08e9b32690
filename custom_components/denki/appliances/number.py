"""Numbers of ECHONET Lite appliances: settable numeric and level properties."""

import contextlib

from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberMode
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..lib.echonet.classes import DataType
from .entity import PlannedApplianceEntity, async_setup_appliance_platform, planned_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator
from .plan import PlannedEntity


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number for each settable numeric property of each object."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, planned_entities(Platform.NUMBER, ApplianceNumber)
    )


class ApplianceNumber(PlannedApplianceEntity, NumberEntity):
    """A settable number within the range the class data gives, in its unit and step."""

    _attr_mode = NumberMode.BOX

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Offer property `planned.epc` within its range."""
        super().__init__(coordinator, planned)
        spec = planned.known_spec
        value = spec.value
        if value.type is DataType.LEVEL:
            self._attr_native_min_value, self._attr_native_max_value = 1, value.level_count
            self._attr_native_step = 1
            self._attr_mode = NumberMode.SLIDER
            return
        scale = float(value.scale)
        if value.minimum is not None:
            self._attr_native_min_value = value.minimum * scale
        if value.maximum is not None:
            self._attr_native_max_value = value.maximum * scale
        self._attr_native_step = scale
        self._attr_native_unit_of_measurement = planned.unit
        if planned.device_class is not None:
            with contextlib.suppress(ValueError):  # a sensor class numbers lack stays unset
                self._attr_device_class = NumberDeviceClass(planned.device_class.value)

    @property
    def native_value(self) -> float | None:
        """The value the device reports; None for its "no data" codes."""
        decoded = self.decoded(self._epc)
        if decoded is None or decoded.special is not None:
            return None
        return float(decoded.value) if isinstance(decoded.value, int | float) else None

    async def async_set_native_value(self, value: float) -> None:
        """Set the value (the library checks the range and scales it)."""
        await self.async_set_values({self._epc: int(value) if value.is_integer() else value})
