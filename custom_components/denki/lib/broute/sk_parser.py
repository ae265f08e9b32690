"""A sans-I/O parser of a Wi-SUN dongle's output: bytes in, `SkMessage`s out.

It holds no port and no clock, so the driver, the simulator's tests and the
fuzz tests feed it the same way. What it gets right that line-based readers
get wrong:

- An `ERXUDP` payload in binary mode (register WOPT 00 on the BP35A1) is read
  as exactly the announced number of bytes: it may hold CR and LF.
- The echo of `SKSENDTO` carries the raw payload too, and is skipped the same
  way; the echo of a command with a secret (`SKSETPWD`, `SKSETRBID`) keeps no
  arguments.
- An `EPANDESC` block spans several indented lines and becomes one value.
- Garbage (a dongle unplugged mid-line, noise at power-up) becomes an
  `Unparsed` message and the stream resynchronises at the next line: the
  parser never raises on input.
- A line ends with CR LF, LF or CR alone. A BP35A1 from firmware 1.2.10 on
  answers `ROPT` with `OK 01` and a CR only: momonga reads that answer up to
  CR (momonga 0.7.0, momonga/momonga_sk_wrapper.py lines 217-239,
  `_exec_ropt`), while its line reader splits on CR LF (line 275).
- `ERXUDP` comes in four forms, told apart by their field count (hex payloads)
  or by where the 4-digit length field is (binary payloads): the BP35A1 form
  of its command reference section 4.1 (SENDER DEST RPORT LPORT SENDERLLA
  SECURED DATALEN DATA; smdn/Smdn.Net.SkStackIP, Protocol/SkStackEventParser.cs,
  TryExpectERXUDP), the old BP35A1 form without SECURED, and the BP35C0/C2
  form with a SIDE field, without RSSI (the default, register SA2 = 0:
  hsakoh/broute-mqtt, SkstackIpDotNet/Events/ERXUDP.cs, the isBP35C0 branch)
  and with it after `SKSREG SA2 1` (momonga_session_manager.py line 143 sets it;
  momonga_device.py line 75 then requires 11 fields).
- An `EPANDESC` field the parser does not know is reported and skipped: the
  block still gives its descriptor.
"""

from collections.abc import Iterator

from .sk_messages import (
    SECRET_COMMANDS,
    Dialect,
    Echo,
    Fail,
    Ok,
    PanDescriptor,
    Reply,
    SkEvent,
    SkMessage,
    UdpReceived,
    Unparsed,
)

# The largest UDP payload the dongles pass on (an IPv6 minimum MTU of 1280
# less the headers); a longer announced length is corruption, not data.
MAX_UDP_PAYLOAD = 1232
# A line longer than this with no line end is noise; it is dropped.
MAX_LINE = 4096

_EVENT_WITH_PARAM = 0x21  # EVENT 21: UDP send finished, with its result
_COMMAND_PREFIXES = ("SK", "WOPT", "ROPT", "WUART", "RUART")
# Where ERXUDP's length field can be, per dialect: the first index is the form
# without the optional field (SECURED on an old BP35A1, RSSI on a BP35C0/C2
# with SA2 = 0), the second the form with it.
_ERXUDP_LENGTH_INDEXES = {Dialect.BP35A1: (6, 7), Dialect.BP35C: (8, 9)}
# Hex ERXUDP lines by their token count (keyword and payload included).
_ERXUDP_FORMS = {8: Dialect.BP35A1, 9: Dialect.BP35A1, 10: Dialect.BP35C, 11: Dialect.BP35C}
_MAC = 16  # hex digits of a 64-bit MAC
_LENGTH_DIGITS = 4  # ERXUDP's DATALEN is always 4 hex digits (UINT16)
_SKSENDTO_LENGTH_INDEX = {Dialect.BP35A1: 5, Dialect.BP35C: 6}
_PANDESC_KEYS = {
    "Channel": "channel",
    "Channel Page": "channel_page",
    "Pan ID": "pan_id",
    "Addr": "mac",
    "LQI": "lqi",
    "Side": "side",
    "PairID": "pair_id",
}


class _Overlong:
    """The marker _take_line returns for a line longer than MAX_LINE."""


_OVERLONG = _Overlong()


class _BadLineError(Exception):
    """A line that does not fit its format (internal: becomes `Unparsed`)."""


def _hex(token: str, what: str) -> int:
    try:
        return int(token, 16)
    except ValueError:
        raise _BadLineError(f"{what} {token!r} is not hexadecimal") from None


def _payload_length(token: str, command: str) -> int:
    length = _hex(token, "payload length")
    if length > MAX_UDP_PAYLOAD:
        raise _BadLineError(f"{command} announces {length} bytes")
    return length


