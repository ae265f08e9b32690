"""An existing meter entry keeps its unique id when the meter's identity would now come elsewhere.

A meter entry's unique id, and every one of its entities' unique ids, start
with the meter's identity as the config flow found it: until now the meter
object's identification number (0x83). Since the meter's identity may also
come from the node profile's 0x83, the maker code with the serial number
(0x8A + 0x8D) or the meter's MAC (issue 18, item 4), a meter that no longer
gives its 0x83 (0x83 is optional on a device object, ECHONET Lite Appendix,
the device object super class) would be a new meter with new entities. It
is not: the entry keeps its id, and so do its entities and its device.

The config entry, entity and device registries are those a meter entry
stored (tests/fixtures/previous_version/meter_low_voltage.json, the same
entities and ids as today's version makes: tests/platforms/test_stored_ids.py),
loaded as Home Assistant loads them from `.storage`; the meter is the
simulator behind the dongle on a real pseudo-terminal.
"""

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
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
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_storage

from custom_components.denki.const import CONF_DEVICE, CONF_PAN, CONF_PASSWORD, CONF_RBID, DOMAIN
from simulators.dongle_profiles import MeterIdentity

from .conftest import PASSWORD, RBID, Home
from .test_config_flow import _submit

STORED = Path(__file__).parent.parent / "fixtures" / "previous_version" / "meter_low_voltage.json"


def _stored() -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(STORED.read_text())
    return stored


@pytest.fixture
def hass_storage() -> Iterator[dict[str, Any]]:
    """`.storage` as a meter entry left it: its registries (the entry is made by the test)."""
    stored = _stored()
    with mock_storage({k: v for k, v in stored.items() if k != "core.config_entries"}) as data:
        yield data


@pytest.fixture
async def stored_registries(hass: HomeAssistant) -> None:
    """The registries read from `.storage`, as Home Assistant's start reads them."""
    dr.async_setup(hass)
    for registry in (ar, cr, dr, er, fr, ir, lr):
        await registry.async_load(hass)
    await rs.async_load(hass)


@pytest.mark.parametrize("load_registries", [False])
@pytest.mark.parametrize(
    ("node_0x83", "serial"),
    [(None, b"SIM0000000001"), (None, None), (bytes.fromhex("FE0000160102030405"), None)],
    ids=["now-0x8A+0x8D", "now-MAC", "now-node-profile-0x83"],
)
@pytest.mark.usefixtures("stored_registries")
async def test_a_meter_without_0x83_keeps_the_stored_unique_ids(
    hass: HomeAssistant,
    home: Home,
    node_0x83: bytes | None,
    serial: bytes | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A node profile that never answers is waited for 5 s; a tenth of that does here.
    monkeypatch.setattr("custom_components.denki.lib.broute.meter.IDENTITY_WITHIN", 0.5)
    stored = _stored()
    (stored_entry,) = stored["core.config_entries"]["data"]["entries"]
    old_entities = stored["core.entity_registry"]["data"]["entities"]
    old_devices = stored["core.device_registry"]["data"]["devices"]
    unique_id = stored_entry["unique_id"]
    # The meter that made the entry, as it answers now: no 0x83 of its own.
    meter = MeterIdentity(home.meter.answer, meter_0x83=False, node_0x83=node_0x83, serial=serial)
    home.radio.responder = meter

    entry = MockConfigEntry(
        domain=stored_entry["domain"],
        entry_id=stored_entry["entry_id"],
        title=stored_entry["title"],
        data={**stored_entry["data"], CONF_DEVICE: str(home.path)},
        options=stored_entry["options"],
        unique_id=unique_id,
        version=stored_entry["version"],
        minor_version=stored_entry["minor_version"],
        source=stored_entry["source"],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # The join did not look for the meter's identity: no request to its node profile (and
    # so no 5-second wait for one that never answers).
    assert (0x0E, 0xF0) not in meter.requests
    link = entry.runtime_data.link
    assert link.identification == unique_id
    assert link.identity_source == "stored"
    # The identity the meter would give now is another one; the entry's is kept.
    now_identity, source = await (await link.ensure()).identity(home.radio.mac)
    assert now_identity != unique_id
    assert source != "meter 0x83"
    assert entry.unique_id == unique_id

    # Every stored entity under its old unique id, entity id and registry entry, running;
    # nothing new beside them but the entity added since (under the stored identity too).
    entity_registry = er.async_get(hass)
    for old in old_entities:
        domain = old["entity_id"].split(".")[0]
        entity_id = entity_registry.async_get_entity_id(domain, DOMAIN, old["unique_id"])
        assert entity_id == old["entity_id"], old["unique_id"]
        now = entity_registry.async_get(entity_id)
        assert now is not None
        assert (now.id, now.device_id) == (old["id"], old["device_id"])
        state = hass.states.get(entity_id)
        assert state is not None
        assert not state.attributes.get("restored"), entity_id
    now_entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    added = {f"{unique_id}_signal_strength"}  # issue 18: a J11 dongle's signal in dBm
    assert sorted(e.unique_id for e in now_entities) == sorted(
        {e["unique_id"] for e in old_entities} | added
    )
    assert not any(e.unique_id.startswith(now_identity) for e in now_entities)

    # The same device, under the same identifiers.
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert [(d.id, d.identifiers) for d in devices] == [
        (old["id"], {tuple(i) for i in old["identifiers"]}) for old in old_devices
    ]

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("own_0x83", [False, True], ids=["lost-its-0x83", "another-0x83"])
async def test_reconfiguring_a_meter_holds_it_to_the_entrys_identity(
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    own_0x83: bool,
) -> None:
    """The same radio (the PAN's MAC) without its 0x83 is the same meter; another 0x83 is not."""
    monkeypatch.setattr("custom_components.denki.lib.broute.meter.IDENTITY_WITHIN", 0.5)
    stored_pan = {"channel": home.radio.channel, "pan_id": home.radio.pan_id, "mac": home.radio.mac}
    hass.config_entries.async_update_entry(
        meter_entry, data={**meter_entry.data, CONF_PAN: stored_pan}
    )
    unique_id = meter_entry.unique_id
    if own_0x83:
        home.meter.serial = "SIM0000000002"  # a meter with an identification number of its own
    else:
        home.radio.responder = MeterIdentity(home.meter.answer, meter_0x83=False, serial=b"S1")
    result = await meter_entry.start_reconfigure_flow(hass)
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_DEVICE: str(home.path), CONF_RBID: RBID, CONF_PASSWORD: PASSWORD},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == ("wrong_meter" if own_0x83 else "reconfigure_successful")
    assert meter_entry.unique_id == unique_id
