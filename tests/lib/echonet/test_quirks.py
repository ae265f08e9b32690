"""Maker quirks: each entry replays what its report shows, over real UDP to a simulated unit.

Every quirk in `QUIRKS` has a test here; a quirk added without one fails
`test_every_quirk_is_replayed`.
"""

from collections.abc import Callable

from custom_components.denki.lib.echonet import EOJ, EchonetClient
from custom_components.denki.lib.echonet.nodes import probe_object
from custom_components.denki.lib.echonet.quirks import (
    DAIKIN,
    DEFAULT_TARGET_RANGE,
    FAN_AUTO,
    FAN_LEVELS,
    MITSUBISHI,
    QUIRKS,
    SWING_BOTH,
    SWING_HORIZONTAL,
    SWING_OFF,
    SWING_VERTICAL,
    TARGET_RANGE,
    air_conditioner_capabilities,
    quirks_for,
)
from simulators.echonet_devices import air_conditioner
from simulators.echonet_node import SimulatedNode

from .conftest import NodeFactory

AIRCON = EOJ.from_int(0x013001)
UNIT = "127.0.10.40"
REPLAYED: set[str] = set()
"""The sources of the quirks the tests below replay (registered at import by `replays`)."""

ALL_LEVELS = (FAN_AUTO, *FAN_LEVELS)


def replays[F: Callable[..., object]](source: str) -> Callable[[F], F]:
    """Mark a test as the replay of the report at `source`."""
    REPLAYED.add(source)
    return lambda test: test


async def _unit(
    nodes: NodeFactory, client: EchonetClient, maker: int, **kwargs: object
) -> tuple[SimulatedNode, frozenset[int], frozenset[int]]:
    values, settable = air_conditioner(maker=maker.to_bytes(3), **kwargs)  # type: ignore[arg-type]
    node = await nodes(UNIT, {AIRCON: values}, settable=settable)
    info = await probe_object(client, UNIT, AIRCON)
    assert info.manufacturer == maker
    return node, info.get_map, info.set_map


@replays("https://github.com/scottyphillips/echonetlite_homeassistant/issues/185")
async def test_daikin_keeps_level_3_for_level_1(nodes: NodeFactory, client: EchonetClient) -> None:
    """echonetlite_homeassistant#185: "When I selected "1" ... the unit immediately defaulted
    to "3"": SetC 0xA0 = 0x31 is accepted, and the Get that follows reads 0x33."""
    node, get_map, set_map = await _unit(nodes, client, DAIKIN)
    node.on_set = lambda eoj, epc, edt: b"\x33" if (epc, edt) == (0xA0, b"\x31") else edt
    reply = await client.set_c(UNIT, AIRCON, {0xA0: b"\x31"})
    assert reply.ok
    assert (await client.get(UNIT, AIRCON, [0xA0])).values == {0xA0: b"\x33"}
    caps = air_conditioner_capabilities(DAIKIN, get_map, set_map)
    assert 0x31 not in caps.fan_codes
    assert caps.fan_codes == (FAN_AUTO, *FAN_LEVELS[1:])


@replays("https://github.com/scottyphillips/echonetlite_homeassistant/issues/265")
async def test_daikin_swings_horizontally_without_0xa5(
    nodes: NodeFactory, client: EchonetClient
) -> None:
    """echonetlite_homeassistant#265: the F40ZTRXP-W's Set map, and every 0xA3 value kept."""
    set_map = (0x80, 0x81, 0x8F, 0x93, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4, 0xC1, 0xC4)
    _, get_map, read_set_map = await _unit(nodes, client, DAIKIN, settable=set_map)
    assert read_set_map == frozenset(set_map)
    assert 0xA5 not in get_map
    for code in (SWING_OFF, SWING_HORIZONTAL, SWING_VERTICAL, SWING_BOTH):
        assert (await client.set_c(UNIT, AIRCON, {0xA3: bytes((code,))})).ok
        assert (await client.get(UNIT, AIRCON, [0xA3])).values == {0xA3: bytes((code,))}
    caps = air_conditioner_capabilities(DAIKIN, get_map, read_set_map)
    assert caps.vertical_swing
    assert caps.horizontal_swing
    # The same maps from a maker without the report: vertical only.
    other = air_conditioner_capabilities(0x00000B, get_map, read_set_map)
    assert other.vertical_swing
    assert not other.horizontal_swing


