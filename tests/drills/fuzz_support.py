"""Seeded generators of hostile input for the drills of test_fuzz.py, and log checks.

`EchonetFuzzer` makes ECHONET Lite datagrams for a running appliances entry,
each with the address it must come from; `SkFuzzer` makes lines of Wi-SUN
dongle output for a running meter entry. Both draw from one `random.Random`,
so a seed reproduces a run byte for byte. Counts and seeds come from the
environment (DENKI_FUZZ_COUNT, DENKI_FUZZ_SEED) so that a failure seen in CI
can be replayed, or a longer run made, without editing the tests.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
import logging
import os
import random
import re

import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    Frame,
    FrameError,
    Property,
    decode_frame,
    encode_frame,
)
from simulators.wisun_dongle import DongleModel

DEFAULT_COUNT = 100_000
DEFAULT_SEED = 20261123


def fuzz_count(default: int = DEFAULT_COUNT) -> int:
    """How many inputs a drill sends: DENKI_FUZZ_COUNT, else `default`."""
    return int(os.environ.get("DENKI_FUZZ_COUNT", default))


def fuzz_seed(default: int = DEFAULT_SEED) -> int:
    """The seed of a drill: DENKI_FUZZ_SEED, else `default`."""
    return int(os.environ.get("DENKI_FUZZ_SEED", default))


_WATCHED = ("custom_components.denki", "homeassistant")


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors and tracebacks that Denki or Home Assistant logged: each kind once, with its count.

    A kind is the logger, the level, and the first line of the message and of the
    exception, with hex dumps and numbers made generic so that one bug seen with many
    inputs is one line.
    """
    found: Counter[str] = Counter()
    for record in caplog.records:
        if not record.name.startswith(_WATCHED):
            continue
        if record.levelno < logging.ERROR and record.exc_info is None:
            continue
        text = record.getMessage().splitlines()[0]
        if record.exc_info is not None and record.exc_info[1] is not None:
            text += f" | {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        found[f"{record.name} {record.levelname}: {_GENERIC.sub('#', text)}"] += 1
    return [f"{count}x {kind}" for kind, count in found.most_common()]


_GENERIC = re.compile(r"'[0-9A-Fa-f]+'|\b[0-9A-F]{8,}\b|\b\d+\b")


def check_logs(caplog: pytest.LogCaptureFixture, seed: int) -> None:
    """Fail on any error logged, naming the seed that reproduces it."""
    found = problems(caplog)
    assert not found, f"seed {seed}: {found}"


# ---------------------------------------------------------------------------
# ECHONET Lite

_ESV_CODES = frozenset(int(esv) for esv in ESV)
_UNKNOWN_ESVS = tuple(code for code in range(0x100) if code not in _ESV_CODES)
_ANSWERS = (ESV.GET_RES, ESV.GET_SNA, ESV.SET_RES, ESV.SETC_SNA, ESV.INF_SNA, ESV.SETGET_RES)
_UNKNOWN_EOJS = (EOJ(0x0A, 0xBC, 0x01), EOJ(0x02, 0x88, 0x07), EOJ(0x01, 0x30, 0x09))


@dataclass(frozen=True)
class Talker:
    """An object of a node the entry knows: where it is, what it is, what it shows."""

    address: str
    eoj: EOJ
    epcs: tuple[int, ...]


