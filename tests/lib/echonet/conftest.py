"""ECHONET Lite over real UDP on loopback: every node has a 127.0.0.x address of its own.

All of 127.0.0.0/8 is loopback on Linux, so a client and several simulated
nodes can each bind the same port on a different address, as they would on
a LAN. Multicast on loopback works on most Linux hosts even when `lo` lacks
the MULTICAST flag; where it does not, the tests that need it skip, saying
why, and everything else runs unicast.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import functools
import select
import socket

import pytest

from custom_components.denki.lib.echonet import (
    EOJ,
    MULTICAST_GROUP,
    EchonetClient,
    EchonetTransport,
    RetryPolicy,
)
from simulators.echonet_node import SimulatedNode
from tests.net import free_port

CLIENT = "127.0.10.1"
FAST = RetryPolicy(timeout=0.05, attempts=3, backoff=2.0, max_timeout=1.0)
PATIENT = RetryPolicy(timeout=3.0, attempts=1)
AIRCON = EOJ.from_int(0x013001)
METER = EOJ.from_int(0x028801)

type NodeFactory = Callable[..., Awaitable[SimulatedNode]]


@functools.cache
def multicast_unavailable(port: int) -> str | None:
    """Why multicast on loopback does not work here, or None if it does."""
    try:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as member,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender,
        ):
            member.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            member.bind((MULTICAST_GROUP, port))
            membership = socket.inet_aton(MULTICAST_GROUP) + socket.inet_aton("127.0.10.250")
            member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            sender.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.10.251")
            )
            sender.bind(("127.0.10.251", 0))
            sender.sendto(b"probe", (MULTICAST_GROUP, port))
            readable, _, _ = select.select([member], [], [], 1.0)
            if not readable:
                return "a datagram to 224.0.23.0 on loopback never arrived"
    except OSError as err:
        return f"multicast on loopback is not available: {err}"
    return None


@pytest.fixture
def port(socket_enabled: None) -> int:
    """A port for every node of the test; the harness blocks sockets, these tests need them."""
    return free_port()


@pytest.fixture
def group(port: int) -> str:
    """The multicast group, or skip when loopback cannot carry multicast here."""
    reason = multicast_unavailable(free_port())
    if reason is not None:
        pytest.skip(reason)
    return MULTICAST_GROUP


@pytest.fixture
async def nodes(port: int) -> AsyncIterator[NodeFactory]:
    """Start simulated nodes on the test's port; all are closed at the end."""
    started: list[SimulatedNode] = []

    async def start(
        address: str,
        objects: dict[EOJ, dict[int, bytes]],
        *,
        group: str | None = None,
        settable: frozenset[int] = frozenset(),
    ) -> SimulatedNode:
        node = SimulatedNode(address, port, objects, group=group, settable=settable)
        await node.start()
        started.append(node)
        return node

    yield start
    for node in started:
        node.close()


def client_transport(port: int, *, group: str | None = None) -> EchonetTransport:
    """The client's transport on CLIENT; with a group, looped back to this host's nodes."""
    return EchonetTransport(CLIENT, port=port, multicast_group=group, multicast_loop=True)


@pytest.fixture
async def client(port: int) -> AsyncIterator[EchonetClient]:
    """A started client on CLIENT, unicast only, retrying fast."""
    async with EchonetClient(client_transport(port), retry=FAST) as started:
        yield started


async def eventually(predicate: Callable[[], bool]) -> None:
    """Wait until `predicate` holds, polling; fail after three seconds."""
    async with asyncio.timeout(3.0):
        while not predicate():  # noqa: ASYNC110 - counters signal no event to wait on
            await asyncio.sleep(0.01)


@pytest.fixture
async def patient_client(port: int) -> AsyncIterator[EchonetClient]:
    """A started client that sends once and waits long: for nodes that hold their answers."""
    async with EchonetClient(client_transport(port), retry=PATIENT) as started:
        yield started
