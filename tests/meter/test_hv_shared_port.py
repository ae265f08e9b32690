"""A high-voltage meter entry and an appliances entry on one interface share its UDP port.

Real sockets on loopback: the simulated meter on METER, Home Assistant on
INTERFACE, both on the test's port. The appliances entry is told the meter's
address (the simulated meter, like many, does not answer multicast), so its
discovery finds the meter exactly as it would on a real LAN.
"""

import socket
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki import lan
from custom_components.denki.appliances import hub as appliances
from custom_components.denki.const import (
    CONF_HOST,
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_PORT,
    DOMAIN,
    EntryKind,
)
from custom_components.denki.lib.echonet import RetryPolicy
from simulators.hv_meter import SimulatedHighVoltageMeter
from tests.appliances.conftest import Lan, appliances_entry, until
from tests.meter.hv_fixtures import IDENTITY, INTERFACE, METER, hv_entry, submit_hv_meter

pytest_plugins = ["tests.meter.hv_plugin"]

METER_OBJECT = f"{IDENTITY}-028a01"
"""The key (and device identifier) an appliances entry gives the meter's object."""


@pytest.fixture(autouse=True)
def timing(hv_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery collects answers for 0.3 s instead of 3 s.

    Two entries' requests share the client here, and a loaded machine (parallel
    workers) can hold the loop for a second: 1 + 2 + 4 s, not hv_plugin's 0.3 + 0.6 s.
    """
    monkeypatch.setattr(appliances, "DISCOVERY_WINDOW", 0.3)
    monkeypatch.setattr(lan, "RETRY", RetryPolicy(timeout=1.0, max_timeout=4.0))


def _appliances(port: int) -> MockConfigEntry:
    """An appliances entry on the meter's interface, told the meter's address."""
    return appliances_entry(Lan(port), interface=INTERFACE, hosts=[METER])


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _meter_found(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait until the appliances entry's discovery has probed the meter's node."""
    await until(lambda: IDENTITY in entry.runtime_data.directory.nodes, 20)
    await hass.async_block_till_done()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((INTERFACE, port))
        except OSError:
            return False
    return True


