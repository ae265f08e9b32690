"""Identity after DHCP, over real UDP on loopback: swaps, newcomers, Sets only when confirmed."""

import pytest

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    NODE_PROFILE,
    EchonetClient,
    EchonetError,
    Frame,
    Property,
    UnconfirmedError,
)
from custom_components.denki.lib.echonet.nodes import STRANGER_GETS, NodeDirectory, NodeInfo
from simulators.echonet_devices import (
    air_conditioner,
    general_lighting,
    home_node,
    shutter,
    solar,
    storage_battery,
    water_heater,
)
from simulators.echonet_node import SimulatedNode, swap_addresses

from .conftest import AIRCON, CLIENT, NodeFactory, eventually

ROOM_A = "127.0.10.40"
ROOM_B = "127.0.10.41"
SPARE = "127.0.10.42"


async def _aircon(nodes: NodeFactory, address: str, name: bytes) -> SimulatedNode:
    objects, settable = home_node(name, {AIRCON: air_conditioner(name.decode()[-6:])})
    return await nodes(address, objects, settable=settable)


def _identity(name: bytes) -> str:
    return (b"\xfe\x00\x00\x16" + name.ljust(13, b"\x00")).hex()


async def _two_rooms(
    client: EchonetClient, nodes: NodeFactory
) -> tuple[NodeDirectory, SimulatedNode, SimulatedNode, list[tuple[NodeInfo, NodeInfo | None]]]:
    changes: list[tuple[NodeInfo, NodeInfo | None]] = []
    directory = NodeDirectory(
        client,
        manual_hosts=(ROOM_A, ROOM_B),
        on_change=lambda node, before: changes.append((node, before)),
    )
    living = await _aircon(nodes, ROOM_A, b"LIVING-ROOM-A")
    bedroom = await _aircon(nodes, ROOM_B, b"BEDROOM-RM-B")
    found = await directory.discover(window=1.0)
    assert {node.address for node in found} == {ROOM_A, ROOM_B}
    assert directory.confirmed(ROOM_A, _identity(b"LIVING-ROOM-A"))
    assert directory.confirmed(ROOM_B, _identity(b"BEDROOM-RM-B"))
    changes.clear()
    return directory, living, bedroom, changes


def _where(directory: NodeDirectory) -> dict[str, str]:
    return {
        identity: node.address
        for identity, node in directory.nodes.items()
        if directory.confirmed(node.address, identity)
    }


