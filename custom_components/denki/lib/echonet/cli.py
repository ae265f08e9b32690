"""Command line for troubleshooting ECHONET Lite: find nodes, read one, decode a frame; JSON.

    python -m custom_components.denki.lib.echonet discover [--interface IP] [--port N]
        [--window S] [--host IP ...]
    python -m custom_components.denki.lib.echonet probe HOST [--interface IP] [--port N]
        [--timeout S]
    python -m custom_components.denki.lib.echonet decode HEX [HEX ...]

`discover` asks the 224.0.23.0 group (and each --host by unicast, for nodes
on other VLANs) for the node profile's instance list (0xD6) and prints the
nodes that answered. `probe` reads a node's profile (identification,
manufacturer, version, instances), then each instance's property maps and
every property its Get map lists, through the library's adaptive poller:
everything in one Get, split only as far as the node needs (a short answer,
a dropped frame), learned once for the whole node. Its JSON says how many
requests it sent (`requests`, retransmissions aside; `datagrams_sent`, with
them) and how long it took (`seconds`). `decode` decodes one frame,
its property values by the class of the object that sent them (the SEOJ of an
answer or notification, the DEOJ of a request).

A property value is shown as the EDT in hex and, when the class data
describes it, decoded, with the property's names in English and Japanese;
a property or class the data lacks, or an EDT that does not fit its
specification, is shown in hex with a note or an error, never a crash.
Values that JSON lacks are rendered the same way every time (see `jsonable`).

Both network commands bind the ECHONET Lite port (3610 unless --port) on
--interface, since many devices answer to port 3610 whatever the request
came from: another controller on the same address and port (Home Assistant
itself, say) makes them fail with a clear error; pass another --interface.
Exit codes: 0 done, 1 the network or a node failed or a frame is malformed,
2 bad arguments.
"""

import argparse
import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from enum import Enum
import ipaddress
import json
import math
import socket
import sys
import time
from typing import Any

from .classes import (
    EnumValue,
    PropertyValueError,
    SpecialValue,
    class_spec,
    decode_value,
    property_spec,
)
from .client import DISCOVERY_WINDOW, EchonetClient
from .errors import EchonetError, FrameError
from .esv import ESV
from .exchange import DiscoveredNode, EchonetTimeoutError
from .frame import EOJ, NODE_PROFILE, Property, decode_frame
from .manufacturers import manufacturer_name
from .node_profile import (
    EPC_ANNOUNCEMENT_MAP,
    EPC_GET_MAP,
    EPC_IDENTIFICATION,
    EPC_INSTANCE_LIST,
    EPC_MANUFACTURER,
    EPC_SET_MAP,
    EPC_VERSION,
    decode_instance_list,
)
from .poller import AdaptivePoller
from .property_map import decode_property_map
from .retry import RetryPolicy
from .transport import ECHONET_PORT, MULTICAST_GROUP, EchonetTransport, TransportError

PROBE_TIMEOUT = 2.0
"""Seconds the first attempt of each probe request waits; a second waits twice as long."""

_PROFILE_EPCS = (EPC_VERSION, EPC_IDENTIFICATION, EPC_MANUFACTURER, EPC_INSTANCE_LIST)
_MAPS = {EPC_ANNOUNCEMENT_MAP: "announcement_map", EPC_SET_MAP: "set_map", EPC_GET_MAP: "get_map"}

ESV_NAMES: Mapping[ESV, str] = {
    ESV.SETI_SNA: "SetI_SNA",
    ESV.SETC_SNA: "SetC_SNA",
    ESV.GET_SNA: "Get_SNA",
    ESV.INF_SNA: "INF_SNA",
    ESV.SETGET_SNA: "SetGet_SNA",
    ESV.SETI: "SetI",
    ESV.SETC: "SetC",
    ESV.GET: "Get",
    ESV.INF_REQ: "INF_REQ",
    ESV.SETGET: "SetGet",
    ESV.SET_RES: "Set_Res",
    ESV.GET_RES: "Get_Res",
    ESV.INF: "INF",
    ESV.INFC: "INFC",
    ESV.INFC_RES: "INFC_Res",
    ESV.SETGET_RES: "SetGet_Res",
}
"""Each service by the name the specification gives it."""


