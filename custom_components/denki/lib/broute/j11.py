"""ROHM's binary J11 command set (BP35C0-J11, RATOC RS-WSUHA-J11): frames and commands.

A J11 dongle has no text interface and no echo: every message is a binary
frame with a 12-byte header carrying two checksums. ROHM's specification
(BP35C0-J11 UART IF, No. 63TR008E) is not public; everything here is read
from the one public implementation, the MIT package broute-j11 0.1.0 on PyPI
(cited below as "broute_j11/<file> lines a-b"), and tests check that this
module and broute_j11 produce and read the same bytes.

Nothing here logs or puts into an exception message the password, the
B-route ID or a payload: messages carry sizes and command codes only
(as broute_j11/codec.py lines 13-15 and commands.py lines 8-9 do too).
"""

from dataclasses import dataclass, field
from enum import IntEnum
from ipaddress import IPv6Address
from typing import Final

# -- framing: broute_j11/codec.py lines 1-45 ----------------------------------------------

REQUEST_UNIQUE_CODE: Final = 0xD0EA83FC
"""What starts a frame from the host (broute_j11/codec.py line 23)."""
RESPONSE_UNIQUE_CODE: Final = 0xD0F9EE5D
"""What starts a response or notification from the dongle (broute_j11/codec.py line 24)."""
UNIQUE_CODES: Final = (REQUEST_UNIQUE_CODE, RESPONSE_UNIQUE_CODE)
_UNIQUE_CODE_BYTES: Final = tuple(code.to_bytes(4) for code in UNIQUE_CODES)

HEADER_SIZE: Final = 12
"""Unique code (4), command code (2), message length (2), header and data checksums (2 + 2):
broute_j11/codec.py lines 4-11 and 27."""
LENGTH_OVERHEAD: Final = 4
"""The message length counts both checksums and the data (broute_j11/codec.py lines 28-29)."""
MAX_FRAME_SIZE: Final = 1361
"""The largest frame, header included (broute_j11/codec.py lines 30-31)."""
MAX_DATA_SIZE: Final = MAX_FRAME_SIZE - HEADER_SIZE
MAX_MESSAGE_LENGTH: Final = MAX_DATA_SIZE + LENGTH_OVERHEAD

# Command code categories (broute_j11/codec.py lines 39-45): a response is the
# request's code with bit 13 set, a notification has bits 13 and 14, and the
# active scan's result bit 14 alone.
_RESPONSE_FLAG: Final = 0x2000
_SCAN_RESULT_FLAG: Final = 0x4000
_NOTIFICATION_FLAG: Final = 0x6000
_CATEGORY_MASK: Final = 0xE000


class J11FrameError(ValueError):
    """Bytes that are no J11 frame, or a frame whose fields do not fit its command.

    The message names sizes and command codes, never the bytes.
    """


class J11ChecksumError(J11FrameError):
    """A header or data checksum does not match (broute_j11/codec.py lines 152-159)."""


def checksum(data: bytes) -> int:
    """The J11 checksum: the byte sum modulo 0x10000 (broute_j11/codec.py lines 60-62)."""
    return sum(data) & 0xFFFF


def response_code(command: int) -> int:
    """The code the dongle answers `command` with (broute_j11/codec.py lines 121-123)."""
    return command | _RESPONSE_FLAG