async def test_a_swap_announced_by_both_nodes_is_followed(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    directory, living, bedroom, changes = await _two_rooms(client, nodes)
    await swap_addresses(living, bedroom, announce_to=(CLIENT, port))
    await eventually(
        lambda: (
            _where(directory)
            == {_identity(b"LIVING-ROOM-A"): ROOM_B, _identity(b"BEDROOM-RM-B"): ROOM_A}
        )
    )
    assert directory.by_address(ROOM_A).identity == _identity(b"BEDROOM-RM-B")  # type: ignore[union-attr]
    assert directory.by_address(ROOM_B).identity == _identity(b"LIVING-ROOM-A")  # type: ignore[union-attr]
    assert directory.counters.address_changes == 2
    assert sorted((node.address, before and before.address) for node, before in changes) == [
        (ROOM_A, ROOM_B),
        (ROOM_B, ROOM_A),
    ]
    # Known nodes with the same objects: one Get each (the node profile), no object re-read.
    assert [
        [p.epc for p in frame.properties] for frame in living.requests[-1:] if frame.esv is ESV.GET
    ] == [[0x83, 0x8A, 0x82, 0xD6]]
    directory.close()


async def test_a_swap_found_by_discovery_is_followed(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    directory, living, bedroom, _ = await _two_rooms(client, nodes)
    await swap_addresses(living, bedroom)  # no announcement, no silence: only discovery sees it
    await directory.discover(window=1.0)
    assert _where(directory) == {
        _identity(b"LIVING-ROOM-A"): ROOM_B,
        _identity(b"BEDROOM-RM-B"): ROOM_A,
    }
    directory.close()


async def test_after_silence_no_set_goes_out_until_the_address_is_confirmed(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    directory, living, bedroom, _ = await _two_rooms(client, nodes)
    directory.guard_sets()
    living_id = _identity(b"LIVING-ROOM-A")
    # Both units drop off the network; a poll of the living room goes unanswered.
    living.close()
    bedroom.close()
    with pytest.raises(EchonetError):
        await client.get(ROOM_A, AIRCON, (0x80,))
    assert not directory.confirmed(ROOM_A)
    with pytest.raises(UnconfirmedError):
        await client.set_c(ROOM_A, AIRCON, {0x80: b"\x31"})
    # They come back with each other's address, without announcing themselves.
    living.address, bedroom.address = ROOM_B, ROOM_A
    await living.start()
    await bedroom.start()
    sets_before = [f for f in bedroom.requests if f.esv is ESV.SETC]
    # The first answer at ROOM_A prompts a confirmation: the bedroom unit is there now.
    reply = await client.get(ROOM_A, AIRCON, (0x80,))
    assert reply.ok
    await eventually(lambda: directory.confirmed(ROOM_A))
    assert directory.by_address(ROOM_A).identity == _identity(b"BEDROOM-RM-B")  # type: ignore[union-attr]
    assert not directory.confirmed(ROOM_A, living_id)
    # The living room's own node is confirmed at its new address on request.
    confirmed = await directory.confirm(living_id)
    assert confirmed is None  # its last known address is the bedroom's now ...
    await directory.discover(window=1.0)  # ... until discovery finds it
    confirmed = await directory.confirm(living_id)
    assert confirmed is not None
    assert confirmed.address == ROOM_B
    assert [f for f in bedroom.requests if f.esv is ESV.SETC] == sets_before
    assert (await client.set_c(ROOM_B, AIRCON, {0x80: b"\x30"})).ok
    directory.close()
    assert client.set_guard is None


async def test_a_new_node_at_an_old_address_is_added(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    directory, living, _, changes = await _two_rooms(client, nodes)
    await living.move(SPARE)
    await _aircon(nodes, ROOM_A, b"GUEST-ROOM-C")
    await directory.discover(window=1.0)
    assert directory.by_address(ROOM_A).identity == _identity(b"GUEST-ROOM-C")  # type: ignore[union-attr]
    assert directory.counters.displaced == 1
    assert [(node.identity, before) for node, before in changes] == [
        (_identity(b"GUEST-ROOM-C"), None)
    ]
    directory.close()


async def test_confirm_asks_once_after_a_restart(client: EchonetClient, nodes: NodeFactory) -> None:
    directory, living, _, _ = await _two_rooms(client, nodes)
    stored = list(directory.nodes.values())
    directory.close()
    restarted = NodeDirectory(client)
    restarted.load(stored)
    assert not restarted.confirmed(ROOM_A)
    before = len(living.requests)
    node = await restarted.confirm(_identity(b"LIVING-ROOM-A"))
    assert node is not None
    assert node.address == ROOM_A
    assert len(living.requests) == before + 1  # one Get of the node profile
    assert await restarted.confirm(_identity(b"LIVING-ROOM-A")) == node
    assert len(living.requests) == before + 1
    restarted.close()


async def test_gets_from_unknown_hosts_are_counted_and_raised_past_the_threshold(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    directory, living, _, _ = await _two_rooms(client, nodes)
    raised: list[tuple[str, int]] = []
    directory.on_stranger = lambda host, count: raised.append((host, count))
    get = Frame(1, AIRCON, NODE_PROFILE, ESV.GET, (Property(0xD6),))
    # A known appliance asking about us is normal: not counted.
    living.send(get, (CLIENT, port))
    scanner = await nodes(SPARE, {})
    for _ in range(STRANGER_GETS - 1):
        scanner.send(get, (CLIENT, port))
    await eventually(lambda: directory.counters.unknown_gets == STRANGER_GETS - 1)
    assert raised == []
    assert directory.strangers() == {SPARE: STRANGER_GETS - 1}
    for _ in range(5):
        scanner.send(get, (CLIENT, port))
    await eventually(lambda: directory.counters.unknown_gets == STRANGER_GETS + 4)
    assert raised == [(SPARE, STRANGER_GETS)]  # once per window
    assert directory.counters.unknown_hosts == 1
    directory.close()


async def test_discovery_of_a_seventeen_object_home_takes_about_one_request_per_object(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    kinds = [
        (0x0130, air_conditioner),
        (0x026B, water_heater),
        (0x0279, solar),
        (0x027D, storage_battery),
        (0x0290, general_lighting),
        (0x0263, shutter),
    ]
    homes = []
    for index, count in enumerate((6, 6, 5)):
        objects = {
            EOJ.from_int(class_id << 8 | 1): factory(f"S{index}{number}")
            for number, (class_id, factory) in enumerate(kinds[:count])
        }
        values, settable = home_node(f"NODE-{index}".encode(), objects)
        homes.append(await nodes(f"127.0.10.5{index}", values, settable=settable))
    directory = NodeDirectory(client, manual_hosts=tuple(h.address for h in homes))
    found = await directory.discover(window=1.0)
    assert sum(len(node.objects) for node in found) == 17
    requests = sum(len(home.requests) for home in homes)
    # One discovery Get and one profile Get per node, one Get per object: 3 + 3 + 17.
    assert requests == 23
    # Again: known nodes are only confirmed, one Get of the profile each.
    await directory.discover(window=1.0)
    assert sum(len(home.requests) for home in homes) == requests + 6
    directory.close()
