"""Sensors both kinds of smart meter have: energy imported and exported, power, the last read.

A low-voltage meter on the B-route (`coordinator.MeterCoordinator`) and a
high-voltage one on the LAN (`meter_hv.HvMeterCoordinator`) are polled by
coordinators of their own. Their sensors are one class, `MeterSensor`, told
apart by descriptions whose functions read the coordinator; those the two
kinds share are here, typed by `MeterSource`: what they read of either. Where
the kinds tell differently whether a meter has a sensor, the description is
made by a function that takes the kind's `has_fn`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .entity import MeterDevice, MeterEntity


class MeterReading(Protocol):
    """What a reading of either meter holds for the shared sensors; None where it has none."""

    @property
    def import_kwh(self) -> float | None:
        """Energy bought from the grid, in kWh."""

    @property
    def export_kwh(self) -> float | None:
        """Energy sold to the grid, in kWh."""

    @property
    def power_w(self) -> int | None:
        """Instantaneous power, in W."""


class MeterSource[ReadingT](Protocol):
    """What the shared sensors read from a meter's coordinator."""

    @property
    def data(self) -> ReadingT:
        """The last reading."""

    @property
    def last_success(self) -> datetime | None:
        """When the meter last answered, if it has."""


# Contravariant, so that a description reading any MeterSource describes a sensor
# of every coordinator that is one. Type parameters (PEP 695) cannot say so, and
# mypy infers an entity description's to be invariant.
CoordinatorT_contra = TypeVar("CoordinatorT_contra", contravariant=True)


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription, Generic[CoordinatorT_contra]):  # noqa: UP046 - contravariant
    """A sensor of a meter: how to read it, whether this meter has it, when it is known."""

    value_fn: Callable[[CoordinatorT_contra], StateType | datetime]
    has_fn: Callable[[CoordinatorT_contra], bool] = lambda _: True
    # None: available while the coordinator's polls succeed.
    available_fn: Callable[[CoordinatorT_contra], bool] | None = None


ENERGY_IMPORT: MeterSensorDescription[MeterSource[MeterReading]] = MeterSensorDescription(
    key="energy_import",
    translation_key="energy_import",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
    value_fn=lambda coordinator: coordinator.data.import_kwh,
)


def energy_export[CoordinatorT: MeterSource[MeterReading]](
    has_fn: Callable[[CoordinatorT], bool],
) -> MeterSensorDescription[CoordinatorT]:
    """Energy exported, for the meters `has_fn` says measure it (each kind knows it its way)."""
    return MeterSensorDescription(
        key="energy_export",
        translation_key="energy_export",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda coordinator: coordinator.data.export_kwh,
        has_fn=has_fn,
    )


def power[CoordinatorT: MeterSource[MeterReading]](
    has_fn: Callable[[CoordinatorT], bool] = lambda _: True,
) -> MeterSensorDescription[CoordinatorT]:
    """Instantaneous power, for the meters `has_fn` says measure it (every one, unless told)."""
    return MeterSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=lambda coordinator: coordinator.data.power_w,
        has_fn=has_fn,
    )


LAST_READ: MeterSensorDescription[MeterSource[object]] = MeterSensorDescription(
    key="last_read",
    translation_key="last_read",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda coordinator: coordinator.last_success,
    # Known even while the meter does not answer: that is when it matters.
    available_fn=lambda coordinator: coordinator.last_success is not None,
)


class MeterSensor[CoordinatorT: DataUpdateCoordinator[Any]](
    MeterEntity[CoordinatorT], SensorEntity
):
    """A sensor of a meter, read from its coordinator as `description` says."""

    entity_description: MeterSensorDescription[CoordinatorT]

    def __init__(
        self,
        coordinator: CoordinatorT,
        meter: MeterDevice,
        description: MeterSensorDescription[CoordinatorT],
    ) -> None:
        """Describe the sensor by `description`, under `meter`'s device."""
        super().__init__(coordinator, meter, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """As the description says; otherwise while the coordinator's polls succeed."""
        if self.entity_description.available_fn is None:
            return super().available
        return self.entity_description.available_fn(self.coordinator)

    @property
    def native_value(self) -> StateType | datetime:
        """The latest value."""
        return self.entity_description.value_fn(self.coordinator)