@dataclass(frozen=True, slots=True)
class J11Frame:
    """One J11 message: its command code and data (broute_j11/codec.py lines 65-104)."""

    command: int
    data: bytes = field(default=b"", repr=False)
    unique_code: int = RESPONSE_UNIQUE_CODE

    @property
    def is_response(self) -> bool:
        """An answer to a request (broute_j11/codec.py lines 73-76)."""
        return self.command & _CATEGORY_MASK == _RESPONSE_FLAG

    @property
    def is_event(self) -> bool:
        """A scan result or a notification, which no request waits for (codec.py lines 83-93)."""
        return self.command & _CATEGORY_MASK in (_SCAN_RESULT_FLAG, _NOTIFICATION_FLAG)

    def encode(self) -> bytes:
        """The frame on the wire, both checksums computed (broute_j11/codec.py lines 95-104)."""
        if self.unique_code not in UNIQUE_CODES:
            raise J11FrameError(f"unknown unique code 0x{self.unique_code:08X}")
        if not 0 <= self.command <= 0xFFFF:
            raise J11FrameError(f"command code out of range: {self.command}")
        if len(self.data) > MAX_DATA_SIZE:
            raise J11FrameError(f"{len(self.data)} data bytes exceed {MAX_DATA_SIZE}")
        header = (
            self.unique_code.to_bytes(4)
            + self.command.to_bytes(2)
            + (len(self.data) + LENGTH_OVERHEAD).to_bytes(2)
        )
        return header + checksum(header).to_bytes(2) + checksum(self.data).to_bytes(2) + self.data


def encode_request(command: int, data: bytes = b"") -> bytes:
    """A host request (broute_j11/codec.py lines 116-118)."""
    return J11Frame(command, data, REQUEST_UNIQUE_CODE).encode()


def encode_response(command: int, data: bytes = b"") -> bytes:
    """A dongle's response or notification, as a simulator writes it."""
    return J11Frame(command, data, RESPONSE_UNIQUE_CODE).encode()


def _decode_prefix(raw: bytes) -> tuple[J11Frame | None, int]:
    """The frame at offset 0, or (None, 0) while it is incomplete (codec.py lines 142-161)."""
    if len(raw) < HEADER_SIZE:
        return None, 0
    unique_code = int.from_bytes(raw[0:4])
    if unique_code not in UNIQUE_CODES:
        raise J11FrameError(f"unknown unique code 0x{unique_code:08X}")
    length = int.from_bytes(raw[6:8])
    if not LENGTH_OVERHEAD <= length <= MAX_MESSAGE_LENGTH:
        raise J11FrameError(f"impossible message length {length}")
    if checksum(raw[0:8]) != int.from_bytes(raw[8:10]):
        raise J11ChecksumError("header checksum mismatch")
    total = 8 + length
    if len(raw) < total:
        return None, 0
    data = bytes(raw[HEADER_SIZE:total])
    if checksum(data) != int.from_bytes(raw[10:12]):
        raise J11ChecksumError("data checksum mismatch")
    return J11Frame(int.from_bytes(raw[4:6]), data, unique_code), total


def decode_frame(raw: bytes) -> J11Frame:
    """Exactly one frame; raise J11FrameError otherwise (broute_j11/codec.py lines 126-139)."""
    frame, used = _decode_prefix(raw)
    if frame is None:
        raise J11FrameError(f"incomplete frame of {len(raw)} bytes")
    if used != len(raw):
        raise J11FrameError(f"{len(raw) - used} bytes after the frame")
    return frame


@dataclass(slots=True)
class J11StreamDecoder:
    """Whole frames out of a byte stream cut anywhere; it never raises.

    Garbage before a unique code is skipped, and a frame whose header is
    impossible or whose checksum fails is dropped one byte at a time until the
    next unique code, and counted: the same resynchronisation as
    broute_j11/codec.py lines 174-240 (FrameReassembler), so a dongle's
    start-up noise or a torn read cannot end a session.
    """

    frames: int = 0
    discarded_bytes: int = 0
    checksum_errors: int = 0
    format_errors: int = 0
    _buffer: bytearray = field(default_factory=bytearray, repr=False)

    def reset(self) -> None:
        """Forget what is buffered (a reopened port)."""
        self._buffer.clear()

    def feed(self, chunk: bytes) -> list[J11Frame]:
        """Add `chunk`; return each frame it completes, in order."""
        self._buffer += chunk
        found: list[J11Frame] = []
        while True:
            self._resync()
            if len(self._buffer) < HEADER_SIZE:
                break
            try:
                frame, used = _decode_prefix(bytes(self._buffer))
            except J11ChecksumError:
                self.checksum_errors += 1
                self._discard(1)
                continue
            except J11FrameError:
                self.format_errors += 1
                self._discard(1)
                continue
            if frame is None:
                break
            del self._buffer[:used]
            self.frames += 1
            found.append(frame)
        if len(self._buffer) > MAX_FRAME_SIZE:  # broute_j11/codec.py lines 236-240
            self._discard(len(self._buffer) - MAX_FRAME_SIZE)
        return found

    def _discard(self, count: int) -> None:
        del self._buffer[:count]
        self.discarded_bytes += count

    def _resync(self) -> None:
        """Drop what precedes the next unique code (broute_j11/codec.py lines 227-234)."""
        offsets = [at for at in (self._buffer.find(code) for code in _UNIQUE_CODE_BYTES) if at >= 0]
        if offsets:
            self._discard(min(offsets))
            return
        # Keep the three bytes that could begin a unique code split across reads.
        self._discard(max(len(self._buffer) - 3, 0))


