"""An ECHONET Lite node on a loopback address of its own, for tests.

Each `SimulatedNode` binds (127.0.0.x, port) and, if asked, joins the
224.0.23.0 group on that address, with plain sockets rather than the
library's transport, so that the transport's tests do not test it against
itself. It holds objects (a node profile is added) as raw EDT bytes and
answers Get, SetC, SetI and INF_REQ the way the specification says, from
the object asked (instance 0: from every instance of the class). A test
can make it leave requests unanswered (`drop`), hold its answers until it
releases them (`hold`), and send notifications of its own (`send`). It
records every frame it receives, with the raw bytes, for the test to check.
An `on_request` hook sees each request just before the node answers it
(before a Set takes effect), so a simulation can bring live values up to date.
`move` gives a node another address, as DHCP would after a reconnect, and
`swap_addresses` exchanges two nodes' addresses (each keeps its objects and
identity), announcing their instance lists from the new addresses if asked.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import socket
from typing import Any

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    NODE_PROFILE,
    Frame,
    FrameError,
    Property,
    decode_frame,
    encode_class_list,
    encode_frame,
    encode_instance_list,
    encode_property_map,
)

type Address = tuple[str, int]

WAIT = 3.0
"""Seconds a test waits for frames to arrive before it fails."""


def node_profile(objects: dict[EOJ, dict[int, bytes]], serial: bytes) -> dict[int, bytes]:
    """The node profile of a node holding `objects`."""
    devices = [eoj for eoj in objects if eoj != NODE_PROFILE]
    values = {
        0x80: b"\x30",
        0x82: bytes((1, 14, 1, 0)),
        0x83: b"\xfe\x00\x00\x16" + serial.ljust(13, b"\x00")[:13],
        0x8A: b"\x00\x00\x16",
        0xD3: len(devices).to_bytes(3),
        0xD4: (len({eoj.class_id for eoj in devices}) + 1).to_bytes(2),
        0xD6: encode_instance_list(devices),
        0xD7: encode_class_list(devices),
    }
    values[0x9D] = encode_property_map({0x80, 0xD5})
    values[0x9E] = encode_property_map(())
    values[0x9F] = encode_property_map({*values, 0x9F})
    return values


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, node: SimulatedNode) -> None:
        self._node = node

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._node.datagram_received(data, (str(addr[0]), int(addr[1])))


@dataclass
class SimulatedNode:
    """One node: its address, objects, and what it has seen."""

    address: str
    port: int
    objects: dict[EOJ, dict[int, bytes]]
    group: str | None = None
    settable: frozenset[int] = frozenset()
    drop: int = 0
    max_properties: int | None = None
    """Answer only the first N properties of a Get (a short answer), as some devices do."""
    silent_over: int | None = None
    """Drop a Get that asks for more than N properties, as some devices do."""
    latency: float = 0.0
    """Seconds the node takes to answer (a slow device, or a busy Wi-Fi link)."""
    on_set: Callable[[EOJ, int, bytes], bytes | None] | None = None
    """What the object makes of a value set: what it keeps (a maker's unit may keep another
    value, as Daikin's keep fan level 3 for level 1), or None to refuse it (Set_SNA)."""
    on_request: Callable[[Frame], None] | None = None
    """Called with each request about to be answered, before its Set (if any) is applied."""
    hold: asyncio.Event = field(default_factory=asyncio.Event)
    raw: list[bytes] = field(default_factory=list)
    received: list[tuple[Frame, Address]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _endpoints: list[asyncio.DatagramTransport] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        """Add the node profile; answer at once unless a test clears `hold`."""
        self.objects.setdefault(NODE_PROFILE, node_profile(self.objects, self.address.encode()))
        self.hold.set()

    @property
    def requests(self) -> list[Frame]:
        """The requests received, in order (retransmissions included)."""
        return [frame for frame, _ in self.received if frame.esv.is_request]

    async def start(self) -> None:
        """Bind the unicast socket and, with a group, join it on our address."""
        loop = asyncio.get_running_loop()
        unicast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        unicast.bind((self.address, self.port))
        socks = [unicast]
        if self.group is not None:
            member = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            member.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            member.bind((self.group, self.port))
            membership = socket.inet_aton(self.group) + socket.inet_aton(self.address)
            member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            unicast.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(self.address)
            )
            socks.append(member)
        self._sockets.extend(socks)
        for sock in socks:
            endpoint, _ = await loop.create_datagram_endpoint(lambda: _Socket(self), sock=sock)
            self._endpoints.append(endpoint)

    def close(self) -> None:
        """Close the sockets and forget answers not yet sent."""
        for task in self._tasks:
            task.cancel()
        for endpoint in self._endpoints:
            endpoint.close()
        self._endpoints.clear()
        # asyncio closes a socket on a later turn of the loop; closing it now frees
        # the address for a node that moves there at once.
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    async def move(self, address: str) -> None:
        """Leave this address and answer at `address` (a new DHCP lease); objects stay."""
        self.close()
        self.address = address
        await self.start()

    def announce(self, to: Address) -> None:
        """Announce our instance list (INF of 0xD5 from the node profile), as a node joining does.

        Source: SonyCSL/OpenECHO, src/com/sonycsl/echo/Echo.java, `Echo.start()`, which
        sends `reqInformInstanceListNotification()` to the group as a node starts.
        """
        profile = self.objects[NODE_PROFILE]
        frame = Frame(0, NODE_PROFILE, NODE_PROFILE, ESV.INF, (Property(0xD5, profile[0xD6]),))
        self.send(frame, to)

    def send(self, frame: Frame, to: Address) -> None:
        """Send a frame of our own (a notification, say) from our address."""
        self._endpoints[0].sendto(encode_frame(frame), to)

    async def wait_requests(self, count: int) -> list[Frame]:
        """Wait until `count` requests have arrived (at most `WAIT` seconds)."""
        return [frame for frame, _ in await self.wait_frames(count, requests_only=True)]

    async def wait_frames(
        self, count: int, *, requests_only: bool = False
    ) -> list[tuple[Frame, Address]]:
        """Wait until `count` frames (or requests) have arrived (at most `WAIT` seconds)."""
        async with asyncio.timeout(WAIT):
            while True:
                frames = [
                    entry for entry in self.received if not requests_only or entry[0].esv.is_request
                ]
                if len(frames) >= count:
                    return frames
                self._arrived.clear()
                await self._arrived.wait()

    def datagram_received(self, data: bytes, source: Address) -> None:
        """Record a frame; answer it if it is a request for one of our objects."""
        try:
            frame = decode_frame(data)
        except FrameError:
            return
        self.raw.append(data)
        self.received.append((frame, source))
        self._arrived.set()
        if not frame.esv.is_request:
            return
        if self.drop > 0:
            self.drop -= 1
            return
        if (
            self.silent_over is not None
            and frame.esv is ESV.GET
            and len(frame.properties) > self.silent_over
        ):
            return
        task = asyncio.create_task(self._answer(frame, source))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, request: Frame, source: Address) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.hold.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
        finally:
            self.in_flight -= 1
        if self.on_request is not None:
            self.on_request(request)
        deoj = request.deoj
        for eoj in sorted(self.objects):
            if eoj == deoj or (deoj.instance == 0 and eoj.class_id == deoj.class_id):
                answer = self._answer_from(eoj, request)
                if answer is not None and self._endpoints:
                    self.send(answer, source)

    def _answer_from(self, eoj: EOJ, request: Frame) -> Frame | None:
        values = self.objects[eoj]
        esv = request.esv
        if esv in (ESV.GET, ESV.INF_REQ):
            asked = request.properties
            if esv is ESV.GET and self.max_properties is not None:
                asked = asked[: self.max_properties]
            properties = tuple(Property(p.epc, values.get(p.epc, b"")) for p in asked)
            complete = all(p.epc in values for p in asked)
            if esv == ESV.GET:
                esv = ESV.GET_RES if complete else ESV.GET_SNA
            else:
                esv = ESV.INF if complete else ESV.INF_SNA
        elif esv in (ESV.SETC, ESV.SETI):
            kept = {p.epc: self._kept(eoj, p) for p in request.properties}
            accepted = {epc: edt for epc, edt in kept.items() if edt is not None}
            values.update(accepted)
            # Accepted properties come back without data, refused ones with theirs.
            properties = tuple(
                Property(p.epc) if kept[p.epc] is not None else p for p in request.properties
            )
            if all(kept[p.epc] is not None for p in request.properties):
                if esv == ESV.SETI:
                    return None
                esv = ESV.SET_RES
            else:
                esv = ESV.SETC_SNA if esv == ESV.SETC else ESV.SETI_SNA
        else:
            return None
        return Frame(request.tid, eoj, request.seoj, esv, properties)

    def _kept(self, eoj: EOJ, prop: Property) -> bytes | None:
        """What the object keeps of a property set; None if it refuses it."""
        if prop.epc not in self.settable:
            return None
        return prop.edt if self.on_set is None else self.on_set(eoj, prop.epc, prop.edt)


async def swap_addresses(
    first: SimulatedNode, second: SimulatedNode, *, announce_to: Address | None = None
) -> None:
    """Exchange two nodes' addresses, as DHCP may when both reconnect; each keeps its identity.

    The case issue 19 reports: two air conditioners that swapped addresses, after which each
    room's entities drove the other room's unit.

    With `announce_to`, each then announces its instance list there from its new address.
    """
    one, other = first.address, second.address
    first.close()
    second.close()
    first.address, second.address = other, one
    await first.start()
    await second.start()
    if announce_to is not None:
        first.announce(announce_to)
        second.announce(announce_to)