class ArgumentError(Exception):
    """An argument the parser could not check: the command exits 2."""


# Arguments.


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 address") from None


def _udp_port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"{text!r} is not a UDP port (1 to 65535)")
    return number


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0 < number <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 to 600)")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m custom_components.denki.lib.echonet")
    commands = parser.add_subparsers(dest="command", required=True)
    discover = commands.add_parser("discover", help="find the nodes that answer")
    probe = commands.add_parser("probe", help="read a node's objects and properties")
    probe.add_argument("host", type=_ipv4, help="the node's IPv4 address")
    for command, route in ((discover, "224.0.23.0"), (probe, "HOST")):
        command.add_argument(
            "--interface",
            type=_ipv4,
            help=f"the local IPv4 address to use (default: the one of the route to {route})",
        )
        command.add_argument(
            "--port", type=_udp_port, default=ECHONET_PORT, help="the UDP port (default 3610)"
        )
    discover.add_argument(
        "--window",
        type=_seconds,
        default=DISCOVERY_WINDOW,
        help=f"seconds to collect answers (default {DISCOVERY_WINDOW})",
    )
    discover.add_argument(
        "--host",
        type=_ipv4,
        action="append",
        default=[],
        help="also ask this address by unicast (another VLAN, no multicast); repeatable",
    )
    probe.add_argument(
        "--timeout",
        type=_seconds,
        default=PROBE_TIMEOUT,
        help=f"seconds the first attempt of a request waits (default {PROBE_TIMEOUT})",
    )
    decode = commands.add_parser("decode", help="decode one frame given in hex")
    decode.add_argument("hex", nargs="+", help="the frame's bytes in hex (spaces allowed)")
    return parser


def default_interface(destination: str) -> str:
    """The local address the system routes `destination` from (no datagram is sent).

    Raises:
        ArgumentError: There is no route: --interface must say.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((destination, ECHONET_PORT))
            address = str(sock.getsockname()[0])
    except OSError as err:
        raise ArgumentError(f"no route to {destination} ({err}): pass --interface") from None
    if address == "0.0.0.0":  # noqa: S104 - a route without a source address
        raise ArgumentError(f"no source address for {destination}: pass --interface")
    return address


# Rendering.


def jsonable(value: object) -> Any:
    """`value` as JSON-native data, the same way every time.

    bytes become upper-case hex; dates and times ISO 8601; Decimal an int
    when whole, else a float; a set (a property map) a sorted list of
    "0xNN" EPCs; an Enum its value if text, else its name; an EnumValue or
    SpecialValue its key; an EOJ "0xGGCCII"; a float that JSON cannot
    carry (NaN, infinity) its str; anything else its str.
    """
    match value:
        case None | bool() | str():
            return value
        case Enum():
            return value.value if isinstance(value.value, str) else value.name
        case int():
            return value
        case float():
            return value if math.isfinite(value) else str(value)
        case Decimal():
            if not value.is_finite():
                return str(value)
            return int(value) if value == value.to_integral_value() else float(value)
        case bytes() | bytearray() | memoryview():
            return bytes(value).hex().upper()
        case dt.date() | dt.time():
            return value.isoformat()
        case EnumValue() | SpecialValue():
            return value.key
        case EOJ():
            return str(value)
        case frozenset() | set():
            if all(isinstance(item, int) for item in value):
                return [f"0x{item:02X}" for item in sorted(value)]
            return sorted((jsonable(item) for item in value), key=repr)
        case Mapping():
            return {str(key): jsonable(item) for key, item in value.items()}
        case list() | tuple():
            return [jsonable(item) for item in value]
    return str(value)


def _epc(epc: int) -> str:
    return f"0x{epc:02X}"


def describe_object(eoj: EOJ) -> dict[str, Any]:
    """An object and its class's names, if the class data has them."""
    spec = class_spec(eoj.class_id)
    return {
        "eoj": str(eoj),
        "class": f"0x{eoj.class_id:04X}",
        "name_en": None if spec is None else spec.en,
        "name_ja": None if spec is None else spec.ja,
    }