# -- commands: broute_j11/commands.py ----------------------------------------------------


class Command(IntEnum):
    """Request command codes (broute_j11/commands.py lines 54-66)."""

    OPEN_UDP_PORT = 0x0005
    TRANSMIT_DATA = 0x0008
    ACTIVE_SCAN = 0x0051
    START_ROUTE_B = 0x0053
    SET_CREDENTIALS = 0x0054
    START_PANA = 0x0056
    TERMINATE_PANA = 0x0057
    SET_INITIAL_SETTINGS = 0x005F
    GET_VERSION = 0x006B
    RESET = 0x00D9


class Notification(IntEnum):
    """What the dongle sends of its own accord (broute_j11/commands.py lines 69-77)."""

    ACTIVE_SCAN_RESULT = 0x4051
    DATA_RECEPTION = 0x6018
    STARTUP_COMPLETED = 0x6019
    CONNECTION_STATUS = 0x601A
    PANA_RESULT = 0x6028
    PACKET_RECEPTION_FAILURE = 0x6038


OPERATION_MODE_DUAL: Final = 0x05
"""Table 20's dual mode (B-route and HAN), what broute_j11 sets (commands.py lines 80-86, 224-235)."""
TRANSMISSION_POWER_20MW: Final = 0x00
"""Table 20's 20 mW (broute_j11/commands.py lines 89-94)."""

MIN_CHANNEL: Final = 0x04
MAX_CHANNEL: Final = 0x11
"""J11 channel numbers (4 to 17, broute_j11/commands.py lines 27-28): not the SK numbers
(0x21 and up) a PAN learnt through an SK dongle carries."""
ALL_CHANNELS_MASK: Final = 0x0003FFF0
"""Bit n selects channel n (broute_j11/commands.py line 31, session.py lines 928-935)."""
MIN_SCAN_DURATION: Final = 0x01
MAX_SCAN_DURATION: Final = 0x0E
"""Scan dwell 9.64 ms x 2^duration per channel (broute_j11/commands.py lines 29-30, 256-262)."""
ECHONET_PORT: Final = 3610
MAX_UDP_PAYLOAD: Final = 1232
"""broute_j11/commands.py lines 33-34."""
RBID_LENGTH: Final = 32
PASSWORD_LENGTH: Final = 12
PAIRING_ID_LENGTH: Final = 8
MAC_LENGTH: Final = 8
"""broute_j11/commands.py lines 22-25."""

RESULT_OK: Final = 0x01
"""The response result of success (broute_j11/commands.py line 38)."""
RESULT_MAC_CONNECTION_FAILED: Final = 0x0E
"""Table 34: MAC connection failed; a retry from a reset module often works
(broute_j11/commands.py line 133, session.py lines 920-922 and 467-487)."""
RESULT_CREDENTIALS_ALREADY_SET: Final = 0x58
"""Table 34: the credentials are already set, which is no failure (session.py lines 918-919, 561-571)."""
RESULT_PORT_ALREADY_OPEN: Final = 0x0A
"""Table 34 (broute_j11/commands.py line 131)."""

TX_SUCCEEDED: Final = 0x0
TX_NO_ACK: Final = 0x5
"""Transmission results of Transmit Data (broute_j11/commands.py lines 39-44)."""

