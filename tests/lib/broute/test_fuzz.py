"""A seeded fuzz of the SK stream parser, of the ECHONET Lite frames it carries, and of the driver.

The corpus is what the simulated dongle (`simulators.wisun_dongle`) says in
both dialects and both payload modes, answering a whole session (SKVER to
SKTERM, a scan, a join, Gets that a simulated smart meter answers), plus the
lines of test_sk_parser: EVENT 20 to 33 with and without a side, EPANDESC
blocks, OK / FAIL ERxx, echoes (secrets included), ERXUDP with 9 or 11
fields in hex and binary, binary payloads holding CR and LF.

Each of the 100 000 rounds mutates it: bit flips, byte overwrites,
insertions and deletions, truncation, joined lines, spliced items, token
soup, corrupted ERXUDP length fields, CR/LF put into or taken out of binary
payloads, random bytes and random text, and now and then a line longer than
the parser keeps. A quarter of the rounds are instead an ERXUDP around a
mutated ECHONET Lite frame (EDT boundary values: dates, "no data" codes,
point counts). The input goes to a fresh parser whole, and to another one in
random chunks, as a serial port delivers it; then

- nothing is raised (the parser promises not to; the decoders may raise
  only the library's errors: DongleError, EchonetError, MeterValueError);
- the chunked parse gives exactly the messages of the whole one;
- every datagram it yields goes to `decode_frame` and to the meter value
  decoders of `meter_values`;
- every 100th round, the chunked parser is given enough line ends to close
  whatever the garbage opened, then a valid item, which must parse exactly
  as it does on a fresh parser (resynchronisation).

A second test writes 5 000 mutated lines into a real pseudo-terminal, with
valid answers among them, while the real driver reads the other side: the
driver must hand over exactly the radio messages an offline parse of the same
bytes gives, answer commands in between, read the meter afterwards, and
report nothing to the event loop's exception handler.
"""

import asyncio
from collections.abc import Callable
import dataclasses
from datetime import UTC, date, datetime, timedelta
import random
import string
import time
from typing import Any

import pytest

from custom_components.denki.lib.broute import (
    MAX_UDP_PAYLOAD,
    Dialect,
    Echo,
    Ok,
    PanDescriptor,
    Reply,
    SkEvent,
    SkMessage,
    SkStreamParser,
    UdpReceived,
    Unparsed,
)
from custom_components.denki.lib.broute.dongle import SkDongle, link_local_address
from custom_components.denki.lib.broute.errors import DongleError
from custom_components.denki.lib.broute.meter import _meter_date, _meter_time
from custom_components.denki.lib.broute.meter_values import (
    EnergyScale,
    MeterValueError,
    parse_coefficient,
    parse_cumulative,
    parse_current,
    parse_digits,
    parse_fixed_time,
    parse_history_2,
    parse_history_3,
    parse_history_day,
    parse_one_minute,
    parse_power,
    parse_unit,
)
from custom_components.denki.lib.broute.sk_messages import SECRET_COMMANDS
from custom_components.denki.lib.broute.sk_parser import MAX_LINE
from custom_components.denki.lib.echonet import (
    CONTROLLER,
    ESV,
    EchonetError,
    Frame,
    Property,
    decode_frame,
    decode_property_map,
    encode_frame,
)
from simulators.meter_history import MeterHistory
from simulators.smart_meter import METER_EOJ, SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

SEED = 0x0E1A
ROUNDS = 100_000
RESYNC_EVERY = 100
PTY_LINES = 5_000
PTY_BATCH = 100

LIBRARY_ERRORS = (DongleError, EchonetError, MeterValueError)
"""The library's own errors: the only exceptions the fuzzed code may raise."""

NOW = datetime(2025, 1, 15, 3, 34, tzinfo=UTC)  # a fixed meter clock: deterministic frames
TODAY = date(2025, 1, 15)
METER_RADIO = MeterRadio()
METER = METER_RADIO.address
ME = link_local_address("001D129000030C89")
MAC = METER_RADIO.mac

# What a driver asks a meter, grouped as Denki's LowVoltageMeter does; 0xF0 is one it lacks.
GET_GROUPS = [
    (0x80, 0x83, 0x88, 0x8A),
    (0x9F,),
    (0xD3, 0xE1, 0xD7),
    (0xE7, 0xE8),
    (0xE0, 0xE3),
    (0xEA, 0xEB),
    (0xE2, 0xE4, 0x98),
    (0xEC,),
    (0xEE,),
    (0xD0,),
    (0x98, 0x97),
    (0xE7, 0xF0),
]


