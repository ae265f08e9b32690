"""Sensors of a high-voltage smart meter: energy, the 30-minute demand, power, last read."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .lib.broute.hv_meter import HighVoltageMeter, HighVoltageReading
from .lib.broute.hv_values import EPC_DEMAND, EPC_POWER
from .meter_hv import HvMeterConfigEntry, HvMeterCoordinator

MODELS = {
    0x028A: "High-voltage smart electric energy meter (0x028A)",
    0x028F: "Bidirectional high-voltage smart electric energy meter (0x028F)",
}


@dataclass(frozen=True, kw_only=True)
class HvMeterSensorDescription(SensorEntityDescription):
    """A sensor of the meter: how to read it and whether this meter has it."""

    value_fn: Callable[[HighVoltageReading], StateType]
    has_fn: Callable[[HighVoltageMeter], bool] = lambda _: True


HV_METER_SENSORS: tuple[HvMeterSensorDescription, ...] = (
    HvMeterSensorDescription(
        key="energy_import",
        translation_key="energy_import",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda reading: reading.import_kwh,
    ),
    HvMeterSensorDescription(
        key="energy_export",
        translation_key="energy_export",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda reading: reading.export_kwh,
        has_fn=lambda meter: meter.bidirectional,
    ),
    HvMeterSensorDescription(
        key="demand",
        translation_key="demand",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=lambda reading: reading.demand_kw,
        has_fn=lambda meter: (
            meter.offers(EPC_DEMAND)
            and meter.scales is not None
            and meter.scales.demand is not None
        ),
    ),
    HvMeterSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda reading: reading.power_w,
        has_fn=lambda meter: meter.bidirectional and meter.offers(EPC_POWER),
    ),
)


@callback
def async_setup_hv_meter_sensors(
    hass: HomeAssistant,
    entry: HvMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the meter has, and when it last answered."""
    coordinator = entry.runtime_data.coordinator
    entities: list[SensorEntity] = [
        HvMeterSensor(coordinator, description)
        for description in HV_METER_SENSORS
        if description.has_fn(coordinator.meter)
    ]
    entities.append(HvLastReadSensor(coordinator))
    async_add_entities(entities)


class HvMeterEntity(CoordinatorEntity[HvMeterCoordinator]):
    """An entity of the meter: its identity is the meter's (0x83), never its IP address."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HvMeterCoordinator, key: str) -> None:
        """Name the entity after `key`, under the meter's device."""
        super().__init__(coordinator)
        meter = coordinator.meter
        identity = meter.identification
        self._attr_unique_id = f"{identity}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identity)},
            translation_key="smart_meter",
            model=MODELS.get(meter.eoj.class_id),
            model_id=f"0x{meter.eoj.class_id:04X}",
            serial_number=meter.object.serial_number if meter.object else None,
        )


class HvMeterSensor(HvMeterEntity, SensorEntity):
    """A value of the meter's last poll."""

    entity_description: HvMeterSensorDescription

    def __init__(
        self, coordinator: HvMeterCoordinator, description: HvMeterSensorDescription
    ) -> None:
        """Describe the sensor by `description`."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """The latest reading."""
        return self.entity_description.value_fn(self.coordinator.data)


class HvLastReadSensor(HvMeterEntity, SensorEntity):
    """When the meter last answered: diagnostic."""

    _attr_translation_key = "last_read"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: HvMeterCoordinator) -> None:
        """One per meter."""
        super().__init__(coordinator, "last_read")

    @property
    def available(self) -> bool:
        """Known even while the meter does not answer: that is when it matters."""
        return self.coordinator.last_success is not None

    @property
    def native_value(self) -> datetime | None:
        """The time of the last successful read."""
        return self.coordinator.last_success
