"""The climate entity offers what each unit says it can do, and its maker's reported quirks.

A fourth node joins the simulated home (over real UDP on loopback, as the others)
with air conditioners of several makers, each built as a maker-quirk report shows it:
the units' Set maps decide which of fan modes and swing are offered, their maker
code which quirks apply, and what they answer to a Set narrows the offer further.
"""

from collections.abc import AsyncIterator

from homeassistant.components.climate import (
    ATTR_FAN_MODE,
    ATTR_FAN_MODES,
    ATTR_MAX_TEMP,
    ATTR_MIN_TEMP,
    ATTR_SWING_HORIZONTAL_MODE,
    ATTR_SWING_HORIZONTAL_MODES,
    ATTR_SWING_MODE,
    ATTR_SWING_MODES,
    DOMAIN as CLIMATE_DOMAIN,
    SERVICE_SET_FAN_MODE,
    SERVICE_SET_SWING_HORIZONTAL_MODE,
    SERVICE_SET_SWING_MODE,
    ClimateEntityFeature,
)
from homeassistant.const import ATTR_ENTITY_ID, ATTR_SUPPORTED_FEATURES
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.lib.echonet import CONTROLLER, EOJ, ESV, Frame, Property
from simulators.echonet_devices import air_conditioner
from simulators.echonet_node import SimulatedNode

from .conftest import INTERFACE, LIVING, OBJECTS, Lan, appliances_entry, entity_id_of, until

ROOMS = "127.0.11.31"
DAIKIN = EOJ.from_int(0x013002)
MITSUBISHI = EOJ.from_int(0x013003)
READ_ONLY = EOJ.from_int(0x013004)
WIDE_VANES = EOJ.from_int(0x013005)
SNAPPING = EOJ.from_int(0x013006)
UNITS = 5

DAIKIN_SET_MAP = (0x80, 0x81, 0x8F, 0x93, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4, 0xC1, 0xC4)
"""The Set map of the Daikin F40ZTRXP-W in echonetlite_homeassistant#265."""


def _on_set(eoj: EOJ, epc: int, edt: bytes) -> bytes | None:
    """What each unit makes of a value set, as the reports show."""
    if eoj == DAIKIN and epc == 0xA0 and edt == b"\x31":
        return b"\x33"  # echonetlite_homeassistant#185: level 1 is kept as level 3
    if eoj == SNAPPING and epc == 0xA0 and edt == b"\x38":
        return b"\x36"  # an unknown maker's unit with six levels: 8 is kept as 6
    if eoj == SNAPPING and epc == 0xA3 and edt in (b"\x42", b"\x43"):
        return None  # and no side-to-side vanes: Set_SNA
    return edt


@pytest.fixture
async def rooms(
    hass: HomeAssistant, lan: Lan
) -> AsyncIterator[tuple[MockConfigEntry, SimulatedNode]]:
    """The home plus a node of five air conditioners, set up and polled once."""
    node = await lan.start(
        ROOMS,
        b"ROOMS-NODE-01",
        {
            DAIKIN: air_conditioner(
                "DK0001", maker=b"\x00\x00\x08", settable=DAIKIN_SET_MAP, product="F40ZTRXP-W"
            ),
            MITSUBISHI: air_conditioner(
                "ME0001",
                maker=b"\x00\x00\x06",
                values={0xA0: b"\x35", 0xA3: b"\x42"},
                product="MSZ-AP50VGKD2",
            ),
            # Fan and swing shown (0xA0 and 0xA3 in its Get map) but not settable.
            READ_ONLY: air_conditioner("RO0001", settable=(0x80, 0xB0, 0xB3)),
            WIDE_VANES: air_conditioner(
                "WV0001",
                settable=(0x80, 0xA0, 0xA3, 0xA5, 0xB0, 0xB3),
                values={0xA5: b"\x54", 0xB3: bytes((32,))},
            ),
            # Lists its horizontal direction (0xA5) but refuses horizontal swing.
            SNAPPING: air_conditioner("SN0001", values={0xA5: b"\x54"}),
        },
    )
    node.on_set = _on_set
    entry = appliances_entry(lan)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinators = entry.runtime_data.coordinators
    await until(lambda: len(coordinators) == OBJECTS + UNITS, 30)
    await until(lambda: all(c.data for c in coordinators.values()), 30)
    await hass.async_block_till_done()
    yield entry, node
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _climate(hass: HomeAssistant, entity_registry: er.EntityRegistry, eoj: EOJ) -> State:
    entity_id = entity_id_of(
        entity_registry, "climate", f"{int.from_bytes(eoj.to_bytes()):06x}-climate"
    )
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def _features(state: State) -> ClimateEntityFeature:
    return ClimateEntityFeature(state.attributes[ATTR_SUPPORTED_FEATURES])


async def _call(hass: HomeAssistant, service: str, entity_id: str, **data: object) -> None:
    await hass.services.async_call(
        CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )
    await hass.async_block_till_done()