@replays("https://github.com/scottyphillips/echonetlite_homeassistant/issues/75")
async def test_mitsubishi_has_five_rates(nodes: NodeFactory, client: EchonetClient) -> None:
    """echonetlite_homeassistant#75, Mitsubishi's answer: 0x34 and 0x35 are "powerful",
    0x36-0x38 "super powerful". A unit reporting 0x35 or 0x38 shows 0x34 or 0x36."""
    _, get_map, set_map = await _unit(nodes, client, MITSUBISHI, values={0xA0: b"\x38"})
    caps = air_conditioner_capabilities(MITSUBISHI, get_map, set_map)
    assert caps.fan_codes == (FAN_AUTO, 0x31, 0x32, 0x33, 0x34, 0x36)
    reported = (await client.get(UNIT, AIRCON, [0xA0])).values[0xA0][0]
    assert caps.fan_code(reported) == 0x36
    assert caps.fan_code(0x35) == 0x34
    assert caps.fan_code(0x41) == FAN_AUTO


@replays("https://github.com/scottyphillips/echonetlite_homeassistant/issues/263")
async def test_mitsubishi_swings_horizontally(nodes: NodeFactory, client: EchonetClient) -> None:
    """echonetlite_homeassistant#263: the MSZ-AP50VGKD2 swings its vanes with 0xA3 = 0x42."""
    _, get_map, set_map = await _unit(nodes, client, MITSUBISHI)
    assert (await client.set_c(UNIT, AIRCON, {0xA3: bytes((SWING_HORIZONTAL,))})).ok
    caps = air_conditioner_capabilities(MITSUBISHI, get_map, set_map)
    assert caps.horizontal_swing
    assert caps.swing_code(vertical=False, horizontal=True) == SWING_HORIZONTAL


@replays("https://github.com/echavet/MitsubishiCN105ESPHome/issues/324")
def test_mitsubishi_set_temperatures() -> None:
    """MitsubishiCN105ESPHome#324: Mitsubishi's MELCloud gives min_temp 16 and max_temp 31."""
    caps = air_conditioner_capabilities(MITSUBISHI, {0xB3}, {0xB3})
    assert caps.target_range == (16, 31)
    # A setpoint the unit reports below it (MSZ-AP heating to 10 degC) widens it.
    assert air_conditioner_capabilities(
        MITSUBISHI, {0xB3}, {0xB3}, setpoints=[10]
    ).target_range == (10, 31)


def test_maps_alone_decide_fan_and_swing() -> None:
    """No 0xA0 in the Set map: no fan modes; no 0xA3: no swing; 0xA5: horizontal too."""
    caps = air_conditioner_capabilities(None, {0xA0, 0xA3, 0xB3}, {0xB3})
    assert caps.fan_codes == ()
    assert not caps.vertical_swing
    assert not caps.horizontal_swing
    assert caps.target_range == DEFAULT_TARGET_RANGE
    full = air_conditioner_capabilities(None, {0xA0, 0xA3, 0xA5}, {0xA0, 0xA3})
    assert full.fan_codes == ALL_LEVELS
    assert full.vertical_swing
    assert full.horizontal_swing
    # A setpoint beyond the Appendix's 0-50 degC is not one: it widens nothing.
    assert air_conditioner_capabilities(None, (), (), setpoints=[0xFD, 60]).target_range == (
        DEFAULT_TARGET_RANGE
    )
    assert air_conditioner_capabilities(None, (), (), setpoints=[0]).target_range == (
        TARGET_RANGE[0],
        DEFAULT_TARGET_RANGE[1],
    )


def test_learned_narrowing() -> None:
    caps = air_conditioner_capabilities(None, {0xA0, 0xA3, 0xA5}, {0xA0, 0xA3})
    assert 0x38 not in caps.without_fan(0x38).fan_codes
    assert not caps.with_horizontal_swing(False).horizontal_swing
    # Horizontal swing needs vertical swing (0xA3) to be set at all.
    assert (
        not air_conditioner_capabilities(None, {0xA5}, ())
        .with_horizontal_swing(True)
        .horizontal_swing
    )


def test_every_quirk_is_replayed() -> None:
    """Every quirk in the table has a test above that replays its report, and no other."""
    assert {q.source for q in QUIRKS} == REPLAYED
    assert all(q.source.startswith("https://github.com/") for q in QUIRKS)
    assert quirks_for(None, 0x0130) == ()