@dataclass
class EchonetFuzzer:
    """Hostile datagrams for an appliances entry.

    Attributes:
        rng: The seeded source of every choice.
        talkers: Objects of known nodes; notifications and answers come from their addresses.
        strangers: Other loopback addresses of the home LAN (spoofers, unknown hosts).
        pending: The TID and object of a request the entry is waiting on now, if known:
            spoofed answers carry it.
    """

    rng: random.Random
    talkers: list[Talker]
    strangers: list[str]
    pending: Callable[[], tuple[int, EOJ] | None] = lambda: None
    kinds: Counter[str] = field(default_factory=Counter)
    malformed: int = 0
    spoof_attempts: int = 0

    def __post_init__(self) -> None:
        """The mix: (kind, weight)."""
        self._mix: list[tuple[str, Callable[[], tuple[str, bytes]]]] = [
            ("random_bytes", self._random_bytes),
            ("truncated", self._truncated),
            ("wrong_opc", self._wrong_opc),
            ("wrong_pdc", self._wrong_pdc),
            ("trailing_bytes", self._trailing),
            ("bad_header", self._bad_header),
            ("unknown_esv", self._unknown_esv),
            ("huge_pdc", self._huge_pdc),
            ("spoofed_answer", self._spoofed),
            ("unknown_eoj", self._unknown_eoj),
            ("garbage_inf", self._garbage_inf),
            ("unmatched_answer", self._unmatched),
            ("request_to_us", self._request),
        ]
        weights = {
            "random_bytes": 12,
            "truncated": 12,
            "wrong_opc": 8,
            "wrong_pdc": 8,
            "trailing_bytes": 4,
            "bad_header": 4,
            "unknown_esv": 8,
            "huge_pdc": 6,
            "spoofed_answer": 8,
            "unknown_eoj": 6,
            "garbage_inf": 14,
            "unmatched_answer": 6,
            "request_to_us": 4,
        }
        self._weights = [weights[name] for name, _ in self._mix]

    def datagram(self) -> tuple[str, bytes]:
        """The next datagram, and the address it must be sent from."""
        (name, make), *_ = self.rng.choices(self._mix, self._weights)
        source, data = make()
        self.kinds[name] += 1
        try:
            decode_frame(data)
        except FrameError:
            self.malformed += 1
        return source, data

    # -- building blocks

    def _tid(self) -> int:
        return self.rng.randrange(0x10000)

    def _edt(self, longest: int = 8) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, longest))

    def _properties(self, epcs: Iterable[int] | None = None) -> tuple[Property, ...]:
        pool = tuple(epcs) if epcs else tuple(range(0x80, 0x100))
        count = self.rng.randint(1, 4)
        return tuple(Property(self.rng.choice(pool), self._edt()) for _ in range(count))

    def _talker(self) -> Talker:
        return self.rng.choice(self.talkers)

    def _valid(self) -> tuple[str, bytes]:
        """A well-formed frame from a known node (an answer or a notification)."""
        talker = self._talker()
        esv = self.rng.choice((ESV.GET_RES, ESV.INF, ESV.GET_SNA, ESV.SETGET_RES))
        gets = self._properties(talker.epcs) if esv.has_get_list else ()
        frame = Frame(self._tid(), talker.eoj, CONTROLLER, esv, self._properties(talker.epcs), gets)
        return talker.address, encode_frame(frame)

    # -- kinds

    def _random_bytes(self) -> tuple[str, bytes]:
        roll = self.rng.random()
        length = (
            self.rng.randint(0, 11)
            if roll < 0.3
            else self.rng.randint(12, 64)
            if roll < 0.98
            else self.rng.randint(600, 1400)
        )
        data = bytearray(self.rng.randbytes(length))
        if length >= 2 and self.rng.random() < 0.5:
            data[0:2] = b"\x10\x81"  # past the first check of the decoder
        return self.rng.choice(self.strangers + [t.address for t in self.talkers]), bytes(data)

    def _truncated(self) -> tuple[str, bytes]:
        source, data = self._valid()
        return source, data[: self.rng.randrange(len(data))]

    def _wrong_opc(self) -> tuple[str, bytes]:
        source, data = self._valid()
        raw = bytearray(data)
        raw[11] = (raw[11] + self.rng.choice((1, 2, 5, 0x80, 0xFE, 0xFF))) & 0xFF
        return source, bytes(raw)

    def _wrong_pdc(self) -> tuple[str, bytes]:
        source, data = self._valid()
        raw = bytearray(data)
        raw[13] = (raw[13] + self.rng.choice((1, 3, 0x7F, 0xFF))) & 0xFF  # the first PDC
        return source, bytes(raw)

    def _trailing(self) -> tuple[str, bytes]:
        source, data = self._valid()
        return source, data + self.rng.randbytes(self.rng.randint(1, 16))

    def _bad_header(self) -> tuple[str, bytes]:
        source, data = self._valid()
        raw = bytearray(data)
        raw[self.rng.randrange(2)] = self.rng.choice((0x00, 0x11, 0x82, 0xFF))
        if raw[:2] == b"\x10\x81":
            raw[1] = 0x82  # format 2: refused
        return source, bytes(raw)

    def _unknown_esv(self) -> tuple[str, bytes]:
        source, data = self._valid()
        raw = bytearray(data)
        raw[10] = self.rng.choice(_UNKNOWN_ESVS)
        return source, bytes(raw)

    def _huge_pdc(self) -> tuple[str, bytes]:
        talker = self._talker()
        head = bytes((0x10, 0x81, *self._tid().to_bytes(2)))
        head += talker.eoj.to_bytes() + CONTROLLER.to_bytes()
        roll = self.rng.random()
        if roll < 0.4:  # PDC 255 with fewer bytes behind it
            body = bytes((ESV.INF, 1, self.rng.choice(talker.epcs), 0xFF)) + self._edt(200)
        elif roll < 0.7:  # a real 255-byte EDT: well-formed, and too big for any property
            edt = self.rng.randbytes(255)
            body = bytes((ESV.INF, 1, self.rng.choice(talker.epcs), 0xFF)) + edt
        else:  # OPC 255 of empty properties, then a cut
            body = bytes((ESV.GET_RES, 0xFF)) + bytes(2 * self.rng.randint(0, 300))
        return talker.address, head + body

    def _spoofed(self) -> tuple[str, bytes]:
        pending = self.pending()
        talker = self._talker()
        tid, eoj = pending if pending is not None else (self._tid(), talker.eoj)
        self.spoof_attempts += pending is not None
        esv = self.rng.choice((ESV.GET_RES, ESV.GET_RES, ESV.GET_SNA))
        frame = Frame(tid, eoj, CONTROLLER, esv, self._properties(talker.epcs))
        return self.rng.choice(self.strangers), encode_frame(frame)

    def _unknown_eoj(self) -> tuple[str, bytes]:
        talker = self._talker()
        unknown = self.rng.choice(_UNKNOWN_EOJS)
        if self.rng.random() < 0.5:  # a notification or answer from an object nobody knows
            esv = self.rng.choice((ESV.INF, ESV.INFC, ESV.GET_RES))
            frame = Frame(self._tid(), unknown, CONTROLLER, esv, self._properties())
        else:  # a request for an object our node does not have
            esv = self.rng.choice((ESV.GET, ESV.SETC, ESV.INF_REQ))
            frame = Frame(self._tid(), talker.eoj, unknown, esv, self._properties())
        return talker.address, encode_frame(frame)

    def _garbage_inf(self) -> tuple[str, bytes]:
        talker = self._talker()
        esv = ESV.INF if self.rng.random() < 0.85 else ESV.INFC
        edts = self._properties(talker.epcs)
        if self.rng.random() < 0.1:
            edts = (Property(self.rng.choice(talker.epcs), self.rng.randbytes(255)),)
        frame = Frame(self._tid(), talker.eoj, CONTROLLER, esv, edts)
        return talker.address, encode_frame(frame)

    def _unmatched(self) -> tuple[str, bytes]:
        talker = self._talker()
        esv = self.rng.choice(_ANSWERS)
        gets = self._properties(talker.epcs) if esv.has_get_list else ()
        frame = Frame(self._tid(), talker.eoj, CONTROLLER, esv, self._properties(), gets)
        return talker.address, encode_frame(frame)

    def _request(self) -> tuple[str, bytes]:
        esv = self.rng.choice((ESV.GET, ESV.GET, ESV.INF_REQ, ESV.SETC, ESV.SETI, ESV.SETGET))
        deoj = self.rng.choice((NODE_PROFILE, CONTROLLER, EOJ(0x0E, 0xF0, 0x00)))
        gets = self._properties() if esv.has_get_list else ()
        frame = Frame(self._tid(), CONTROLLER, deoj, esv, self._properties(), gets)
        source = self.rng.choice([*self.strangers, self._talker().address])
        return source, encode_frame(frame)


