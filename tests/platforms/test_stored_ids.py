"""What the previous version stored is found again: every entity under its unique id, every device.

tests/fixtures/previous_version/ holds, per scenario, what the version before the move to one
package per entry kind (commit fc39270) stored after setting that scenario's entry up against
the same simulators, every entity enabled: its config entry (`core.config_entries`), entity
and device registries, and the entry's own `denki.*` files. The values that belonged to that
run (a port, a pty's path, the VTN's URL) were replaced by placeholders; this run fills in its
own. The registries and files are loaded as Home Assistant loads them from `.storage`; the
config entry is made with its stored id, data, options and unique id.
"""

import json
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    category_registry as cr,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    issue_registry as ir,
    label_registry as lr,
    restore_state as rs,
)
import pytest
from pytest_homeassistant_custom_component.common import mock_storage

from custom_components.denki.const import DOMAIN

from .conftest import SCENARIOS, Rig, entry_from_storage, init_integration

PREVIOUS = Path(__file__).parent.parent / "fixtures" / "previous_version"
ADDED_SINCE = {
    # Issue 18: a J11 dongle gives the meter's signal in dBm, not an LQI.
    "meter_low_voltage": {("sensor", "_signal_strength")},
}
"""Entities added since the previous version, by scenario: (domain, unique id suffix)."""
REGISTRIES = ("core.entity_registry", "core.device_registry")


def _previous(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the previous version stored in the test's scenario."""
    name = request.node.callspec.params["rig"]
    stored: dict[str, Any] = json.loads((PREVIOUS / f"{name}.json").read_text())
    return stored


@pytest.fixture
def hass_storage(request: pytest.FixtureRequest) -> Any:
    """`.storage` as the previous version left it: the registries and the entry's files.

    Home Assistant's config entries are not read from here by the test harness; the test
    makes the entry from `core.config_entries` itself.
    """
    stored = _previous(request)
    with mock_storage({k: v for k, v in stored.items() if k != "core.config_entries"}) as data:
        yield data


@pytest.fixture
async def previous_registries(hass: HomeAssistant) -> None:
    """The registries read from `.storage`, as Home Assistant's start reads them.

    The harness's `hass` would start them empty; this test starts it without them
    (`load_registries` False) and loads them here from `hass_storage`.
    """
    dr.async_setup(hass)
    for registry in (ar, cr, dr, er, fr, ir, lr):
        await registry.async_load(hass)
    await rs.async_load(hass)


@pytest.mark.parametrize("load_registries", [False])
@pytest.mark.parametrize("rig", list(SCENARIOS), indirect=True)
@pytest.mark.usefixtures("previous_registries", "entity_registry_enabled_by_default")
async def test_every_stored_entity_and_device_is_found_under_its_old_id(
    hass: HomeAssistant, rig: Rig, hass_storage: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    previous = _previous(request)
    (stored_entry,) = previous["core.config_entries"]["data"]["entries"]
    old_entities = previous["core.entity_registry"]["data"]["entities"]
    old_devices = previous["core.device_registry"]["data"]["devices"]
    assert old_entities
    assert old_devices
    # The registries were loaded from what the previous version wrote.
    assert {e.id for e in entity_registry.entities.values()} == {e["id"] for e in old_entities}

    entry = entry_from_storage(stored_entry, rig.run_data)
    await init_integration(hass, rig, entry)
    entry_id = stored_entry["entry_id"]

    # Every entity: the same registry entry (id, entity id, platform, device) and running.
    for old in old_entities:
        domain = old["entity_id"].split(".")[0]
        entity_id = entity_registry.async_get_entity_id(domain, DOMAIN, old["unique_id"])
        assert entity_id is not None, old["unique_id"]
        assert entity_id == old["entity_id"], old["unique_id"]
        now = entity_registry.async_get(entity_id)
        assert now is not None
        assert (now.id, now.platform, now.config_entry_id, now.device_id) == (
            old["id"],
            old["platform"],
            old["config_entry_id"],
            old["device_id"],
        ), old["unique_id"]
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert not state.attributes.get("restored"), f"{entity_id} is no longer provided"
    # And nothing new beside them, but the entities added since (each once, on this entry).
    now_entities = er.async_entries_for_config_entry(entity_registry, entry_id)
    added = ADDED_SINCE.get(request.node.callspec.params["rig"], set())
    old_keys = {(e["entity_id"].split(".")[0], e["unique_id"]) for e in old_entities}
    new_keys = {(e.domain, e.unique_id) for e in now_entities} - old_keys
    assert new_keys == {
        (domain, f"{stored_entry['unique_id']}{suffix}") for domain, suffix in added
    }

    # Every device: the same id, identifiers and entry; no new device.
    now_devices = {d.id: d for d in dr.async_entries_for_config_entry(device_registry, entry_id)}
    assert set(now_devices) == {d["id"] for d in old_devices}
    for old in old_devices:
        device = now_devices[old["id"]]
        assert device.identifiers == {tuple(i) for i in old["identifiers"]}
        assert device.config_entry_id == old["config_entry_id"]

    # The entry's data and identity are as stored (none of it was migrated or rewritten).
    assert entry.unique_id == stored_entry["unique_id"]
    assert (entry.version, entry.minor_version) == (
        stored_entry["version"],
        stored_entry["minor_version"],
    )
    expected = {
        key: rig.run_data.get(key, value) if key in rig.run_data else value
        for key, value in stored_entry["data"].items()
    }
    assert dict(entry.data) == expected

    # The entry's own files are still read and written under the same keys and versions.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    for key, old_file in previous.items():
        if key.startswith(f"{DOMAIN}."):
            assert key in hass_storage, key
            assert (hass_storage[key]["version"], hass_storage[key]["minor_version"]) == (
                old_file["version"],
                old_file["minor_version"],
            ), key
            assert set(hass_storage[key]["data"]) == set(old_file["data"]), key

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
