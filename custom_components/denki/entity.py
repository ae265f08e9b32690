"""The base entity of the entries without hardware (aggregator, savings): one service device each."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN


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
