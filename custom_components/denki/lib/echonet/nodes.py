"""The nodes of a home LAN: what each one is, where it is, and how we learn of it.

A node is known by its identification number (node profile 0x83), never by
its IP address: an address is where the node is now, and DHCP may move it.
When the node profile has no 0x83, the first device object's 0x83 stands in,
then the manufacturer code with the object's serial number (0x8D); a node
with none of them is not added, since it could not be recognised after a
move. An address change is accepted only after a unicast Get of 0x83 at the
new address returns the same identity (`probe_node` does exactly that).

`NodeDirectory` finds nodes: a multicast Get of the instance list (0xD6) and
a unicast one to each manually listed host (for other VLANs or subnets), an
instance-list announcement (INF 0xD5), and any frame from a sender we do not
know, which is probed at most once per `probe_interval` so that a noisy or
hostile host cannot make us flood the LAN.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass, field
import logging
import time
from typing import Any

from .client import EchonetClient
from .errors import EchonetError, FrameError
from .esv import ESV
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


async def probe_object(client: EchonetClient, address: str, eoj: EOJ) -> ObjectInfo:
    """Read one object's property maps and the details that name it.

    Raises:
        EchonetTimeoutError: The node did not answer.
    """
    maps = (await client.get(address, eoj, (EPC_ANNOUNCEMENT_MAP, EPC_SET_MAP, EPC_GET_MAP))).values
    get_map = _map(maps, EPC_GET_MAP)
    wanted = [epc for epc in _DETAILS if epc in get_map]
    details: dict[int, bytes] = {}
    if wanted:
        details = (await client.get(address, eoj, wanted)).values
    return ObjectInfo(
        eoj,
        get_map,
        _map(maps, EPC_SET_MAP),
        _map(maps, EPC_ANNOUNCEMENT_MAP),
        _code(details.get(EPC_MANUFACTURER)),
        _text(details.get(EPC_PRODUCT_CODE)),
        _text(details.get(EPC_SERIAL_NUMBER)),
        _release(details.get(EPC_VERSION)),
    )


async def probe_node(client: EchonetClient, address: str) -> NodeInfo:
    """Ask a host who it is and what objects it has, by unicast.

    Raises:
        EchonetTimeoutError: The host did not answer.
        ProbeError: It gave no instance list, or nothing to identify it by.
    """
    profile = (
        await client.get(
            address,
            NODE_PROFILE,
            (EPC_IDENTIFICATION, EPC_MANUFACTURER, EPC_VERSION, EPC_INSTANCE_LIST),
        )
    ).values
    try:
        instances = decode_instance_list(profile.get(EPC_INSTANCE_LIST, b""))
    except FrameError as err:
        raise ProbeError(f"{address} gave no usable instance list: {err}") from err
    objects: list[ObjectInfo] = []
    object_ids: list[bytes] = []
    for eoj in instances:
        if eoj.class_id == NODE_PROFILE_CLASS:
            continue
        info = await probe_object(client, address, eoj)
        objects.append(info)
        if EPC_IDENTIFICATION in info.get_map:
            reply = await client.get(address, eoj, (EPC_IDENTIFICATION,))
            object_ids.append(reply.values.get(EPC_IDENTIFICATION, b""))
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


type NodeCallback = Callable[[NodeInfo, NodeInfo | None], None]
"""Called with a node found or changed, and what we knew of it before (None if new)."""


@dataclass(slots=True)
class DirectoryCounters:
    """What discovery did, for diagnostics."""

    probes: int = 0
    probe_failures: int = 0
    probes_skipped: int = 0
    address_changes: int = 0


@dataclass(slots=True)
class NodeDirectory:
    """The nodes we know, kept up to date from discovery, announcements and strangers.

    Attributes:
        client: The started client to ask through.
        manual_hosts: Hosts asked by unicast at each discovery.
        on_change: Called for each node found, moved or changed.
        probe_interval: Seconds before the same host is probed again.
    """

    client: EchonetClient
    manual_hosts: tuple[str, ...] = ()
    on_change: NodeCallback | None = None
    probe_interval: float = PROBE_INTERVAL
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    counters: DirectoryCounters = field(default_factory=DirectoryCounters)
    _probed: dict[str, float] = field(default_factory=dict)
    _probing: dict[str, asyncio.Task[NodeInfo | None]] = field(default_factory=dict)
    _background: set[asyncio.Task[None]] = field(default_factory=set)
    _remove_listener: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        """Hear notifications from the start."""
        self._remove_listener = self.client.add_listener(self._on_notification)

    def load(self, nodes: Iterable[NodeInfo]) -> None:
        """Know these nodes (from storage) without asking them."""
        for node in nodes:
            self.nodes[node.identity] = node

    def by_address(self, address: str) -> NodeInfo | None:
        """The node now at `address`, if we know one."""
        for node in self.nodes.values():
            if node.address == address:
                return node
        return None

    async def discover(self, window: float = 3.0) -> list[NodeInfo]:
        """Ask the group and each manual host; probe hosts we do not know.

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
        for address in answered:
            known = self.by_address(address)
            node = known if known is not None else await self.probe(address, force=True)
            if node is not None:
                found.append(node)
        return found

    async def probe(self, address: str, *, force: bool = False) -> NodeInfo | None:
        """Probe a host (once at a time, rate-limited unless `force`) and record the node.

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
            node = await probe_node(self.client, address)
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
        # Whoever held this address before has moved: it keeps its identity, and is
        # found at its new address by its own probe.
        if before is not None and before.address != node.address:
            self.counters.address_changes += 1
            _LOGGER.info(
                "ECHONET Lite node %s moved from %s to %s",
                node.identity,
                before.address,
                node.address,
            )
        self.nodes[node.identity] = node
        if before != node and self.on_change is not None:
            self.on_change(node, before)

    def _on_notification(self, host: str, frame: Frame) -> None:
        """An INF or INFC: a new instance list, or a sender we do not know, gets probed."""
        announced_instances = frame.seoj.class_id == NODE_PROFILE_CLASS and any(
            prop.epc == EPC_INSTANCE_LIST_NOTIFICATION for prop in frame.properties
        )
        if not announced_instances and self.by_address(host) is not None:
            return
        if frame.esv not in (ESV.INF, ESV.INFC):
            return
        # A known node announcing new instances is probed at once; a stranger at most
        # once per probe_interval.
        force = announced_instances and self.by_address(host) is not None
        task = asyncio.get_running_loop().create_task(self._background_probe(host, force=force))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _background_probe(self, host: str, *, force: bool) -> None:
        await self.probe(host, force=force)

    def close(self) -> None:
        """Stop listening and cancel probes still running."""
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for task in (*self._background, *self._probing.values()):
            task.cancel()