class SkStreamParser:
    """Turn the bytes a dongle sends into messages, whatever their chunking.

    `dialect` may be None until the driver has detected it; `binary_payload`
    is True when the dongle sends ERXUDP payloads as raw bytes (BP35A1 with
    WOPT 00), which needs the dialect to find the length field.
    """

    def __init__(self, dialect: Dialect | None = None, *, binary_payload: bool = False) -> None:
        """Start with an empty buffer."""
        self._buffer = bytearray()
        self._pandesc: dict[str, str] | None = None
        self._discarding = False
        self._dialect: Dialect | None = None
        self._binary_payload = False
        self._after_cr = False  # the last line ended with a CR that may be followed by LF
        self.configure(dialect, binary_payload=binary_payload)

    @property
    def dialect(self) -> Dialect | None:
        """The dialect lines are read in, or None when not yet known."""
        return self._dialect

    @property
    def binary_payload(self) -> bool:
        """Whether ERXUDP payloads arrive as raw bytes rather than hex."""
        return self._binary_payload

    def configure(self, dialect: Dialect | None, *, binary_payload: bool) -> None:
        """Set the dialect and payload mode, once the driver has detected them."""
        if binary_payload and dialect is None:
            raise ValueError("binary ERXUDP payloads can only be read in a known dialect")
        self._dialect = dialect
        self._binary_payload = binary_payload

    @property
    def pending(self) -> int:
        """How many bytes wait for the rest of their message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[SkMessage]:
        """Add bytes from the port; return every message they complete."""
        self._buffer += data
        return list(self._drain())

    def _drain(self) -> Iterator[SkMessage]:
        buffer = self._buffer
        while buffer:
            if self._after_cr:
                # The LF of a CR LF whose CR ended the last line, in a later chunk.
                self._after_cr = False
                if buffer[:1] == b"\n":
                    del buffer[:1]
                    continue
            if self._discarding:  # the rest of a dropped line, whatever it starts with
                if self._take_line() is None:
                    return
                continue
            if self._pandesc is not None and buffer[:1] == b" ":
                line = self._take_line()
                if line is None:
                    return
                if isinstance(line, _Overlong):
                    self._pandesc = None
                    message = self._line(line)
                else:
                    message = self._pandesc_line(line)
                if message is not None:
                    yield message
                continue
            if self._pandesc is not None:
                yield self._finish_pandesc()
                continue
            if buffer.startswith(b"ERXUDP ") and self._binary_payload:
                message = self._binary_erxudp()
                if message is None:
                    return
                yield message
                continue
            if buffer.startswith(b"SKSENDTO ") and self._dialect is not None:
                message = self._sendto_echo()
                if message is None:
                    return
                yield message
                continue
            line = self._take_line()
            if line is None:
                return
            if line:
                message = self._line(line)
                if message is not None:
                    yield message

    def _take_line(self) -> bytes | _Overlong | None:
        """Remove and return one line without its end, or None if incomplete.

        A line ends with CR LF, LF, or CR alone (a BP35A1's ROPT answer). A
        CR at the very end of the buffer ends its line at once; an LF that
        follows it in a later chunk is dropped. A line longer than MAX_LINE
        comes back as _OVERLONG however it was chunked, and the rest of it,
        up to its line end, is discarded.
        """
        buffer = self._buffer
        end = _line_end(buffer)
        if self._discarding:
            if end < 0:
                del buffer[:]
                return None
            self._cut_line(end)
            self._discarding = False
            return b""
        if end < 0:
            if len(buffer) > MAX_LINE:
                del buffer[:]
                self._discarding = True
                return _OVERLONG
            return None
        line = bytes(buffer[:end])
        self._cut_line(end)
        return _OVERLONG if len(line) > MAX_LINE else line

    def _cut_line(self, end: int) -> None:
        """Remove a line and its end (CR LF, LF or CR) from the buffer."""
        buffer = self._buffer
        if buffer[end : end + 2] == b"\r\n":
            del buffer[: end + 2]
        else:
            self._after_cr = buffer[end : end + 1] == b"\r" and end + 1 == len(buffer)
            del buffer[: end + 1]

    def _line(self, raw: bytes | _Overlong) -> SkMessage | None:
        if isinstance(raw, _Overlong):
            return Unparsed(f"no line end within {MAX_LINE} bytes", "")
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return Unparsed("line is not ASCII", raw.decode("ascii", "replace"))
        if not text.isprintable():
            return Unparsed("line holds control characters", text)
        tokens = text.split()
        if not tokens:
            return None
        keyword = tokens[0]
        try:
            if keyword == "OK":
                return Ok(tokens[1] if len(tokens) > 1 else None)
            if keyword == "FAIL" and len(tokens) == 2:
                return Fail(tokens[1])
            if keyword == "EVENT":
                return self._event(tokens)
            if keyword == "ERXUDP":
                return self._hex_erxudp(tokens)
            if keyword == "EPANDESC" and len(tokens) == 1:
                self._pandesc = {}
                return None
            if keyword.startswith(_COMMAND_PREFIXES):
                arguments = () if keyword in SECRET_COMMANDS else tuple(tokens[1:])
                return Echo(keyword, arguments)
            if keyword[0] == "E" and keyword.isalnum() and keyword.isupper():
                return Reply(keyword, tuple(tokens[1:]))
        except _BadLineError as err:
            return Unparsed(str(err), text)
        return Unparsed("unknown line", text)

    def _event(self, tokens: list[str]) -> SkEvent:
        if len(tokens) < 3:
            raise _BadLineError("EVENT without a number and a sender")
        code = _hex(tokens[1], "event number")
        rest = [_hex(token, "event field") for token in tokens[3:]]
        if len(rest) > 2:
            raise _BadLineError("EVENT with too many fields")
        dialect = self._dialect
        if dialect is None:
            # Only EVENT 21 has a parameter; a lone field of any other event is a side.
            has_side = len(rest) == 2 or (len(rest) == 1 and code != _EVENT_WITH_PARAM)
        else:
            has_side = dialect is Dialect.BP35C and bool(rest)
        side = rest.pop(0) if has_side else None
        param = rest.pop(0) if rest else None
        if rest:
            raise _BadLineError("EVENT with a field this dialect does not have")
        return SkEvent(code, tokens[2], side, param)

    def _hex_erxudp(self, tokens: list[str]) -> UdpReceived:
        dialect = _ERXUDP_FORMS.get(len(tokens))
        if (
            dialect is None
            or (self._dialect is not None and dialect is not self._dialect)
            or (len(tokens) == 8 and not _is_mac(tokens[5]))
        ):
            raise _BadLineError(f"ERXUDP with {len(tokens)} fields")
        length = _payload_length(tokens[-2], "ERXUDP")
        try:
            data = bytes.fromhex(tokens[-1])
        except ValueError:
            raise _BadLineError("ERXUDP payload is not hexadecimal") from None
        if len(data) != length:
            raise _BadLineError(f"ERXUDP announces {length} bytes and carries {len(data)}")
        return _udp(tokens[:-1], data)

    def _split_binary_header(
        self, length_index: int, longer_index: int | None = None
    ) -> tuple[list[str], int] | None:
        """Tokens up to a length field followed by raw bytes, and where the bytes start.

        With `longer_index`, the length is at `length_index` when that token has
        the length's four digits, else at `longer_index` (ERXUDP's optional field).
        """
        buffer = self._buffer
        position = 0
        tokens: list[str] = []
        while len(tokens) <= length_index or (
            longer_index is not None
            and len(tokens) <= longer_index
            and len(tokens[length_index]) != _LENGTH_DIGITS
        ):
            space = buffer.find(b" ", position, position + 64)
            if space < 0:
                if len(buffer) - position >= 64:
                    raise _BadLineError("binary message header field is too long")
                return None
            try:
                tokens.append(buffer[position:space].decode("ascii"))
            except UnicodeDecodeError:
                raise _BadLineError("binary message header is not ASCII") from None
            position = space + 1
        return tokens, position

    def _known_dialect(self) -> Dialect:
        if self._dialect is None:  # pragma: no cover - _drain checks first
            raise RuntimeError("the dialect is not known yet")
        return self._dialect

    def _binary_erxudp(self) -> SkMessage | None:
        shorter, longer = _ERXUDP_LENGTH_INDEXES[self._known_dialect()]
        try:
            split = self._split_binary_header(shorter, longer)
            if split is None:
                return None
            tokens, start = split
            length = _payload_length(tokens[-1], "ERXUDP")
            end = start + length
            if len(self._buffer) < end + 1:
                return None
            if self._buffer[end] not in b"\r\n":
                return self._resync("ERXUDP payload is not followed by CR LF")
            message = _udp(tokens, bytes(self._buffer[start:end]))
        except _BadLineError as err:
            return self._resync(str(err))
        self._cut_line(end)
        return message

    def _sendto_echo(self) -> SkMessage | None:
        length_index = _SKSENDTO_LENGTH_INDEX[self._known_dialect()]
        try:
            split = self._split_binary_header(length_index)
            if split is None:
                return None
            tokens, start = split
            length = _payload_length(tokens[length_index], "SKSENDTO")
        except _BadLineError as err:
            return self._resync(str(err))
        end = start + length
        # The echo may or may not end with CR LF: wait for two bytes to tell.
        if len(self._buffer) < end + 2:
            return None
        if self._buffer[end : end + 2] == b"\r\n":
            end += 2
        del self._buffer[:end]
        return Echo("SKSENDTO", tuple(tokens[1:]))

    def _resync(self, reason: str) -> Unparsed | None:
        """Drop the broken message's first line and report it, once its line end is here.

        Waiting for the line end makes the report the same however the port chunked
        the bytes; a line that has none within MAX_LINE bytes goes as it stands.
        """
        end = _line_end(self._buffer)
        if end < 0 and len(self._buffer) <= MAX_LINE:
            return None
        cut = end if end >= 0 else len(self._buffer)
        text = bytes(self._buffer[: min(cut, MAX_LINE)]).decode("ascii", "replace").rstrip()
        if end >= 0:
            self._cut_line(end)
        else:
            del self._buffer[:]
        self._discarding = end < 0  # the rest of that line is still to come
        return Unparsed(reason, text)

    def _pandesc_line(self, line: bytes) -> SkMessage | None:
        fields = self._pandesc if self._pandesc is not None else {}
        key, sep, value = line.decode("ascii", "replace").strip().partition(":")
        if not sep:
            self._pandesc = None
            return Unparsed("unknown EPANDESC field", line.decode("ascii", "replace"))
        if key not in _PANDESC_KEYS:
            # A field of a newer firmware (or another vendor's): reported, so the
            # driver counts it, but the block stays open and still gives its
            # descriptor when the fields Denki needs are there.
            return Unparsed("unknown EPANDESC field", line.decode("ascii", "replace"))
        fields[_PANDESC_KEYS[key]] = value.strip()
        return self._finish_pandesc() if key == "PairID" else None

    def _finish_pandesc(self) -> SkMessage:
        fields, self._pandesc = self._pandesc or {}, None
        try:
            return PanDescriptor(
                channel=_hex(fields["channel"], "channel"),
                channel_page=_hex(fields["channel_page"], "channel page"),
                pan_id=_hex(fields["pan_id"], "PAN ID"),
                mac=fields["mac"],
                lqi=_hex(fields["lqi"], "LQI"),
                side=_hex(fields["side"], "side") if "side" in fields else None,
                pair_id=fields.get("pair_id"),
            )
        except KeyError as err:
            return Unparsed(f"EPANDESC without {err.args[0]}", repr(fields))
        except _BadLineError as err:
            return Unparsed(str(err), repr(fields))


def _line_end(buffer: bytearray) -> int:
    """Where the first line end (CR or LF) in the buffer is, or -1."""
    cr, lf = buffer.find(b"\r"), buffer.find(b"\n")
    if cr < 0 or lf < 0:
        return max(cr, lf)
    return min(cr, lf)


def _is_mac(token: str) -> bool:
    return len(token) == _MAC and all(c in "0123456789ABCDEFabcdef" for c in token)


def _is_ipv6(token: str) -> bool:
    return ":" in token and all(c in "0123456789ABCDEFabcdef:" for c in token)


def _udp(tokens: list[str], data: bytes) -> UdpReceived:
    """An ERXUDP message from its header tokens (keyword first, length last) and payload.

    Where the length is tells the form: index 6, old BP35A1 without SECURED
    (taken as secured: after PANA the meter only talks encrypted); 7, BP35A1;
    8, BP35C0/C2 without RSSI (SA2 = 0); 9, BP35C0/C2 with RSSI (SA2 = 1).
    """
    # The field count alone does not tell a form: a line that lost one field can count as
    # another form. Each field must also look like what it is.
    if not (_is_ipv6(tokens[1]) and _is_ipv6(tokens[2])):
        raise _BadLineError("ERXUDP without two IPv6 addresses")
    for token in (tokens[3], tokens[4]):
        _hex(token, "port")
        if len(token) != 4:
            raise _BadLineError(f"ERXUDP port {token!r} is not 4 hexadecimal digits")
    if not _is_mac(tokens[5]):
        raise _BadLineError(f"ERXUDP MAC address {tokens[5]!r} malformed")
    lqi = side = None
    secured = "1"
    form = len(tokens) - 1
    if form == 7:
        secured = tokens[6]
    elif form == 8:
        secured, side = tokens[6], _hex(tokens[7], "side")
    elif form == 9:
        lqi = _hex(tokens[6], "LQI")
        secured, side = tokens[7], _hex(tokens[8], "side")
    elif form != 6:  # pragma: no cover - the callers pass only these forms
        raise _BadLineError(f"ERXUDP with {form + 2} fields")
    return UdpReceived(
        sender=tokens[1],
        destination=tokens[2],
        remote_port=_hex(tokens[3], "port"),
        local_port=_hex(tokens[4], "port"),
        sender_mac=tokens[5],
        secured=_hex(secured, "secured flag") == 1,
        data=data,
        lqi=lqi,
        side=side,
    )
