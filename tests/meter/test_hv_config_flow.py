"""Adding a high-voltage meter by IP address: the menu, the check that it is one, every error."""

from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY, ConfigEntryState
from homeassistant.const import CONF_UNIQUE_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.denki.const import CONF_HOST, CONF_INTERFACE, CONF_KIND, CONF_PORT, DOMAIN
from custom_components.denki.lib.echonet import EOJ
from simulators.echonet_devices import air_conditioner, home_node
from simulators.echonet_node import SimulatedNode
from simulators.hv_meter import SimulatedHighVoltageMeter
from tests.meter.hv_fixtures import (
    IDENTITY,
    INTERFACE,
    METER,
    NOBODY,
    OTHER,
    hv_entry,
    start_meter,
    submit_hv_meter,
)

pytest_plugins = ["tests.meter.hv_plugin"]


async def test_meter_by_ip_then_entry(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """The IP answers as 0x028A: the entry is the meter's identity, not its address."""
    result = await submit_hv_meter(hass, f" {METER} ")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == IDENTITY
    assert result["data"] == {
        CONF_KIND: "meter",
        CONF_HOST: METER,
        CONF_INTERFACE: INTERFACE,
        CONF_PORT: hv_port,
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_nothing_at_that_address(hass: HomeAssistant, hv_port: int) -> None:
    result = await submit_hv_meter(hass, NOBODY)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "no_answer"}


async def test_not_an_address(hass: HomeAssistant, hv_port: int) -> None:
    for host in ("meter.local", "", f"{METER} {OTHER}"):
        result = await submit_hv_meter(hass, host)
        assert result["errors"] == {CONF_HOST: "invalid_host"}
    result = await submit_hv_meter(hass, METER, interface="eth0")
    assert result["errors"] == {CONF_INTERFACE: "invalid_interface"}


async def test_port_not_free(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """The meter's own address is not this computer's to bind... it is taken by the meter."""
    result = await submit_hv_meter(hass, OTHER, interface=METER)
    assert result["errors"] == {CONF_INTERFACE: "cannot_bind"}


async def test_another_class_is_refused(hass: HomeAssistant, hv_port: int) -> None:
    objects, settable = home_node(b"AIRCON-NODE-1", {EOJ.from_int(0x013001): air_conditioner()})
    node = SimulatedNode(OTHER, hv_port, objects, settable=settable)
    await node.start()
    try:
        result = await submit_hv_meter(hass, OTHER)
    finally:
        node.close()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "not_a_high_voltage_meter"}


async def test_already_configured_meter_moves_to_the_new_address(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """Added again at another address: no second entry; the existing one takes the address."""
    entry = hv_entry(hv_port, host="127.0.14.50")
    entry.add_to_hass(hass)
    result = await submit_hv_meter(hass, METER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == METER
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reconfigure_changes_the_address_of_the_same_meter(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    entry = hv_entry(hv_port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # The same meter, moved by DHCP.
    hv_meter.close()
    moved = await start_meter(hv_port, address="127.0.14.20")
    try:
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure_meter_hv"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: NOBODY, CONF_INTERFACE: INTERFACE}
        )
        assert result["errors"] == {CONF_HOST: "no_answer"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.14.20", CONF_INTERFACE: INTERFACE}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data[CONF_HOST] == "127.0.14.20"
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
    finally:
        moved.close()


async def test_reconfigure_refuses_another_meter(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    entry = hv_entry(hv_port)
    entry.add_to_hass(hass)
    other = SimulatedHighVoltageMeter(OTHER, hv_port, hv_meter.clock, identity=b"HV-METER-0002")
    await other.start()
    try:
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: OTHER, CONF_INTERFACE: INTERFACE}
        )
    finally:
        other.close()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"
    assert entry.data[CONF_HOST] == METER


async def _offer(hass: HomeAssistant, host: str = METER) -> Any:
    """What an appliances entry does when it finds a high-voltage meter: offer it."""
    return await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_HOST: host, CONF_INTERFACE: INTERFACE, CONF_UNIQUE_ID: IDENTITY},
    )


async def test_an_offered_meter_is_confirmed_and_a_silent_one_said_so_until_it_answers(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    result = await _offer(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter_hv_confirm"
    assert result["description_placeholders"] == {"host": METER}
    hv_meter.silent = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_answer"}
    hv_meter.silent = False
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"High-voltage meter ({METER})"
    assert result["result"].unique_id == IDENTITY
    assert result["data"] == {
        CONF_KIND: "meter",
        CONF_HOST: METER,
        CONF_INTERFACE: INTERFACE,
        CONF_PORT: hv_port,
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_an_offered_meter_that_has_an_entry_moves_it_to_the_new_address(
    hass: HomeAssistant, hv_port: int
) -> None:
    entry = hv_entry(hv_port, host="127.0.14.50")
    entry.add_to_hass(hass)
    result = await _offer(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == METER


async def test_reconfigure_errors_then_the_same_address(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    entry = hv_entry(hv_port)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "meter.local", CONF_INTERFACE: INTERFACE}
    )
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: METER, CONF_INTERFACE: INTERFACE}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
