"""Sensors of a high-voltage smart meter: energy, the 30-minute demand, power, last read."""

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..lib.broute.hv_values import EPC_DEMAND, EPC_POWER
from .entity import MeterDevice
from .hv import HvMeterConfigEntry, HvMeterCoordinator
from .sensor import (
    ENERGY_IMPORT,
    LAST_READ,
    MeterSensor,
    MeterSensorDescription,
    energy_export,
    power,
)

MODELS = {
    0x028A: "High-voltage smart electric energy meter (0x028A)",
    0x028F: "Bidirectional high-voltage smart electric energy meter (0x028F)",
}


HV_METER_SENSORS: tuple[MeterSensorDescription[HvMeterCoordinator], ...] = (
    ENERGY_IMPORT,
    energy_export(has_fn=lambda coordinator: coordinator.meter.bidirectional),
    MeterSensorDescription(
        key="demand",
        translation_key="demand",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=3,
        value_fn=lambda coordinator: coordinator.data.demand_kw,
        has_fn=lambda coordinator: (
            coordinator.meter.offers(EPC_DEMAND)
            and coordinator.meter.scales is not None
            and coordinator.meter.scales.demand is not None
        ),
    ),
    power(
        has_fn=lambda coordinator: (
            coordinator.meter.bidirectional and coordinator.meter.offers(EPC_POWER)
        )
    ),
    LAST_READ,
)


async def async_setup_hv_meter_sensors(
    hass: HomeAssistant,
    entry: HvMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the meter has, and when it last answered."""
    coordinator = entry.runtime_data.coordinator
    meter = hv_meter_device(coordinator)
    async_add_entities(
        MeterSensor(coordinator, meter, description)
        for description in HV_METER_SENSORS
        if description.has_fn(coordinator)
    )


def hv_meter_device(coordinator: HvMeterCoordinator) -> MeterDevice:
    """The meter's device: its identity is the meter's (0x83), never its IP address."""
    meter = coordinator.meter
    identity = meter.identification
    return MeterDevice(
        identity=identity,
        info=DeviceInfo(
            identifiers={(DOMAIN, identity)},
            translation_key="smart_meter",
            model=MODELS.get(meter.eoj.class_id),
            model_id=f"0x{meter.eoj.class_id:04X}",
            serial_number=meter.object.serial_number if meter.object else None,
        ),
    )