@dataclasses.dataclass(frozen=True)
class Mode:
    """How a parser is configured: before detection, or a detected dialect and payload mode."""

    dialect: Dialect | None
    binary: bool

    @property
    def name(self) -> str:
        dialect = self.dialect.value if self.dialect is not None else "undetected"
        return f"{dialect}-{'binary' if self.binary else 'hex'}"

    def parser(self) -> SkStreamParser:
        return SkStreamParser(self.dialect, binary_payload=self.binary)

    @property
    def flush(self) -> bytes:
        """Line ends enough to close whatever garbage opened.

        Before detection every message is a line: one line end does. Once the
        dialect is known, a SKSENDTO echo (and in binary mode an ERXUDP) is
        read by its announced length, up to MAX_UDP_PAYLOAD bytes and a CR LF.
        """
        if self.dialect is None:
            return b"\r\n"
        return b"\r\n" * (MAX_UDP_PAYLOAD // 2 + 3)


MODES = [
    Mode(None, False),
    Mode(Dialect.BP35A1, False),
    Mode(Dialect.BP35A1, True),
    Mode(Dialect.BP35C, False),
    Mode(Dialect.BP35C, True),
]


def _simulated_meter() -> SimulatedMeter:
    history = MeterHistory(origin=NOW - timedelta(days=2), clock=lambda: NOW)
    return SimulatedMeter(history=history, next_generation=True, coefficient=2)


def _meter_frames() -> list[Frame]:
    """ECHONET Lite frames as a meter and a controller exchange them."""
    meter = _simulated_meter()
    frames = []
    for tid, epcs in enumerate(GET_GROUPS, start=1):
        request = Frame(tid, CONTROLLER, METER_EOJ, ESV.GET, tuple(Property(e) for e in epcs))
        answer = meter.answer(encode_frame(request))
        assert answer is not None
        frames += [request, decode_frame(answer)]
    setc = Frame(0x40, CONTROLLER, METER_EOJ, ESV.SETC, (Property(0xE5, b"\x01"),))
    set_res = meter.answer(encode_frame(setc))
    assert set_res is not None
    props = meter.properties()
    frames += [
        setc,
        decode_frame(set_res),
        Frame(0x41, METER_EOJ, CONTROLLER, ESV.INF, (Property(0xEA, props[0xEA]),)),
        Frame(
            0x42,
            METER_EOJ,
            CONTROLLER,
            ESV.SETGET_RES,
            (Property(0xED),),
            (Property(0xEC, props[0xEC]), Property(0x98, props[0x98])),
        ),
    ]
    return frames


FRAMES = _meter_frames()


# -- the corpus ---------------------------------------------------------------------------------


def erxudp(
    dialect: Dialect, data: bytes, *, binary: bool, length: str | None = None, port: int = 0x0E1A
) -> bytes:
    """An ERXUDP as a dongle of `dialect` sends it (9 fields on a BP35A1, 11 on a BP35C0)."""
    radio = "A8 1 0" if dialect is Dialect.BP35C else "1"
    length = f"{len(data):04X}" if length is None else length
    body = data if binary else data.hex().upper().encode()
    head = f"ERXUDP {METER} {ME} {port:04X} {port:04X} {MAC} {radio} {length} "
    return head.encode() + body + b"\r\n"


def _session(dialect: str, *, binary: bool, sendto_echo: bool) -> list[bytes]:
    """What the simulated dongle says through a whole session, one item per command."""
    meter = _simulated_meter()
    model = DongleModel(
        dialect=dialect, binary_payload=binary, meter=MeterRadio(responder=meter.answer)
    )
    side = " 0" if model.has_side else ""
    radio = model.meter
    script = [
        "SKVER",
        "SKAPPVER",
        "SKINFO",
        "SKSREG S2 21",
        "SKSREG S2",
        "SKSREG SFE 1",
        "ROPT",
        f"SKSETRBID {radio.rbid}",
        f"SKSETPWD C {radio.password}",
        f"SKSCAN 2 FFFFFFFF 6{side}",
        f"SKSCAN 2 FFFFFFFF 6{' 0' if not side else ''}",  # the other dialect's: FAIL ER05
        "SKFOO 1",  # FAIL ER04
        "SKTERM",  # not joined: FAIL ER10
        f"SKJOIN {radio.address}",
    ]
    items = [b"".join(model.handle(command.encode())) for command in script]
    for tid, epcs in enumerate(GET_GROUPS, start=0x80):
        frame = encode_frame(
            Frame(tid, CONTROLLER, METER_EOJ, ESV.GET, tuple(Property(e) for e in epcs))
        )
        head = f"SKSENDTO 1 {radio.address} 0E1A 1{side} {len(frame):04X}".encode()
        # The echo as the driver's bytes come back (with the space before the payload,
        # which the simulator's own echo leaves out); the model answers without one.
        model.echo = False
        answer = b"".join(model.handle(head, frame))
        model.echo = True
        items.append((head + b" " + frame + b"\r\n" if sendto_echo else b"") + answer)
    items += [
        b"".join(model.handle(b"SKTERM")),
        b"".join(model.session_expiry()),
        b"".join(model.transmit_limit()),
    ]
    return items


def _events(dialect: Dialect) -> list[bytes]:
    side = " 0" if dialect is Dialect.BP35C else ""
    codes = [0x20, 0x22, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x32, 0x33]
    lines = [f"EVENT {code:02X} {METER}{side}\r\n" for code in codes]
    lines += [f"EVENT 21 {METER}{side} 00\r\n", f"EVENT 21 {METER}{side} 02\r\n"]
    return [line.encode() for line in lines]


A1_SCAN = (
    f"EVENT 20 {METER}\r\nEPANDESC\r\n  Channel:21\r\n  Channel Page:09\r\n  Pan ID:8888\r\n"
    f"  Addr:{MAC}\r\n  LQI:E1\r\n  PairID:0012ABCD\r\nEVENT 22 {ME}\r\n"
).encode()
C_SCAN = (
    f"EVENT 20 {METER} 0\r\nEPANDESC\r\n  Channel:3B\r\n  Channel Page:09\r\n  Pan ID:1A2B\r\n"
    f"  Addr:{MAC}\r\n  LQI:7F\r\n  Side:0\r\nEVENT 22 {ME} 0\r\n"
).encode()
COMMON = [
    b"OK\r\nOK 01\r\nFAIL ER04\r\nFAIL ER10\r\n",
    b"\r\n\r\nOK\nOK 01\r\n",  # blank lines and a bare LF
    f"SKINFO\r\nEINFO {ME} 001D129000030C89 21 8888 FFFE\r\nOK\r\n".encode(),
    b"SKVER\r\nEVER 1.2.10\r\nOK\r\nROPT\r\nOK 01\r\n",
    b"SKSETPWD C 0123456789AB\r\nOK\r\nSKSETRBID 00112233445566778899AABBCCDDEEFF\r\nOK\r\n",
    # ERXDATA has no parser of its own: it is read as any other one-line E... answer.
    f"ERXDATA {METER} {ME} 0E1A 0E1A {MAC} A8 1 0 0002 ABCD\r\n".encode(),
]
# A binary payload that looks like SK lines: read by its length, never as lines.
LINE_LIKE_PAYLOAD = b"\x10\x81\r\n\x00OK\r\nEVENT 25\r\n\xff"


def _corpus(mode: Mode) -> list[bytes]:
    dialects = [mode.dialect] if mode.dialect is not None else list(Dialect)
    items = list(COMMON)
    for dialect in dialects:
        model_name = "bp35c" if dialect is Dialect.BP35C else "bp35a1"
        # Before detection the driver sends no SKSENDTO: its binary echo cannot occur.
        items += _session(model_name, binary=mode.binary, sendto_echo=mode.dialect is not None)
        items += _events(dialect)
        items.append(C_SCAN if dialect is Dialect.BP35C else A1_SCAN)
        items.append(erxudp(dialect, bytes.fromhex("0000001000020000"), binary=mode.binary))
        items += [erxudp(dialect, encode_frame(frame), binary=mode.binary) for frame in FRAMES]
        if mode.binary:
            items.append(erxudp(dialect, LINE_LIKE_PAYLOAD, binary=True))
            items.append(erxudp(dialect, b"", binary=True))
    return items


def _expected(mode: Mode, item: bytes) -> list[SkMessage]:
    messages = mode.parser().feed(item)
    unparsed = [m for m in messages if isinstance(m, Unparsed)]
    assert not unparsed, (mode.name, item, unparsed)
    return messages


CORPUS = {mode: [(item, _expected(mode, item)) for item in _corpus(mode)] for mode in MODES}
LINES = sorted(
    {
        line + b"\n"
        for mode in MODES
        for item, _ in CORPUS[mode]
        for line in item.split(b"\n")
        if line
    }
)


# -- mutations ----------------------------------------------------------------------------------

SK_WORDS = [
    b"OK",
    b"FAIL",
    b"ER04",
    b"EVENT",
    b"21",
    b"25",
    b"ERXUDP",
    b"EPANDESC",
    b"  Channel:21",
    b"  PairID:0012",
    b"SKSENDTO",
    b"SKSETPWD",
    b"EINFO",
    b"0E1A",
    b"0012",
    b"04D0",
    b"FFFF",
    b"-1",
    b"0x12",
    b"1_0",
    METER.encode(),
    MAC.encode(),
    b"\r\n",
    b"\n",
    b"\r",
    b"\x00",
    b"\xff",
]
INSERTS = [b" ", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\x7f", b"ERXUDP ", b"EPANDESC\r\n"]
INTERESTING_BYTES = [0x00, 0x0A, 0x0D, 0x20, 0x30, 0x3A, 0x41, 0x46, 0x7F, 0x80, 0xFF]
BAD_LENGTHS = ["FFFF", "04D1", "9999", "00G2", "ZZZZ", "-001", "+012", "0x12", "1_0", "", "00 12"]
PRINTABLE = string.printable.encode()


def _position(rng: random.Random, data: bytearray) -> int:
    return rng.randint(0, len(data))


def _flip_bits(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        if data:
            bit = rng.randrange(8 * len(data))
            data[bit >> 3] ^= 1 << (bit & 7)


def _overwrite(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 3)):
        if data:
            value = rng.choice(INTERESTING_BYTES) if rng.random() < 0.5 else rng.getrandbits(8)
            data[rng.randrange(len(data))] = value


def _insert(rng: random.Random, data: bytearray) -> None:
    position = _position(rng, data)
    if rng.random() < 0.5:
        data[position:position] = rng.choice(INSERTS)
    else:
        data[position:position] = rng.randbytes(rng.randint(1, 4))


def _delete(rng: random.Random, data: bytearray) -> None:
    if data:
        position = rng.randrange(len(data))
        del data[position : position + rng.randint(1, 8)]


def _truncate(rng: random.Random, data: bytearray) -> None:
    if rng.random() < 0.7:
        del data[_position(rng, data) :]
    else:
        del data[: _position(rng, data)]


def _join_lines(rng: random.Random, data: bytearray) -> None:
    """Take out one line end: two lines become one."""
    ends = [i for i, byte in enumerate(data) if byte == 0x0A]
    if ends:
        end = rng.choice(ends)
        start = end - 1 if end and data[end - 1] == 0x0D and rng.random() < 0.7 else end
        del data[start : end + 1]


def _splice(rng: random.Random, data: bytearray) -> None:
    """Another item's line (or part of one) put in, as when two outputs interleave."""
    line = rng.choice(LINES)
    if rng.random() < 0.5:
        line = line[: rng.randint(0, len(line))]
    position = _position(rng, data)
    data[position:position] = line


def _token_soup(rng: random.Random, data: bytearray) -> None:
    """One space-separated field replaced, dropped, doubled, or SK words strewn in."""
    tokens = bytes(data).split(b" ")
    index = rng.randrange(len(tokens))
    roll = rng.random()
    if roll < 0.3:
        tokens[index] = rng.choice(SK_WORDS)
    elif roll < 0.5:
        del tokens[index]
    elif roll < 0.7:
        tokens.insert(index, tokens[index])
    else:
        tokens.insert(index, rng.randbytes(rng.randint(0, 70)).replace(b"\n", b""))
    data[:] = b" ".join(tokens)


def _random_bytes(rng: random.Random, data: bytearray) -> None:
    data[:] = rng.randbytes(rng.randint(0, 300))


def _random_text(rng: random.Random, data: bytearray) -> None:
    if rng.random() < 0.5:
        data[:] = bytes(rng.choices(PRINTABLE, k=rng.randint(0, 200)))
    else:
        data[:] = b" ".join(rng.choices(SK_WORDS, k=rng.randint(1, 25)))


def _overlong(rng: random.Random, data: bytearray) -> None:
    """A line the parser does not keep: about MAX_LINE bytes, or far more, without a line end."""
    length = rng.choice([MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, rng.randint(MAX_LINE, 3 * MAX_LINE)])
    filler = bytes(rng.choices(PRINTABLE.replace(b"\n", b""), k=64))
    position = _position(rng, data)
    data[position:position] = (filler * (length // 64 + 1))[:length]


OPERATORS: list[Callable[[random.Random, bytearray], None]] = [
    _flip_bits,
    _overwrite,
    _insert,
    _delete,
    _truncate,
    _join_lines,
    _splice,
    _token_soup,
]


def _mutate_item(rng: random.Random, item: bytes) -> bytes:
    data = bytearray(item)
    roll = rng.random()
    if roll < 0.04:
        _random_bytes(rng, data)
    elif roll < 0.08:
        _random_text(rng, data)
    elif roll < 0.09:
        _overlong(rng, data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        rng.choice(OPERATORS)(rng, data)
    return bytes(data)


# ECHONET Lite: EDTs pushed to the edges of what the meter value decoders accept.
DATED = {0x98, 0xD0, 0xEA, 0xEB, 0xEC, 0xEE}
U32_EDGES = [0, 1, 999_999, 1_000_000, 10**8, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE]
YEARS = [0, 1, 2, 2025, 9999, 10_000, 0xFFFF]
MONTHS = [0, 1, 2, 12, 13, 0xFF]
DAYS = [0, 1, 28, 29, 31, 32]
TIMES = [0, 1, 23, 24, 59, 60, 0xFF]


def _edge_edt(rng: random.Random, epc: int, edt: bytes) -> bytes:
    data = bytearray(edt)
    if epc in DATED and len(data) >= 4 and rng.random() < 0.7:
        data[0:4] = rng.choice(YEARS).to_bytes(2) + bytes([rng.choice(MONTHS), rng.choice(DAYS)])
        for index in range(4, min(7, len(data))):
            data[index] = rng.choice(TIMES)
        if epc in (0xEC, 0xEE) and len(data) >= 7:
            data[6] = rng.choice([0, 1, 2, 10, 12, 13, 0xFF])
        return bytes(data)
    if epc in (0xE2, 0xE4) and len(data) >= 2:
        data[0:2] = rng.choice([0, 1, 99, 100, 0xFFFF]).to_bytes(2)
        return bytes(data)
    if len(data) >= 4:
        offset = rng.randrange(0, len(data) - 3)
        data[offset : offset + 4] = rng.choice(U32_EDGES).to_bytes(4)
        return bytes(data)
    return bytes(rng.choice([0, 1, 4, 5, 8, 9, 0x0A, 0x0D, 0x0E, 0xFF]) for _ in data)


def _mutate_frame(rng: random.Random, frame: Frame) -> bytes:
    """A frame changed inside its properties (still a frame), or in its bytes (maybe not)."""
    roll = rng.random()
    props = list(frame.properties)
    if roll < 0.55 and props:
        index = rng.randrange(len(props))
        prop = props[index]
        if rng.random() < 0.6:
            edt = _edge_edt(rng, prop.epc, prop.edt)
        else:
            data = bytearray(prop.edt)
            rng.choice(OPERATORS[:5])(rng, data)
            edt = bytes(data)
        epc = prop.epc if rng.random() < 0.8 else rng.choice(sorted(DECODERS))
        props[index] = Property(epc, edt[:0xFF])
        return encode_frame(frame._replace(properties=tuple(props)))
    data = bytearray(encode_frame(frame))
    if roll < 0.7:
        # EHD1, EHD2, ESV or OPC.
        data[rng.choice([0, 1, 10, 11])] = rng.getrandbits(8)
    else:
        for _ in range(rng.randint(1, 2)):
            rng.choice(OPERATORS[:5])(rng, data)
    return bytes(data)


def _hex_or_none(token: str) -> int | None:
    try:
        return int(token, 16)
    except ValueError:
        return None


def _erxudp_case(rng: random.Random, mode: Mode) -> tuple[bytes, bytes | None]:
    """An ERXUDP around a (usually mutated) frame; the payload if the SK side is intact."""
    dialect = mode.dialect or rng.choice(list(Dialect))
    frame = rng.choice(FRAMES)
    payload = _mutate_frame(rng, frame) if rng.random() < 0.85 else encode_frame(frame)
    intact = bool(payload) or mode.binary  # an empty hex payload is a missing field
    length = None
    if mode.binary and rng.random() < 0.3:
        # CR and LF in a binary payload: the length still fits, or does not any more.
        data = bytearray(payload)
        ends = [i for i, byte in enumerate(data) if byte in (0x0A, 0x0D)]
        if ends and rng.random() < 0.4:
            del data[rng.choice(ends)]
        else:
            position = _position(rng, data)
            data[position:position] = rng.choice([b"\r\n", b"\r", b"\n", b"\r\nOK\r\n"])
        if rng.random() < 0.5:
            length = f"{len(payload):04X}"
            intact = False
        payload = bytes(data)
    roll = rng.random()
    if roll < 0.25:
        size = len(payload)
        length = rng.choice(
            [
                f"{size + rng.randint(1, 40):04X}",
                f"{max(size - rng.randint(1, 40), 0):04X}",
                f"{size:X}",  # no leading zeros: still the right length
                rng.choice(BAD_LENGTHS),
            ]
        )
        intact = intact and _hex_or_none(length) == size
    elif roll < 0.3:
        length = f"{len(payload):04X}"
        payload = payload[: rng.randint(0, len(payload))]
        intact = intact and length == f"{len(payload):04X}"
    if len(payload) > MAX_UDP_PAYLOAD:
        intact = False
    data = erxudp(dialect, payload, binary=mode.binary, length=length)
    if rng.random() < 0.3:
        data += rng.choice(LINES)  # a line right behind it
    return data, payload if intact else None


# -- decoding what the parser accepts -----------------------------------------------------------


@dataclasses.dataclass
class Tally:
    """What became of the fuzzed input."""

    rounds: int = 0
    input_bytes: int = 0
    input_lines: int = 0
    accepted: int = 0
    rejected: int = 0
    kinds: dict[str, int] = dataclasses.field(default_factory=dict)
    datagrams: int = 0
    frames: int = 0
    bad_frames: int = 0
    values: int = 0
    bad_values: int = 0
    resync_checks: int = 0
    per_mode: dict[str, list[int]] = dataclasses.field(default_factory=dict)

    def count(self, mode: Mode, messages: list[SkMessage]) -> None:
        accepted_rejected = self.per_mode.setdefault(mode.name, [0, 0])
        for message in messages:
            name = type(message).__name__
            self.kinds[name] = self.kinds.get(name, 0) + 1
            if isinstance(message, Unparsed):
                self.rejected += 1
                accepted_rejected[1] += 1
            else:
                self.accepted += 1
                accepted_rejected[0] += 1


def _value(tally: Tally, decode: Callable[..., Any], *args: Any) -> Any:
    try:
        result = decode(*args)
    except LIBRARY_ERRORS:
        tally.bad_values += 1
        return None
    tally.values += 1
    return result


DECODERS: dict[int, Callable[[bytes], object]] = {
    0x98: _meter_date,
    0x9D: decode_property_map,
    0x9E: decode_property_map,
    0x9F: decode_property_map,
    0xD0: parse_one_minute,
    0xD3: parse_coefficient,
    0xD7: parse_digits,
    0xE0: parse_cumulative,
    0xE1: parse_unit,
    0xE3: parse_cumulative,
    0xE7: parse_power,
    0xE8: parse_current,
    0xEA: parse_fixed_time,
    0xEB: parse_fixed_time,
    0xEC: parse_history_2,
    0xEE: parse_history_3,
}


def decode_datagram(data: bytes, tally: Tally) -> None:
    """What the meter code does with a datagram: a frame, then the values it knows."""
    tally.datagrams += 1
    try:
        frame = decode_frame(data)
    except EchonetError:
        tally.bad_frames += 1
        return
    tally.frames += 1
    values = {p.epc: p.edt for p in (*frame.properties, *frame.get_properties) if p.edt}
    decoded = {
        epc: _value(tally, DECODERS[epc], edt) for epc, edt in values.items() if epc in DECODERS
    }
    if 0x98 in values or 0x97 in values:
        _value(tally, _meter_time, values)
    today = decoded.get(0x98) or TODAY
    for epc in (0xE2, 0xE4):
        if epc in values:
            _value(tally, parse_history_day, values[epc], today)
    scale = EnergyScale(
        decoded.get(0xD3) or 1,
        decoded.get(0xE1) or 0,
        decoded.get(0xD7) or 8,
    )
    counts = [decoded.get(epc) for epc in (0xE0, 0xE3)]
    for count in counts:
        if count is not None:
            _value(tally, scale.kwh, count)
    if None not in counts:
        _value(tally, scale.delta_kwh, *counts)


# -- the parser fuzz ----------------------------------------------------------------------------


def _feed_chunked(rng: random.Random, parser: SkStreamParser, data: bytes) -> list[SkMessage]:
    """Feed in chunks as a serial port delivers them; the buffer never outgrows a line."""
    most = 1 if len(data) <= 64 and rng.random() < 0.1 else rng.choice((4, 16, 64, 64, 256, 4096))
    messages: list[SkMessage] = []
    position = 0
    while position < len(data):
        step = rng.randint(1, most)
        messages += parser.feed(data[position : position + step])
        assert parser.pending <= MAX_LINE
        position += step
    return messages


def _check_messages(messages: list[SkMessage]) -> None:
    for message in messages:
        if isinstance(message, UdpReceived):
            assert len(message.data) <= MAX_UDP_PAYLOAD
        elif isinstance(message, Echo) and message.command in SECRET_COMMANDS:
            assert message.arguments == ()  # a secret never stays in a message


def _round_input(rng: random.Random, mode: Mode) -> tuple[bytes, bytes | None]:
    """One round's bytes: an ERXUDP around a mutated frame, or mutated and clean SK output."""
    if rng.random() < 0.25:
        return _erxudp_case(rng, mode)
    corpus = CORPUS[mode]
    parts = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        item, _ = rng.choice(corpus)
        parts.append(_mutate_item(rng, item) if rng.random() < 0.8 else item)
    return b"".join(parts), None


def _resync(rng: random.Random, mode: Mode, parser: SkStreamParser) -> None:
    """Garbage is behind: line ends, then a valid item parses as on a fresh parser."""
    parser.feed(mode.flush)
    assert parser.pending == 0
    item, expected = rng.choice(CORPUS[mode])
    messages = _feed_chunked(rng, parser, item)
    assert messages[len(messages) - len(expected) :] == expected, (mode.name, item, messages)


def fuzz_parser(seed: int, rounds: int) -> Tally:
    """Fuzz `rounds` rounds; an exception other than the library's fails with the input."""
    rng = random.Random(seed)
    tally = Tally()
    for round_number in range(rounds):
        mode = MODES[round_number % len(MODES)]
        data, payload = _round_input(rng, mode)
        context = f"round {round_number}, {mode.name}, input {data!r}"
        try:
            whole = mode.parser().feed(data)
            chunked_parser = mode.parser()
            chunked = _feed_chunked(rng, chunked_parser, data)
        except Exception as err:
            raise AssertionError(f"the parser raised {err!r} at {context}") from err
        assert chunked == whole, f"chunking changed the messages at {context}"
        _check_messages(whole)
        tally.count(mode, whole)
        tally.rounds += 1
        tally.input_bytes += len(data)
        tally.input_lines += data.count(b"\n")
        if payload is not None:
            udp = [m for m in whole if isinstance(m, UdpReceived)]
            assert udp, f"an intact ERXUDP was refused at {context}: {whole}"
            assert udp[0].data == payload, context
        for message in whole:
            if isinstance(message, UdpReceived):
                try:
                    decode_datagram(message.data, tally)
                except Exception as err:
                    raise AssertionError(
                        f"decoding bytes.fromhex({message.data.hex()!r}) raised {err!r}"
                    ) from err
        if round_number % RESYNC_EVERY == 0:
            _resync(rng, mode, chunked_parser)
            tally.resync_checks += 1
    return tally


def test_the_corpus_is_valid_and_the_fuzz_deterministic() -> None:
    """Every corpus item parses cleanly in its mode, and a seed gives the same rounds."""
    for mode in MODES:
        assert len(CORPUS[mode]) > 40
        kinds = {type(m) for _, expected in CORPUS[mode] for m in expected}
        assert {Echo, Ok, Reply, SkEvent, PanDescriptor, UdpReceived} <= kinds
    rng_a, rng_b = random.Random(SEED), random.Random(SEED)
    first = [_round_input(rng_a, MODES[i % len(MODES)]) for i in range(2_000)]
    assert first == [_round_input(rng_b, MODES[i % len(MODES)]) for i in range(2_000)]
    originals = {item for mode in MODES for item, _ in CORPUS[mode]}
    assert sum(data in originals for data, _ in first) < len(first) // 5


def test_a_hundred_thousand_mutated_sk_streams(
    record_property: Callable[[str, object], None],
) -> None:
    started = time.perf_counter()
    tally = fuzz_parser(SEED, ROUNDS)
    elapsed = time.perf_counter() - started
    assert tally.rounds == ROUNDS
    assert tally.resync_checks == ROUNDS // RESYNC_EVERY
    # Both outcomes in earnest, in every mode: a broken mutator shows up as all one or the other.
    assert tally.accepted > ROUNDS // 10
    assert tally.rejected > ROUNDS // 10
    for accepted, rejected in tally.per_mode.values():
        assert accepted > 1_000
        assert rejected > 1_000
    assert tally.frames > 1_000
    assert tally.bad_frames > 1_000
    assert tally.values > 1_000
    assert tally.bad_values > 1_000
    record_property("seconds", round(elapsed, 2))
    record_property("rounds_per_second", round(ROUNDS / elapsed))
    record_property("lines_per_second", round(tally.input_lines / elapsed))
    record_property("datagrams_per_second", round(tally.datagrams / elapsed))
    record_property("tally", dataclasses.asdict(tally))


# -- the driver on a real pseudo-terminal -------------------------------------------------------


async def _until_marker(dongle: SkDongle, marker: SkEvent) -> list[SkMessage]:
    """Every radio message up to and including the marker event."""
    received: list[SkMessage] = []
    while True:
        event = await dongle.next_event(5)
        received.append(event)
        if event == marker:
            return received


@pytest.mark.parametrize(
    ("dialect", "binary"), [("bp35a1", False), ("bp35c", True)], ids=["bp35a1-hex", "bp35c-binary"]
)
async def test_the_driver_reads_through_mutated_lines_on_a_pty(dialect: str, binary: bool) -> None:
    meter = _simulated_meter()
    model = DongleModel(
        dialect=dialect, binary_payload=binary, meter=MeterRadio(responder=meter.answer)
    )
    pty = PtyDongle(model)
    await pty.start()
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    dongle = await SkDongle.open(pty.path)
    try:
        info = await dongle.detect()
        mode = Mode(info.dialect, info.binary_payload)
        assert mode == Mode(Dialect.BP35C if model.has_side else Dialect.BP35A1, binary)
        side = " 0" if model.has_side else ""
        rng = random.Random(SEED)
        lines = [line for line in LINES if _expected_or_none(mode, line) is not None]
        valid = [item for item, _ in CORPUS[mode] if b"SKSENDTO" not in item]
        offline = mode.parser()
        expected_radio: list[SkMessage] = []
        received: list[SkMessage] = []
        offline_unparsed = 0
        for batch in range(PTY_LINES // PTY_BATCH):
            stream = bytearray()
            for index in range(PTY_BATCH):
                stream += _mutate_item(rng, rng.choice(lines))
                if index % 10 == 9:
                    stream += rng.choice(valid)  # a valid answer among the garbage
            marker = SkEvent(0x33, f"MARK{batch:04d}", 0 if side else None)
            stream += mode.flush + f"EVENT 33 {marker.sender}{side}\r\n".encode()
            for start in range(0, len(stream), 997):  # in pieces, as a dongle writes
                pty.write(bytes(stream[start : start + 997]))
            messages = offline.feed(bytes(stream))
            assert offline.pending == 0
            offline_unparsed += sum(isinstance(m, Unparsed) for m in messages)
            expected_radio += [
                m for m in messages if isinstance(m, (SkEvent, PanDescriptor, UdpReceived))
            ]
            received += await _until_marker(dongle, marker)
            assert received == expected_radio, f"batch {batch}"
            if batch % 10 == 9:
                assert (await dongle.command("SKVER"))[-1] == Ok()
        assert dongle.unparsed == offline_unparsed > PTY_LINES // 10
        assert sum(isinstance(m, UdpReceived) for m in received) > 100

        # Afterwards the driver still works: its own answer, then a Get of the meter.
        einfo = [r for r in await dongle.command("SKINFO") if isinstance(r, Reply)]
        assert einfo[0].keyword == "EINFO"
        assert einfo[0].fields[1] == model.mac
        radio = model.meter
        await dongle.command("SKSETRBID", radio.rbid)
        await dongle.command("SKSETPWD", f"{len(radio.password):X}", radio.password)
        await dongle.command("SKJOIN", radio.address)
        while not (isinstance(event := await dongle.next_event(5), SkEvent) and event.code == 0x25):
            pass
        request = Frame(0x4D2, CONTROLLER, METER_EOJ, ESV.GET, (Property(0xE7),))
        await dongle.send_udp(radio.address, encode_frame(request))
        while not (
            isinstance(event := await dongle.next_event(5), UdpReceived)
            and event.remote_port == 0x0E1A
        ):
            pass
        answer = decode_frame(event.data)
        assert (answer.tid, answer.esv) == (request.tid, ESV.GET_RES)
        assert answer.properties[0].edt == meter.properties()[0xE7]
        assert parse_power(answer.properties[0].edt) is not None
        assert dongle.disconnected is None
        assert dongle._read_task is not None
        assert not dongle._read_task.done()
    finally:
        loop.set_exception_handler(previous_handler)
        await dongle.close()
        await pty.stop()
    assert reported == []


def _expected_or_none(mode: Mode, line: bytes) -> list[SkMessage] | None:
    messages = mode.parser().feed(line)
    return None if any(isinstance(m, Unparsed) for m in messages) else messages
