"""Sensors of Denki: the smart meter's power, current, energy and back-fill; appliance values."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .aggregator_entities import async_setup_aggregator_sensors
from .appliance_sensor import async_setup_appliance_sensors
from .const import CONF_KIND, EntryKind
from .coordinator import MeterConfigEntry, MeterCoordinator
from .entity import MeterEntity
from .lib.broute.link import LiveReading
from .meter_hv import is_high_voltage
from .meter_hv_sensor import async_setup_hv_meter_sensors
from .meter_statistics import MeterBackfill
from .savings_entities import async_setup_savings_sensors

# The coordinator does the polling; entities only read what it holds.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A sensor of the meter: how to read it and whether this meter has it."""

    value_fn: Callable[[LiveReading], StateType]
    has_fn: Callable[[LiveReading], bool] = lambda _: True


METER_SENSORS: tuple[MeterSensorDescription, ...] = (
    MeterSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda reading: reading.power_w,
    ),
    MeterSensorDescription(
        key="current_r",
        translation_key="current_r",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        value_fn=lambda reading: reading.current.r_phase if reading.current else None,
        has_fn=lambda reading: reading.current is not None,
    ),
    MeterSensorDescription(
        key="current_t",
        translation_key="current_t",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        value_fn=lambda reading: reading.current.t_phase if reading.current else None,
        # A single-phase two-wire installation has no T phase (0x7FFE).
        has_fn=lambda reading: reading.current is not None and not reading.current.single_phase,
    ),
    MeterSensorDescription(
        key="energy_import",
        translation_key="energy_import",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda reading: reading.import_kwh,
    ),
    MeterSensorDescription(
        key="energy_export",
        translation_key="energy_export",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda reading: reading.export_kwh,
        has_fn=lambda reading: reading.export_kwh is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: MeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a meter, an appliances, an aggregator or a savings entry."""
    if entry.data.get(CONF_KIND) == EntryKind.APPLIANCES:
        async_setup_appliance_sensors(hass, entry, async_add_entities)  # type: ignore[arg-type]
        return
    if entry.data.get(CONF_KIND) == EntryKind.SAVINGS:
        async_setup_savings_sensors(hass, entry, async_add_entities)  # type: ignore[arg-type]
        return
    if entry.data.get(CONF_KIND) == EntryKind.AGGREGATOR:
        async_setup_aggregator_sensors(hass, entry, async_add_entities)  # type: ignore[arg-type]
        return
    if is_high_voltage(entry):
        async_setup_hv_meter_sensors(hass, entry, async_add_entities)  # type: ignore[arg-type]
        return
    data = entry.runtime_data
    coordinator = data.coordinator
    entities: list[SensorEntity] = [
        MeterSensor(coordinator, description)
        for description in METER_SENSORS
        if description.has_fn(coordinator.data)
    ]
    entities.append(LastReadSensor(coordinator))
    entities.append(LinkQualitySensor(coordinator))
    entities.append(BackfillSensor(coordinator, data.backfill))
    async_add_entities(entities)


class MeterSensor(MeterEntity, SensorEntity):
    """A live value of the meter."""

    entity_description: MeterSensorDescription

    def __init__(self, coordinator: MeterCoordinator, description: MeterSensorDescription) -> None:
        """Describe the sensor by `description`."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """The latest reading."""
        return self.entity_description.value_fn(self.coordinator.data)


class LastReadSensor(MeterEntity, SensorEntity):
    """When the meter last answered: diagnostic."""

    _attr_translation_key = "last_read"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: MeterCoordinator) -> None:
        """One per meter."""
        super().__init__(coordinator, "last_read")

    @property
    def available(self) -> bool:
        """Known even while the meter does not answer: that is when it matters."""
        return self.coordinator.link.last_success is not None

    @property
    def native_value(self) -> datetime | None:
        """The time of the last successful read."""
        return self.coordinator.link.last_success


class LinkQualitySensor(MeterEntity, SensorEntity):
    """The radio link quality (LQI, 0-255, higher is better) of the meter's last frame.

    Diagnostic and disabled by default, like signal strength elsewhere in Home
    Assistant. BP35A1-dialect dongles report it only when they scan, so after a
    join from the cached PAN it stays unknown until the next scan.
    """

    _attr_translation_key = "link_quality"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: MeterCoordinator) -> None:
        """One per meter."""
        super().__init__(coordinator, "link_quality")

    @property
    def native_value(self) -> int | None:
        """The last LQI the dongle reported."""
        return self.coordinator.link.lqi


class BackfillSensor(MeterEntity, SensorEntity):
    """Progress of filling gaps from the meter's records: 100 % when none are left."""

    _attr_translation_key = "backfill"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: MeterCoordinator, backfill: MeterBackfill) -> None:
        """Follow `backfill`'s status."""
        super().__init__(coordinator, "backfill")
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
