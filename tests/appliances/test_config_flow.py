"""Adding ECHONET Lite appliances: interface, hosts, discovery, errors, reconfigure, options."""

import socket

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import (
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_NODE_ID,
    CONF_NODES,
    CONF_POLL_SECONDS,
    CONF_PORT,
    CONF_SETTABLE_CLASSES,
    DOMAIN,
)

from .conftest import INTERFACE, LIVING, NODES, OBJECTS, OUTSIDE, Lan, appliances_entry, until

TAKEN = "127.0.11.5"
"""An address of this host where another appliances entry is."""
FREE = "127.0.11.6"
"""An address of this host where no entry is."""


async def _form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "appliances"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "appliances"
    return str(result["flow_id"])


async def test_discovery_lists_the_nodes_and_creates_the_entry(
    hass: HomeAssistant, lan: Lan
) -> None:
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: "127.0.11.30, 127.0.11.30"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "appliances_found"
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["count"] == str(NODES)
    assert f"{LIVING}: Home air conditioner" in placeholders["nodes"]
    assert OUTSIDE in placeholders["nodes"]
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_KIND] == "appliances"
    assert data[CONF_INTERFACE] == INTERFACE
    assert data[CONF_HOSTS] == ["127.0.11.30"]
    assert data[CONF_PORT] == lan.port
    assert len(bytes.fromhex(data[CONF_NODE_ID])) == 13
    assert result["result"].unique_id == f"appliances-{INTERFACE}"
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED, entry.reason
    await until(lambda: len(entry.runtime_data.coordinators) == OBJECTS)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_errors_then_success(hass: HomeAssistant, lan: Lan) -> None:
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: "eth0", CONF_HOSTS: ""}
    )
    assert result["errors"] == {CONF_INTERFACE: "invalid_interface"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: "192.168.1.300"}
    )
    assert result["errors"] == {CONF_HOSTS: "invalid_host"}
    # Another program holds the port on this address.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((INTERFACE, lan.port))
        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: ""}
        )
    assert result["errors"] == {CONF_INTERFACE: "cannot_bind"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: ""}
    )
    assert result["step_id"] == "appliances_found"


async def test_one_entry_per_interface(hass: HomeAssistant, lan: Lan) -> None:
    appliances_entry(lan).add_to_hass(hass)
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_changes_the_hosts(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    result = await loaded.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_appliances"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_INTERFACE: INTERFACE, CONF_HOSTS: "127.0.11.40 127.0.11.41"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded.data[CONF_HOSTS] == ["127.0.11.40", "127.0.11.41"]
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED


async def test_options_set_the_poll_interval_and_the_classes_to_control(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_POLL_SECONDS: 120, CONF_SETTABLE_CLASSES: ["0130", "026f"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded.options == {CONF_POLL_SECONDS: 120, CONF_SETTABLE_CLASSES: ["0130", "026f"]}
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    await until(lambda: len(loaded.runtime_data.coordinators) == OBJECTS)
    coordinator = next(iter(loaded.runtime_data.coordinators.values()))
    assert coordinator.config_entry.options[CONF_POLL_SECONDS] == 120


async def test_a_discovered_network_is_confirmed_and_a_busy_port_said_so_until_free(
    hass: HomeAssistant, lan: Lan
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_INTERFACE: INTERFACE, CONF_NODES: NODES},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {"interface": INTERFACE, "count": str(NODES)}
    flow_id = result["flow_id"]
    # Another program took the port between the offer and the confirmation.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((INTERFACE, lan.port))
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "appliances"
    assert result["errors"] == {CONF_INTERFACE: "cannot_bind"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: ""}
    )
    assert result["step_id"] == "appliances_found"
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == f"appliances-{INTERFACE}"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)


async def test_nothing_found_is_said_and_the_entry_still_made(
    hass: HomeAssistant, lan: Lan
) -> None:
    """No node answers on this address (yet): the list says so; nodes found later are added."""
    lan.close()
    flow_id = await _form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: INTERFACE, CONF_HOSTS: ""}
    )
    assert result["step_id"] == "appliances_found"
    assert result["description_placeholders"] == {"count": "0", "nodes": "-"}
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_reconfigure_errors_another_entrys_interface_then_a_free_one(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan
) -> None:
    appliances_entry(lan, interface=TAKEN).add_to_hass(hass)
    result = await loaded.start_reconfigure_flow(hass)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: "eth0", CONF_HOSTS: ""}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_INTERFACE: "invalid_interface"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_INTERFACE: TAKEN, CONF_HOSTS: ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_INTERFACE: FREE, CONF_HOSTS: ""}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded.unique_id == f"appliances-{FREE}"
    assert loaded.data[CONF_INTERFACE] == FREE
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
