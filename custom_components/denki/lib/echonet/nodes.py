"""The nodes of a home LAN: what each one is, where it is, and how we learn of it.

A node is known by its identification number (node profile 0x83), never by
its IP address: an address is where the node is now, and DHCP may move it.
When the node profile has no 0x83, the first device object's 0x83 stands in,
then the manufacturer code with the object's serial number (0x8D); a node
with none of them is not added, since it could not be recognised after a
move. An address change is accepted only after a unicast Get of 0x83 at the
new address returns the identity, and an address is trusted for a Set only
once its node has said who it is since the address last changed hands
(`NodeDirectory.confirmed`, `confirm`, `guard_sets`): two nodes that swap
addresses each keep their identity, and a new node at an old address is
added as the new node it is.

A probe reads each thing once: one Get of the node profile (identity,
maker, version, instance list), then one of each object (its three
property maps and the details that name it, together).

`NodeDirectory` finds nodes: a multicast Get of the instance list (0xD6) and
a unicast one to each manually listed host (for other VLANs or subnets), an
instance-list announcement (INF 0xD5), and any frame from a sender we do not
know, which is probed at most once per `probe_interval` so that a noisy or
hostile host cannot make us flood the LAN. It also counts the Gets that
hosts it does not know send our node, and says so past `STRANGER_GETS`.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field, replace
import logging
import time
from typing import Any

from .client import EchonetClient
from .errors import EchonetError, FrameError
from .esv import ESV
from .exchange import EchonetTimeoutError
from .frame import EOJ, NODE_PROFILE, Frame
from .node_profile import (
    EPC_ANNOUNCEMENT_MAP,
    EPC_GET_MAP,
    EPC_IDENTIFICATION,
    EPC_INSTANCE_LIST,
    EPC_INSTANCE_LIST_NOTIFICATION,
    EPC_MANUFACTURER,
    EPC_SET_MAP,
    EPC_VERSION,
    NODE_PROFILE_CLASS,
    decode_instance_list,
)
from .property_map import decode_property_map

_LOGGER = logging.getLogger(__name__)

EPC_PRODUCT_CODE = 0x8C
EPC_SERIAL_NUMBER = 0x8D
PROBE_INTERVAL = 300.0
"""Seconds before a host that could not be probed (or is unknown) is probed again."""

_DETAILS = (EPC_MANUFACTURER, EPC_PRODUCT_CODE, EPC_SERIAL_NUMBER, EPC_VERSION, EPC_IDENTIFICATION)


class ProbeError(EchonetError):
    """A host did not describe itself well enough to be added as a node."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One device object of a node, as it describes itself.

    Attributes:
        eoj: The object (class and instance).
        get_map: EPCs it answers Get for (0x9F).
        set_map: EPCs it accepts Set for (0x9E).
        announce_map: EPCs it announces when they change (0x9D).
        manufacturer: Its manufacturer code (0x8A), if it gave one.
        product_code: Its product code (0x8C), trimmed, if it gave one.
        serial_number: Its serial number (0x8D), trimmed, if it gave one.
        release: The Appendix release it follows (0x82, e.g. "R"), if given.
    """

    eoj: EOJ
    get_map: frozenset[int]
    set_map: frozenset[int] = frozenset()
    announce_map: frozenset[int] = frozenset()
    manufacturer: int | None = None
    product_code: str | None = None
    serial_number: str | None = None
    release: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for storing between restarts."""
        return {
            "eoj": int.from_bytes(self.eoj.to_bytes()),
            "get": sorted(self.get_map),
            "set": sorted(self.set_map),
            "announce": sorted(self.announce_map),
            "manufacturer": self.manufacturer,
            "product_code": self.product_code,
            "serial_number": self.serial_number,
            "release": self.release,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectInfo:
        """Read what `as_dict` wrote; KeyError, TypeError or ValueError if it is damaged."""
        return cls(
            EOJ.from_int(int(data["eoj"])),
            frozenset(int(epc) for epc in data["get"]),
            frozenset(int(epc) for epc in data["set"]),
            frozenset(int(epc) for epc in data["announce"]),
            _optional_int(data.get("manufacturer")),
            _optional_str(data.get("product_code")),
            _optional_str(data.get("serial_number")),
            _optional_str(data.get("release")),
        )


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """A node: its identity, where it is now, and its device objects.

    Attributes:
        identity: The identification number in hex (see the module notes).
        address: Its IPv4 address, as last confirmed.
        objects: Its device objects (the node profile is not among them).
        manufacturer: The node's manufacturer code (node profile 0x8A).
        version: The ECHONET Lite version of its node profile, e.g. "1.14".
    """

    identity: str
    address: str
    objects: tuple[ObjectInfo, ...]
    manufacturer: int | None = None
    version: str | None = None

    def object(self, eoj: EOJ) -> ObjectInfo | None:
        """The node's object `eoj`, if it has it."""
        for info in self.objects:
            if info.eoj == eoj:
                return info
        return None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for storing between restarts."""
        return {
            "identity": self.identity,
            "address": self.address,
            "manufacturer": self.manufacturer,
            "version": self.version,
            "objects": [info.as_dict() for info in self.objects],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NodeInfo:
        """Read what `as_dict` wrote; KeyError, TypeError or ValueError if it is damaged."""
        return cls(
            str(data["identity"]),
            str(data["address"]),
            tuple(ObjectInfo.from_dict(item) for item in data["objects"]),
            _optional_int(data.get("manufacturer")),
            _optional_str(data.get("version")),
        )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _text(edt: bytes | None) -> str | None:
    """ASCII text of a product code or serial number, without padding; None if empty."""
    if not edt:
        return None
    text = edt.decode("ascii", "replace").strip("\x00 ").strip()
    return text or None


def _code(edt: bytes | None) -> int | None:
    return int.from_bytes(edt) if edt is not None and len(edt) == 3 else None


def _map(values: Mapping[int, bytes], epc: int) -> frozenset[int]:
    edt = values.get(epc)
    if edt is None:
        return frozenset()
    try:
        return decode_property_map(edt)
    except FrameError:
        return frozenset()


def _identification(edt: bytes | None) -> str | None:
    """The hex of a well-formed identification number (0xFE, 3-byte maker, 13 bytes)."""
    if edt is None or len(edt) != 17 or edt[0] != 0xFE or not any(edt[4:]):
        return None
    return edt.hex()


def _node_version(edt: bytes | None) -> str | None:
    if edt is None or len(edt) != 4:
        return None
    return f"{edt[0]}.{edt[1]}"


def _release(edt: bytes | None) -> str | None:
    if edt is None or len(edt) != 4 or not 0x41 <= edt[2] <= 0x5A:
        return None
    return chr(edt[2])


_OBJECT_EPCS = (*_DETAILS, EPC_ANNOUNCEMENT_MAP, EPC_SET_MAP, EPC_GET_MAP)
_PROFILE_EPCS = (EPC_IDENTIFICATION, EPC_MANUFACTURER, EPC_VERSION, EPC_INSTANCE_LIST)


async def _read_object(
    client: EchonetClient, address: str, eoj: EOJ
) -> tuple[ObjectInfo, bytes | None]:
    """An object's maps and details, and its own 0x83 if it has one: one Get if it can.

    The maps and the details are asked together (eight properties, which every
    device we know takes); a property the object lacks comes back refused, the
    rest with data. Only if that Get is not answered, or answered without the
    Get map (a short answer), are the maps asked alone, then the details.
    """
    values: dict[int, bytes] = {}
    # Some devices drop a Get of several properties: then ask in two.
    with contextlib.suppress(EchonetTimeoutError):
        values = (await client.get(address, eoj, _OBJECT_EPCS)).values
    if EPC_GET_MAP not in values:
        maps = (
            await client.get(address, eoj, (EPC_ANNOUNCEMENT_MAP, EPC_SET_MAP, EPC_GET_MAP))
        ).values
        values |= maps
        wanted = [epc for epc in _DETAILS if epc in _map(values, EPC_GET_MAP)]
        wanted = [epc for epc in wanted if epc not in values]
        if wanted:
            values |= (await client.get(address, eoj, wanted)).values
    get_map = _map(values, EPC_GET_MAP)
    info = ObjectInfo(
        eoj,
        get_map,
        _map(values, EPC_SET_MAP),
        _map(values, EPC_ANNOUNCEMENT_MAP),
        _code(values.get(EPC_MANUFACTURER)),
        _text(values.get(EPC_PRODUCT_CODE)),
        _text(values.get(EPC_SERIAL_NUMBER)),
        _release(values.get(EPC_VERSION)),
    )
    return info, values.get(EPC_IDENTIFICATION)


async def probe_object(client: EchonetClient, address: str, eoj: EOJ) -> ObjectInfo:
    """Read one object's property maps and the details that name it (one Get, mostly).

    Raises:
        EchonetTimeoutError: The node did not answer.
    """
    info, _ = await _read_object(client, address, eoj)
    return info


async def _read_profile(client: EchonetClient, address: str) -> dict[int, bytes]:
    return (await client.get(address, NODE_PROFILE, _PROFILE_EPCS)).values


def _instances(address: str, profile: Mapping[int, bytes]) -> tuple[EOJ, ...]:
    try:
        instances = decode_instance_list(profile.get(EPC_INSTANCE_LIST, b""))
    except FrameError as err:
        raise ProbeError(f"{address} gave no usable instance list: {err}") from err
    return tuple(eoj for eoj in instances if eoj.class_id != NODE_PROFILE_CLASS)


async def _probe_objects(
    client: EchonetClient, address: str, profile: Mapping[int, bytes]
) -> NodeInfo:
    """The rest of a probe, once the node profile has been read."""
    objects: list[ObjectInfo] = []
    object_ids: list[bytes] = []
    for eoj in _instances(address, profile):
        info, object_id = await _read_object(client, address, eoj)
        objects.append(info)
        if object_id is not None:
            object_ids.append(object_id)
    manufacturer = _code(profile.get(EPC_MANUFACTURER))
    identity = _identification(profile.get(EPC_IDENTIFICATION))
    if identity is None:
        identity = next(filter(None, map(_identification, object_ids)), None)
    if identity is None:
        serial = next((info for info in objects if info.serial_number), None)
        maker = manufacturer if manufacturer is not None else serial and serial.manufacturer
        if serial is not None and maker is not None:
            identity = f"{maker:06x}-{serial.serial_number}"
    if identity is None:
        raise ProbeError(f"{address} has no identification number and no serial number")
    return NodeInfo(
        identity, address, tuple(objects), manufacturer, _node_version(profile.get(EPC_VERSION))
    )


async def probe_node(client: EchonetClient, address: str) -> NodeInfo:
    """Ask a host who it is and what objects it has, by unicast.

    One Get of the node profile, then one of each object (its maps and
    details together; see `probe_object`).

    Raises:
        EchonetTimeoutError: The host did not answer.
        ProbeError: It gave no instance list, or nothing to identify it by.
    """
    return await _probe_objects(client, address, await _read_profile(client, address))


type NodeCallback = Callable[[NodeInfo, NodeInfo | None], None]
"""Called with a node found or changed, and what we knew of it before (None if new)."""

type StrangerCallback = Callable[[str, int], None]
"""Called with a host unknown to us, and how many Gets it sent within the window."""

CONFIRM_INTERVAL = 30.0
"""Seconds between two confirmations of the same address prompted by its datagrams.

A confirmation is one Get of the node profile; a node that keeps answering
but fails the confirmation (a host that answers polls but not its profile)
costs at most one request per 30 s."""

STRANGER_GETS = 60
"""Gets (and other non-Set requests) from one unknown host, within `STRANGER_WINDOW`,
that raise the alarm.

Another controller that finds us legitimately sends one Get of our instance
list, then reads our two objects (node profile and controller, 21 properties
between them). The most verbose client we know, pychonet, reads the property
maps with one Get and then every property one Get at a time: about 25 Gets.
Sixty in ten minutes is more than twice that full read, so a peer that
discovers us, even twice, stays under it, while a scanner walking objects or
EPCs (hundreds of Gets) passes it within its first minutes."""

STRANGER_WINDOW = 600.0
"""Seconds over which a host's Gets are counted for `STRANGER_GETS`."""


@dataclass(slots=True)
class DirectoryCounters:
    """What discovery did, for diagnostics.

    Attributes:
        probes: Hosts asked who they are (a Get of the node profile, then of
            each object if the node is new or changed).
        probe_failures: Those that failed.
        probes_skipped: Strangers not probed, having been probed recently.
        address_changes: Known nodes found at a new address.
        confirmations: Probes that found a known node, unchanged, at the
            address asked (its identity confirmed with one Get).
        displaced: Addresses found held by another node than the one we knew there.
        unknown_gets: Gets, INF_REQs and SetGets received from hosts that are
            not known nodes.
        unknown_hosts: Distinct unknown hosts that sent them.
    """

    probes: int = 0
    probe_failures: int = 0
    probes_skipped: int = 0
    address_changes: int = 0
    confirmations: int = 0
    displaced: int = 0
    unknown_gets: int = 0
    unknown_hosts: int = 0


@dataclass(slots=True)
class NodeDirectory:
    """The nodes we know, kept up to date from discovery, announcements and strangers.

    An address is trusted (`confirmed`) only once the node there has given
    its identification number since the address last changed hands. Every
    discovery answer and every instance-list announcement (INF 0xD5) is
    confirmed with a Get of the node profile; so is the first frame from a
    known address not confirmed yet (after a restart, or after the node
    fell silent: a node that comes back may come back elsewhere, and
    another may take its place). Other notifications from a confirmed
    address are taken as they come: asking again for each would double
    the traffic, and an address cannot change hands without the node going
    silent or announcing its instance list on joining the network.

    Attributes:
        client: The started client to ask through.
        manual_hosts: Hosts asked by unicast at each discovery.
        on_change: Called for each node found, moved or changed.
        probe_interval: Seconds before the same stranger is probed again.
        on_stranger: Called once per window with a host unknown to us that
            has sent `STRANGER_GETS` Gets within `STRANGER_WINDOW`.
    """

    client: EchonetClient
    manual_hosts: tuple[str, ...] = ()
    on_change: NodeCallback | None = None
    probe_interval: float = PROBE_INTERVAL
    on_stranger: StrangerCallback | None = None
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    counters: DirectoryCounters = field(default_factory=DirectoryCounters)
    _at: dict[str, str] = field(default_factory=dict)
    _confirmed: set[str] = field(default_factory=set)
    _confirm_tried: dict[str, float] = field(default_factory=dict)
    _probed: dict[str, float] = field(default_factory=dict)
    _probing: dict[str, asyncio.Task[NodeInfo | None]] = field(default_factory=dict)
    _background: set[asyncio.Task[None]] = field(default_factory=set)
    _strangers: dict[str, list[float]] = field(default_factory=dict)
    _alerted: dict[str, float] = field(default_factory=dict)
    _removers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Hear notifications, datagrams, silences and requests from the start."""
        self._removers = [
            self.client.add_listener(self._on_notification),
            self.client.add_datagram_listener(self._on_datagram),
            self.client.add_silence_listener(self._on_silence),
            self.client.add_request_listener(self._on_request),
        ]

    def load(self, nodes: Iterable[NodeInfo]) -> None:
        """Know these nodes (from storage) without asking them; none is confirmed yet."""
        for node in nodes:
            self.nodes[node.identity] = node
            self._at[node.address] = node.identity

    def by_address(self, address: str) -> NodeInfo | None:
        """The node last known at `address` (confirmed or not), if any."""
        identity = self._at.get(address)
        if identity is not None:
            node = self.nodes.get(identity)
            return node if node is not None and node.address == address else None
        for node in self.nodes.values():
            if node.address == address:
                return node
        return None

    def confirmed(self, address: str, identity: str | None = None) -> bool:
        """Whether the node at `address` gave its identity since the address last changed.

        With `identity`, also whether that node is the one there. Check this
        before a Set (or use `confirm`, or `guard_sets`).
        """
        if address not in self._confirmed:
            return False
        held = self._at.get(address)
        return held is not None and held in self.nodes and (identity is None or held == identity)

    async def confirm(self, identity: str) -> NodeInfo | None:
        """The node `identity` at an address confirmed now, asking it if need be.

        Returns:
            The node, or None if it is unknown, does not answer at its last
            address, or another node is there now (discovery finds where it went).
        """
        node = self.nodes.get(identity)
        if node is None:
            return None
        if not self.confirmed(node.address, identity):
            await self.probe(node.address, force=True)
            node = self.nodes.get(identity)
        if node is None or not self.confirmed(node.address, identity):
            return None
        return node

    def guard_sets(self) -> None:
        """Make the client refuse Sets to addresses not `confirmed` (UnconfirmedError)."""
        self.client.set_guard = self._guard

    def _guard(self, address: str) -> bool:
        return self.confirmed(address)

    async def discover(self, window: float = 3.0) -> list[NodeInfo]:
        """Ask the group and each manual host, and who each one that answers is.

        A known node at its known address costs one Get (its node profile,
        confirming its identity); a new node, or one whose objects changed,
        one more per object.

        Returns:
            The nodes that answered, as now known.
        """
        answered: list[str] = []
        multicast = self.client.has_multicast
        if multicast:
            answered += [node.address for node in await self.client.discover(window)]
        for host in self.manual_hosts:
            if host not in answered:
                with contextlib.suppress(EchonetError):
                    answered += [n.address for n in await self.client.discover(window, host)]
        found: list[NodeInfo] = []
        for address in dict.fromkeys(answered):
            node = await self.probe(address, force=True)
            if node is not None:
                found.append(node)
        return found

    async def probe(self, address: str, *, force: bool = False) -> NodeInfo | None:
        """Ask a host who it is (once at a time, rate-limited unless `force`) and record it.

        Returns:
            The node, or None if the host could not be probed or was probed recently.
        """
        running = self._probing.get(address)
        if running is not None:
            return await asyncio.shield(running)
        now = time.monotonic()
        last = self._probed.get(address)
        if not force and last is not None and now - last < self.probe_interval:
            self.counters.probes_skipped += 1
            return None
        self._probed[address] = now
        task = asyncio.create_task(self._probe(address), name=f"echonet-probe-{address}")
        self._probing[address] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._probing.pop(address, None)

    async def _probe(self, address: str) -> NodeInfo | None:
        self.counters.probes += 1
        try:
            profile = await _read_profile(self.client, address)
            identity = _identification(profile.get(EPC_IDENTIFICATION))
            known = None if identity is None else self.nodes.get(identity)
            if known is not None and {info.eoj for info in known.objects} == set(
                _instances(address, profile)
            ):
                self.counters.confirmations += 1
                node = known if known.address == address else replace(known, address=address)
            else:
                node = await _probe_objects(self.client, address, profile)
        except EchonetError as err:
            self.counters.probe_failures += 1
            _LOGGER.debug("Could not probe %s: %s", address, err)
            return None
        finally:
            self._probing.pop(address, None)
        self._record(node)
        return node

    def _record(self, node: NodeInfo) -> None:
        before = self.nodes.get(node.identity)
        held = self._at.get(node.address)
        if held is not None and held != node.identity:
            # Another node held this address: it keeps its identity, is no longer
            # trusted here, and is found at its new address by its own probe.
            self.counters.displaced += 1
            _LOGGER.info(
                "ECHONET Lite address %s now belongs to node %s, not %s",
                node.address,
                node.identity,
                held,
            )
        if before is not None and before.address != node.address:
            self.counters.address_changes += 1
            _LOGGER.info(
                "ECHONET Lite node %s moved from %s to %s",
                node.identity,
                before.address,
                node.address,
            )
            if self._at.get(before.address) == node.identity:
                del self._at[before.address]
                self._confirmed.discard(before.address)
        self._at[node.address] = node.identity
        self._confirmed.add(node.address)
        self.nodes[node.identity] = node
        if before != node and self.on_change is not None:
            self.on_change(node, before)

    def _on_notification(self, host: str, frame: Frame) -> None:
        """An INF or INFC: an instance list announced, or a sender we do not know, gets probed."""
        if frame.esv not in (ESV.INF, ESV.INFC):
            return
        announced_instances = frame.seoj.class_id == NODE_PROFILE_CLASS and any(
            prop.epc == EPC_INSTANCE_LIST_NOTIFICATION for prop in frame.properties
        )
        known = self.by_address(host) is not None
        if known and not announced_instances:
            return  # its datagram prompted a confirmation if the address needs one
        # An instance-list announcement (a node joining the network, or changing) is
        # confirmed at once; a stranger is probed at most once per probe_interval.
        self._spawn(host, force=announced_instances)

    def _on_datagram(self, host: str) -> None:
        """The first frame from a known address not confirmed yet: ask who is there."""
        if host in self._confirmed or host in self._probing or host not in self._at:
            return
        now = time.monotonic()
        last = self._confirm_tried.get(host)
        if last is not None and now - last < CONFIRM_INTERVAL:
            return
        self._confirm_tried[host] = now
        self._spawn(host, force=True)

    def _on_silence(self, host: str) -> None:
        """A node left a request unanswered: when it speaks again, ask who it is."""
        self._confirmed.discard(host)
        self._confirm_tried.pop(host, None)

    def _on_request(self, host: str, frame: Frame) -> None:
        """Count Gets from hosts we do not know; past the threshold, say so once per window."""
        if frame.esv not in (ESV.GET, ESV.INF_REQ, ESV.SETGET) or self.by_address(host):
            return
        self.counters.unknown_gets += 1
        now = time.monotonic()
        times = self._strangers.get(host)
        if times is None:
            times = self._strangers[host] = []
            self.counters.unknown_hosts += 1
        times.append(now)
        while times and now - times[0] > STRANGER_WINDOW:
            times.pop(0)
        alerted = self._alerted.get(host)
        if len(times) >= STRANGER_GETS and (alerted is None or now - alerted > STRANGER_WINDOW):
            self._alerted[host] = now
            _LOGGER.warning(
                "A host unknown to Denki, %s, sent %d ECHONET Lite Gets in %.0f s",
                host,
                len(times),
                STRANGER_WINDOW,
            )
            if self.on_stranger is not None:
                self.on_stranger(host, len(times))

    def strangers(self) -> dict[str, int]:
        """Gets by unknown host within the last `STRANGER_WINDOW`, for diagnostics."""
        now = time.monotonic()
        return {
            host: sum(now - at <= STRANGER_WINDOW for at in times)
            for host, times in self._strangers.items()
        }

    def _spawn(self, host: str, *, force: bool) -> None:
        task = asyncio.get_running_loop().create_task(self._background_probe(host, force=force))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _background_probe(self, host: str, *, force: bool) -> None:
        await self.probe(host, force=force)

    def close(self) -> None:
        """Stop listening and cancel probes still running."""
        for remove in self._removers:
            with contextlib.suppress(ValueError):
                remove()
        self._removers = []
        if self.client.set_guard == self._guard:
            self.client.set_guard = None
        for task in (*self._background, *self._probing.values()):
            task.cancel()
