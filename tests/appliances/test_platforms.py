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
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import CONF_SETTABLE_CLASSES

from .conftest import (
    AIR_CLEANER,
    CEILING_FAN,
    GAS_HEATER,
    HYBRID_HEATER,
    LOCK,
    SHUTTER,
    UTILITY,
    Lan,
    appliances_entry,
    set_up,
)


def _entity(entity_registry: er.EntityRegistry, platform: str, suffix: str) -> str:
    for entry in entity_registry.entities.values():
        if entry.domain == platform and entry.unique_id.endswith(suffix):
            return entry.entity_id
    raise AssertionError(f"no {platform} entity ending {suffix}")


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
    ceiling = _entity(entity_registry, "fan", "013a01-fan")
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

    cleaner = _entity(entity_registry, "fan", "013501-fan")
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
    lock = _entity(entity_registry, "lock", "026f01-lock")
    assert hass.states.get(lock).state == "locked"  # type: ignore[union-attr]
    with pytest.raises(HomeAssistantError):
        await _call(hass, LOCK_DOMAIN, SERVICE_UNLOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x41"

    cover = _entity(entity_registry, "cover", "026301-cover")
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

    lock = _entity(entity_registry, "lock", "026f01-lock")
    await _call(hass, LOCK_DOMAIN, SERVICE_UNLOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x42"
    assert hass.states.get(lock).state == "unlocked"  # type: ignore[union-attr]
    await _call(hass, LOCK_DOMAIN, SERVICE_LOCK, lock)
    assert node.objects[LOCK][0xE0] == b"\x41"

    cover = _entity(entity_registry, "cover", "026301-cover")
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
    gas = _entity(entity_registry, "water_heater", "027201-water_heater")
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

    hybrid = _entity(entity_registry, "water_heater", "02a601-water_heater")
    assert hass.states.get(hybrid).state == "automatic"  # type: ignore[union-attr]
    await _call(
        hass, WATER_HEATER_DOMAIN, SERVICE_SET_OPERATION_MODE, hybrid, operation_mode="manual_stop"
    )
    assert node.objects[HYBRID_HEATER][0xB0] == b"\x43"
