"""The UDP transport: real sockets on loopback addresses of their own."""

import asyncio
from collections.abc import AsyncIterator
import contextlib
import socket

import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    ESV,
    NODE_PROFILE,
    EchonetTransport,
    Frame,
    Property,
    TransportError,
    decode_frame,
    encode_frame,
)
from simulators.echonet_node import SimulatedNode

from .conftest import AIRCON, CLIENT, NodeFactory, client_transport, eventually

type Received = list[tuple[Frame, tuple[str, int]]]

GET = Frame(0x1234, CONTROLLER, AIRCON, ESV.GET, (Property(0x80),))
ANSWER = Frame(0x1234, AIRCON, CONTROLLER, ESV.GET_RES, (Property(0x80, b"\x30"),))


@contextlib.asynccontextmanager
async def _opened(transport: EchonetTransport) -> AsyncIterator[Received]:
    received: Received = []
    await transport.open(lambda frame, source: received.append((frame, source)))
    try:
        yield received
    finally:
        transport.close()


def _peer(address: str) -> socket.socket:
    """A bare UDP socket on an ephemeral port: a node that sends from any port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    sock.setblocking(False)
    return sock


async def test_sends_unicast_and_accepts_any_source_port(port: int) -> None:
    transport = client_transport(port)
    with _peer("127.0.10.2") as peer:
        peer_address = peer.getsockname()
        async with _opened(transport) as received:
            transport.send(GET, peer_address)
            data, source = await asyncio.wait_for(
                asyncio.get_running_loop().sock_recvfrom(peer, 1500), 3.0
            )
            assert decode_frame(data) == GET
            assert source == (CLIENT, port)
            peer.sendto(encode_frame(ANSWER), (CLIENT, port))
            await eventually(lambda: bool(received))
    assert received == [(ANSWER, peer_address)]
    assert transport.counters.sent == 1
    assert transport.counters.received == 1


async def test_malformed_datagrams_are_counted_and_dropped(port: int) -> None:
    transport = client_transport(port)
    with _peer("127.0.10.2") as peer:
        async with _opened(transport) as received:
            for junk in (
                b"junk",
                encode_frame(ANSWER)[:-1],  # the EDT is cut short
                bytes.fromhex("1082") + encode_frame(ANSWER)[2:],  # format 2
                encode_frame(ANSWER) + b"\x00",  # a byte after the last property
            ):
                peer.sendto(junk, (CLIENT, port))
            peer.sendto(encode_frame(ANSWER), (CLIENT, port))
            # Loopback keeps one socket's datagrams in order: the good one comes last.
            await eventually(lambda: bool(received))
    assert [frame for frame, _ in received] == [ANSWER]
    assert transport.counters.malformed == 4
    assert transport.counters.received == 1


async def test_multicast_reaches_the_group_and_our_echo_is_ignored(
    port: int, group: str, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.3", {AIRCON: {0x80: b"\x30"}}, group=group)
    transport = client_transport(port, group=group)
    discovery = Frame(7, CONTROLLER, NODE_PROFILE, ESV.GET, (Property(0xD6),))
    async with _opened(transport) as received:
        transport.send_multicast(discovery)
        [(frame, source)] = await node.wait_frames(1)
        assert (frame, source) == (discovery, (CLIENT, port))
        # The node answers unicast, to the address and port we sent from.
        await eventually(lambda: bool(received))
        [(answer, source)] = received
        assert (answer.tid, answer.esv, answer.seoj) == (7, ESV.GET_RES, NODE_PROFILE)
        assert source == ("127.0.10.3", port)
        # The group echoed our own datagram back to us: ignored, not handled.
        await eventually(lambda: transport.counters.ignored == 1)
        # What a node sends to the group reaches us through the group socket.
        inf = Frame(8, AIRCON, NODE_PROFILE, ESV.INF, (Property(0x80, b"\x31"),))
        node.send(inf, (group, port))
        await eventually(lambda: len(received) == 2)
        assert received[1] == (inf, ("127.0.10.3", port))
    assert transport.counters.received == 2
    assert transport.counters.sent == 1


async def test_two_nodes_hear_one_multicast(port: int, group: str, nodes: NodeFactory) -> None:
    first: SimulatedNode = await nodes("127.0.10.3", {AIRCON: {}}, group=group)
    second: SimulatedNode = await nodes("127.0.10.4", {AIRCON: {}}, group=group)
    transport = client_transport(port, group=group)
    async with _opened(transport):
        transport.send_multicast(GET)
        await first.wait_frames(1)
        await second.wait_frames(1)


async def test_a_taken_port_is_a_clear_error(port: int) -> None:
    async with _opened(client_transport(port)):
        with pytest.raises(TransportError, match=f"port {port} on {CLIENT}"):
            await client_transport(port).open(lambda frame, source: None)


async def test_misuse_is_refused(port: int) -> None:
    transport = client_transport(port)
    with pytest.raises(TransportError, match="closed"):
        transport.send(GET, ("127.0.10.2", port))
    with pytest.raises(TransportError, match="no multicast group"):
        transport.send_multicast(GET)
    async with _opened(transport):
        with pytest.raises(TransportError, match="already open"):
            await transport.open(lambda frame, source: None)
    with pytest.raises(ValueError, match="not a multicast address"):
        EchonetTransport(CLIENT, multicast_group="127.0.10.9")
    with pytest.raises(ValueError, match="4 octets"):
        EchonetTransport("localhost")
