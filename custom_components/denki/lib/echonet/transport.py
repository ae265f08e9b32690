"""ECHONET Lite over UDP: port 3610 on one IPv4 interface, and the 224.0.23.0 group.

`EchonetTransport` binds two sockets on the chosen interface address:

- a unicast socket on (interface address, port), without SO_REUSEADDR, so
  that a second controller on the same address and port is a visible
  error rather than a silent thief of answers. Everything we send leaves
  from it, multicast too (IP_MULTICAST_IF names the interface);
- a group socket on (224.0.23.0, port), with SO_REUSEADDR so that other
  ECHONET Lite software on the host hears the group as well, that joins
  the group on the interface (IP_ADD_MEMBERSHIP with the interface address).

Datagrams are accepted from any source port. Each is decoded once; one that
is not a well-formed frame is counted and dropped, never raised; one that
comes from our own address and port (the group echoing what we sent) is
counted as ignored. Nothing here logs above debug level per datagram.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import ipaddress
import logging
import socket
from typing import Any

from .errors import EchonetError, FrameError
from .frame import Frame, decode_frame, encode_frame

_LOGGER = logging.getLogger(__name__)

ECHONET_PORT = 3610
MULTICAST_GROUP = "224.0.23.0"

type Address = tuple[str, int]
type FrameHandler = Callable[[Frame, Address], None]


class TransportError(EchonetError):
    """The transport could not open its sockets, or is closed."""


@dataclass(slots=True)
class EchonetCounters:
    """What the transport and the client saw, for diagnostics.

    Attributes:
        received: Well-formed frames from other nodes.
        malformed: Datagrams that were not well-formed frames, dropped.
        unmatched: Answers no request was waiting for, dropped.
        spoofed: Answers carrying a waiting request's TID from an address
            other than the node asked, dropped.
        ignored: Frames left alone: our own datagrams echoed by the group,
            and requests for objects our node does not have.
        sent: Frames sent.
    """

    received: int = 0
    malformed: int = 0
    unmatched: int = 0
    spoofed: int = 0
    ignored: int = 0
    sent: int = 0


class _Receiver(asyncio.DatagramProtocol):
    """Hands every datagram of one socket to the transport."""

    def __init__(self, owner: EchonetTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self._owner.datagram_received(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("ECHONET Lite socket error: %s", exc)


def _ipv4(address: str) -> str:
    """The canonical form of an IPv4 address, or ValueError."""
    return str(ipaddress.IPv4Address(address))


def _unicast_socket(interface: str, port: int, multicast_loop: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(multicast_loop))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind((interface, port))
    except OSError:
        sock.close()
        raise
    return sock


def _group_socket(interface: str, group: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bound to the group, the socket hears only the group's datagrams.
        sock.bind((group, port))
        membership = socket.inet_aton(group) + socket.inet_aton(interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    except OSError:
        sock.close()
        raise
    return sock


class EchonetTransport:
    """ECHONET Lite datagrams on one interface: send frames, receive decoded ones."""

    def __init__(
        self,
        interface: str,
        *,
        port: int = ECHONET_PORT,
        multicast_group: str | None = MULTICAST_GROUP,
        multicast_loop: bool = False,
    ) -> None:
        """Describe the endpoint; `open` binds it.

        Args:
            interface: The local IPv4 address of the interface to use.
            port: The UDP port, 3610 but in tests.
            multicast_group: The group to join and to send multicast to;
                None to join none (unicast only).
            multicast_loop: Whether our multicast reaches sockets on this
                host (other ECHONET Lite software, or simulated nodes).
        """
        self.interface = _ipv4(interface)
        self.port = port
        self.multicast_group = None if multicast_group is None else _ipv4(multicast_group)
        if (
            self.multicast_group is not None
            and not ipaddress.IPv4Address(self.multicast_group).is_multicast
        ):
            raise ValueError(f"{multicast_group} is not a multicast address")
        self.multicast_loop = multicast_loop
        self.counters = EchonetCounters()
        self._handler: FrameHandler | None = None
        self._unicast: asyncio.DatagramTransport | None = None
        self._group: asyncio.DatagramTransport | None = None
        self._sockets: list[socket.socket] = []

    @property
    def local_address(self) -> Address:
        """The address and port we send from and are answered at."""
        return (self.interface, self.port)

    async def open(self, handler: FrameHandler) -> None:
        """Bind the sockets, join the group, and hand each received frame to `handler`.

        Raises:
            TransportError: The address or port is unavailable, or the
                interface cannot join the group.
        """
        if self._unicast is not None:
            raise TransportError("the transport is already open")
        loop = asyncio.get_running_loop()
        self._handler = handler
        try:
            unicast = _unicast_socket(self.interface, self.port, self.multicast_loop)
            self._sockets.append(unicast)
            self._unicast, _ = await loop.create_datagram_endpoint(
                lambda: _Receiver(self), sock=unicast
            )
            if self.multicast_group is not None:
                group = _group_socket(self.interface, self.multicast_group, self.port)
                self._sockets.append(group)
                self._group, _ = await loop.create_datagram_endpoint(
                    lambda: _Receiver(self), sock=group
                )
        except OSError as err:
            self.close()
            raise TransportError(
                f"cannot open ECHONET Lite UDP port {self.port} on {self.interface}: {err}"
            ) from err

    def close(self) -> None:
        """Close both sockets; the transport can be opened again."""
        for endpoint in (self._unicast, self._group):
            if endpoint is not None:
                endpoint.close()
        # asyncio closes a socket on a later turn of the loop, and later still when a
        # datagram is queued; closing it now frees the port for an immediate reopen.
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        self._unicast = self._group = None
        self._handler = None

    def send(self, frame: Frame, address: Address) -> None:
        """Send a frame to (IPv4 address, port); the group address sends multicast.

        Raises:
            TransportError: The transport is not open.
        """
        if self._unicast is None or self._unicast.is_closing():
            raise TransportError("the ECHONET Lite transport is closed")
        self._unicast.sendto(encode_frame(frame), address)
        self.counters.sent += 1

    def send_multicast(self, frame: Frame) -> None:
        """Send a frame to the group.

        Raises:
            TransportError: The transport is closed or joined no group.
        """
        if self.multicast_group is None:
            raise TransportError("the transport has no multicast group")
        self.send(frame, (self.multicast_group, self.port))

    def datagram_received(self, data: bytes, source: Address) -> None:
        """Decode one datagram and hand it on; count and drop what cannot be."""
        if source == self.local_address:
            self.counters.ignored += 1
            return
        try:
            frame = decode_frame(data)
        except FrameError as err:
            self.counters.malformed += 1
            _LOGGER.debug("Dropped a malformed datagram from %s: %s", source[0], err)
            return
        self.counters.received += 1
        if self._handler is not None:
            self._handler(frame, source)
