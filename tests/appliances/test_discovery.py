"""Denki offers an appliances entry where ECHONET Lite devices answer, before anyone adds one.

The simulated LAN answers on loopback; Home Assistant's network adapters (made
up by the harness) are replaced by ones on the LAN's addresses.
"""

from collections.abc import Iterator
import logging
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.denki.appliances import discovery
from custom_components.denki.const import CONF_INTERFACE, CONF_KIND, DOMAIN

from .conftest import INTERFACE, NODES, OBJECTS, Lan, appliances_entry, until

DISABLED = "127.0.11.99"


def _adapter(name: str, address: str, *, enabled: bool) -> dict[str, Any]:
    return {
        "name": name,
        "index": 0,
        "enabled": enabled,
        "auto": enabled,
        "default": enabled,
        "ipv4": [{"address": address, "network_prefix": 24}],
        "ipv6": [],
    }


@pytest.fixture(autouse=True)
def no_appliance_discovery() -> None:
    """Discovery stays on here: it is what these tests are about."""


@pytest.fixture(autouse=True)
def adapters() -> Iterator[None]:
    """The LAN's address enabled, another one disabled."""
    with patch(
        "homeassistant.components.network.async_get_adapters",
        return_value=[
            _adapter("lan0", INTERFACE, enabled=True),
            _adapter("lan1", DISABLED, enabled=False),
        ],
    ):
        yield


def _discovered(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    ]


async def test_answering_devices_are_offered_and_added_once_confirmed(
    hass: HomeAssistant, lan: Lan
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    await until(lambda: len(_discovered(hass)) == 1)
    (flow,) = _discovered(hass)
    assert flow["step_id"] == "discovery_confirm"
    assert flow["context"]["unique_id"] == f"appliances-{INTERFACE}"
    assert flow["context"]["title_placeholders"] == {"name": f"ECHONET Lite ({INTERFACE})"}
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "appliances_found"
    assert result["description_placeholders"]["count"] == str(NODES)  # type: ignore[index]
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_INTERFACE] == INTERFACE
    assert entry.data[CONF_KIND] == "appliances"
    await hass.async_block_till_done()
    await until(lambda: len(entry.runtime_data.coordinators) == OBJECTS)
    # The address is now the entry's: discovery leaves it alone.
    assert await discovery.async_discover(hass) == []
    await hass.config_entries.async_unload(entry.entry_id)


async def test_discovery_asks_again_every_hour(hass: HomeAssistant, lan: Lan) -> None:
    asked: list[str] = []
    free = discovery._free_addresses

    async def counted(hass: HomeAssistant) -> list[str]:
        asked.append("asked")
        return await free(hass)

    with patch.object(discovery, "_free_addresses", counted):
        assert await async_setup_component(hass, DOMAIN, {})
        await until(lambda: len(_discovered(hass)) == 1)
        assert len(asked) == 1
        # The offer was ignored by closing the dialog: an hour later it is made again.
        hass.config_entries.flow.async_abort(_discovered(hass)[0]["flow_id"])
        async_fire_time_changed(hass, dt_util.utcnow() + discovery.REDISCOVER_INTERVAL)
        await until(lambda: len(_discovered(hass)) == 1)
        assert len(asked) == 2


async def test_configured_ignored_disabled_or_busy_addresses_are_not_offered(
    hass: HomeAssistant, lan: Lan, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.denki")
    # Another program holds the port: skipped, at debug level only.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((INTERFACE, lan.port))
        assert await discovery.async_discover(hass) == []
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "denki" in r.name]
    assert f"No ECHONET Lite discovery on {INTERFACE}" in caplog.text
    assert DISABLED not in caplog.text
    # Ignored by the user: never asked again.
    ignored = MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=f"appliances-{INTERFACE}", data={}
    )
    ignored.add_to_hass(hass)
    assert await discovery._free_addresses(hass) == []
    await hass.config_entries.async_remove(ignored.entry_id)
    # Free again: offered.
    assert await discovery._free_addresses(hass) == [INTERFACE]
    assert await discovery.async_discover(hass) == [INTERFACE]
    # Already an entry there (set up or not): not asked.
    appliances_entry(lan).add_to_hass(hass)
    assert await discovery._free_addresses(hass) == []


async def test_a_discovered_address_that_is_configured_meanwhile_aborts(
    hass: HomeAssistant, lan: Lan
) -> None:
    appliances_entry(lan).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_INTERFACE: INTERFACE, "nodes": 3},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
