"""Sensors of a low-voltage smart meter (B-route): power, current, energy, link quality, back-fill."""

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfElectricCurrent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from .coordinator import MeterConfigEntry, MeterCoordinator
from .entity import MeterDevice, MeterEntity
from .sensor import (
    ENERGY_IMPORT,
    LAST_READ,
    MeterSensor,
    MeterSensorDescription,
    energy_export,
    power,
)
from .statistics import MeterBackfill

METER_SENSORS: tuple[MeterSensorDescription[MeterCoordinator], ...] = (
    power(),
    MeterSensorDescription(
        key="current_r",
        translation_key="current_r",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        value_fn=lambda coordinator: (
            coordinator.data.current.r_phase if coordinator.data.current else None
        ),
        has_fn=lambda coordinator: coordinator.data.current is not None,
    ),
    MeterSensorDescription(
        key="current_t",
        translation_key="current_t",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        value_fn=lambda coordinator: (
            coordinator.data.current.t_phase if coordinator.data.current else None
        ),
        # A single-phase two-wire installation has no T phase (0x7FFE).
        has_fn=lambda coordinator: (
            coordinator.data.current is not None and not coordinator.data.current.single_phase
        ),
    ),
    ENERGY_IMPORT,
    energy_export(has_fn=lambda coordinator: coordinator.data.export_kwh is not None),
    LAST_READ,
)


async def async_setup_lv_meter_sensors(
    hass: HomeAssistant,
    entry: MeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the meter has, its link quality and the back-fill's progress."""
    data = entry.runtime_data
    coordinator = data.coordinator
    meter = meter_device(coordinator)
    entities: list[SensorEntity] = [
        MeterSensor(coordinator, meter, description)
        for description in METER_SENSORS
        if description.has_fn(coordinator)
    ]
    entities.append(LinkQualitySensor(coordinator, meter))
    entities.append(SignalStrengthSensor(coordinator, meter))
    entities.append(BackfillSensor(coordinator, meter, data.backfill))
    async_add_entities(entities)


def meter_device(coordinator: MeterCoordinator) -> MeterDevice:
    """The low-voltage meter behind the dongle: its identity is the meter's (0x83), never the dongle's."""
    meter_id = coordinator.link.identification
    return MeterDevice(
        identity=str(meter_id),
        info=DeviceInfo(
            identifiers={(DOMAIN, str(meter_id))},
            translation_key="smart_meter",
            model="Low-voltage smart electric energy meter (0x0288)",
            serial_number=meter_id,
        ),
    )


class LinkQualitySensor(MeterEntity[MeterCoordinator], SensorEntity):
    """The radio link quality (LQI, 0-255, higher is better) of the meter's last frame.

    Diagnostic and disabled by default, like signal strength elsewhere in Home
    Assistant. BP35A1-dialect dongles report it only when they scan, so after a
    join from the cached PAN it stays unknown until the next scan.
    """

    _attr_translation_key = "link_quality"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: MeterCoordinator, meter: MeterDevice) -> None:
        """One per meter."""
        super().__init__(coordinator, meter, "link_quality")

    @property
    def native_value(self) -> int | None:
        """The last LQI the dongle reported."""
        return self.coordinator.link.lqi


class SignalStrengthSensor(MeterEntity[MeterCoordinator], SensorEntity):
    """The meter's signal at the dongle, in dBm.

    What a J11 dongle reports (it gives no LQI), and an SK dongle's LQI
    converted as ROHM's command reference does (`MeterLink.rssi_dbm`).
    Diagnostic and disabled by default, as the link quality.
    """

    _attr_translation_key = "signal_strength"
    _attr_device_class = SensorDeviceClass.SIGNAL_STRENGTH
    _attr_native_unit_of_measurement = SIGNAL_STRENGTH_DECIBELS_MILLIWATT
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: MeterCoordinator, meter: MeterDevice) -> None:
        """One per meter."""
        super().__init__(coordinator, meter, "signal_strength")

    @property
    def native_value(self) -> float | None:
        """The last signal strength the dongle told, in dBm."""
        return self.coordinator.link.rssi_dbm


class BackfillSensor(MeterEntity[MeterCoordinator], SensorEntity):
    """Progress of filling gaps from the meter's records: 100 % when none are left."""

    _attr_translation_key = "backfill"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(
        self, coordinator: MeterCoordinator, meter: MeterDevice, backfill: MeterBackfill
    ) -> None:
        """Follow `backfill`'s status."""
        super().__init__(coordinator, meter, "backfill")
        self._backfill = backfill

    async def async_added_to_hass(self) -> None:
        """Update on every day the back-fill reads."""
        await super().async_added_to_hass()
        self.async_on_remove(self._backfill.add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """The back-fill's progress is known whether or not the meter answers now."""
        return True

    @property
    def native_value(self) -> float:
        """Percent of the days to read that are done."""
        return self._backfill.status.percent
