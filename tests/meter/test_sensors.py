"""The meter entry running: its sensors, losing the dongle and the meter, and diagnostics."""

import asyncio
from datetime import timedelta
import logging
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.const import CONF_PAN, DOMAIN
from custom_components.denki.meter.lv_sensor import LinkQualitySensor, SignalStrengthSensor

from .conftest import PASSWORD, RBID, Home

POWER = "sensor.smart_meter_power"
IMPORTED = "sensor.smart_meter_energy_imported"
EXPORTED = "sensor.smart_meter_energy_exported"


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll, as the coordinator's timer would run it (real time: the pty is real I/O)."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_sensors_read_the_meter(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    history = home.meter.history
    assert history is not None

    imported, exported = history.counts_at(history.now()) or (0, 0)
    assert float(hass.states.get(IMPORTED).state) == pytest.approx(imported / 100)
    assert float(hass.states.get(EXPORTED).state) == pytest.approx(exported / 100)
    assert int(hass.states.get(POWER).state) == history.power_w()
    assert hass.states.get(IMPORTED).attributes["state_class"] == "total_increasing"
    assert hass.states.get("sensor.smart_meter_current_r_phase").state == "5.0"
    assert hass.states.get("sensor.smart_meter_current_t_phase").state == "2.0"

    home.ahead = timedelta(minutes=30)
    await _poll(hass, meter_entry)
    later = history.counts_at(history.now()) or (0, 0)
    assert later != (imported, exported)  # 30 minutes of a household: one of them moved
    assert float(hass.states.get(IMPORTED).state) == pytest.approx(later[0] / 100)
    assert float(hass.states.get(EXPORTED).state) == pytest.approx(later[1] / 100)

    # One device, named by the meter's identity, not by the dongle's path.
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, meter_entry.unique_id or ""), meter_entry.entry_id
    )
    assert device is not None
    assert device.serial_number == meter_entry.unique_id
    entities = er.async_entries_for_config_entry(er.async_get(hass), meter_entry.entry_id)
    assert all(e.unique_id.startswith(str(meter_entry.unique_id)) for e in entities)
    # The join was remembered: the next start joins without scanning.
    assert meter_entry.data[CONF_PAN] == {"channel": 0x21, "pan_id": 0x8888, "mac": home.radio.mac}


async def test_restart_joins_without_a_scan(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert "SKSCAN" in home.dongle.model.commands
    assert await hass.config_entries.async_unload(meter_entry.entry_id)
    await home.plug_in()  # a fresh dongle, as after a reboot
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert "SKJOIN" in home.dongle.model.commands
    assert "SKSCAN" not in home.dongle.model.commands
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE


async def test_unplugged_dongle_goes_unavailable_and_comes_back(
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    caplog.set_level(logging.INFO)
    caplog.clear()

    home.unplug()
    await asyncio.sleep(0.1)  # the driver hears the port go, as it does within ms on real USB
    for _ in range(4):
        await _poll(hass, meter_entry)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    assert hass.states.get("sensor.smart_meter_last_successful_read").state != STATE_UNAVAILABLE
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1, [r.getMessage() for r in failures]  # logged once, not per poll
    assert "Wi-SUN dongle is not available" in failures[0].getMessage()

    await home.plug_in()
    await _poll(hass, meter_entry)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert any("recovered" in r.getMessage() for r in caplog.records)
    assert meter_entry.state is ConfigEntryState.LOADED


async def test_silent_meter_then_rejoin(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    """Unanswered requests lead to a rejoin, and readings resume when the meter speaks again."""
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    runtime = meter_entry.runtime_data
    runtime.link.request_timeout = 0.2  # the radio's 20 s, shortened for the test
    joins = runtime.link.joins
    home.dongle.model.silent = True
    for _ in range(4):
        await _poll(hass, meter_entry)
    assert hass.states.get(POWER).state == STATE_UNAVAILABLE
    home.dongle.model.silent = False
    await _poll(hass, meter_entry)
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    # Three unanswered polls, then each poll climbs one rung (rejoin) until readings resume.
    assert runtime.link.joins > joins


async def test_diagnostics_never_hold_the_credentials(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    home: Home,
    meter_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, meter_entry)
    text = str(diagnostics)
    assert RBID not in text
    assert PASSWORD not in text
    assert diagnostics["entry"]["data"]["rbid"] == "**REDACTED**"
    assert diagnostics["link"]["connected"] is True
    assert diagnostics["reading"]["power_w"] == home.meter.history.power_w()  # type: ignore[union-attr]
    assert RBID not in caplog.text
    assert PASSWORD not in caplog.text


async def test_link_quality_follows_the_meters_frames(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LQI from every ERXUDP on BP35C-dialect dongles; from the scan alone on a BP35A1."""
    monkeypatch.setattr(LinkQualitySensor, "_attr_entity_registry_enabled_default", True)
    monkeypatch.setattr(SignalStrengthSensor, "_attr_entity_registry_enabled_default", True)
    quality = "sensor.smart_meter_link_quality_lqi"
    signal = "sensor.smart_meter_signal_strength"
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    registered = er.async_get(hass).async_get(quality)
    assert registered is not None
    assert registered.entity_category == "diagnostic"
    assert hass.states.get(quality).state == str(0xE1)  # the scan's EPANDESC
    # ROHM's conversion: 0.275 x 225 - 104.27 = -42.395 dBm.
    assert hass.states.get(signal).state == "-42.4"
    assert hass.states.get(signal).attributes["unit_of_measurement"] == "dBm"
    assert er.async_get(hass).async_get(signal).entity_category == "diagnostic"

    assert await hass.config_entries.async_unload(meter_entry.entry_id)
    await home.plug_in("bp35c")
    home.radio.lqi = 0x80
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(quality).state == str(0x80)  # joined from the cache: an ERXUDP's
    home.radio.lqi = 0x42
    await _poll(hass, meter_entry)
    assert hass.states.get(quality).state == str(0x42)
    assert hass.states.get(signal).state == "-86.1"  # 0.275 x 66 - 104.27


async def test_a_long_outage_raises_a_repair_issue_that_says_why(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = meter_entry.runtime_data.coordinator
    registry = ir.async_get(hass)
    missing = f"dongle_missing_{meter_entry.entry_id}"
    silent = f"meter_silent_{meter_entry.entry_id}"

    home.unplug()
    await asyncio.sleep(0.1)
    await _poll(hass, meter_entry)
    assert registry.async_get_issue(DOMAIN, missing) is None  # a short outage is not an issue
    coordinator._failing_since = time.monotonic() - 31 * 60  # half an hour later
    await _poll(hass, meter_entry)
    issue = registry.async_get_issue(DOMAIN, missing)
    assert issue is not None
    assert issue.translation_placeholders == {"port": str(home.path), "minutes": "30"}

    await home.plug_in()
    meter_entry.runtime_data.link.request_timeout = 0.2
    home.dongle.model.silent = True  # the dongle is back; the meter's radio is not
    await _poll(hass, meter_entry)
    coordinator._failing_since = time.monotonic() - 31 * 60
    await _poll(hass, meter_entry)
    assert registry.async_get_issue(DOMAIN, missing) is None
    assert registry.async_get_issue(DOMAIN, silent) is not None

    home.dongle.model.silent = False
    for _ in range(4):  # the recovery ladder: rejoin, then read
        await _poll(hass, meter_entry)
        if hass.states.get(POWER).state != STATE_UNAVAILABLE:
            break
    assert hass.states.get(POWER).state != STATE_UNAVAILABLE
    assert registry.async_get_issue(DOMAIN, silent) is None
