"""Denki: smart meter, ECHONET Lite appliances, demand response and savings for Japanese homes.

Each kind of entry lives in its own package (`meter/`, `appliances/`,
`aggregator/`, `savings/`) and registers its handler in `kinds.py`; this
module, like the platform modules beside it, only hands each entry over.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.typing import ConfigType

from .aggregator import entry as _aggregator  # noqa: F401 - registers the aggregator's handler
from .aggregator.services import async_setup_services
from .appliances import entry as _appliances  # noqa: F401 - registers the appliances' handler
from .appliances.discovery import async_setup_discovery
from .const import DOMAIN
from .kinds import KIND_HANDLERS, handler_for, handler_key
from .meter import entry as _meter  # noqa: F401 - registers both meters' handlers
from .savings import entry as _savings  # noqa: F401 - registers the savings handler
from .savings.card import async_register_card

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up Denki: discovery of ECHONET Lite appliances, the DR actions and the savings card."""
    async_setup_discovery(hass)
    async_setup_services(hass)
    await async_register_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Set up one config entry: a meter, appliances, an aggregator or savings."""
    handler = handler_for(entry)
    await handler.async_setup(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, list(handler.platforms))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Unload a config entry and release what its kind opened."""
    handler = handler_for(entry)
    if unloaded := await hass.config_entries.async_unload_platforms(entry, list(handler.platforms)):
        await handler.async_unload(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """An entry is deleted: its kind cleans up after it (an aggregator puts appliances back)."""
    handler = KIND_HANDLERS.get(handler_key(entry))
    if handler is not None:  # an unknown kind was never set up: nothing of it to clean
        await handler.async_remove(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ConfigEntry, device: DeviceEntry
) -> bool:
    """Let the user remove an appliance that no longer answers; never one that does."""
    handler = KIND_HANDLERS.get(handler_key(entry))
    return handler is not None and handler.remove_device(hass, entry, device)