async def test_both_entries_load_on_one_interface_and_the_last_closes_the_port(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """Before the shared port the second entry to start was 'not ready' (port in use)."""
    meter = hv_entry(hv_port)
    await _set_up(hass, meter)
    things = _appliances(hv_port)
    await _set_up(hass, things)
    assert lan.users(hass, INTERFACE, hv_port) == 2
    assert things.runtime_data.client is meter.runtime_data.client
    # The appliances entry keeps its own identity on the LAN, whoever opened the port.
    assert things.runtime_data.client.node.unique_id.hex() == "00112233445566778899aabbcc"
    await _meter_found(hass, things)

    # The meter is read through the shared client, with the appliances entry loaded.
    coordinator = meter.runtime_data.coordinator
    coordinator.last_success = None
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.last_success is not None

    # Either can go first; the other keeps working on the port.
    assert await hass.config_entries.async_unload(meter.entry_id)
    assert lan.users(hass, INTERFACE, hv_port) == 1
    assert not _port_is_free(hv_port)
    found = await appliances.async_discover(hass, INTERFACE, [METER], window=0.3)
    assert [node.identity for node in found] == [IDENTITY]

    assert await hass.config_entries.async_unload(things.entry_id)
    await hass.async_block_till_done()
    assert lan.users(hass, INTERFACE, hv_port) == 0
    assert _port_is_free(hv_port)


async def test_a_meter_with_its_own_entry_is_no_generic_appliance(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    await _set_up(hass, hv_entry(hv_port))
    things = _appliances(hv_port)
    await _set_up(hass, things)
    await _meter_found(hass, things)
    assert METER_OBJECT not in things.runtime_data.coordinators
    devices = dr.async_get(hass)
    assert not devices.async_get_devices(identifiers={(DOMAIN, METER_OBJECT)})
    assert devices.async_get_devices(identifiers={(DOMAIN, IDENTITY)})


async def test_adding_the_meter_removes_the_generic_device_it_was(
    hass: HomeAssistant,
    hv_meter: SimulatedHighVoltageMeter,
    hv_port: int,
    entity_registry: er.EntityRegistry,
) -> None:
    """Appliances first: the meter is a generic 0x028A device until it gets its own entry."""
    things = _appliances(hv_port)
    await _set_up(hass, things)
    await _meter_found(hass, things)
    devices = dr.async_get(hass)
    [generic] = devices.async_get_devices(identifiers={(DOMAIN, METER_OBJECT)})
    assert er.async_entries_for_device(entity_registry, generic.id)

    # Added through the flow, on the interface the appliances entry holds.
    result = await submit_hv_meter(hass, METER)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED

    assert METER_OBJECT not in things.runtime_data.coordinators
    assert not devices.async_get_devices(identifiers={(DOMAIN, METER_OBJECT)})
    assert not er.async_entries_for_device(entity_registry, generic.id)
    assert devices.async_get_devices(identifiers={(DOMAIN, IDENTITY)})
    assert things.state is ConfigEntryState.LOADED
    assert lan.users(hass, INTERFACE, hv_port) == 2
    assert not _meter_offers(hass)  # the appliances entry's offer of it ended with it

    # Rediscovery does not bring the generic device back.
    await things.runtime_data.directory.discover(0.3)
    await hass.async_block_till_done()
    assert METER_OBJECT not in things.runtime_data.coordinators
    assert not devices.async_get_devices(identifiers={(DOMAIN, METER_OBJECT)})


async def test_adding_a_loaded_meter_again_is_already_configured(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """It was 'cannot_bind' while the meter's entry held the port."""
    await _set_up(hass, hv_entry(hv_port))
    result = await submit_hv_meter(hass, METER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert lan.users(hass, INTERFACE, hv_port) == 1


async def test_appliances_are_added_on_the_meters_interface(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """The appliances flow discovers through the port the meter entry holds."""
    await _set_up(hass, hv_entry(hv_port))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "appliances"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_INTERFACE: INTERFACE, CONF_HOSTS: METER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "appliances_found"
    assert result["description_placeholders"]["count"] == "1"
    assert lan.users(hass, INTERFACE, hv_port) == 1


def _meter_offers(hass: HomeAssistant) -> list[dict[str, Any]]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
        and flow["context"].get("unique_id") == IDENTITY
    ]


async def test_a_meter_the_appliances_find_is_offered_and_added(
    hass: HomeAssistant,
    hv_meter: SimulatedHighVoltageMeter,
    hv_port: int,
    entity_registry: er.EntityRegistry,
) -> None:
    things = _appliances(hv_port)
    await _set_up(hass, things)
    await _meter_found(hass, things)
    [offer] = _meter_offers(hass)
    assert offer["step_id"] == "meter_hv_confirm"
    assert offer["context"]["title_placeholders"] == {"name": f"High-voltage meter ({METER})"}
    # Found again (the next discovery): still one offer.
    await things.runtime_data.directory.discover(0.3)
    await hass.async_block_till_done()
    assert len(_meter_offers(hass)) == 1

    # The meter goes quiet before the user confirms: said on the form, nothing added.
    hv_meter.silent = True
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_answer"}
    hv_meter.silent = False
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == IDENTITY
    assert result["data"] == {
        CONF_KIND: EntryKind.METER,
        CONF_HOST: METER,
        CONF_INTERFACE: INTERFACE,
        CONF_PORT: hv_port,
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    devices = dr.async_get(hass)
    assert not devices.async_get_devices(identifiers={(DOMAIN, METER_OBJECT)})
    assert not _meter_offers(hass)


async def test_a_meter_found_at_a_new_address_moves_its_entry(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """DHCP gave the meter a new address: the appliances' discovery takes its entry there."""
    meter = hv_entry(hv_port, host="127.0.14.50")
    meter.add_to_hass(hass)  # not loaded: nothing answers at its old address
    things = _appliances(hv_port)
    await _set_up(hass, things)
    await _meter_found(hass, things)
    await hass.async_block_till_done()
    assert meter.data[CONF_HOST] == METER
    assert not _meter_offers(hass)
    assert METER_OBJECT not in things.runtime_data.coordinators
