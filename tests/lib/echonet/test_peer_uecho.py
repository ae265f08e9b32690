"""An independent ECHONET Lite device implementation, uecho (PyPI, Apache-2.0), against ours.

uecho builds its device objects from its own copy of the Appendix (every
property of a class, with its access rules) and serves them from threads of
its own over real UDP. Our client reads and sets them, probes the node,
polls it and hears its announcements, all on loopback.

uecho binds port 3610 on every IPv4 address of the host but 127.0.0.1
(found with netifaces), and hears the group on (0.0.0.0, 3610). The fixture
`uecho_node` changes three small pieces so that it binds one loopback
address and the test's port, and nothing else; see `uecho_on_loopback`.
"""

from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
import socket
import threading

import pytest
import uecho
from uecho.frame.interface import Interface
from uecho.frame.multicast_server import MulticastServer
from uecho.frame.server import Server

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    NODE_PROFILE,
    EchonetClient,
    EchonetTransport,
    Frame,
    FrameError,
    Property,
    RetryPolicy,
    decode_frame,
    decode_property_map,
)
from custom_components.denki.lib.echonet.classes import decode_value
from custom_components.denki.lib.echonet.nodes import (
    NodeDirectory,
    NodeInfo,
    ObjectInfo,
    probe_node,
)
from custom_components.denki.lib.echonet.poller import AdaptivePoller

from .conftest import AIRCON, CLIENT, PATIENT, client_transport, eventually

UECHO = "127.0.10.40"
LAMP = EOJ.from_int(0x029101)
EVALUATION_MAKER = b"\xff\xff\xf0"  # uecho's MANUFACTURER_EVALUATION_CODE_MIN

type UechoFactory = Callable[..., uecho.LocalNode]


class _GroupBoundMulticastServer(MulticastServer):
    """uecho's group receiver, bound to (224.0.23.0, port) instead of (0.0.0.0, port).

    Bound to 0.0.0.0 it would hear the port on every interface, and its bind
    would clash with our client's unicast socket on (127.0.10.1, port), which
    has no SO_REUSEADDR by design. Bound to the group it hears only the
    group's datagrams, as our transport's group socket does; the rest of
    uecho's server (the thread, the parsing) is its own.
    """

    def bind(self, ifaddr: str) -> bool:
        Server.bind(self, ifaddr)
        self.sock = self.create_udp_socket()
        self.sock.bind((MulticastServer.ADDRESS, self.port))
        membership = socket.inet_aton(MulticastServer.ADDRESS) + socket.inet_aton(ifaddr)
        # Where loopback cannot join the group, the tests that need it skip (fixture
        # `group`); the others use only uecho's unicast socket.
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        return True


