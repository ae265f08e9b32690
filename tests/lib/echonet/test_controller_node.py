"""Our own node: its properties, and its answers to a peer over UDP."""

import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    ControllerNode,
    EchonetClient,
    Frame,
    FrameError,
    Property,
    decode_instance_list,
    decode_property_map,
    encode_class_list,
    encode_instance_list,
)

from .conftest import AIRCON, CLIENT, METER, NodeFactory, client_transport, eventually

PEER = "127.0.10.8"
NODE_PROFILE_EPCS = (0x80, 0x82, 0x83, 0x8A, 0x9D, 0x9E, 0x9F, 0xD3, 0xD4, 0xD6, 0xD7)
IDENTITY = ControllerNode(manufacturer_code=0x000077, unique_id=bytes(range(13)))


def _get(deoj: EOJ, *epcs: int, tid: int = 1) -> Frame:
    return Frame(tid, AIRCON, deoj, ESV.GET, tuple(Property(epc) for epc in epcs))


def test_node_profile_values() -> None:
    values = IDENTITY.properties(NODE_PROFILE)
    assert values is not None
    assert set(values) == set(NODE_PROFILE_EPCS)
    assert values[0x80] == b"\x30"
    assert values[0x82] == bytes((1, 14, 1, 0))
    assert values[0x83] == b"\xfe\x00\x00\x77" + bytes(range(13))
    assert values[0x8A] == b"\x00\x00\x77"
    assert values[0xD3] == b"\x00\x00\x01"
    assert values[0xD4] == b"\x00\x02"
    assert decode_instance_list(values[0xD6]) == (CONTROLLER,)
    assert values[0xD7] == b"\x01\x05\xff"
    assert decode_property_map(values[0x9F]) == set(NODE_PROFILE_EPCS)
    assert decode_property_map(values[0x9D]) == {0x80, 0xD5}
    assert decode_property_map(values[0x9E]) == frozenset()


def test_controller_object_values() -> None:
    values = IDENTITY.properties(CONTROLLER)
    assert values is not None
    assert values[0x8A] == b"\x00\x00\x77"
    assert values[0x88] == b"\x42"
    assert decode_property_map(values[0x9F]) == {0x80, 0x81, 0x82, 0x88, 0x8A, 0x9D, 0x9E, 0x9F}
    assert IDENTITY.properties(AIRCON) is None


def test_answers() -> None:
    answer = IDENTITY.answer(_get(NODE_PROFILE, 0x80, 0xE0, tid=9))
    assert answer == Frame(
        9, NODE_PROFILE, AIRCON, ESV.GET_SNA, (Property(0x80, b"\x30"), Property(0xE0))
    )
    # Instance 0 names every instance of the class: we answer as our one.
    answer = IDENTITY.answer(_get(EOJ(0x05, 0xFF, 0x00), 0x80))
    assert answer is not None
    assert (answer.seoj, answer.esv) == (CONTROLLER, ESV.GET_RES)
    # Nothing of ours can be set.
    setc = Frame(2, AIRCON, CONTROLLER, ESV.SETC, (Property(0x81, b"\x08"),))
    assert IDENTITY.answer(setc) == Frame(
        2, CONTROLLER, AIRCON, ESV.SETC_SNA, (Property(0x81, b"\x08"),)
    )
    inf_req = Frame(3, AIRCON, CONTROLLER, ESV.INF_REQ, (Property(0x80),))
    assert IDENTITY.answer(inf_req) == Frame(
        3, CONTROLLER, AIRCON, ESV.INF, (Property(0x80, b"\x30"),)
    )
    # Objects we do not have, and anything but a request, go unanswered.
    assert IDENTITY.answer(_get(METER, 0x80)) is None
    assert (
        IDENTITY.answer(Frame(4, AIRCON, CONTROLLER, ESV.GET_RES, (Property(0x80, b"\x30"),)))
        is None
    )


def test_identity_is_checked_and_random_by_default() -> None:
    assert ControllerNode().unique_id != ControllerNode().unique_id
    with pytest.raises(ValueError, match="13 bytes"):
        ControllerNode(unique_id=b"short")
    with pytest.raises(ValueError, match="three bytes"):
        ControllerNode(manufacturer_code=0x1000000)


