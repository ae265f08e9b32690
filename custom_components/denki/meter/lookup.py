"""What the other kinds may ask of the meter entries: their sensors and their back-fill.

The savings entry counts a meter's import (and its export), the aggregator
reports its power, and the savings entry takes the meter's own 30-minute
record for the slots it missed. They ask here, typed, instead of scanning the
registry or reaching into another entry's runtime data themselves.
"""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..const import CONF_KIND, DOMAIN, HV_METER, EntryKind
from ..kinds import handler_key
from .coordinator import MeterRuntimeData
from .hv import HvMeterRuntimeData
from .statistics import MeterBackfill


def meter_sensor(hass: HomeAssistant, key: str) -> str | None:
    """The entity id of a Denki meter's enabled sensor `key` (energy_import, power, …), if any."""
    registry = er.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get(CONF_KIND) != EntryKind.METER:
            continue
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.domain == "sensor" and entity.translation_key == key and not entity.disabled:
                return entity.entity_id
    return None


def meter_backfill(hass: HomeAssistant, entity_id: str) -> MeterBackfill | None:
    """The back-fill of the loaded Denki meter whose import sensor `entity_id` is, if it is one."""
    entity = er.async_get(hass).async_get(entity_id)
    if (
        entity is None
        or entity.platform != DOMAIN
        or entity.config_entry_id is None
        or not entity.unique_id.endswith("_energy_import")
    ):
        return None
    meter = hass.config_entries.async_get_entry(entity.config_entry_id)
    if meter is None or meter.state is not ConfigEntryState.LOADED:
        return None
    if handler_key(meter) not in (EntryKind.METER, HV_METER):
        return None
    data = meter.runtime_data
    if isinstance(data, MeterRuntimeData | HvMeterRuntimeData):
        return data.backfill
    return None
