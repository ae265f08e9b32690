"""Event entities of Denki: the aggregator's DR event changes; the savings entry's rewards.

Each kind of entry adds its own (see `kinds.py`); this module only hands over.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import async_setup_platform

# Read-only. The aggregator's and the savings' events are pushed by their hub; nothing
# polls, so Home Assistant need not limit anything here.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the entities of this platform that the entry's kind has."""
    await async_setup_platform(Platform.EVENT, hass, entry, async_add_entities)