# ---------------------------------------------------------------------------
# Wi-SUN dongle output (SK command set)

_HARMLESS_EVENTS = (
    0x01,
    0x02,
    0x1F,
    0x20,
    0x21,
    0x22,
    0x24,
    0x25,
    0x26,
    0x27,
    0x28,
    0x29,
    0x33,
    0x45,
)
"""Events the fuzz may send well-formed. PANA events (24-29) but 25 name another sender
than the meter, which the session must ignore. The others (those PANA events from the
meter, the transmit limit) are true statements of the dongle that end or pause the
session; their handling has tests of its own (tests/lib/broute, tests/meter)."""
_STEERING = (b"OK", b"FAIL", b"EVENT")
"""First tokens a generated garbage line must not have: an OK or FAIL would end the
command in flight, an EVENT would be a statement of the dongle (see above)."""
_PRINTABLE = bytes(range(0x21, 0x7F))


def _steers(data: bytes) -> bool:
    """Whether any line of `data` would be read as a reply or an event, or swallow what follows."""
    for line in data.replace(b"\r", b"\n").split(b"\n"):
        tokens = line.split()
        if tokens and (tokens[0] in _STEERING or tokens[0] == b"SKSENDTO"):
            return True
    return False


@dataclass
class SkFuzzer:
    """Hostile dongle output for a meter entry, in the dongle's dialect and payload mode.

    Every item ends with CR LF, so that the simulator's own answers, written
    between items, stay whole lines. With binary payloads (WOPT 00) an ERXUDP
    is read by its announced length, and a wrong length may take the lines
    after it for its payload: the simulator's answers among them.

    Attributes:
        rng: The seeded source of every choice.
        model: The simulated dongle (its addresses and dialect).
        frames: Malformed ECHONET Lite frames to carry in ERXUDP.
    """

    rng: random.Random
    model: DongleModel
    frames: EchonetFuzzer
    kinds: Counter[str] = field(default_factory=Counter)
    spoofed: int = 0
    """Well-formed ERXUDP from another address or to another port: the session drops each."""

    def __post_init__(self) -> None:
        """The mix: (kind, weight)."""
        self._mix: list[tuple[str, Callable[[], bytes]]] = [
            ("garbage_text", self._garbage_text),
            ("garbage_bytes", self._garbage_bytes),
            ("truncated_event", self._truncated_event),
            ("malformed_event", self._malformed_event),
            ("harmless_event", self._harmless_event),
            ("truncated_erxudp", self._truncated_erxudp),
            ("erxudp_field_count", self._erxudp_fields),
            ("erxudp_binary_payload", self._erxudp_binary),
            ("erxudp_bad_hex", self._erxudp_bad_hex),
            ("overlong", self._overlong),
            ("erxudp_bad_echonet", self._erxudp_bad_echonet),
            ("erxudp_spoofed", self._erxudp_spoofed),
            ("epandesc_fragment", self._epandesc),
            ("reply_like", self._reply_like),
        ]
        weights = {
            "garbage_text": 10,
            "garbage_bytes": 8,
            "truncated_event": 8,
            "malformed_event": 6,
            "harmless_event": 4,
            "truncated_erxudp": 10,
            "erxudp_field_count": 8,
            "erxudp_binary_payload": 6,
            "erxudp_bad_hex": 8,
            "overlong": 1,
            "erxudp_bad_echonet": 12,
            "erxudp_spoofed": 10,
            "epandesc_fragment": 3,
            "reply_like": 3,
        }
        self._weights = [weights[name] for name, _ in self._mix]

    def line(self) -> bytes:
        """The next item of output, ending with CR LF."""
        (name, make), *_ = self.rng.choices(self._mix, self._weights)
        self.kinds[name] += 1
        return make() + b"\r\n"

    # -- building blocks

    def _side(self) -> str:
        return " 0" if self.model.has_side else ""

    def _erxudp(
        self,
        data: bytes,
        *,
        sender: str | None = None,
        port: int = 0x0E1A,
        raw: bool = False,
        length: int | None = None,
    ) -> bytes:
        """An ERXUDP line; its payload as raw bytes if `raw` or the dongle sends binary."""
        model = self.model
        meter = model.meter
        radio = f"{meter.lqi:02X} 1 0" if model.has_side else "1"
        announced = len(data) if length is None else length
        head = (
            f"ERXUDP {sender or meter.address} {model.address} {port:04X} {port:04X}"
            f" {meter.mac} {radio} {announced:04X} "
        )
        binary = raw or model.binary_payload
        return head.encode() + (data if binary else data.hex().upper().encode())

    def _frame(self) -> bytes:
        """A well-formed answer of the meter to nobody (a random TID)."""
        props = tuple(
            Property(epc, self.rng.randbytes(4)) for epc in self.rng.sample((0xE0, 0xE7, 0xE8), 2)
        )
        meter = EOJ(0x02, 0x88, 0x01)
        return encode_frame(
            Frame(self.rng.randrange(0x10000), meter, CONTROLLER, ESV.GET_RES, props)
        )

    def _safe(self, make: Callable[[], bytes]) -> bytes:
        for _ in range(100):
            data = make()
            if not _steers(data):
                return data
        return b"#"  # pragma: no cover - 100 unlucky draws

    # -- kinds

    def _garbage_text(self) -> bytes:
        def make() -> bytes:
            tokens = [
                bytes(self.rng.choices(_PRINTABLE, k=self.rng.randint(1, 12)))
                for _ in range(self.rng.randint(1, 8))
            ]
            return b" ".join(tokens)

        return self._safe(make)

    def _garbage_bytes(self) -> bytes:
        return self._safe(lambda: self.rng.randbytes(self.rng.randint(1, 120)))

    def _event_line(self, code: int) -> bytes:
        address = self.model.meter.address if code in (0x21, 0x25) else self.model.address
        param = " 00" if code == 0x21 else ""
        return f"EVENT {code:02X} {address}{self._side()}{param}".encode()

    def _truncated_event(self) -> bytes:
        line = self._event_line(self.rng.choice(_HARMLESS_EVENTS))
        return line[: self.rng.randrange(len(line))]

    def _malformed_event(self) -> bytes:
        address = self.model.meter.address
        return self.rng.choice(
            (
                b"EVENT",
                b"EVENT 21",
                f"EVENT ZZ {address}".encode(),
                f"EVENT 21 {address} 00 00 00".encode(),
                f"EVENT 21 {address} GG".encode(),
                f"EVENT 25 {address} 1 2 3 4".encode(),
                b"EVENT -1 x",
                b"EVENT 0x25 " + address.encode(),
            )
        )

    def _harmless_event(self) -> bytes:
        return self._event_line(self.rng.choice(_HARMLESS_EVENTS))

    def _truncated_erxudp(self) -> bytes:
        def make() -> bytes:
            line = self._erxudp(self._frame())
            return line[: self.rng.randrange(len(line))]

        return self._safe(make)

    def _erxudp_fields(self) -> bytes:
        def make() -> bytes:
            tokens = self._erxudp(self._frame()).split(b" ")
            if self.rng.random() < 0.5:
                del tokens[self.rng.randrange(1, len(tokens))]
            else:
                tokens.insert(self.rng.randrange(1, len(tokens)), b"00")
            return b" ".join(tokens)

        return self._safe(make)

    def _erxudp_binary(self) -> bytes:
        def make() -> bytes:
            data = bytearray(self._frame())
            for _ in range(self.rng.randint(1, 3)):
                data.insert(self.rng.randrange(len(data)), self.rng.choice(b"\r\n"))
            return self._erxudp(bytes(data), raw=True)

        return self._safe(make)

    def _erxudp_bad_hex(self) -> bytes:
        if self.model.binary_payload:
            return self._wrong_length()
        line = bytearray(self._erxudp(self._frame()))
        roll = self.rng.random()
        if roll < 0.4:  # a letter beyond F in the payload
            position = self.rng.randrange(len(line) - 10, len(line))
            line[position] = self.rng.choice(b"GXZ-:g")
        elif roll < 0.6:  # an odd number of digits
            line += b"A"
        elif roll < 0.8:  # a length that is not hex, or more than a datagram holds
            tokens = bytes(line).split(b" ")
            tokens[-2] = self.rng.choice((b"ZZZZ", b"FFFF", b"04D1", b"-001", b""))
            return b" ".join(tokens)
        else:  # a port or flag that is not hex
            tokens = bytes(line).split(b" ")
            tokens[self.rng.choice((3, 4, 6))] = b"QQ"
            return b" ".join(tokens)
        return bytes(line)

    def _wrong_length(self) -> bytes:
        """Binary mode: a raw payload whose announced length is not its length."""

        def make() -> bytes:
            data = self._frame()
            roll = self.rng.random()
            if roll < 0.4:
                length = max(0, len(data) - self.rng.randint(1, len(data)))
            elif roll < 0.8:
                length = len(data) + self.rng.randint(1, 40)
            else:
                length = self.rng.choice((0x04D1, 0xFFFF))  # more than a datagram holds
            return self._erxudp(data, length=length)

        return self._safe(make)

    def _overlong(self) -> bytes:
        prefix = self.rng.choice((b"", b"ERXUDP ", b"EVENT 21 ", b"E"))
        body = bytes(self.rng.choices(_PRINTABLE, k=self.rng.randint(4097, 9000)))
        return prefix + body  # never read as a message: the parser drops it whole

    def _erxudp_bad_echonet(self) -> bytes:
        while True:
            _, data = self.frames.datagram()
            if len(data) <= 1232:
                return self._erxudp(data)

    def _erxudp_spoofed(self) -> bytes:
        self.spoofed += 1
        if self.rng.random() < 0.2:  # the meter's address, but not the ECHONET Lite port
            return self._erxudp(self._frame(), port=self.rng.choice((0x0E1B, 0x1234)))
        groups = ":".join(f"{self.rng.randrange(0x10000):04X}" for _ in range(4))
        return self._erxudp(self._frame(), sender=f"FE80:0000:0000:0000:{groups}")

    def _epandesc(self) -> bytes:
        fields = [b"EPANDESC"]
        for _ in range(self.rng.randint(0, 4)):
            key = self.rng.choice((b"Channel", b"Pan ID", b"Addr", b"LQI", b"Bogus", b"PairID"))
            fields.append(b"  " + key + b":" + self.rng.choice((b"ZZ", b"21", b"", b"FFFFFFFF")))
        return b"\r\n".join(fields)

    def _reply_like(self) -> bytes:
        return self.rng.choice(
            (
                b"EINFO",
                b"EVER 9.9.9",
                b"ESREG 00",
                b"EADDR 1 2 3",
                b"SKVER",
                b"SKSETPWD C",
                b"PANA " + self.rng.randbytes(8).hex().encode(),
            )
        )
