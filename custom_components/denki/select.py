"""Selects of Denki: settable properties of the appliances with a list of values.

Each kind of entry adds its own (see `kinds.py`); this module only hands over.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .kinds import async_setup_platform

# Commands: only the appliances have entities here. Each goes through its device object's
# coordinator (ObjectCoordinator.async_set) to the entry's EchonetClient, which sends one
# request at a time to each node (a lock per host, tests/lib/echonet/test_client.py::
# test_one_request_at_a_time_per_node): an appliance never gets two at once, while
# different appliances may be told at the same time (a demand response changes several).
# States come from the coordinators, never from a per-entity update. A limit here would
# only queue one appliance's command behind another's, so there is none.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Add the entities of this platform that the entry's kind has."""
    await async_setup_platform(Platform.SELECT, hass, entry, async_add_entities)