PANA_SUCCEEDED: Final = 0x01
PANA_FAILED: Final = 0x02
PANA_NO_RESPONSE: Final = 0x03
"""PANA result notification codes (broute_j11/commands.py lines 97-102): 02 is the meter
refusing the credentials, 03 the meter not answering (session.py lines 640-647)."""

STATUS_MAC_DISCONNECTED: Final = 0x03
STATUS_PANA_DISCONNECTED: Final = 0x04
"""Connection status codes that mean the session is gone (broute_j11/commands.py lines 105-111,
508-521)."""

_RSSI_OFFSET: Final = -256
"""Reported RSSI bytes are dBm + 256 (broute_j11/commands.py lines 49, 329-331)."""
_ENCRYPTED: Final = 0x02
"""Data reception's security byte for an encrypted frame (broute_j11/commands.py line 48)."""


class J11CommandError(Exception):
    """The dongle answered a request with a result other than success (Table 34)."""

    def __init__(self, command: int, result: int) -> None:
        """Keep the command code and result; nothing of the request's data."""
        super().__init__(f"J11 command 0x{command:04X} failed with result 0x{result:02X}")
        self.command = command
        self.result = result


def mac_hex(mac: bytes) -> str:
    """A MAC as the upper-case hex `PanInfo` keeps (what SK dongles print)."""
    return mac.hex().upper()


def link_local(mac: bytes) -> IPv6Address:
    """The meter's link-local address: fe80::/64 with the U/L bit of the MAC flipped.

    broute_j11/commands.py lines 202-211; the same rule as SKLL64 on an SK dongle.
    """
    if len(mac) != MAC_LENGTH:
        raise J11FrameError(f"a MAC has {MAC_LENGTH} bytes, not {len(mac)}")
    return IPv6Address(b"\xfe\x80" + bytes(6) + bytes([mac[0] ^ 0x02]) + mac[1:])


# Builders: each is byte for byte the broute_j11 builder it cites (tests/lib/broute/test_j11_codec.py).


def version_request() -> bytes:
    """Get Version Information, no data (broute_j11/commands.py lines 214-216)."""
    return encode_request(Command.GET_VERSION)


def reset_request() -> bytes:
    """Hardware reset; answered by a startup notification (broute_j11/commands.py lines 219-221)."""
    return encode_request(Command.RESET)


def initial_settings_request(channel: int) -> bytes:
    """Set Initial Settings: dual mode, no HAN sleep, `channel`, 20 mW.

    Layout mode, sleep, channel, power (broute_j11/commands.py lines 224-235).
    """
    if not MIN_CHANNEL <= channel <= MAX_CHANNEL:
        raise ValueError(f"J11 channels are {MIN_CHANNEL} to {MAX_CHANNEL}, not {channel}")
    return encode_request(
        Command.SET_INITIAL_SETTINGS,
        bytes([OPERATION_MODE_DUAL, 0, channel, TRANSMISSION_POWER_20MW]),
    )


def credentials_request(rbid: str, password: str) -> bytes:
    """Set the B-route ID (32 ASCII) then the password (12 ASCII) (commands.py lines 238-241).

    `rbid` and `password` are checked by `session.validate_credentials` first.
    """
    if len(rbid) != RBID_LENGTH or len(password) != PASSWORD_LENGTH:
        raise ValueError("the B-route ID or the password has the wrong length")
    return encode_request(Command.SET_CREDENTIALS, rbid.encode("ascii") + password.encode("ascii"))


def pairing_id(rbid: str) -> bytes:
    """The scan's pairing ID: the B-route ID's last 8 characters (commands.py lines 244-246)."""
    return rbid.upper()[-PAIRING_ID_LENGTH:].encode("ascii")


