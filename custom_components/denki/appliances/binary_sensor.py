"""Binary sensors: DR event active and aggregator link; appliance fault status and two-state properties."""

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PlannedApplianceEntity, async_setup_appliance_platform, planned_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator
from .plan import EPC_FAULT_STATUS, PlannedEntity, on_code

FAULT = 0x41


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one for each two-state property of each appliance."""
    async_setup_appliance_platform(
        hass,
        entry,
        async_add_entities,
        planned_entities(Platform.BINARY_SENSOR, ApplianceBinarySensor),
    )


class ApplianceBinarySensor(PlannedApplianceEntity, BinarySensorEntity):
    """A two-state property; the fault status (0x88) is a problem sensor."""

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Show property `planned.epc`."""
        super().__init__(coordinator, planned)
        if planned.epc == EPC_FAULT_STATUS:
            self._attr_device_class = BinarySensorDeviceClass.PROBLEM
            self._on = FAULT
        else:
            self._on = on_code(planned.known_spec)

    @property
    def is_on(self) -> bool | None:
        """Whether the property is in its "on" (or "fault") state."""
        edt = self.raw(self._epc)
        if edt is None or len(edt) != 1:
            return None
        return edt[0] == self._on