def describe_property(class_id: int, epc: int, edt: bytes | str) -> dict[str, Any]:
    """A property of class `class_id`: its EDT in hex and decoded, or why not.

    `edt` is a str when there is no data, saying why (refused, no answer).
    """
    spec = property_spec(class_id, epc)
    entry: dict[str, Any] = {
        "epc": _epc(epc),
        "name_en": None if spec is None else spec.en,
        "name_ja": None if spec is None else spec.ja,
    }
    if isinstance(edt, str):
        entry |= {"hex": None, "value": None, "error": edt}
        return entry
    entry["hex"] = edt.hex().upper()
    entry["value"] = None
    if not edt:
        return entry
    try:
        decoded = decode_value(class_id, epc, edt)
    except PropertyValueError as err:
        entry["error"] = f"does not fit its specification: {err}"
        return entry
    if not decoded.known:
        entry["note"] = (
            f"EPC 0x{epc:02X} of class 0x{class_id:04X} is not in the class data: hex only"
        )
        return entry
    entry["value"] = jsonable(decoded.value)
    if decoded.unit is not None:
        entry["unit"] = decoded.unit
    if decoded.special is not None:
        entry["special"] = decoded.special.key
    label = decoded.enum or decoded.special
    if label is not None:
        entry["value_en"] = label.en
        entry["value_ja"] = label.ja
    return entry


def _describe_class(eoj: EOJ) -> dict[str, Any]:
    described = describe_object(eoj)
    if described["name_en"] is None:
        described["note"] = (
            f"class 0x{eoj.class_id:04X} is not in the class data: "
            "only the device super class's properties decode"
        )
    return described


# discover.


async def _discover(interface: str, port: int, window: float, hosts: Sequence[str]) -> Any:
    # Looped back, the question also reaches nodes on this host (simulators, other
    # software); our own copy of it is recognised by the transport and ignored.
    transport = EchonetTransport(interface, port=port, multicast_loop=True)
    client = EchonetClient(transport)
    multicast_error: str | None = None
    try:
        await client.start()
    except TransportError as err:
        if not hosts:
            raise
        # The group may be out of reach (no multicast route) while unicast is not.
        multicast_error = str(err)
        transport = EchonetTransport(interface, port=port, multicast_group=None)
        client = EchonetClient(transport)
        await client.start()
    asks: list[tuple[str, str | None]] = []
    if client.has_multicast:
        asks.append(("multicast", None))
    asks.extend(("unicast", host) for host in dict.fromkeys(hosts))
    try:
        answers: list[list[DiscoveredNode]] = await asyncio.gather(
            *(client.discover(window, address) for _, address in asks)
        )
    finally:
        client.close()
    found: dict[str, dict[str, Any]] = {}
    for (via, _), nodes in zip(asks, answers, strict=True):
        for node in nodes:
            entry = found.setdefault(
                node.address,
                {
                    "address": node.address,
                    "via": [],
                    "instances": [describe_object(eoj) for eoj in node.instances],
                },
            )
            entry["via"].append(via)
    result: dict[str, Any] = {
        "interface": interface,
        "port": port,
        "multicast": multicast_error is None,
        "nodes": [found[address] for address in sorted(found, key=ipaddress.IPv4Address)],
        "silent_hosts": [host for _, host in asks if host is not None and host not in found],
    }
    if multicast_error is not None:
        result["multicast_error"] = multicast_error
    return result


# probe.


