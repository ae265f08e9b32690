"""The calendar of an aggregator entry: its demand-response events."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .aggregator_entities import DrCalendar
from .aggregator_entry import AggregatorConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AggregatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calendar of DR events."""
    async_add_entities([DrCalendar(entry.runtime_data)])
