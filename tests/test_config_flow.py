"""The config flow: a menu of the four kinds of entry."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import DOMAIN


async def test_user_step_shows_menu(hass: HomeAssistant) -> None:
    """The user step offers the four kinds, in the order a home is usually set up."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["meter", "meter_hv", "appliances", "aggregator", "savings"]


async def test_a_savings_entry_scores_another_sensor_after_reconfiguring(
    hass: HomeAssistant,
) -> None:
    """The energy sensor can change (a new meter, say); a sensor that is no counter is refused."""
    assert await async_setup_component(hass, DOMAIN, {})
    counter = {"device_class": "energy", "state_class": "total_increasing"}
    hass.states.async_set("sensor.old", "10", {**counter, "unit_of_measurement": "kWh"})
    hass.states.async_set("sensor.new", "2000", {**counter, "unit_of_measurement": "Wh"})
    hass.states.async_set("sensor.power", "300", {"unit_of_measurement": "W"})
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={"kind": "savings", "energy_entity": "sensor.old", "yen_per_kwh": 31.0},
        unique_id="savings",
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_savings"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": "sensor.power"}
    )
    assert result["errors"] == {"energy_entity": "not_an_energy_counter"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": "sensor.new"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["energy_entity"] == "sensor.new"
    assert entry.data["yen_per_kwh"] == 31.0
    # The reconfiguration reloaded the entry: unload it, so its hourly timer goes with it.
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_an_unknown_kind_has_nothing_to_reconfigure(hass: HomeAssistant) -> None:
    """An entry of a kind this version does not know (a downgrade) is not reconfigured."""
    assert await async_setup_component(hass, DOMAIN, {})
    entry = MockConfigEntry(domain=DOMAIN, data={"kind": "future"}, unique_id="future")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"
