"""Base entities: device info, availability and unique ids from the source's own identity."""

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import MeterCoordinator


class MeterEntity(CoordinatorEntity[MeterCoordinator]):
    """An entity of the smart meter: its identity is the meter's (0x83), never the dongle's."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: MeterCoordinator, key: str) -> None:
        """Name the entity after `key`, under the meter's device."""
        super().__init__(coordinator)
        meter_id = coordinator.link.identification
        self._attr_unique_id = f"{meter_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(meter_id))},
            translation_key="smart_meter",
            model="Low-voltage smart electric energy meter (0x0288)",
            serial_number=meter_id,
        )