@pytest.fixture
def uecho_on_loopback(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make uecho bind UECHO and the test's port only.

    - `Server.PORT` (3610) is both the port uecho binds and the one it
      announces to; the test's nodes use the test's port.
    - `LocalNode.start(ifaddrs)` ignores its argument, and uecho then binds
      every address netifaces lists; `Interface.get_all_ipaddrs` is where
      that list comes from.
    - The group receiver is bound to the group rather than 0.0.0.0
      (`_GroupBoundMulticastServer`).
    """
    monkeypatch.setattr(Server, "PORT", port)
    monkeypatch.setattr(Interface, "get_all_ipaddrs", staticmethod(lambda: [UECHO]))
    monkeypatch.setattr("uecho.frame.manager.MulticastServer", _GroupBoundMulticastServer)


def _uecho_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if isinstance(thread, Server)]


@pytest.fixture
def uecho_node(uecho_on_loopback: None) -> Iterator[UechoFactory]:
    """Start uecho nodes on UECHO; each is stopped, and its threads joined, at the end.

    uecho receives in two threads per node (unicast and group), each blocked in
    recvfrom; `LocalNode.stop` shuts the sockets down and joins them.
    """
    started: list[uecho.LocalNode] = []

    def start(*objects: uecho.Object) -> uecho.LocalNode:
        node = uecho.LocalNode()
        for obj in objects:
            node.add_object(obj)
        # uecho leaves the node profile's manufacturer code (0x8A) empty; a real node has one.
        node.get_object(uecho.NodeProfile.CODE).set_property_data(0x8A, EVALUATION_MAKER)
        started.append(node)
        assert node.start(), f"uecho could not bind {UECHO}"
        assert node.address == (UECHO, Server.PORT)
        return node

    yield start
    for node in started:
        node.stop()
    assert _uecho_threads() == []


@pytest.fixture
async def uecho_client(port: int) -> AsyncIterator[EchonetClient]:
    """A client that sends each request once and waits long.

    uecho answers from its own threads; one send per request means every
    answer checked is the answer to the first send, not to a retransmission.
    """
    async with EchonetClient(client_transport(port), retry=PATIENT) as started:
        yield started


def air_conditioner() -> uecho.Device:
    """uecho's home air conditioner (0x013001), every property of its database, a few set."""
    aircon = uecho.Device(0x013001)
    aircon.set_property_data(0x80, b"\x30")  # on
    aircon.set_property_data(0xB0, b"\x42")  # cooling
    aircon.set_property_data(0xB3, b"\x1a")  # 26 °C
    aircon.set_property_data(0x8A, EVALUATION_MAKER)
    return aircon


def small_lamp() -> uecho.SuperObject:
    """Mono-functional lighting (0x029101) with only the properties a small lamp has.

    uecho's `Device` carries every property its database knows for the
    class, so its Get map lists more than 15 and goes out in format 2,
    which uecho writes wrongly (see the bitmap test). A device of a few
    properties has format-1 maps. Each property, with its access rules, is
    uecho's own, taken from its `Device`.
    """
    full = uecho.Device(0x029101)
    lamp = uecho.SuperObject(0x029101)
    # The maps first: uecho recomputes them on each property added, if they exist.
    for epc in (0x9D, 0x9E, 0x9F, 0x80, 0x82, 0x88, 0x8A, 0xB0):
        lamp.add_property(full.get_property(epc).copy())
    lamp.set_property_data(0x80, b"\x30")  # on
    lamp.set_property_data(0x82, b"\x00\x00R\x00")  # Appendix Release R
    lamp.set_property_data(0x88, b"\x42")  # no fault
    lamp.set_property_data(0x8A, EVALUATION_MAKER)
    lamp.set_property_data(0xB0, b"\x32")  # 50 %
    return lamp


def held(obj: uecho.Object, epc: int) -> bytes:
    """What the uecho object holds for `epc`, read on uecho's side."""
    return bytes(obj.get_property_data(epc))


async def test_client_reads_a_uecho_air_conditioner(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    aircon = air_conditioner()
    uecho_node(aircon)
    reply = await uecho_client.get(UECHO, AIRCON, [0x80, 0xB0, 0xB3])
    assert reply.frame.esv is ESV.GET_RES
    assert reply.frame.seoj == AIRCON
    assert reply.values == {epc: held(aircon, epc) for epc in (0x80, 0xB0, 0xB3)}
    decoded = {epc: decode_value(0x0130, epc, edt) for epc, edt in reply.values.items()}
    assert {epc: value.value for epc, value in decoded.items()} == {
        0x80: "true",
        0xB0: "cooling",
        0xB3: 26,
    }
    assert decoded[0xB3].unit == "°C"
    # A property uecho lacks: Get_SNA, the others still with their data.
    partial = await uecho_client.get(UECHO, AIRCON, [0x80, 0xF5])
    assert partial.frame.esv is ESV.GET_SNA
    assert partial.values == {0x80: b"\x30"}
    assert partial.refused == {0xF5}


async def test_client_setc_changes_the_uecho_device(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    aircon = air_conditioner()
    uecho_node(aircon)
    reply = await uecho_client.set_c(UECHO, AIRCON, {0x80: b"\x31", 0xB3: b"\x1b"})
    assert reply.frame.esv is ESV.SET_RES
    assert reply.ok
    # uecho stores the value before it answers: the answer means it is there.
    assert held(aircon, 0x80) == b"\x31"
    assert held(aircon, 0xB3) == b"\x1b"
    read = await uecho_client.get(UECHO, AIRCON, [0x80, 0xB3])
    assert decode_value(0x0130, 0x80, read.values[0x80]).value == "false"
    assert decode_value(0x0130, 0xB3, read.values[0xB3]).value == 27


class _RecordingTransport(EchonetTransport):
    """Our transport, keeping every frame it receives, matched by the client or not."""

    def __init__(self, port: int) -> None:
        super().__init__(CLIENT, port=port, multicast_group=None)
        self.frames: list[Frame] = []

    def datagram_received(self, data: bytes, source: tuple[str, int]) -> None:
        with contextlib.suppress(FrameError):
            self.frames.append(decode_frame(data))
        super().datagram_received(data, source)


async def test_uecho_refuses_setc_with_seti_sna_which_we_take_as_the_answer(
    port: int, uecho_node: UechoFactory
) -> None:
    """uecho refuses a SetC with SetI_SNA (0x50), where the specification says SetC_SNA (0x51).

    Its handler answers every refused write with WRITE_REQUEST_ERROR, SetC
    or not. The TID and the object match and the frame says what a SetC_SNA
    would (the accepted EPC with an empty EDT, the refused one echoed), so
    our client takes it as the answer: a refusal, at once, with no retry.
    """
    aircon = air_conditioner()
    aircon.set_property_data(0xBB, b"\x18")  # measured room temperature: Get only
    uecho_node(aircon)
    transport = _RecordingTransport(port)
    async with EchonetClient(transport, retry=RetryPolicy(timeout=0.5, attempts=3)) as client:
        reply = await client.set_c(UECHO, AIRCON, {0xB3: b"\x1c", 0xBB: b"\x14"})
        assert client.counters.unmatched == 0
    assert not reply.ok
    assert reply.refused == {0xBB}
    [answer] = transport.frames
    assert answer.esv is ESV.SETI_SNA
    assert answer.properties == (Property(0xB3), Property(0xBB, b"\x14"))
    assert held(aircon, 0xBB) == b"\x18"
    assert held(aircon, 0xB3) == b"\x1c"  # uecho applies what it accepts


async def test_probe_node_reads_the_uecho_node(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    node = uecho_node(small_lamp())
    profile = node.get_object(uecho.NodeProfile.CODE)
    info = await probe_node(uecho_client, UECHO)
    assert info == NodeInfo(
        identity=held(profile, 0x83).hex(),  # 0xFE, maker 000000, 13 random bytes
        address=UECHO,
        objects=(
            ObjectInfo(
                LAMP,
                get_map=frozenset({0x80, 0x82, 0x88, 0x8A, 0x9D, 0x9E, 0x9F, 0xB0}),
                set_map=frozenset({0x80, 0xB0}),
                announce_map=frozenset({0x80, 0x88}),
                manufacturer=0xFFFFF0,
                release="R",
            ),
        ),
        manufacturer=0xFFFFF0,
        version="1.13",  # uecho's node profile 0x82: 01 0D 01 00
    )
    assert info.identity.startswith("fe000000")


async def test_probe_node_refuses_uechos_bitmap_property_maps(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    """uecho writes format-2 maps (16 EPCs or more) wrongly; we refuse them, not guess.

    Its first byte is always 16, whatever the number of EPCs, and the bits of
    EPCs 0xC0 to 0xFF are masked away (`(1 << bit) & 0x0F`). Our decoder is
    strict by design (a wrong map means wrong polling), so the Get and Set
    maps of uecho's full air conditioner come out empty; the details asked in
    the same Get as the maps (the manufacturer code) still arrive, and the
    node is added.
    If Denki ever chooses to read such maps leniently, this test shows where.
    """
    uecho_node(air_conditioner())
    maps = (await uecho_client.get(UECHO, AIRCON, [0x9E, 0x9F])).values
    for epc in (0x9E, 0x9F):
        assert maps[epc][0] == 16
        with pytest.raises(FrameError, match="a property map of 16 EPCs has"):
            decode_property_map(maps[epc])
    info = await probe_node(uecho_client, UECHO)
    aircon = info.object(AIRCON)
    assert aircon is not None
    assert aircon.get_map == frozenset()
    assert aircon.set_map == frozenset()
    assert aircon.announce_map == {0x80, 0x81, 0x88, 0x8F, 0xA0, 0xB0}  # format 1: right
    assert aircon.manufacturer == 0xFFFFF0  # asked with the maps, answered all the same
    assert info.manufacturer == 0xFFFFF0


async def test_directory_finds_the_uecho_node_by_multicast(
    port: int, group: str, uecho_node: UechoFactory
) -> None:
    uecho_node(small_lamp())
    changes: list[NodeInfo] = []
    async with EchonetClient(client_transport(port, group=group), retry=PATIENT) as client:
        directory = NodeDirectory(client, on_change=lambda node, _before: changes.append(node))
        found = await directory.discover(window=0.5)  # uecho hears the group on its own thread
        directory.close()
    assert [node.address for node in found] == [UECHO]
    assert changes == found
    assert [info.eoj for info in found[0].objects] == [LAMP]


async def test_poller_reads_uecho_without_learning_a_false_capacity(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    """uecho answers a Get of an EPC it lists but holds no value for with Get_Res and PDC 0.

    With an EPC it lacks in the same Get it answers Get_SNA; neither is a
    device that cannot take the batch, so no capacity is learned.
    """
    aircon = air_conditioner()  # 0xBB (room temperature) listed, never set
    uecho_node(aircon)
    empty = await uecho_client.get(UECHO, AIRCON, [0x80, 0xBB])
    assert empty.frame.esv is ESV.GET_RES
    assert [(prop.epc, prop.edt) for prop in empty.frame.properties] == [
        (0x80, b"\x30"),
        (0xBB, b""),
    ]
    poller = AdaptivePoller(uecho_client)
    result = await poller.poll("uecho-013001", UECHO, AIRCON, [0x80, 0xB0, 0xB3, 0xBB, 0xF5])
    assert result.values == {epc: held(aircon, epc) for epc in (0x80, 0xB0, 0xB3)}
    assert result.missing == {0xBB, 0xF5}
    assert not result.timed_out
    assert result.datagrams == 2  # all in one Get, then the unanswered tail alone
    assert poller.capacity("uecho-013001") is None


def _notification(aircon: uecho.Device, epc: int) -> uecho.Message:
    """The INF a uecho application sends for a property of its device."""
    message = uecho.Message()
    message.ESV = uecho.ESV.NOTIFICATION
    message.SEOJ = aircon.code
    message.DEOJ = uecho.NodeProfile.CODE
    message.add_property((epc, held(aircon, epc)))
    return message


async def test_uecho_announcement_reaches_our_listener(
    port: int, group: str, uecho_node: UechoFactory
) -> None:
    """uecho does not announce a change by itself: its application sends the INF.

    0x80 is in the announcement map, and the specification has a device
    announce it when it changes; uecho's SetC handler only stores the value.
    Its `LocalNode.announce_message` multicasts an INF to the group, which
    is what an application built on uecho calls.
    """
    aircon = air_conditioner()
    node = uecho_node(aircon)
    heard: list[tuple[str, Frame]] = []
    async with EchonetClient(client_transport(port, group=group), retry=PATIENT) as client:
        client.add_listener(lambda host, frame: heard.append((host, frame)))
        await client.set_c(UECHO, AIRCON, {0x80: b"\x31"})
        # A round trip after the Set: an INF sent with its answer would be here by now.
        await client.get(UECHO, AIRCON, [0x80])
        assert heard == []
        assert node.announce_message(_notification(aircon, 0x80))
        await eventually(lambda: bool(heard))
    [(host, frame)] = heard
    assert host == UECHO
    assert frame.esv is ESV.INF
    assert (frame.seoj, frame.deoj) == (AIRCON, NODE_PROFILE)
    assert frame.properties == (Property(0x80, b"\x31"),)
    assert decode_value(0x0130, 0x80, frame.properties[0].edt).value == "false"


async def test_uecho_unicast_notification_reaches_our_listener(
    uecho_client: EchonetClient, uecho_node: UechoFactory, port: int
) -> None:
    """The same INF sent to our address alone: heard where loopback carries no multicast too."""
    aircon = air_conditioner()
    node = uecho_node(aircon)
    heard: list[tuple[str, Frame]] = []
    uecho_client.add_listener(lambda host, frame: heard.append((host, frame)))
    assert node.send_message(_notification(aircon, 0xB3), (CLIENT, port))
    await eventually(lambda: bool(heard))
    [(host, frame)] = heard
    assert host == UECHO
    assert frame.esv is ESV.INF
    assert frame.properties == (Property(0xB3, b"\x1a"),)
    assert decode_value(0x0130, 0xB3, frame.properties[0].edt).value == 26


async def test_uecho_answers_inf_req_with_inf_sna(
    uecho_client: EchonetClient, uecho_node: UechoFactory
) -> None:
    """uecho refuses every INF_REQ, even for a property it holds and announces.

    Its request handler counts only reads and writes as accepted, so an
    INF_REQ is never "all accepted". We must still match the INF_SNA to the
    request rather than wait out the timeout.
    """
    uecho_node(air_conditioner())
    reply = await uecho_client.inf_req(UECHO, AIRCON, [0x80])
    assert reply.frame.esv is ESV.INF_SNA
    assert not reply.ok
    assert reply.refused == {0x80}