def active_scan_request(
    duration: int, *, channel_mask: int = ALL_CHANNELS_MASK, pairing: bytes | None = None
) -> bytes:
    """Execute Active Scan: duration, channel mask (4), pairing flag, pairing ID (8).

    broute_j11/commands.py lines 249-275; a pairing ID limits the answers to
    the meter of that B-route ID.
    """
    if not MIN_SCAN_DURATION <= duration <= MAX_SCAN_DURATION:
        raise ValueError(f"scan durations are {MIN_SCAN_DURATION} to {MAX_SCAN_DURATION}")
    if not 0 <= channel_mask <= ALL_CHANNELS_MASK:
        raise ValueError("channel mask out of range")
    if pairing is not None and len(pairing) != PAIRING_ID_LENGTH:
        raise ValueError(f"a pairing ID has {PAIRING_ID_LENGTH} bytes")
    data = (
        bytes([duration])
        + channel_mask.to_bytes(4)
        + bytes([0x00 if pairing is None else 0x01])
        + (pairing or bytes(PAIRING_ID_LENGTH))
    )
    return encode_request(Command.ACTIVE_SCAN, data)


def start_route_b_request() -> bytes:
    """Initiate Route-B operation, no data (broute_j11/commands.py lines 278-280)."""
    return encode_request(Command.START_ROUTE_B)


def start_pana_request() -> bytes:
    """Initiate Route-B PANA, no data (broute_j11/commands.py lines 283-285)."""
    return encode_request(Command.START_PANA)


def terminate_pana_request() -> bytes:
    """Terminate Route-B PANA, the session end (broute_j11/commands.py lines 288-290)."""
    return encode_request(Command.TERMINATE_PANA)


def open_udp_port_request(port: int = ECHONET_PORT) -> bytes:
    """Open UDP Port: the port, 2 bytes (broute_j11/commands.py lines 293-297)."""
    if not 1 <= port <= 0xFFFF:
        raise ValueError("UDP port out of range")
    return encode_request(Command.OPEN_UDP_PORT, port.to_bytes(2))


def transmit_request(
    destination: IPv6Address,
    payload: bytes,
    *,
    source_port: int = ECHONET_PORT,
    destination_port: int = ECHONET_PORT,
) -> bytes:
    """Transmit Data: address (16), ports (2 + 2), length (2), payload (commands.py lines 300-317)."""
    if not 1 <= len(payload) <= MAX_UDP_PAYLOAD:
        raise ValueError(f"a UDP payload has 1 to {MAX_UDP_PAYLOAD} bytes, not {len(payload)}")
    return encode_request(
        Command.TRANSMIT_DATA,
        destination.packed
        + source_port.to_bytes(2)
        + destination_port.to_bytes(2)
        + len(payload).to_bytes(2)
        + payload,
    )


# Parsers (broute_j11/commands.py lines 320-592).


def _need(frame: J11Frame, size: int, what: str) -> bytes:
    """The frame's data, at least `size` bytes of it (broute_j11/commands.py lines 320-326)."""
    if len(frame.data) < size:
        raise J11FrameError(
            f"0x{frame.command:04X} carries {len(frame.data)} bytes, too few for {what}"
        )
    return frame.data


def result_of(frame: J11Frame) -> int:
    """The response result byte, the data's first (broute_j11/commands.py lines 334-336)."""
    return _need(frame, 1, "a result")[0]


def check_result(frame: J11Frame) -> None:
    """Raise J11CommandError unless the result is success (broute_j11/commands.py lines 339-344)."""
    result = result_of(frame)
    if result != RESULT_OK:
        raise J11CommandError(frame.command & ~_RESPONSE_FLAG, result)


@dataclass(frozen=True, slots=True)
class J11Version:
    """Get Version Information's answer (broute_j11/commands.py lines 347-370)."""

    firmware_id: int
    major: int
    minor: int
    revision: int

    def __str__(self) -> str:
        """As broute_j11 prints it: major.minor.revision (commands.py lines 356-358)."""
        return f"{self.major}.{self.minor}.{self.revision}"


def parse_version(frame: J11Frame) -> J11Version:
    """Result, firmware ID (2), major, minor, revision (4) (commands.py lines 361-370)."""
    check_result(frame)
    data = _need(frame, 9, "a version")
    return J11Version(int.from_bytes(data[1:3]), data[3], data[4], int.from_bytes(data[5:9]))


