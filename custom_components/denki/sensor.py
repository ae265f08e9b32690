"""Sensors of Denki: the meters' power and energy, appliance values, the aggregator's signals, savings.

Each kind of entry adds its own (see `kinds.py`); this module only hands over.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import async_setup_platform

# Read-only. The meters' and appliances' sensors take their values from a coordinator
# (one poll per meter or device object), the aggregator's and the savings' are pushed by
# their hub; none polls or updates itself, so Home Assistant need not limit anything here.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the entities of this platform that the entry's kind has."""
    await async_setup_platform(Platform.SENSOR, hass, entry, async_add_entities)
