"""A J11 dongle (ROHM's binary command set) in Home Assistant: discovered, set up, and swapped in.

The dongle is `simulators.j11_dongle` on a real pseudo-terminal, with the same
simulated meter behind it as the SK dongles; it is built from broute-j11's
public code, and broute-j11's own client reads it in
tests/lib/broute/test_peer_broute_j11.py.
"""

from homeassistant.config_entries import SOURCE_USB, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.const import CONF_DEVICE, CONF_PASSWORD, CONF_RBID, DOMAIN
from custom_components.denki.lib.broute import j11
from custom_components.denki.meter import config_flow
from custom_components.denki.meter.lv_sensor import SignalStrengthSensor

from .conftest import PASSWORD, RBID, Home

METER_ID = "FE00001653494D30303030303030303031"
POWER = "sensor.smart_meter_power"


@pytest.fixture(autouse=True)
def _short_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """An SK question a J11 dongle never answers need not be waited for in full."""
    monkeypatch.setattr(config_flow, "PROBE_SECONDS", 1.5)


async def test_usb_discovery_recognises_a_j11_dongle_and_joins_through_it(
    hass: HomeAssistant, home: Home
) -> None:
    """Only Get Version Information reaches the dongle before the user confirms; then the join."""
    dongle = await home.plug_in("j11")
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USB},
        data=UsbServiceInfo(
            device=dongle.path,
            vid="0403",
            pid="6015",
            serial_number="J11XYZ1",
            manufacturer="FTDI",
            description="FT230X Basic UART",
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {
        "name": config_flow.J11_DONGLES,
        "firmware": "1.2.3",
        "device": dongle.path,
    }
    # Read-only: the version question, and nothing that resets or configures the dongle.
    assert set(dongle.model.commands) == {j11.Command.GET_VERSION}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "meter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: dongle.path, CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == METER_ID
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert int(hass.states.get(POWER).state) == home.meter.history.power_w()


async def test_a_j11_dongle_takes_over_an_entry_made_with_an_sk_dongle(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    home: Home,
    meter_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The household swaps its BP35A1 for an RS-WSUHA-J11 at the same port: same entry, readings."""
    monkeypatch.setattr(SignalStrengthSensor, "_attr_entity_registry_enabled_default", True)
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert await hass.config_entries.async_unload(meter_entry.entry_id)

    await home.plug_in("j11")
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert meter_entry.state is ConfigEntryState.LOADED
    assert meter_entry.unique_id == METER_ID
    assert int(hass.states.get(POWER).state) == home.meter.history.power_w()
    # The SK channel cached by the first dongle is not a J11 channel: the J11 dongle scanned.
    assert j11.Command.ACTIVE_SCAN in home.dongle.model.commands
    # A J11 dongle gives the signal in dBm, no LQI.
    assert hass.states.get("sensor.smart_meter_signal_strength").state == str(
        float(home.dongle.model.rssi)
    )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, meter_entry)
    assert diagnostics["link"]["dongle"] == {
        "family": "j11",
        "dialect": "bp35c",
        "firmware": "1.2.3",
        "binary_payload": True,
        "rssi_field": False,
    }
    assert RBID not in str(diagnostics)
    assert PASSWORD not in str(diagnostics)
