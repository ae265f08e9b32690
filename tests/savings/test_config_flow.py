"""The savings flow and options beside a Denki meter: its counters suggested, a missing one refused."""

from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import (
    CONF_BOILING_ENTITY,
    CONF_ENERGY_ENTITY,
    CONF_EXPORT_ENTITY,
    CONF_KIND,
    CONF_YEN_PER_KWH,
    DOMAIN,
    EntryKind,
)

ENERGY_ATTRIBUTES = {
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",
}


def _meter_counters(hass: HomeAssistant, entity_registry: er.EntityRegistry) -> tuple[str, str]:
    """A Denki meter's import and export counters, registered and reading."""
    meter = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.METER})
    meter.add_to_hass(hass)
    ids = []
    for key in ("energy_import", "energy_export"):
        entity_id = entity_registry.async_get_or_create(
            "sensor", DOMAIN, f"meter_{key}", config_entry=meter, translation_key=key
        ).entity_id
        hass.states.async_set(entity_id, "100.0", ENERGY_ATTRIBUTES)
        ids.append(entity_id)
    return ids[0], ids[1]


def _suggested(result: Any) -> dict[str, Any]:
    schema = result["data_schema"].schema
    return {str(key): (key.description or {}).get("suggested_value") for key in schema}


async def test_the_meters_import_is_suggested_and_a_missing_sensor_refused(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    energy_import, _ = _meter_counters(hass, entity_registry)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "savings"}
    )
    assert result["type"] is FlowResultType.FORM
    assert _suggested(result)[CONF_ENERGY_ENTITY] == energy_import
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_ENTITY: "sensor.removed_meter", CONF_YEN_PER_KWH: 31}
    )
    assert result["errors"] == {CONF_ENERGY_ENTITY: "not_an_energy_counter"}
    assert _suggested(result)[CONF_ENERGY_ENTITY] == "sensor.removed_meter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_ENTITY: energy_import, CONF_YEN_PER_KWH: 31}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == EntryKind.SAVINGS
    assert result["data"] == {
        CONF_KIND: EntryKind.SAVINGS,
        CONF_ENERGY_ENTITY: energy_import,
        CONF_YEN_PER_KWH: 31.0,
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_the_options_suggest_the_meters_export_and_refuse_a_missing_counter(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    energy_import, energy_export = _meter_counters(hass, entity_registry)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Savings",
        unique_id=EntryKind.SAVINGS,
        data={
            CONF_KIND: EntryKind.SAVINGS,
            CONF_ENERGY_ENTITY: energy_import,
            CONF_YEN_PER_KWH: 31.0,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "savings"
    assert _suggested(result)[CONF_EXPORT_ENTITY] == energy_export
    form = {CONF_YEN_PER_KWH: 29.5, "dr_source": "all", CONF_BOILING_ENTITY: "sensor.gone"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {CONF_BOILING_ENTITY: "not_an_energy_counter"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**form, CONF_BOILING_ENTITY: energy_export}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_YEN_PER_KWH] == 29.5
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
