"""Sensors of ECHONET Lite appliances, generated from the class data (see appliance_entities)."""

from datetime import date, datetime, time

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .appliance_entities import PlannedEntity, plan, state_key
from .appliances import AppliancesConfigEntry, ObjectCoordinator
from .appliances_entry import async_setup_appliance_platform
from .entity import ApplianceEntity

MAX_STATE_LENGTH = 255


def async_setup_appliance_sensors(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each read-only property of each object."""

    def _entities(coordinator: ObjectCoordinator) -> list[ApplianceSensor]:
        return [
            ApplianceSensor(coordinator, planned)
            for planned in plan(coordinator.info, coordinator.settable)
            if planned.platform is Platform.SENSOR
        ]

    async_setup_appliance_platform(hass, entry, async_add_entities, _entities)


class ApplianceSensor(ApplianceEntity, SensorEntity):
    """A property's value: a number in its unit, an enum state, or (unknown) its bytes."""

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Show property `planned.epc`."""
        super().__init__(coordinator, planned.key, (planned.epc,))
        self._epc = planned.epc
        self.name_from(planned)
        self._attr_entity_registry_enabled_default = planned.enabled
        self._attr_entity_category = planned.category
        self._attr_device_class = planned.device_class
        self._attr_native_unit_of_measurement = planned.unit
        self._attr_state_class = planned.state_class
        if planned.device_class is SensorDeviceClass.ENUM and planned.spec is not None:
            self._attr_options = planned.options

    @property
    def native_value(self) -> StateType | date | datetime:
        """The decoded value; unknown for "no data" codes; hex for what cannot be decoded."""
        edt = self.raw(self._epc)
        if edt is None:
            return None
        decoded = self.decoded(self._epc)
        if decoded is None:  # the EDT does not fit the class data: show it as it came
            return None if self.device_class else edt.hex().upper()
        if decoded.special is not None:
            return None
        if not decoded.known:
            return decoded.hex
        value = decoded.value
        if decoded.enum is not None:
            return state_key(decoded.enum.key)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | str):
            return value
        if isinstance(value, datetime | date) and self.device_class is None:
            return value.isoformat()
        if isinstance(value, time):
            return value.isoformat()
        return str(value)[:MAX_STATE_LENGTH]
