"""Event entities of Denki: the savings entry's rewards (a card earned, a challenge completed)."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .savings_entities import SavingsEvent
from .savings_entry import SavingsConfigEntry

# Events come from the tracker; nothing is polled.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SavingsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the savings entry's event entity."""
    async_add_entities([SavingsEvent(entry.runtime_data)])
