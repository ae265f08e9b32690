"""A high-voltage meter entry running: its sensors with the meter's scaling, silence, recovery."""

from datetime import timedelta
import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import DOMAIN
from custom_components.denki.diagnostics import async_get_config_entry_diagnostics
from simulators.hv_meter import SimulatedHighVoltageMeter
from tests.meter.hv_fixtures import IDENTITY, hv_entry

pytest_plugins = ["tests.meter.hv_plugin"]


STAMP = bytes((0x07, 0xEA, 11, 24, 9, 30, 0))  # 2026-11-24 09:30:00


def _entity(hass: HomeAssistant, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{IDENTITY}_{key}")
    assert entity_id is not None, key
    return entity_id


def _state(hass: HomeAssistant, key: str) -> str:
    state = hass.states.get(_entity(hass, key))
    assert state is not None
    return state.state


async def _setup(hass: HomeAssistant, port: int) -> MockConfigEntry:
    entry = hv_entry(port)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_sensors_of_a_high_voltage_meter(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """0x028A: import energy and 30-minute demand; no export, no instantaneous power."""
    entry = await _setup(hass, hv_port)
    history = hv_meter.history
    counts = history.counts_at(history.now())
    assert counts is not None
    # One count is 1 x 0.01 x 0.1 kWh (D3, D4, E6) = 0.001 kWh.
    assert float(_state(hass, "energy_import")) == pytest.approx(counts[0] / 1000, abs=0.01)
    imported = hass.states.get(_entity(hass, "energy_import"))
    assert imported is not None
    assert imported.attributes["state_class"] == "total_increasing"
    assert imported.attributes["unit_of_measurement"] == "kWh"
    demand = hass.states.get(_entity(hass, "demand"))
    assert demand is not None
    assert demand.attributes["unit_of_measurement"] == "kW"
    # The last half hour's import, doubled, as the meter tells it (0xC3); by day a home with
    # PV may import nothing, so the figure is checked against the meter's counts, not > 0.
    boundary = history.last_boundary()
    end, start = history.counts_at(boundary), history.counts_at(boundary - timedelta(minutes=30))
    assert end is not None
    assert start is not None
    assert float(demand.state) == pytest.approx(2 * (end[0] - start[0]) / 1000, abs=0.001)
    assert _state(hass, "last_read") != STATE_UNAVAILABLE
    registry = er.async_get(hass)
    for absent in ("energy_export", "power"):
        assert registry.async_get_entity_id("sensor", DOMAIN, f"{IDENTITY}_{absent}") is None

    # A known raw value: 12 345 678 counts are 12 345.678 kWh; a demand of 404 is 0.404 kW.
    hv_meter.fixed[0xE2] = STAMP + (12_345_678).to_bytes(4)
    hv_meter.fixed[0xC3] = STAMP + (404).to_bytes(4)
    await _poll(hass, entry)
    assert float(_state(hass, "energy_import")) == 12_345.678
    assert float(_state(hass, "demand")) == 0.404

    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, IDENTITY), entry.entry_id)
    assert device is not None
    assert device.model_id == "0x028A"


async def test_sensors_of_a_bidirectional_meter(
    hass: HomeAssistant, hv_bidirectional: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """0x028F: export energy and instantaneous power (W) as well."""
    entry = await _setup(hass, hv_port)
    hv_bidirectional.fixed[0xE2] = STAMP + (2_000_000).to_bytes(4) + (12_345).to_bytes(4)
    hv_bidirectional.fixed[0xEA] = (-1500).to_bytes(4, signed=True)
    await _poll(hass, entry)
    assert float(_state(hass, "energy_import")) == 2000.0
    assert float(_state(hass, "energy_export")) == 12.345
    power = hass.states.get(_entity(hass, "power"))
    assert power is not None
    assert power.state == "-1500"
    assert power.attributes["unit_of_measurement"] == "W"


async def test_silent_meter_goes_unavailable_and_comes_back(
    hass: HomeAssistant,
    hv_meter: SimulatedHighVoltageMeter,
    hv_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await _setup(hass, hv_port)
    caplog.set_level(logging.INFO)
    caplog.clear()

    hv_meter.silent = True
    for _ in range(3):
        await _poll(hass, entry)
    assert _state(hass, "energy_import") == STATE_UNAVAILABLE
    assert _state(hass, "demand") == STATE_UNAVAILABLE
    assert _state(hass, "last_read") != STATE_UNAVAILABLE  # when it last answered: kept
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1, [r.getMessage() for r in failures]  # once, not once a poll
    assert "did not answer" in failures[0].getMessage()

    hv_meter.silent = False
    await _poll(hass, entry)
    assert _state(hass, "energy_import") != STATE_UNAVAILABLE
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1
    assert entry.state is ConfigEntryState.LOADED


async def test_unload_frees_the_port(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    entry = await _setup(hass, hv_port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_meter_silent_at_start_is_retried(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    hv_meter.silent = True
    entry = hv_entry(hv_port)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_diagnostics_of_a_high_voltage_meter(
    hass: HomeAssistant, hv_meter: SimulatedHighVoltageMeter, hv_port: int
) -> None:
    """A high-voltage entry has no dongle link: its own diagnostics, not the B-route's."""
    entry = await _setup(hass, hv_port)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["meter"]["class"] == "0x028A"
    assert diagnostics["meter"]["scales"]["energy"] is not None
    assert diagnostics["last_update_success"] is True
    assert diagnostics["reading"] is not None
    assert "covered_until" in diagnostics["backfill"]