def test_instance_and_class_lists() -> None:
    objects = [METER, AIRCON, EOJ.from_int(0x013002), AIRCON]
    edt = encode_instance_list(objects)
    assert edt == bytes.fromhex("03013001013002028801")
    assert decode_instance_list(edt) == (AIRCON, EOJ.from_int(0x013002), METER)
    assert encode_class_list([*objects, NODE_PROFILE]) == bytes.fromhex("0201300288")
    many = [EOJ(0x02, 0x7D, instance) for instance in range(1, 101)]
    edt = encode_instance_list(many)
    assert edt[0] == 100
    assert len(edt) == 1 + 3 * 84
    assert decode_instance_list(edt) == tuple(many[:84])
    for broken in (b"", b"\x02\x01\x30\x01", b"\x01\x01\x30"):
        with pytest.raises(FrameError):
            decode_instance_list(broken)


async def test_our_node_answers_a_peer(
    port: int, nodes: NodeFactory, client: EchonetClient
) -> None:
    peer = await nodes(PEER, {AIRCON: {}})
    peer.send(_get(NODE_PROFILE, *NODE_PROFILE_EPCS, tid=0x0A00), (CLIENT, port))
    [(answer, source)] = await peer.wait_frames(1)
    assert source == (CLIENT, port)
    assert (answer.tid, answer.seoj, answer.deoj, answer.esv) == (
        0x0A00,
        NODE_PROFILE,
        AIRCON,
        ESV.GET_RES,
    )
    values = client.node.properties(NODE_PROFILE)
    assert values is not None
    assert answer.properties == tuple(Property(epc, values[epc]) for epc in NODE_PROFILE_EPCS)

    peer.send(_get(NODE_PROFILE, 0x80, 0xE0, tid=0x0A01), (CLIENT, port))
    peer.send(_get(CONTROLLER, 0x8A, 0x88, tid=0x0A02), (CLIENT, port))
    peer.send(_get(METER, 0x80, tid=0x0A03), (CLIENT, port))  # not ours: no answer
    peer.send(_get(CONTROLLER, 0x80, tid=0x0A04), (CLIENT, port))
    answers = [frame for frame, _ in await peer.wait_frames(4)]
    assert [(frame.tid, frame.esv) for frame in answers[1:]] == [
        (0x0A01, ESV.GET_SNA),
        (0x0A02, ESV.GET_RES),
        (0x0A04, ESV.GET_RES),
    ]
    assert answers[1].properties == (Property(0x80, b"\x30"), Property(0xE0))
    assert answers[2].seoj == CONTROLLER
    await eventually(lambda: client.counters.ignored == 1)


async def test_our_node_announces_its_instance_list_at_start_and_on_request(
    port: int, group: str, nodes: NodeFactory
) -> None:
    peer = await nodes(PEER, {AIRCON: {}}, group=group)
    async with EchonetClient(client_transport(port, group=group)) as client:
        [(announcement, source)] = await peer.wait_frames(1)
        assert source == (CLIENT, port)
        assert (announcement.seoj, announcement.deoj, announcement.esv) == (
            NODE_PROFILE,
            NODE_PROFILE,
            ESV.INF,
        )
        [prop] = announcement.properties
        assert prop.epc == 0xD5
        assert decode_instance_list(prop.edt) == (CONTROLLER,)
        # Again on a network change: another TID, the same list.
        assert client.announce()
        frames = await peer.wait_frames(2)
        assert frames[1][0].properties == announcement.properties
        assert frames[1][0].tid != announcement.tid


async def test_without_a_group_nothing_is_announced(client: EchonetClient) -> None:
    assert not client.announce()
    assert client.counters.sent == 0


def test_the_announcement_frame() -> None:
    frame = IDENTITY.announcement(7)
    assert frame == Frame(
        7,
        NODE_PROFILE,
        NODE_PROFILE,
        ESV.INF,
        (Property(0xD5, encode_instance_list([CONTROLLER])),),
    )
