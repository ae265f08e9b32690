"""Cover, fan, lock and the other water heaters against the simulated utility node over real UDP."""

from homeassistant.components.cover import DOMAIN as COVER_DOMAIN
from homeassistant.components.cover.const import ATTR_POSITION, CoverEntityFeature
from homeassistant.components.fan import DOMAIN as FAN_DOMAIN
from homeassistant.components.fan.const import (
    ATTR_DIRECTION,
    ATTR_PERCENTAGE,
    ATTR_PRESET_MODE,
    DIRECTION_REVERSE,
    SERVICE_SET_DIRECTION,
    SERVICE_SET_PERCENTAGE,
    SERVICE_SET_PRESET_MODE,
)
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.components.water_heater import (
    DOMAIN as WATER_HEATER_DOMAIN,
    SERVICE_SET_OPERATION_MODE,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    SERVICE_CLOSE_COVER,
    SERVICE_LOCK,
    SERVICE_SET_COVER_POSITION,
    SERVICE_TURN_OFF,
    SERVICE_UNLOCK,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki import async_remove_config_entry_device
from custom_components.denki.const import CONF_SETTABLE_CLASSES, DOMAIN
from custom_components.denki.repairs import async_create_fix_flow

from .conftest import (
    AIR_CLEANER,
    BOARD,
    CEILING_FAN,
    GAS_HEATER,
    HYBRID_HEATER,
    LIVING,
    LOCK,
    SHUTTER,
    UTILITY,
    Lan,
    appliances_entry,
    entity_id_of,
    set_up,
)


async def _call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: object
) -> None:
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )


