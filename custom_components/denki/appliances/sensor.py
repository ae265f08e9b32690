"""Sensors of ECHONET Lite appliances, generated from the class data (see plan.py)."""

from datetime import date, datetime, time
from decimal import Decimal

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .entity import PlannedApplianceEntity, async_setup_appliance_platform, planned_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator
from .plan import PlannedEntity, state_key

MAX_STATE_LENGTH = 255


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each read-only property of each object."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, planned_entities(Platform.SENSOR, ApplianceSensor)
    )


class ApplianceSensor(PlannedApplianceEntity, SensorEntity):
    """A property's value: a number in its unit, an enum state, or (unknown) its bytes."""

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Show property `planned.epc` (one number of it, if `planned.field`)."""
        super().__init__(coordinator, planned, (planned.epc, *planned.factors))
        self._planned = planned
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
            return self._as_bytes(edt.hex().upper())
        if decoded.special is not None:
            return None
        if not decoded.known:
            return self._as_bytes(decoded.hex)
        value: object = decoded.value
        if self._planned.field is not None:
            value = self._field(value)
        if self._planned.factors:
            return self._scaled(value)
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

    def _as_bytes(self, text: str) -> str | None:
        """Bytes shown as hex, only where a text state is allowed, and never past 255 characters.

        A sensor with a device class, a unit or a state class is a number to Home
        Assistant: hex there would be refused (or read as the wrong number), so it
        is unknown until the device sends something that decodes.
        """
        if self.device_class or self.native_unit_of_measurement or self.state_class:
            return None
        return text[:MAX_STATE_LENGTH]

    def _field(self, value: object) -> object:
        """The number at the planned field of a decoded struct (None where it has none)."""
        fields = self._planned.known_spec.value.fields
        if not isinstance(value, dict) or len(value) != len(fields):
            return None
        return list(value.values())[self._planned.field or 0]

    def _scaled(self, value: object) -> float | None:
        """`value` times its unit and coefficient properties; unknown until they are read."""
        if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
            return None
        result = Decimal(str(value))
        for epc in self._planned.factors:
            factor = self.decoded(epc)
            if factor is None or factor.special is not None:
                return None
            if factor.enum is not None:
                if factor.enum.number is None:
                    return None
                result *= factor.enum.number
            elif isinstance(factor.value, int | float | Decimal):
                result *= Decimal(str(factor.value))
            else:
                return None
        return float(result)