@dataclass(frozen=True, slots=True)
class RouteBStarted:
    """Initiate Route-B's answer: where the meter is (broute_j11/commands.py lines 373-402)."""

    channel: int
    pan_id: int
    mac: bytes
    rssi: int


def parse_route_b_started(frame: J11Frame) -> RouteBStarted:
    """Result, channel, PAN ID (2), MAC (8), RSSI; a failure has the result only.

    broute_j11/commands.py lines 388-402.
    """
    check_result(frame)
    data = _need(frame, 13, "a Route-B start")
    return RouteBStarted(data[1], int.from_bytes(data[2:4]), data[4:12], data[12] + _RSSI_OFFSET)


@dataclass(frozen=True, slots=True)
class Beacon:
    """One PAN an active scan heard (broute_j11/commands.py lines 404-415)."""

    mac: bytes
    pan_id: int
    rssi: int


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One channel of an active scan (broute_j11/commands.py lines 418-424)."""

    channel: int
    beacons: tuple[Beacon, ...] = ()


_BEACON_SIZE: Final = 11


def parse_scan_result(frame: J11Frame) -> ScanResult:
    """Found flag (00 found, 01 none), channel, count, then MAC (8), PAN ID (2), RSSI each.

    broute_j11/commands.py lines 427-452.
    """
    data = _need(frame, 2, "a scan result")
    if data[0] != 0x00:
        return ScanResult(data[1])
    count = _need(frame, 3, "a beacon count")[2]
    end = 3 + count * _BEACON_SIZE
    if len(data) < end:
        raise J11FrameError(f"a scan result of {len(data)} bytes cannot hold {count} beacons")
    return ScanResult(
        data[1],
        tuple(
            Beacon(data[at : at + 8], int.from_bytes(data[at + 8 : at + 10]), data[at + 10] - 256)
            for at in range(3, end, _BEACON_SIZE)
        ),
    )


@dataclass(frozen=True, slots=True)
class Datagram:
    """A UDP datagram the dongle received (broute_j11/commands.py lines 455-485)."""

    source: IPv6Address
    source_port: int
    destination_port: int
    source_pan_id: int
    multicast: bool
    encrypted: bool
    rssi: int
    payload: bytes = field(repr=False)


def parse_datagram(frame: J11Frame) -> Datagram:
    """Source (16), ports (2 + 2), PAN ID (2), multicast, security, RSSI, length (2), payload.

    broute_j11/commands.py lines 469-485.
    """
    data = _need(frame, 27, "a UDP reception")
    size = int.from_bytes(data[25:27])
    payload = data[27:]
    if len(payload) != size:
        raise J11FrameError(f"a UDP reception says {size} bytes and carries {len(payload)}")
    return Datagram(
        IPv6Address(data[0:16]),
        int.from_bytes(data[16:18]),
        int.from_bytes(data[18:20]),
        int.from_bytes(data[20:22]),
        data[22] == 0x01,
        data[23] == _ENCRYPTED,
        data[24] + _RSSI_OFFSET,
        payload,
    )


@dataclass(frozen=True, slots=True)
class PanaResult:
    """The PANA result notification: result, then the peer's MAC (commands.py lines 488-505)."""

    result: int
    mac: bytes


def parse_pana_result(frame: J11Frame) -> PanaResult:
    """broute_j11/commands.py lines 501-505."""
    data = _need(frame, 9, "a PANA result")
    return PanaResult(data[0], data[1:9])


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """Connection status change: status, MAC (8), RSSI (broute_j11/commands.py lines 507-532)."""

    status: int
    mac: bytes
    rssi: int

    @property
    def disconnected(self) -> bool:
        """MAC or PANA disconnected (broute_j11/commands.py lines 515-521)."""
        return self.status in (STATUS_MAC_DISCONNECTED, STATUS_PANA_DISCONNECTED)


def parse_connection_status(frame: J11Frame) -> ConnectionStatus:
    """broute_j11/commands.py lines 524-532."""
    data = _need(frame, 10, "a connection status")
    return ConnectionStatus(data[0], data[1:9], data[9] + _RSSI_OFFSET)


