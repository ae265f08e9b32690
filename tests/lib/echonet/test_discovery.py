"""Discovery: Get of the instance list (0xD6) from every node profile that answers."""

import asyncio
import socket

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    DiscoveredNode,
    EchonetClient,
    Frame,
    Property,
    encode_frame,
    encode_instance_list,
)

from .conftest import AIRCON, CLIENT, FAST, METER, NodeFactory, client_transport, eventually

NODE = "127.0.10.5"
OTHER = "127.0.10.6"
DEAF = "127.0.10.7"
SPOOFER = "127.0.10.66"
BATTERY = EOJ.from_int(0x027D01)


async def test_multicast_discovery_finds_every_node_of_the_group(
    port: int, group: str, nodes: NodeFactory
) -> None:
    await nodes(NODE, {AIRCON: {0x80: b"\x30"}}, group=group)
    await nodes(OTHER, {METER: {}, BATTERY: {}}, group=group)
    await nodes(DEAF, {AIRCON: {}})  # never joined the group: never asked
    transport = client_transport(port, group=group)
    async with EchonetClient(transport, retry=FAST) as client:
        found = await client.discover(window=0.5)
        # Our announcement at start and our own question came back through the group;
        # our node did not answer itself.
        assert client.counters.ignored == 2
    assert found == [
        DiscoveredNode(NODE, (AIRCON,)),
        DiscoveredNode(OTHER, (BATTERY, METER)),
    ]


async def test_notifications_to_the_group_reach_the_listeners(
    port: int, group: str, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, {AIRCON: {0x80: b"\x30"}}, group=group)
    seen: list[tuple[str, Frame]] = []
    async with EchonetClient(client_transport(port, group=group), retry=FAST) as client:
        client.add_listener(lambda address, frame: seen.append((address, frame)))
        announcement = Frame(
            1,
            NODE_PROFILE,
            NODE_PROFILE,
            ESV.INF,
            (Property(0xD5, encode_instance_list([AIRCON])),),
        )
        node.send(announcement, (group, port))
        await eventually(lambda: bool(seen))
    assert seen == [(NODE, announcement)]


async def test_unicast_discovery_accepts_only_the_node_asked(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    """Discovery pointed at one node's unicast address: works wherever multicast does not."""
    node = await nodes(NODE, {AIRCON: {}})
    await nodes(OTHER, {METER: {}})
    node.hold.clear()
    task = asyncio.create_task(client.discover(window=1.0, address=NODE))
    [request] = await node.wait_requests(1)
    assert (request.deoj, request.esv, request.properties) == (
        NODE_PROFILE,
        ESV.GET,
        (Property(0xD6),),
    )
    forged = Frame(
        request.tid,
        NODE_PROFILE,
        CONTROLLER,
        ESV.GET_RES,
        (Property(0xD6, encode_instance_list([METER])),),
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spoofer:
        spoofer.bind((SPOOFER, 0))
        spoofer.sendto(encode_frame(forged), (CLIENT, port))
    await eventually(lambda: client.counters.spoofed == 1)
    node.hold.set()
    assert await task == [DiscoveredNode(NODE, (AIRCON,))]


async def test_a_broken_instance_list_is_counted(client: EchonetClient, nodes: NodeFactory) -> None:
    await nodes(NODE, {NODE_PROFILE: {0xD6: b"\x02\x01\x30\x01"}})  # two objects, one listed
    await nodes(OTHER, {NODE_PROFILE: {0x80: b"\x30"}})  # no 0xD6 at all: Get_SNA
    assert await client.discover(window=0.3, address=NODE) == [DiscoveredNode(NODE, ())]
    assert await client.discover(window=0.3, address=OTHER) == [DiscoveredNode(OTHER, ())]
    assert client.counters.malformed == 1
