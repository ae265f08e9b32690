"""The config flow: a menu of the four kinds of entry."""

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.denki.const import DOMAIN


async def test_user_step_shows_menu(hass: HomeAssistant) -> None:
    """The user step offers the four kinds, in the order a home is usually set up."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["meter", "appliances", "aggregator", "savings"]


@pytest.mark.parametrize("kind", ["aggregator"])
async def test_kind_not_landed_aborts_clearly(hass: HomeAssistant, kind: str) -> None:
    """Choosing a kind that this version lacks ends in its own translated abort."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{kind}_not_available"
    assert not hass.config_entries.async_entries(DOMAIN)
