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


async def test_a_savings_entry_has_nothing_to_reconfigure(hass: HomeAssistant) -> None:
    """Savings connects to nothing: its price and counters are options, not a reconfiguration."""
    assert await async_setup_component(hass, DOMAIN, {})
    entry = MockConfigEntry(domain=DOMAIN, data={"kind": "savings"}, unique_id="savings")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"
