"""The config flow: a menu of the four kinds of entry."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.denki.const import DOMAIN


async def test_user_step_shows_menu(hass: HomeAssistant) -> None:
    """The user step offers the four kinds, in the order a home is usually set up."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["meter", "meter_hv", "appliances", "aggregator", "savings"]