async def test_fans_set_speed_preset_and_direction(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    node = lan.nodes[UTILITY]
    ceiling = entity_id_of(entity_registry, "fan", "013a01-fan")
    state = hass.states.get(ceiling)
    assert state is not None
    assert state.state == "on"
    assert state.attributes[ATTR_PERCENTAGE] == 30  # level 3 of 10
    assert state.attributes[ATTR_DIRECTION] == "forward"
    await _call(hass, FAN_DOMAIN, SERVICE_SET_PERCENTAGE, ceiling, percentage=100)
    assert node.objects[CEILING_FAN][0xF0] == b"\x3a"  # level 10
    await _call(hass, FAN_DOMAIN, SERVICE_SET_DIRECTION, ceiling, direction=DIRECTION_REVERSE)
    assert node.objects[CEILING_FAN][0xF1] == b"\x42"  # up
    await _call(hass, FAN_DOMAIN, SERVICE_TURN_OFF, ceiling)
    assert node.objects[CEILING_FAN][0x80] == b"\x31"
    assert hass.states.get(ceiling).state == "off"  # type: ignore[union-attr]

    cleaner = entity_id_of(entity_registry, "fan", "013501-fan")
    state = hass.states.get(cleaner)
    assert state is not None
    assert state.attributes[ATTR_PRESET_MODE] == "auto"
    assert state.attributes[ATTR_PERCENTAGE] is None
    await _call(hass, FAN_DOMAIN, SERVICE_SET_PERCENTAGE, cleaner, percentage=25)
    assert node.objects[AIR_CLEANER][0xA0] == b"\x32"  # level 2 of 8
    await _call(hass, FAN_DOMAIN, SERVICE_SET_PRESET_MODE, cleaner, preset_mode="auto")
    assert node.objects[AIR_CLEANER][0xA0] == b"\x41"


async def test_covers_and_locks_stay_read_only_by_default(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    node = lan.nodes[UTILITY]
    lock = entity_id_of(entity_registry, "lock", "026f01-lock")
    assert hass.states.get(lock).state == "locked"  # type: ignore[union-attr]
    with pytest.raises(HomeAssistantError):
        await _call(hass, LOCK_DOMAIN, SERVICE_UNLOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x41"

    cover = entity_id_of(entity_registry, "cover", "026301-cover")
    state = hass.states.get(cover)
    assert state is not None
    assert state.state == "open"  # stopped halfway
    assert state.attributes["current_position"] == 50
    assert state.attributes["supported_features"] == 0
    assert node.objects[SHUTTER][0xE0] == b"\x43"


async def test_covers_and_locks_move_once_allowed(
    hass: HomeAssistant, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    entry = appliances_entry(lan, **{CONF_SETTABLE_CLASSES: ["0263", "026F"]})
    await set_up(hass, entry)
    node = lan.nodes[UTILITY]

    lock = entity_id_of(entity_registry, "lock", "026f01-lock")
    await _call(hass, LOCK_DOMAIN, SERVICE_UNLOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x42"
    assert hass.states.get(lock).state == "unlocked"  # type: ignore[union-attr]
    await _call(hass, LOCK_DOMAIN, SERVICE_LOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x41"

    cover = entity_id_of(entity_registry, "cover", "026301-cover")
    features = CoverEntityFeature(hass.states.get(cover).attributes["supported_features"])  # type: ignore[union-attr]
    assert features == (
        CoverEntityFeature.OPEN
        | CoverEntityFeature.CLOSE
        | CoverEntityFeature.STOP
        | CoverEntityFeature.SET_POSITION
    )
    await _call(hass, COVER_DOMAIN, SERVICE_SET_COVER_POSITION, cover, **{ATTR_POSITION: 30})
    assert node.objects[SHUTTER][0xE1] == bytes((30,))
    await _call(hass, COVER_DOMAIN, SERVICE_CLOSE_COVER, cover)
    assert node.objects[SHUTTER][0xE0] == b"\x42"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_gas_and_hybrid_water_heaters(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    node = lan.nodes[UTILITY]
    gas = entity_id_of(entity_registry, "water_heater", "027201-water_heater")
    state = hass.states.get(gas)
    assert state is not None
    assert state.state == "idle"
    assert state.attributes[ATTR_TEMPERATURE] == 40
    await _call(hass, WATER_HEATER_DOMAIN, "set_temperature", gas, temperature=45)
    assert node.objects[GAS_HEATER][0xD1] == bytes((45,))
    node.objects[GAS_HEATER][0xD0] = b"\x41"  # someone opens a tap
    coordinator = next(
        c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == GAS_HEATER
    )
    coordinator._cycle = 0  # a full cycle, not only the fast lane
    await coordinator.async_refresh()
    assert hass.states.get(gas).state == "heating"  # type: ignore[union-attr]
    await _call(hass, WATER_HEATER_DOMAIN, SERVICE_TURN_OFF, gas)
    assert node.objects[GAS_HEATER][0x80] == b"\x31"
    assert hass.states.get(gas).state == "off"  # type: ignore[union-attr]

    hybrid = entity_id_of(entity_registry, "water_heater", "02a601-water_heater")
    assert hass.states.get(hybrid).state == "automatic"  # type: ignore[union-attr]
    await _call(
        hass, WATER_HEATER_DOMAIN, SERVICE_SET_OPERATION_MODE, hybrid, operation_mode="manual_stop"
    )
    assert node.objects[HYBRID_HEATER][0xB0] == b"\x43"


async def _acknowledge(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str
) -> None:
    """Run the issue's repair flow through Home Assistant's HTTP API, as the UI does."""
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200, await response.text()
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == 200, await response.text()
    assert (await response.json())["type"] == "create_entry"


async def test_a_lock_opened_without_home_assistant_raises_an_alert(  # noqa: PLR0917 - pytest fixtures
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    lan: Lan,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_appliance_changed", events.append)
    node = lan.nodes[UTILITY]
    lock = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == LOCK)
    # Someone unlocks the door with its key pad; the lock announces nothing, a poll finds it.
    node.objects[LOCK][0xE0] = b"\x42"
    lock._cycle = 0  # a full cycle
    await lock.async_refresh()
    await hass.async_block_till_done()
    assert [e.data["epcs"] for e in events] == [["0xE0"]]
    issue_id = f"settings_changed_{lock.key}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "device": "Electric lock",
        "address": UTILITY,
        "properties": "Lock setting 1",
    }
    assert caplog.text.count("without a request from Home Assistant") == 1
    await _acknowledge(hass, hass_client, issue_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_fan_changed_by_its_remote_fires_an_event_only(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, issue_registry: ir.IssueRegistry
) -> None:
    events: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_appliance_changed", events.append)
    node = lan.nodes[UTILITY]
    fan = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == CEILING_FAN)
    node.objects[CEILING_FAN][0xF0] = b"\x35"
    fan._cycle = 0
    await fan.async_refresh()
    await hass.async_block_till_done()
    assert [e.data["epcs"] for e in events] == [["0xF0"]]
    assert not [i for i in issue_registry.issues.values() if i.issue_id.startswith("settings_")]


async def test_changes_home_assistant_asked_for_raise_nothing(
    hass: HomeAssistant,
    lan: Lan,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = appliances_entry(lan, **{CONF_SETTABLE_CLASSES: ["026F"]})
    await set_up(hass, entry)
    events: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_appliance_changed", events.append)
    lock = entity_id_of(entity_registry, "lock", "026f01-lock")
    await _call(hass, LOCK_DOMAIN, SERVICE_UNLOCK, lock)
    coordinator = next(c for c in entry.runtime_data.coordinators.values() if c.info.eoj == LOCK)
    coordinator._cycle = 0
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert events == []
    assert issue_registry.async_get_issue(DOMAIN, f"settings_changed_{coordinator.key}") is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_distribution_board_circuits_are_energy_sensors_in_the_boards_unit(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    """Each circuit's energy (0xD0...) is a kWh sensor for the Energy dashboard, times 0xC2."""
    circuit = entity_id_of(entity_registry, "sensor", "028701-d0_0")
    state = hass.states.get(circuit)
    assert state is not None
    assert state.state == "456.7"  # 4567 in units of 0.1 kWh
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes["unit_of_measurement"] == "kWh"
    registered = entity_registry.async_get(circuit)
    assert registered is not None
    assert registered.disabled_by is None
    current = entity_registry.async_get(entity_id_of(entity_registry, "sensor", "028701-d0_1"))
    assert current is not None
    assert current.disabled_by is er.RegistryEntryDisabler.INTEGRATION  # there to enable

    node = lan.nodes[UTILITY]
    node.objects[BOARD][0xC2] = b"\x02"  # the board now counts in 0.01 kWh
    coordinator = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == BOARD)
    coordinator._cycle = 0
    await coordinator.async_refresh()
    assert hass.states.get(circuit).state == "45.67"  # type: ignore[union-attr]
    whole = hass.states.get(entity_id_of(entity_registry, "sensor", "028701-c0"))
    assert whole is not None
    assert whole.state == "1234.56"


async def test_a_number_sets_the_device(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    supply = entity_id_of(entity_registry, "number", "026b01-d1")
    assert hass.states.get(supply).state == "42.0"  # type: ignore[union-attr]
    await _call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, supply, value=45)
    living = lan.nodes[LIVING]
    heater = next(e for e in living.objects if e.class_id == 0x026B)
    assert living.objects[heater][0xD1] == bytes((45,))
    with pytest.raises(ServiceValidationError):
        await _call(hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, supply, value=250)
    assert living.objects[heater][0xD1] == bytes((45,))


async def test_only_a_silent_appliance_can_be_removed(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan
) -> None:
    devices = dr.async_get(hass)
    fan = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == CEILING_FAN)
    device = devices.async_get_device_by_identifier((DOMAIN, fan.key), loaded.entry_id)
    assert device is not None
    # It answers: removing it would only bring it back at the next poll.
    assert not await async_remove_config_entry_device(hass, loaded, device)
    assert fan.key in loaded.runtime_data.coordinators
    lan.nodes[UTILITY].drop = 1000
    await fan.async_refresh()
    assert not fan.last_update_success
    assert await async_remove_config_entry_device(hass, loaded, device)
    assert fan.key not in loaded.runtime_data.coordinators


async def test_a_repair_flow_exists_only_for_alerts() -> None:
    with pytest.raises(ValueError, match="no repair flow"):
        await async_create_fix_flow(None, "node_silent_x", None)  # type: ignore[arg-type]
