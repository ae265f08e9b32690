"""Base entities: device info, availability and unique ids from the source's own identity (or the entry's)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .appliance_entities import PlannedEntity
from .appliances import ObjectCoordinator, class_name
from .const import DOMAIN
from .lib.echonet.classes import DecodedValue, PropertyValueError, decode_value, encode_value
from .lib.echonet.manufacturers import manufacturer_name


class ServiceEntity(Entity):
    """An entity of an entry without hardware (aggregator, savings): one service device per entry."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: ConfigEntry, key: str, device: str) -> None:
        """Name the entity after `key`, under the entry's device named by translation key `device`."""
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            translation_key=device,
            entry_type=DeviceEntryType.SERVICE,
        )


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


class ApplianceEntity(CoordinatorEntity[ObjectCoordinator]):
    """An entity of one ECHONET Lite object: a device per object, named by identity, not IP.

    The entity tells its coordinator which properties it shows when it is
    added (enabled), so that disabled entities cost no traffic.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: ObjectCoordinator, key: str, epcs: Iterable[int]) -> None:
        """Identify the entity by its object's key and `key`; poll `epcs` while it is enabled."""
        super().__init__(coordinator)
        self._epcs = tuple(epcs)
        info = coordinator.info
        node = coordinator.node
        language = coordinator.hass.config.language
        self._language = language
        self._attr_unique_id = f"{coordinator.key}-{key}"
        maker = info.manufacturer if info.manufacturer is not None else node.manufacturer
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.key)},
            name=class_name(info.eoj.class_id, language),
            manufacturer=manufacturer_name(maker, language)
            or (f"0x{maker:06X}" if maker is not None else None),
            model=info.product_code or class_name(info.eoj.class_id, "en"),
            model_id=f"0x{info.eoj.class_id:04X}",
            serial_number=info.serial_number,
            sw_version=f"Release {info.release}" if info.release else None,
        )

    def name_from(self, planned: PlannedEntity) -> None:
        """Name a generated entity from Home Assistant's translations of the class data."""
        self._attr_translation_key = planned.translation_key
        self._attr_translation_placeholders = planned.translation_placeholders

    async def async_added_to_hass(self) -> None:
        """Start polling this entity's properties."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.want(self._epcs))

    def raw(self, epc: int) -> bytes | None:
        """The last EDT of `epc`, if read."""
        data = self.coordinator.data
        return None if data is None else data.get(epc)

    def decoded(self, epc: int) -> DecodedValue | None:
        """The last value of `epc`, decoded; None if unread or not decodable."""
        edt = self.raw(epc)
        if edt is None:
            return None
        try:
            return decode_value(self.coordinator.info.eoj.class_id, epc, edt)
        except PropertyValueError:
            return None

    async def async_set_values(self, values: dict[int, object]) -> None:
        """Encode and set property values (raising translated errors)."""
        class_id = self.coordinator.info.eoj.class_id
        try:
            encoded = {epc: encode_value(class_id, epc, value) for epc, value in values.items()}
        except PropertyValueError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_value",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.coordinator.async_set(encoded)