@dataclass
class _Reader:
    """Gets of one node's properties through the adaptive poller, in Gets the node accepts."""

    client: EchonetClient
    host: str
    retry: RetryPolicy
    poller: AdaptivePoller
    answered: bool = False
    """Whether the node has answered anything yet: until it has, silence is fatal."""
    requests: int = 0
    """Gets sent (retransmissions aside)."""

    async def read(self, eoj: EOJ, epcs: Iterable[int]) -> dict[int, bytes | str]:
        """EDT by EPC, or a str saying why there is none.

        Raises:
            EchonetTimeoutError: The node never answered anything.
        """
        wanted = tuple(dict.fromkeys(epcs))
        if not wanted:
            return {}
        # One capacity for the whole node: what one object teaches serves the next.
        result = await self.poller.poll(self.host, self.host, eoj, wanted)
        self.requests += result.datagrams
        if result.timed_out:
            if not self.answered:
                raise EchonetTimeoutError(self.host, eoj, ESV.GET, self.retry.timeouts())
            return dict.fromkeys(wanted, f"no answer: {self.host} did not answer a Get of {eoj}")
        self.answered = True
        got: dict[int, bytes | str] = {}
        for epc in wanted:
            value = result.values.get(epc)
            got[epc] = (
                value
                if value is not None
                else "refused: the node answered Get_SNA, or left it out of every answer"
            )
        return got


def _node_profile(values: Mapping[int, bytes | str]) -> tuple[dict[str, Any], tuple[EOJ, ...]]:
    """The profile as printed, and the objects it lists."""
    version = values.get(EPC_VERSION)
    identification = values.get(EPC_IDENTIFICATION)
    manufacturer = values.get(EPC_MANUFACTURER)
    instances = values.get(EPC_INSTANCE_LIST)
    code = int.from_bytes(manufacturer) if isinstance(manufacturer, bytes) else None
    profile: dict[str, Any] = {
        "eoj": str(NODE_PROFILE),
        "identification": identification.hex().upper()
        if isinstance(identification, bytes)
        else None,
        "manufacturer": None
        if code is None
        else {
            "code": f"0x{code:06X}",
            "name_en": manufacturer_name(code, "en"),
            "name_ja": manufacturer_name(code, "ja"),
        },
        "version": f"{version[0]}.{version[1]}"
        if isinstance(version, bytes) and len(version) >= 2
        else None,
        "instances": [],
        "properties": {
            _epc(epc): describe_property(NODE_PROFILE.class_id, epc, values[epc])
            for epc in sorted(values)
        },
    }
    objects: tuple[EOJ, ...] = ()
    if not isinstance(instances, bytes):
        profile["note"] = f"no instance list (0xD6): {instances}"
        return profile, objects
    try:
        objects = decode_instance_list(instances)
    except FrameError as err:
        profile["note"] = f"the instance list (0xD6) is malformed: {err}"
    profile["instances"] = [describe_object(eoj) for eoj in objects]
    return profile, objects


async def _probe_object(reader: _Reader, eoj: EOJ) -> dict[str, Any]:
    described = _describe_class(eoj)
    notes: list[str] = []
    values = await reader.read(eoj, _MAPS)
    maps: dict[int, frozenset[int] | None] = {}
    for epc, key in _MAPS.items():
        edt = values[epc]
        maps[epc] = None
        if isinstance(edt, str):
            notes.append(f"no {key} (0x{epc:02X}): {edt}")
        else:
            try:
                maps[epc] = decode_property_map(edt)
            except FrameError as err:
                notes.append(f"the {key} (0x{epc:02X}) is malformed: {err}")
        described[key] = jsonable(maps[epc])
    readable = maps[EPC_GET_MAP]
    if readable is None:
        notes.append("without a Get property map, no other property was read")
    else:
        values |= await reader.read(eoj, sorted(readable - set(values)))
    described["properties"] = {
        _epc(epc): describe_property(eoj.class_id, epc, values[epc]) for epc in sorted(values)
    }
    if notes:
        described["notes"] = notes
    return described


