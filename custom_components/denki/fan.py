"""Fans of Denki: ventilation fans and air cleaners among the appliances.

Each kind of entry adds its own (see `kinds.py`); this module only hands over.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import async_setup_platform

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the entities of this platform that the entry's kind has."""
    await async_setup_platform(Platform.FAN, hass, entry, async_add_entities)
