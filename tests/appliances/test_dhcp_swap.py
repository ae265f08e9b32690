"""Two nodes swap addresses (DHCP): each identity follows its unit, and no Set goes astray.

Against the simulated home on loopback: the living-room node (air conditioner, EcoCute)
and the outside node (PV, battery, light) exchange addresses and announce their instance
lists (INF 0xD5), as a device does when it joins the network again.
"""

from homeassistant.components.climate import (
    ATTR_HVAC_MODE,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HVAC_MODE,
    HVACMode,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.lib.echonet import ESV, MULTICAST_GROUP
from simulators.echonet_node import swap_addresses

from .conftest import AIRCON, LIVING, OUTSIDE, Lan, entity_id_of, until


async def test_a_swap_is_followed_and_the_climate_drives_its_own_unit(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    hub = loaded.runtime_data
    living, outside = lan.nodes[LIVING], lan.nodes[OUTSIDE]
    aircon_node = hub.directory.by_address(LIVING)
    pv_node = hub.directory.by_address(OUTSIDE)
    assert aircon_node is not None
    assert pv_node is not None
    aircon, pv = aircon_node.identity, pv_node.identity

    await swap_addresses(living, outside, announce_to=(MULTICAST_GROUP, lan.port))
    assert living.address == OUTSIDE  # the air conditioner's node now answers at OUTSIDE

    def followed() -> bool:
        moved_aircon = hub.directory.by_address(OUTSIDE)
        moved_pv = hub.directory.by_address(LIVING)
        return (
            moved_aircon is not None
            and moved_aircon.identity == aircon
            and moved_pv is not None
            and moved_pv.identity == pv
            and hub.directory.confirmed(OUTSIDE, aircon)
        )

    await until(followed, 15)
    living.requests.clear()
    outside.requests.clear()
    climate = entity_id_of(entity_registry, "climate", "-climate")
    await hass.services.async_call(
        CLIMATE_DOMAIN,
        SERVICE_SET_HVAC_MODE,
        {ATTR_ENTITY_ID: climate, ATTR_HVAC_MODE: HVACMode.HEAT},
        blocking=True,
    )
    # The living room's climate drove the air conditioner at its new address, and nothing
    # was set on the node that now holds its old one.
    assert living.objects[AIRCON][0xB0] == b"\x43"
    assert [f for f in outside.requests if f.esv is ESV.SETC] == []


async def test_a_silent_swap_is_followed_at_the_next_discovery(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan
) -> None:
    """Nodes that moved without announcing: the entry's periodic discovery finds where."""
    hub = loaded.runtime_data
    living, outside = lan.nodes[LIVING], lan.nodes[OUTSIDE]
    aircon_node = hub.directory.by_address(LIVING)
    assert aircon_node is not None
    await swap_addresses(living, outside)
    await hub.directory.discover(window=1.0)
    moved = hub.directory.by_address(OUTSIDE)
    assert moved is not None
    assert moved.identity == aircon_node.identity
    assert hub.directory.confirmed(OUTSIDE, aircon_node.identity)
    assert hub.directory.counters.address_changes + hub.directory.counters.displaced > 0
