"""The appliances entry against simulated nodes over real UDP: entities, control, push, faults."""

from dataclasses import replace

from homeassistant.components.climate import (
    ATTR_HVAC_MODE,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_HVAC_MODE,
    SERVICE_SET_TEMPERATURE,
    HVACMode,
)
from homeassistant.components.light import ATTR_BRIGHTNESS, DOMAIN as LIGHT_DOMAIN
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN, SERVICE_SELECT_OPTION
from homeassistant.components.water_heater import (
    DOMAIN as WATER_HEATER_DOMAIN,
    SERVICE_SET_OPERATION_MODE,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    SERVICE_TURN_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.denki.const import CONF_NODE_ID, CONF_SETTABLE_CLASSES, DOMAIN, EntryKind
from custom_components.denki.kinds import KIND_HANDLERS
from custom_components.denki.lib.echonet import (
    CONTROLLER as EOJ_CONTROLLER,
    ESV,
    MULTICAST_GROUP,
    Frame,
    Property,
)

from .conftest import (
    AIRCON,
    BATTERY,
    LIVING,
    NODES,
    OBJECTS,
    OUTSIDE,
    Lan,
    appliances_entry,
    entity_id_of,
    set_up,
    until,
)


@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.CLIMATE,
        Platform.COVER,
        Platform.FAN,
        Platform.LIGHT,
        Platform.LOCK,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.WATER_HEATER,
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(  # noqa: PLR0917 - pytest fixtures
    hass: HomeAssistant,
    lan: Lan,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = KIND_HANDLERS[EntryKind.APPLIANCES]
    monkeypatch.setitem(
        KIND_HANDLERS,
        EntryKind.APPLIANCES,
        replace(handler, platforms={platform: handler.platforms[platform]}),
    )
    entry = appliances_entry(lan)
    await set_up(hass, entry)
    entries = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert entries, f"no {platform} entities"
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_one_device_per_object_named_by_identity(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    devices = dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
    assert len(devices) == OBJECTS
    aircon = next(d for d in devices if d.model_id == "0x0130")
    assert aircon.serial_number == "AC0001"
    assert aircon.model == "AC-SIM"
    assert aircon.manufacturer == "Panasonic Holdings Corporation" or aircon.manufacturer
    # The identity is the node's 0x83, never its address.
    (identifier,) = aircon.identifiers
    assert LIVING not in identifier[1]
    assert identifier[1].startswith((b"\xfe\x00\x00\x16" + b"LIVING-NODE-1").hex())


async def test_climate_controls_the_air_conditioner(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    climate = entity_id_of(entity_registry, "climate", "-climate")
    state = hass.states.get(climate)
    assert state is not None
    assert state.state == HVACMode.COOL
    assert state.attributes["temperature"] == 26
    assert state.attributes["current_temperature"] == 28
    node = lan.nodes[LIVING]
    await hass.services.async_call(
        CLIMATE_DOMAIN,
        SERVICE_SET_HVAC_MODE,
        {ATTR_ENTITY_ID: climate, ATTR_HVAC_MODE: HVACMode.HEAT},
        blocking=True,
    )
    assert node.objects[AIRCON][0xB0] == b"\x43"
    assert node.objects[AIRCON][0x80] == b"\x30"
    # Power and mode went in one SetC.
    setc = [f for f in node.requests if f.esv is ESV.SETC]
    assert [sorted(p.epc for p in f.properties) for f in setc] == [[0x80, 0xB0]]
    await hass.services.async_call(
        CLIMATE_DOMAIN,
        SERVICE_SET_TEMPERATURE,
        {ATTR_ENTITY_ID: climate, ATTR_TEMPERATURE: 22},
        blocking=True,
    )
    assert node.objects[AIRCON][0xB3] == bytes((22,))
    state = hass.states.get(climate)
    assert state is not None
    assert state.state == HVACMode.HEAT
    assert state.attributes["temperature"] == 22
    await hass.services.async_call(
        CLIMATE_DOMAIN,
        SERVICE_SET_HVAC_MODE,
        {ATTR_ENTITY_ID: climate, ATTR_HVAC_MODE: HVACMode.OFF},
        blocking=True,
    )
    assert node.objects[AIRCON][0x80] == b"\x31"


async def test_water_heater_light_and_select(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    heater = entity_id_of(entity_registry, "water_heater", "026b01-water_heater")
    state = hass.states.get(heater)
    assert state is not None
    assert state.state == "automatic"
    await hass.services.async_call(
        WATER_HEATER_DOMAIN,
        SERVICE_SET_OPERATION_MODE,
        {ATTR_ENTITY_ID: heater, "operation_mode": "manual_stop"},
        blocking=True,
    )
    assert (
        lan.nodes[LIVING].objects[
            next(e for e in lan.nodes[LIVING].objects if e.class_id == 0x026B)
        ][0xB0]
        == b"\x43"
    )

    light = entity_id_of(entity_registry, "light", "-light")
    await hass.services.async_call(
        LIGHT_DOMAIN,
        SERVICE_TURN_ON,
        {ATTR_ENTITY_ID: light, ATTR_BRIGHTNESS: 128},
        blocking=True,
    )
    outside = lan.nodes[OUTSIDE]
    light_values = next(v for e, v in outside.objects.items() if e.class_id == 0x0290)
    assert light_values[0xB0] == bytes((50,))

    mode = entity_id_of(entity_registry, "select", f"{int.from_bytes(BATTERY.to_bytes()):06x}-da")
    state = hass.states.get(mode)
    assert state is not None
    assert state.state == "charging"
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: mode, "option": "discharging"},
        blocking=True,
    )
    assert outside.objects[BATTERY][0xDA] == b"\x43"


async def test_a_notification_updates_at_once_and_a_foreign_change_is_reported(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    events: list[Event] = []
    hass.bus.async_listen(f"{DOMAIN}_appliance_changed", events.append)
    climate = entity_id_of(entity_registry, "climate", "-climate")
    node = lan.nodes[LIVING]
    # Someone uses the remote control: the unit announces its new setpoint.
    node.objects[AIRCON][0xB3] = bytes((24,))
    node.send(
        Frame(0x1234, AIRCON, EOJ_CONTROLLER, ESV.INF, (Property(0xB3, bytes((24,))),)),
        ("127.0.11.1", lan.port),
    )
    await until(lambda: hass.states.get(climate).attributes["temperature"] == 24)  # type: ignore[union-attr]
    await hass.async_block_till_done()
    assert [e.data["epcs"] for e in events] == [["0xB3"]]


async def test_a_silent_node_is_unavailable_and_comes_back(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    climate = entity_id_of(entity_registry, "climate", "-climate")
    coordinator = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == AIRCON)
    node = lan.nodes[LIVING]
    node.drop = 1000
    await coordinator.async_refresh()
    assert hass.states.get(climate).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    # Backed off: the next polls ask nothing (issue 19: a silent node is not asked every 10 s).
    asked = len(node.requests)
    await coordinator.async_refresh()
    assert len(node.requests) == asked
    node.drop = 0
    await coordinator.async_refresh()
    assert hass.states.get(climate).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    # It speaks (an announcement, as a node does at start): polled again at once.
    client = loaded.runtime_data.client
    heard = client.last_heard(LIVING)
    node.announce((MULTICAST_GROUP, lan.port))
    await until(lambda: client.last_heard(LIVING) != heard)
    await coordinator.async_refresh()
    assert hass.states.get(climate).state == HVACMode.COOL  # type: ignore[union-attr]


async def test_control_can_be_turned_off_per_class(
    hass: HomeAssistant, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    entry = appliances_entry(lan, **{CONF_SETTABLE_CLASSES: ["0290"]})
    await set_up(hass, entry)
    climate = entity_id_of(entity_registry, "climate", "-climate")
    await until(
        lambda: hass.states.get(climate) is not None and hass.states.get(climate).state != "unknown"
    )  # type: ignore[union-attr]
    state = hass.states.get(climate)
    assert state is not None
    assert state.attributes["supported_features"] == 0
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            CLIMATE_DOMAIN,
            SERVICE_SET_HVAC_MODE,
            {ATTR_ENTITY_ID: climate, ATTR_HVAC_MODE: HVACMode.HEAT},
            blocking=True,
        )
    assert lan.nodes[LIVING].objects[AIRCON][0xB0] == b"\x42"


async def test_disabled_entities_cost_no_traffic(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan
) -> None:
    coordinator = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == AIRCON)
    node = lan.nodes[LIVING]
    before = len(node.requests)
    # One poll interval's worth of cycles: power every cycle, the rest once.
    for _ in range(6):
        await coordinator.async_refresh()
    gets = [f for f in node.requests[before:] if f.esv is ESV.GET]
    assert len(gets) == 6  # one Get per object per cycle
    asked = [{p.epc for p in get.properties} for get in gets]
    assert set().union(*asked) == set(coordinator.polled)
    assert sum(asked.count({0x84}) for _ in [0]) == 5  # the fast lane: power alone
    assert {0x80, 0xB0, 0xB3, 0xBB} <= set(coordinator.polled)
    # Installation location is disabled by default: never asked.
    assert 0x81 not in set(coordinator.polled)


async def test_an_unknown_host_setting_our_node_raises_a_repair_issue(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, issue_registry: ir.IssueRegistry
) -> None:
    stranger = await lan.start("127.0.11.99", b"STRANGER-0001", {})
    stranger.send(
        Frame(7, EOJ_CONTROLLER, EOJ_CONTROLLER, ESV.SETC, (Property(0x80, b"\x31"),)),
        ("127.0.11.1", lan.port),
    )
    await until(lambda: loaded.runtime_data.intrusions == 1)
    assert issue_registry.async_get_issue(DOMAIN, f"unknown_set_request_{loaded.entry_id}")


async def test_a_restart_brings_entities_back_before_the_lan_answers(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    climate = entity_id_of(entity_registry, "climate", "-climate")
    assert await hass.config_entries.async_unload(loaded.entry_id)
    for node in lan.nodes.values():
        node.drop = 1000
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    # Known from storage: the coordinators exist at once, with the same entity.
    assert len(loaded.runtime_data.coordinators) == OBJECTS
    assert hass.states.get(climate) is not None
    assert entity_id_of(entity_registry, "climate", "-climate") == climate


async def test_diagnostics_show_maps_capacity_and_counters_without_our_node_id(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    lan: Lan,
    hass_client: ClientSessionGenerator,
) -> None:
    # A device that answers only four properties per Get, learned on the next poll.
    lan.nodes[LIVING].max_properties = 4
    coordinator = next(c for c in loaded.runtime_data.coordinators.values() if c.info.eoj == AIRCON)
    coordinator._cycle = 0  # a full cycle
    await coordinator.async_refresh()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded)
    assert diagnostics["entry"]["data"][CONF_NODE_ID] == "**REDACTED**"
    assert "00112233445566778899aabbcc" not in str(diagnostics)
    assert diagnostics["learned_capacity"] == {coordinator.key: 4}
    assert diagnostics["counters"]["malformed"] == 0
    assert {"spoofed", "unmatched", "unknown_set_requests"} <= set(diagnostics["counters"])
    assert len(diagnostics["nodes"]) == NODES
    aircon = diagnostics["objects"][coordinator.key]
    assert aircon["last_update_success"] is True
    assert aircon["data"]["0xB0"] == "42"