@dataclass(frozen=True, slots=True)
class Transmitted:
    """Transmit Data's answer (broute_j11/commands.py lines 558-592)."""

    queued: bool
    transmission: int

    @property
    def sent(self) -> bool:
        """Sent, or queued for an indirect transmission (broute_j11/session.py lines 718-722)."""
        return self.transmission == TX_SUCCEEDED or self.queued


def parse_transmitted(frame: J11Frame) -> Transmitted:
    """Result, then queue result (high nibble) and transmission result (low) (lines 585-592)."""
    check_result(frame)
    data = _need(frame, 2, "a transmission result")
    return Transmitted(data[1] >> 4 == 0x1, data[1] & 0x0F)


# What a simulated dongle writes: the inverse of each parser above, same sources.


def version_response(version: J11Version) -> bytes:
    """The response to Get Version Information (the layout of `parse_version`)."""
    return encode_response(
        response_code(Command.GET_VERSION),
        bytes([RESULT_OK])
        + version.firmware_id.to_bytes(2)
        + bytes([version.major, version.minor])
        + version.revision.to_bytes(4),
    )


def result_response(command: int, result: int = RESULT_OK, extra: bytes = b"") -> bytes:
    """A response carrying a result byte and, after it, `extra`."""
    return encode_response(response_code(command), bytes([result]) + extra)


def route_b_started_response(started: RouteBStarted) -> bytes:
    """The response to Initiate Route-B (the layout of `parse_route_b_started`)."""
    return result_response(
        Command.START_ROUTE_B,
        extra=bytes([started.channel])
        + started.pan_id.to_bytes(2)
        + started.mac
        + bytes([started.rssi - _RSSI_OFFSET]),
    )


def scan_result_notification(result: ScanResult) -> bytes:
    """One channel's scan notification (the layout of `parse_scan_result`)."""
    if not result.beacons:
        return encode_response(Notification.ACTIVE_SCAN_RESULT, bytes([0x01, result.channel]))
    body = b"".join(
        beacon.mac + beacon.pan_id.to_bytes(2) + bytes([beacon.rssi - _RSSI_OFFSET])
        for beacon in result.beacons
    )
    return encode_response(
        Notification.ACTIVE_SCAN_RESULT,
        bytes([0x00, result.channel, len(result.beacons)]) + body,
    )


def datagram_notification(datagram: Datagram) -> bytes:
    """A received-data notification (the layout of `parse_datagram`)."""
    return encode_response(
        Notification.DATA_RECEPTION,
        datagram.source.packed
        + datagram.source_port.to_bytes(2)
        + datagram.destination_port.to_bytes(2)
        + datagram.source_pan_id.to_bytes(2)
        + bytes([0x01 if datagram.multicast else 0x00])
        + bytes([_ENCRYPTED if datagram.encrypted else 0x00])
        + bytes([datagram.rssi - _RSSI_OFFSET])
        + len(datagram.payload).to_bytes(2)
        + datagram.payload,
    )


def pana_result_notification(result: int, mac: bytes) -> bytes:
    """The PANA result notification (the layout of `parse_pana_result`)."""
    return encode_response(Notification.PANA_RESULT, bytes([result]) + mac)


def connection_status_notification(status: ConnectionStatus) -> bytes:
    """A connection status change (the layout of `parse_connection_status`)."""
    return encode_response(
        Notification.CONNECTION_STATUS,
        bytes([status.status]) + status.mac + bytes([status.rssi - _RSSI_OFFSET]),
    )


def transmitted_response(transmitted: Transmitted) -> bytes:
    """Transmit Data's response (the layout of `parse_transmitted`)."""
    second = (0x1 if transmitted.queued else 0x0) << 4 | transmitted.transmission
    return result_response(Command.TRANSMIT_DATA, extra=bytes([second]))


def startup_notification() -> bytes:
    """The notification a reset ends with.

    broute_j11/commands.py line 74 and session.py lines 550-553; broute_j11
    reads none of its data, so it carries none here.
    """
    return encode_response(Notification.STARTUP_COMPLETED)
