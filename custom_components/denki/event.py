"""Event entities of Denki: DR event changes (aggregator) and rewards (savings)."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .aggregator_entities import DrEventEntity
from .const import CONF_KIND, EntryKind
from .savings_entities import SavingsEvent
from .savings_entry import SavingsConfigEntry

# Events come from the tracker and the hub; nothing is polled.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SavingsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's event entity."""
    if entry.data.get(CONF_KIND) == EntryKind.AGGREGATOR:
        async_add_entities([DrEventEntity(entry.runtime_data)])  # type: ignore[arg-type]
        return
    async_add_entities([SavingsEvent(entry.runtime_data)])