async def test_a_daikin_unit_is_offered_its_reported_capabilities(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    entity_registry: er.EntityRegistry,
) -> None:
    """#185: no fan level 1; #265: horizontal swing through 0xA3 with no 0xA5 in its maps."""
    _, node = rooms
    state = _climate(hass, entity_registry, DAIKIN)
    assert state.attributes[ATTR_FAN_MODES] == ["auto", "2", "3", "4", "5", "6", "7", "8"]
    assert state.attributes[ATTR_SWING_MODES] == ["off", "on"]
    assert state.attributes[ATTR_SWING_HORIZONTAL_MODES] == ["off", "on"]
    features = _features(state)
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE in features
    # Both planes at once is 0xA3 = 0x43, as the unit in #265 round-trips it.
    await _call(hass, SERVICE_SET_SWING_MODE, state.entity_id, **{ATTR_SWING_MODE: "on"})
    await _call(
        hass,
        SERVICE_SET_SWING_HORIZONTAL_MODE,
        state.entity_id,
        **{ATTR_SWING_HORIZONTAL_MODE: "on"},
    )
    assert node.objects[DAIKIN][0xA3] == b"\x43"
    state = _climate(hass, entity_registry, DAIKIN)
    assert state.attributes[ATTR_SWING_MODE] == "on"
    assert state.attributes[ATTR_SWING_HORIZONTAL_MODE] == "on"
    await _call(hass, SERVICE_SET_SWING_MODE, state.entity_id, **{ATTR_SWING_MODE: "off"})
    assert node.objects[DAIKIN][0xA3] == b"\x42"


async def test_a_mitsubishi_unit_shows_its_five_rates_and_its_range(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    entity_registry: er.EntityRegistry,
) -> None:
    """#75: 0x35 is 0x34 and 0x37-0x38 are 0x36; #263: horizontal swing; #324: 16-31 degC."""
    state = _climate(hass, entity_registry, MITSUBISHI)
    assert state.attributes[ATTR_FAN_MODES] == ["auto", "1", "2", "3", "4", "6"]
    assert state.attributes[ATTR_FAN_MODE] == "4"  # the unit reports 0x35
    assert state.attributes[ATTR_SWING_MODE] == "off"
    assert state.attributes[ATTR_SWING_HORIZONTAL_MODE] == "on"  # 0xA3 = 0x42
    assert (state.attributes[ATTR_MIN_TEMP], state.attributes[ATTR_MAX_TEMP]) == (16, 31)


async def test_a_unit_without_fan_or_swing_in_its_set_map_is_offered_neither(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    entity_registry: er.EntityRegistry,
) -> None:
    state = _climate(hass, entity_registry, READ_ONLY)
    features = _features(state)
    assert ClimateEntityFeature.FAN_MODE not in features
    assert ClimateEntityFeature.SWING_MODE not in features
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE not in features
    assert ATTR_FAN_MODES not in state.attributes
    assert ATTR_SWING_MODES not in state.attributes
    assert ClimateEntityFeature.TARGET_TEMPERATURE in features
    assert (state.attributes[ATTR_MIN_TEMP], state.attributes[ATTR_MAX_TEMP]) == (16, 30)


async def test_side_to_side_vanes_and_a_setpoint_beyond_the_default_range(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    entity_registry: er.EntityRegistry,
) -> None:
    """A unit of no quirk-listed maker with 0xA5 has horizontal swing; its 32 degC is offered."""
    state = _climate(hass, entity_registry, WIDE_VANES)
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE in _features(state)
    assert (state.attributes[ATTR_MIN_TEMP], state.attributes[ATTR_MAX_TEMP]) == (16, 32)
    # The simulated home's own unit (no 0xA5, no quirk) swings vertically only.
    home = _climate(hass, entity_registry, EOJ.from_int(0x013001))
    assert ClimateEntityFeature.SWING_MODE in _features(home)
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE not in _features(home)


async def test_what_the_unit_refuses_or_replaces_is_no_longer_offered(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    entity_registry: er.EntityRegistry,
) -> None:
    state = _climate(hass, entity_registry, SNAPPING)
    assert "8" in state.attributes[ATTR_FAN_MODES]
    # Level 8 set, level 6 read back at once: 8 is not offered any more.
    await _call(hass, SERVICE_SET_FAN_MODE, state.entity_id, **{ATTR_FAN_MODE: "8"})
    state = _climate(hass, entity_registry, SNAPPING)
    assert state.attributes[ATTR_FAN_MODE] == "6"
    assert "8" not in state.attributes[ATTR_FAN_MODES]
    # Its maps promise side-to-side vanes; it refuses to swing them (Set_SNA): no longer offered.
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE in _features(state)
    with pytest.raises(HomeAssistantError):
        await _call(
            hass,
            SERVICE_SET_SWING_HORIZONTAL_MODE,
            state.entity_id,
            **{ATTR_SWING_HORIZONTAL_MODE: "on"},
        )
    state = _climate(hass, entity_registry, SNAPPING)
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE not in _features(state)
    assert ClimateEntityFeature.SWING_MODE in _features(state)


async def test_a_unit_that_reports_horizontal_swing_is_offered_it(
    hass: HomeAssistant,
    rooms: tuple[MockConfigEntry, SimulatedNode],
    lan: Lan,
    entity_registry: er.EntityRegistry,
) -> None:
    """Its remote control set 0xA3 to 0x42 and the unit announced it: it has the vanes."""
    home = EOJ.from_int(0x013001)
    assert ClimateEntityFeature.SWING_HORIZONTAL_MODE not in _features(
        _climate(hass, entity_registry, home)
    )
    living = lan.nodes[LIVING]
    living.objects[home][0xA3] = b"\x42"
    living.send(
        Frame(0x4321, home, CONTROLLER, ESV.INF, (Property(0xA3, b"\x42"),)),
        (INTERFACE, lan.port),
    )

    def offered() -> bool:
        state = _climate(hass, entity_registry, home)
        return ClimateEntityFeature.SWING_HORIZONTAL_MODE in _features(state)

    await until(offered)
    state = _climate(hass, entity_registry, home)
    assert state.attributes[ATTR_SWING_HORIZONTAL_MODE] == "on"
    assert state.attributes[ATTR_SWING_MODE] == "off"