async def _probe(interface: str, port: int, host: str, retry: RetryPolicy) -> Any:
    transport = EchonetTransport(interface, port=port, multicast_group=None)
    started = time.perf_counter()
    async with EchonetClient(transport, retry=retry) as client:
        reader = _Reader(client, host, retry, AdaptivePoller(client))
        try:
            profile, objects = _node_profile(await reader.read(NODE_PROFILE, _PROFILE_EPCS))
        except EchonetTimeoutError as err:
            raise EchonetError(f"no ECHONET Lite node answered at {host}: {err}") from None
        instances = [await _probe_object(reader, eoj) for eoj in objects]
        sent = client.counters.sent
    return {
        "address": host,
        "interface": interface,
        "port": port,
        "requests": reader.requests,
        "datagrams_sent": sent,
        "seconds": round(time.perf_counter() - started, 3),
        "node_profile": profile,
        "instances": instances,
    }


# decode.


def parse_hex(parts: Sequence[str]) -> bytes:
    """The bytes of hex text; spaces, colons and a leading 0x are allowed.

    Raises:
        ArgumentError: It is not hex.
    """
    text = "".join(parts).replace(":", "").replace(" ", "").strip()
    text = text.removeprefix("0x").removeprefix("0X")
    try:
        data = bytes.fromhex(text)
    except ValueError as err:
        raise ArgumentError(f"not a frame in hex: {err}") from None
    if not data:
        raise ArgumentError("not a frame in hex: no bytes")
    return data


def _properties(class_id: int, properties: tuple[Property, ...]) -> list[dict[str, Any]]:
    described = []
    for prop in properties:
        entry = describe_property(class_id, prop.epc, prop.edt)
        described.append({"epc": entry.pop("epc"), "pdc": len(prop.edt), **entry})
    return described


def decode(data: bytes) -> dict[str, Any]:
    """A frame, its values decoded by the class of the object that sent them.

    Raises:
        FrameError: The bytes are not a well-formed frame.
    """
    frame = decode_frame(data)
    # A request carries values for the object asked; anything else, the sender's own.
    request = frame.esv.is_request
    owner = frame.deoj if request else frame.seoj
    result: dict[str, Any] = {
        "ehd1": f"0x{data[0]:02X}",
        "ehd2": f"0x{data[1]:02X}",
        "tid": frame.tid,
        "seoj": describe_object(frame.seoj),
        "deoj": describe_object(frame.deoj),
        "esv": {"code": f"0x{frame.esv:02X}", "name": ESV_NAMES[frame.esv]},
        "values_of": "DEOJ" if request else "SEOJ",
        "opc": len(frame.properties),
        "properties": _properties(owner.class_id, frame.properties),
    }
    if frame.esv.has_get_list:
        result["opc_get"] = len(frame.get_properties)
        result["get_properties"] = _properties(owner.class_id, frame.get_properties)
    return result


# Main.


def _write(result: Any) -> None:
    encoding = (sys.stdout.encoding or "").lower().replace("-", "").replace("_", "")
    text = json.dumps(result, ensure_ascii=encoding != "utf8", indent=2, allow_nan=False)
    sys.stdout.write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 when the network, a node or a frame fails, 2 on bad arguments."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "decode":
            result = decode(parse_hex(args.hex))
        elif args.command == "discover":
            interface = args.interface or default_interface(MULTICAST_GROUP)
            result = asyncio.run(_discover(interface, args.port, args.window, args.host))
        else:
            interface = args.interface or default_interface(args.host)
            retry = RetryPolicy(timeout=args.timeout, attempts=2, max_timeout=2 * args.timeout)
            result = asyncio.run(_probe(interface, args.port, args.host, retry))
    except ArgumentError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    except EchonetError as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    _write(result)
    return 0
