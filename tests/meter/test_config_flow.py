"""Adding a smart meter: the form, the join with progress, every error back to an entry."""

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from homeassistant.config_entries import SOURCE_USB, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import serial.tools.list_ports

from custom_components.denki.const import (
    CONF_DEVICE,
    CONF_KIND,
    CONF_PAN,
    CONF_PASSWORD,
    CONF_RBID,
    DOMAIN,
)
from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.meter import config_flow

from .conftest import PASSWORD, RBID, Home

METER_ID = "FE00001653494D30303030303030303031"


async def _meter_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "meter"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    return str(result["flow_id"])


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    """Submit the form; if the join starts, wait for it and return what follows."""
    result = await hass.config_entries.flow.async_configure(flow_id, data)
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        assert result["progress_action"] == "meter_join"
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow_id)
    return result


async def test_join_then_entry(hass: HomeAssistant, home: Home) -> None:
    """A dongle, the right credentials: the entry carries the meter's identity and its PAN."""
    flow_id = await _meter_form(hass)
    # Lower case and spaces in the ID are what people type from a paper notice.
    typed = " ".join(RBID[i : i + 4].lower() for i in range(0, 32, 4))
    result = await _submit(
        hass, flow_id, {CONF_DEVICE: str(home.path), CONF_RBID: typed, CONF_PASSWORD: PASSWORD}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == METER_ID
    assert result["data"][CONF_RBID] == RBID
    assert result["data"][CONF_KIND] == "meter"
    assert result["data"][CONF_PAN] == {"channel": 0x21, "pan_id": 0x8888, "mac": home.radio.mac}
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (CONF_RBID, "0011", {CONF_RBID: "invalid_rbid"}),
        (CONF_RBID, "Z" * 32, {CONF_RBID: "invalid_rbid"}),
        (CONF_PASSWORD, "short", {CONF_PASSWORD: "invalid_password"}),
        (CONF_PASSWORD, "0123456789A B", {CONF_PASSWORD: "invalid_password"}),
    ],
)
async def test_malformed_credentials_are_refused_before_any_radio(
    hass: HomeAssistant, home: Home, field: str, value: str, error: dict[str, str]
) -> None:
    flow_id = await _meter_form(hass)
    data = {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD, field: value}
    result = await _submit(hass, flow_id, data)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    assert home.dongle.model.commands == []  # nothing was sent to the dongle
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested[CONF_DEVICE] == str(home.path)
    assert suggested[CONF_PASSWORD] is None  # typed anew, never shown again
    result = await _submit(
        hass, flow_id, {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("breakage", "error"),
    [
        ("wrong_password", "invalid_auth"),
        ("out_of_range", "meter_not_found"),
        ("unplugged", "cannot_open_port"),
        ("silent_dongle", "cannot_connect"),
        ("port_held", "port_in_use"),
    ],
)
async def test_join_failures_come_back_to_the_form(
    hass: HomeAssistant, home: Home, breakage: str, error: str
) -> None:
    """Each way the join fails is its own translated error, and fixing it ends in an entry."""
    flow_id = await _meter_form(hass)
    data = {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    if breakage == "wrong_password":
        data[CONF_PASSWORD] = "ABCDEFGHIJKL"
    elif breakage == "out_of_range":
        home.radio.in_range = False
    elif breakage == "unplugged":
        home.unplug()
    elif breakage == "silent_dongle":
        home.dongle.model.silent_commands = True
    holder = await SkDongle.open(str(home.path)) if breakage == "port_held" else None
    result = await _submit(hass, flow_id, data)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {"base": error}

    home.radio.in_range = True
    if breakage == "unplugged":
        await home.plug_in()
    if holder is not None:  # another program held the port: it lets go
        await holder.close()
    home.dongle.model.silent_commands = False
    data[CONF_PASSWORD] = PASSWORD
    result = await _submit(hass, flow_id, data)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_meter_twice_is_refused(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    flow_id = await _meter_form(hass)
    other = home.alias("-again")
    result = await _submit(
        hass, flow_id, {CONF_DEVICE: str(other), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    # The port the meter is reached through now is kept.
    assert meter_entry.data[CONF_DEVICE] == str(other)


async def test_reconfigure_moves_to_another_port(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    other = home.alias("-moved")
    result = await meter_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_DEVICE: str(other), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert meter_entry.data[CONF_DEVICE] == str(other)


async def test_reconfigure_to_another_meter_is_refused(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    home.meter.serial = "SIM0000000002"  # a different meter answers the credentials
    result = await meter_entry.start_reconfigure_flow(hass)
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"


async def test_reauth_with_new_credentials(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    """The meter refuses the stored password: setup asks again, and the new one works."""
    home.radio.password = "NEWPASSWORD1"
    await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert meter_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]

    result = await _submit(hass, flow_id, {CONF_RBID: RBID, CONF_PASSWORD: "WRONGWRONG12"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _submit(hass, flow_id, {CONF_RBID: RBID, CONF_PASSWORD: "NEWPASSWORD1"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert meter_entry.data[CONF_PASSWORD] == "NEWPASSWORD1"
    await hass.async_block_till_done()
    assert meter_entry.state is ConfigEntryState.LOADED


async def test_ports_are_offered_by_their_stable_name(
    hass: HomeAssistant, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port with a /dev/serial/by-id link is listed by it: the name survives a replug."""
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    link = by_id / "usb-ROHM_BP35A1-if00"
    link.symlink_to(home.dongle.path)
    plain = SimpleNamespace(device="/dev/ttyS9", description="")
    dongle = SimpleNamespace(device=home.dongle.path, description="BP35A1")
    monkeypatch.setattr(config_flow, "BY_ID", by_id)
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [dongle, plain])
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "meter"}
    )
    options = _selector_options(result, CONF_DEVICE)
    assert options == [
        {"value": str(link), "label": f"{dongle.device} - BP35A1"},
        {"value": "/dev/ttyS9", "label": "/dev/ttyS9"},
    ]
    result = await _submit(
        hass, result["flow_id"], {CONF_DEVICE: str(link), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE] == str(link)


def _selector_options(result: Any, field: str) -> list[Any]:
    for key, selector in result["data_schema"].schema.items():
        if str(key) == field:
            return list(selector.config["options"])
    raise AssertionError(f"no field {field}")


async def test_an_unexpected_error_in_the_join_is_unknown_and_the_next_try_works(
    hass: HomeAssistant, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure = MeterLink.ensure
    calls: list[None] = []

    async def breaks_once(self: MeterLink) -> None:
        calls.append(None)
        if len(calls) == 1:
            await asyncio.sleep(0)  # failing during the join, as a real fault would
            raise RuntimeError("something nobody expected")
        await ensure(self)

    monkeypatch.setattr(MeterLink, "ensure", breaks_once)
    flow_id = await _meter_form(hass)
    data = {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    result = await _submit(hass, flow_id, data)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    assert result["errors"] == {"base": "unknown"}
    # The form keeps what was typed, but never the password.
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested == {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: None}
    result = await _submit(hass, flow_id, data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == METER_ID


async def test_reauth_refuses_malformed_credentials_before_any_radio(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    home.radio.password = "NEWPASSWORD1"
    await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress()
    sent = list(home.dongle.model.commands)
    result = await _submit(
        hass, flow["flow_id"], {CONF_RBID: "0011", CONF_PASSWORD: "NEWPASSWORD1"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {CONF_RBID: "invalid_rbid"}
    assert home.dongle.model.commands == sent
    result = await _submit(hass, flow["flow_id"], {CONF_RBID: RBID, CONF_PASSWORD: "NEWPASSWORD1"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert meter_entry.state is ConfigEntryState.LOADED


async def test_reauth_by_another_meter_is_refused(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    home.radio.password = "NEWPASSWORD1"
    await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress()
    home.meter.serial = "SIM0000000002"  # the credentials now reach a different meter
    result = await _submit(hass, flow["flow_id"], {CONF_RBID: RBID, CONF_PASSWORD: "NEWPASSWORD1"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"
    assert meter_entry.data[CONF_PASSWORD] == PASSWORD


async def test_reconfigure_errors_come_back_to_its_form_then_it_is_kept(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    other = home.alias("-moved")
    result = await meter_entry.start_reconfigure_flow(hass)
    flow_id = result["flow_id"]
    data = {CONF_DEVICE: str(other), CONF_RBID: RBID, CONF_PASSWORD: "short"}
    result = await _submit(hass, flow_id, data)
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_PASSWORD: "invalid_password"}
    result = await _submit(hass, flow_id, {**data, CONF_PASSWORD: "ABCDEFGHIJKL"})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _submit(hass, flow_id, {**data, CONF_PASSWORD: PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert meter_entry.data[CONF_DEVICE] == str(other)


async def test_a_dongle_plugged_in_beside_a_meter_on_another_port_is_offered(
    hass: HomeAssistant, home: Home
) -> None:
    """A meter entry on another port does not hide a newly plugged dongle."""
    MockConfigEntry(
        domain=DOMAIN, data=home.entry_data(device="/dev/serial/by-id/usb-other-dongle")
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USB},
        data=UsbServiceInfo(
            device=home.dongle.path,
            vid="0403",
            pid="6015",
            serial_number="DP05XYZ1",
            manufacturer="FTDI",
            description="FT230X Basic UART",
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "meter"
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_DEVICE: home.dongle.path, CONF_RBID: RBID, CONF_PASSWORD: PASSWORD},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == METER_ID
