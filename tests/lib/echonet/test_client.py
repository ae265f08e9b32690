"""The client against simulated nodes, each on a loopback address of its own."""

import asyncio
import socket

import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    EchonetClient,
    EchonetTimeoutError,
    Frame,
    Property,
    TransportError,
    encode_frame,
)

from .conftest import AIRCON, CLIENT, FAST, METER, NodeFactory, eventually

NODE = "127.0.10.5"
OTHER = "127.0.10.6"
SPOOFER = "127.0.10.66"
AIRCON_VALUES = {0x80: b"\x30", 0xB0: b"\x42", 0xB3: b"\x1a", 0xBB: b"\x19"}


def _aircon() -> dict[EOJ, dict[int, bytes]]:
    return {AIRCON: dict(AIRCON_VALUES)}


def _forge(address: str, frame: Frame, port: int) -> None:
    """Send a frame to the client from `address`, on an ephemeral port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        sock.sendto(encode_frame(frame), (CLIENT, port))


async def test_get_returns_the_values_of_the_object_asked(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    await nodes(NODE, _aircon())
    reply = await client.get(NODE, AIRCON, [0x80, 0xB3])
    assert reply.ok
    assert reply.address == NODE
    assert reply.values == {0x80: b"\x30", 0xB3: b"\x1a"}
    assert reply.refused == frozenset()
    assert (reply.frame.seoj, reply.frame.deoj, reply.frame.esv) == (
        AIRCON,
        CONTROLLER,
        ESV.GET_RES,
    )
    assert client.counters.unmatched == client.counters.spoofed == 0


async def test_get_sna_names_what_the_node_lacks(client: EchonetClient, nodes: NodeFactory) -> None:
    await nodes(NODE, _aircon())
    reply = await client.get(NODE, AIRCON, [0x80, 0xE0])
    assert not reply.ok
    assert reply.frame.esv == ESV.GET_SNA
    assert reply.values == {0x80: b"\x30"}
    assert reply.refused == {0xE0}


async def test_instance_zero_is_answered_by_an_instance(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    await nodes(NODE, _aircon())
    reply = await client.get(NODE, EOJ(0x01, 0x30, 0x00), [0xB3])
    assert reply.frame.seoj == AIRCON
    assert reply.values == {0xB3: b"\x1a"}


async def test_only_the_node_asked_answering_the_tid_and_object_asked_is_accepted(
    patient_client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    node = await nodes(NODE, _aircon())
    node.hold.clear()
    task = asyncio.create_task(patient_client.get(NODE, AIRCON, [0xB3]))
    [request] = await node.wait_requests(1)
    tid = request.tid
    forged = (Property(0xB3, b"\x00"),)
    # The right TID and object, from another address of the home LAN.
    _forge(SPOOFER, Frame(tid, AIRCON, CONTROLLER, ESV.GET_RES, forged), port)
    # From the node's address, but another object, another TID, another service.
    _forge(NODE, Frame(tid, EOJ(0x01, 0x30, 0x02), CONTROLLER, ESV.GET_RES, forged), port)
    _forge(NODE, Frame((tid + 1) & 0xFFFF, AIRCON, CONTROLLER, ESV.GET_RES, forged), port)
    _forge(NODE, Frame(tid, AIRCON, CONTROLLER, ESV.SET_RES, forged), port)
    await eventually(
        lambda: patient_client.counters.spoofed == 1 and patient_client.counters.unmatched == 3
    )
    assert not task.done()
    node.hold.set()
    reply = await task
    assert reply.values == {0xB3: b"\x1a"}
    assert reply.address == NODE


async def test_an_answer_from_another_port_of_the_node_is_accepted(
    patient_client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    node = await nodes(NODE, _aircon())
    node.hold.clear()
    task = asyncio.create_task(patient_client.get(NODE, AIRCON, [0xB3]))
    [request] = await node.wait_requests(1)
    answer = Frame(request.tid, AIRCON, CONTROLLER, ESV.GET_RES, (Property(0xB3, b"\x1b"),))
    _forge(NODE, answer, port)
    reply = await task
    assert reply.values == {0xB3: b"\x1b"}
    # The node's own answer now comes too late: nothing waits for it.
    node.hold.set()
    await eventually(lambda: patient_client.counters.unmatched == 1)


async def test_a_lost_request_is_sent_again_with_the_same_tid(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    node.drop = 2
    reply = await client.get(NODE, AIRCON, [0x80])
    assert reply.values == {0x80: b"\x30"}
    assert len(node.requests) == 3
    assert len({frame.tid for frame in node.requests}) == 1
    assert client.counters.sent == 3


async def test_a_silent_node_times_out_after_every_attempt_backing_off(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    node.drop = 99
    with pytest.raises(EchonetTimeoutError, match="did not answer GET to 0x013001") as caught:
        await client.get(NODE, AIRCON, [0x80])
    assert caught.value.address == NODE
    # Each attempt waited twice as long as the one before.
    assert caught.value.waited == FAST.timeouts() == (0.05, 0.1, 0.2)
    assert len(node.requests) == 3


async def test_a_node_silent_once_gets_one_attempt_until_it_speaks_again(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    other = await nodes(OTHER, _aircon())
    node.drop = 99
    with pytest.raises(EchonetTimeoutError):
        await client.get(NODE, AIRCON, [0x80])
    # Its other objects, asked while it stays silent, do not wait through every retry.
    with pytest.raises(EchonetTimeoutError) as caught:
        await client.get(NODE, AIRCON, [0xB0])
    assert caught.value.waited == FAST.timeouts()[:1]
    assert len(node.requests) == 4
    # Another node is not affected.
    assert (await client.get(OTHER, AIRCON, [0x80])).values == {0x80: b"\x30"}
    assert len(other.requests) == 1
    # Once it answers, a lost frame is retried as before.
    node.drop = 0
    assert (await client.get(NODE, AIRCON, [0x80])).values == {0x80: b"\x30"}
    node.drop = 2
    assert (await client.get(NODE, AIRCON, [0xB3])).values == {0xB3: b"\x1a"}
    assert len(node.requests) == 8


async def test_one_request_at_a_time_per_node(
    patient_client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    node.hold.clear()
    first = asyncio.create_task(patient_client.get(NODE, AIRCON, [0x80]))
    second = asyncio.create_task(patient_client.get(NODE, AIRCON, [0xB3]))
    await node.wait_requests(1)
    # Loopback delivers in well under this; the second request must not come.
    await asyncio.sleep(0.2)
    assert len(node.requests) == 1
    node.hold.set()
    assert (await first).values == {0x80: b"\x30"}
    assert (await second).values == {0xB3: b"\x1a"}
    assert [frame.properties[0].epc for frame in node.requests] == [0x80, 0xB3]
    assert node.max_in_flight == 1


async def test_requests_to_different_nodes_overlap(
    patient_client: EchonetClient, nodes: NodeFactory
) -> None:
    first = await nodes(NODE, _aircon())
    second = await nodes(OTHER, {METER: {0xE7: b"\x00\x00\x01\xf4"}})
    first.hold.clear()
    second.hold.clear()
    asked = asyncio.gather(
        patient_client.get(NODE, AIRCON, [0x80]), patient_client.get(OTHER, METER, [0xE7])
    )
    # Both nodes hold a request at once: neither waited for the other's answer.
    await first.wait_requests(1)
    await second.wait_requests(1)
    first.hold.set()
    second.hold.set()
    aircon, meter = await asked
    assert (aircon.address, meter.address) == (NODE, OTHER)
    assert meter.values == {0xE7: b"\x00\x00\x01\xf4"}


async def test_infc_is_acknowledged_and_delivered(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    seen: list[tuple[str, Frame]] = []
    client.add_listener(lambda address, frame: seen.append((address, frame)))
    node = await nodes(NODE, _aircon())
    infc = Frame(0x4321, AIRCON, CONTROLLER, ESV.INFC, (Property(0x80, b"\x31"),))
    node.send(infc, (CLIENT, port))
    [(ack, source)] = await node.wait_frames(1)
    assert ack == Frame(0x4321, CONTROLLER, AIRCON, ESV.INFC_RES, (Property(0x80),))
    assert source == (CLIENT, port)
    assert seen == [(NODE, infc)]


async def test_inf_reaches_the_listeners_until_removed(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    kept: list[Frame] = []
    removed: list[Frame] = []
    client.add_listener(lambda address, frame: kept.append(frame))
    remove = client.add_listener(lambda address, frame: removed.append(frame))
    node = await nodes(NODE, _aircon())
    inf = Frame(0x0101, AIRCON, NODE_PROFILE, ESV.INF, (Property(0xB0, b"\x41"),))
    node.send(inf, (CLIENT, port))
    await eventually(lambda: len(kept) == 1)
    remove()
    node.send(
        Frame(0x0102, AIRCON, NODE_PROFILE, ESV.INF, (Property(0x80, b"\x31"),)), (CLIENT, port)
    )
    await eventually(lambda: len(kept) == 2)
    assert removed == [inf]
    assert client.counters.unmatched == 0


async def test_inf_req_is_answered_by_inf(client: EchonetClient, nodes: NodeFactory) -> None:
    seen: list[Frame] = []
    client.add_listener(lambda address, frame: seen.append(frame))
    await nodes(NODE, _aircon())
    reply = await client.inf_req(NODE, AIRCON, [0xB0])
    assert (reply.frame.esv, reply.values) == (ESV.INF, {0xB0: b"\x42"})
    assert seen == [reply.frame]


async def test_setc_and_seti(client: EchonetClient, nodes: NodeFactory) -> None:
    node = await nodes(NODE, _aircon(), settable=frozenset({0xB3}))
    reply = await client.set_c(NODE, AIRCON, {0xB3: b"\x1b"})
    assert (reply.ok, reply.frame.esv, reply.values, reply.refused) == (
        True,
        ESV.SET_RES,
        {},
        frozenset(),
    )
    assert node.objects[AIRCON][0xB3] == b"\x1b"
    reply = await client.set_c(NODE, AIRCON, {0xB3: b"\x1c", 0xB0: b"\x41"})
    assert (reply.ok, reply.frame.esv, reply.refused) == (False, ESV.SETC_SNA, frozenset({0xB0}))
    # SetI has no answer when it succeeds; its SetI_SNA, which nothing waits for, is counted.
    await client.set_i(NODE, AIRCON, {0xB3: b"\x1d"})
    await eventually(lambda: node.objects[AIRCON][0xB3] == b"\x1d")
    await client.set_i(NODE, AIRCON, {0xB0: b"\x44"})
    await eventually(lambda: client.counters.unmatched == 1)
    assert node.objects[AIRCON][0xB0] == b"\x42"


async def test_requests_name_a_property_and_an_ipv4_address(client: EchonetClient) -> None:
    with pytest.raises(ValueError, match="at least one property"):
        await client.get(NODE, AIRCON, [])
    with pytest.raises(ValueError, match="at least one property"):
        await client.set_i(NODE, AIRCON, {})
    with pytest.raises(ValueError, match="4 octets"):
        await client.get("aircon.local", AIRCON, [0x80])


async def test_close_fails_the_requests_still_waiting(
    patient_client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    node.hold.clear()
    task = asyncio.create_task(patient_client.get(NODE, AIRCON, [0x80]))
    await node.wait_requests(1)
    patient_client.close()
    with pytest.raises(TransportError, match="closed"):
        await task
    with pytest.raises(TransportError, match="closed"):
        await patient_client.get(NODE, AIRCON, [0x80])


async def test_tids_wrap_and_skip_those_still_waiting(
    patient_client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, _aircon())
    node.hold.clear()
    patient_client._tid = 0xFFFE
    waiting = asyncio.create_task(patient_client.get(NODE, AIRCON, [0x80]))
    [first] = await node.wait_requests(1)
    patient_client._tid = 0xFFFE  # as if 65,536 requests had gone by since
    other = await nodes(OTHER, {METER: {0xE7: b"\x00\x00\x00\x01"}})
    reply = await patient_client.get(OTHER, METER, [0xE7])
    [second] = other.requests
    # 0xFFFF is still waiting for its answer: the counter wraps past it to 0.
    assert (first.tid, second.tid) == (0xFFFF, 0x0000)
    assert reply.values == {0xE7: b"\x00\x00\x00\x01"}
    node.hold.set()
    assert (await waiting).values == {0x80: b"\x30"}


async def test_discovery_needs_a_group_or_an_address(client: EchonetClient) -> None:
    with pytest.raises(TransportError, match="no multicast group"):
        await client.discover(window=0.1)
