"""Denki: smart meter, ECHONET Lite appliances, demand response and savings for Japanese homes."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.typing import ConfigType

from . import (
    aggregator_entry,  # noqa: F401 - registers the aggregator kind's handler
    appliances_entry,  # noqa: F401 - registers the appliances kind's handler
    meter_entry,  # noqa: F401 - registers the meter kind's handler
    savings_entry,  # noqa: F401 - registers the savings kind's handler
)
from .card import async_register_card
from .const import CONF_KIND, DOMAIN, EntryKind
from .discovery import async_setup_discovery
from .kinds import KIND_HANDLERS, KindHandler
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Denki: discovery of ECHONET Lite appliances, and actions as entry kinds add them."""
    async_setup_discovery(hass)
    async_setup_services(hass)
    await async_register_card(hass)
    return True


def _handler(entry: ConfigEntry) -> KindHandler:
    """Return the handler of the entry's kind, or raise a translated error."""
    kind = str(entry.data.get(CONF_KIND))
    try:
        return KIND_HANDLERS[EntryKind(kind)]
    except (KeyError, ValueError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_entry_kind",
            translation_placeholders={"kind": kind},
        ) from err


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up one config entry: a meter, appliances, an aggregator or savings."""
    handler = _handler(entry)
    await handler.async_setup(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, handler.platforms)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload a config entry and release what its kind opened."""
    handler = _handler(entry)
    if unloaded := await hass.config_entries.async_unload_platforms(entry, handler.platforms):
        await handler.async_unload(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """An entry is deleted: its kind cleans up after it (an aggregator puts appliances back)."""
    try:
        handler = KIND_HANDLERS[EntryKind(str(entry.data.get(CONF_KIND)))]
    except KeyError, ValueError:
        return  # an unknown kind was never set up: nothing of it to clean
    await handler.async_remove(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ConfigEntry, device: DeviceEntry
) -> bool:
    """Let the user remove an appliance that no longer answers; never one that does."""
    if entry.data.get(CONF_KIND) != EntryKind.APPLIANCES:
        return False
    hub = entry.runtime_data
    for domain, key in device.identifiers:
        coordinator = hub.coordinators.get(key) if domain == DOMAIN else None
        if coordinator is not None and coordinator.last_update_success and coordinator.data:
            return False
        if coordinator is not None:
            hub.forget(key)
    return True
