"""The base entity of both kinds of smart meter: a device named by the meter's identity."""

from dataclasses import dataclass
from typing import Any

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator


@dataclass(frozen=True, kw_only=True)
class MeterDevice:
    """A smart meter's device: named by the meter's identity (0x83), never a dongle or an IP."""

    identity: str
    info: DeviceInfo


class MeterEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """An entity of a smart meter of either kind, polled by its coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, meter: MeterDevice, key: str) -> None:
        """Name the entity after `key`, under `meter`'s device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{meter.identity}_{key}"
        self._attr_device_info = meter.info
