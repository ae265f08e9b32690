"""The SK stream parser: every message kind, both dialects, any chunking, any garbage."""

import random

import pytest

from custom_components.denki.lib.broute import (
    MAX_UDP_PAYLOAD,
    Dialect,
    Echo,
    Fail,
    Ok,
    PanDescriptor,
    Reply,
    SkEvent,
    SkMessage,
    SkStreamParser,
    UdpReceived,
    Unparsed,
)

METER = "FE80:0000:0000:0000:1234:5678:9ABC:DEF0"
ME = "FE80:0000:0000:0000:021D:1290:0003:C890"
MAC = "12345678ABCDEF01"
# A Get_Res from a smart meter: instantaneous power 0xE7 = 500 W.
FRAME = bytes.fromhex("1081000102880105FF017201E704000001F4")


def parse(data: bytes, dialect: Dialect | None = None, *, binary: bool = False) -> list[SkMessage]:
    return SkStreamParser(dialect, binary_payload=binary).feed(data)


def parse_bytewise(
    data: bytes, dialect: Dialect | None = None, *, binary: bool = False
) -> list[SkMessage]:
    parser = SkStreamParser(dialect, binary_payload=binary)
    messages: list[SkMessage] = []
    for byte in data:
        messages += parser.feed(bytes([byte]))
    return messages


def test_ok_and_fail() -> None:
    assert parse(b"OK\r\nOK 01\r\nFAIL ER04\r\nFAIL ER10\r\n") == [
        Ok(),
        Ok("01"),
        Fail("ER04"),
        Fail("ER10"),
    ]
    assert Fail("ER05").number == 5
    assert Fail("EXX").number is None


@pytest.mark.parametrize(
    ("line", "dialect", "expected"),
    [
        # BP35A1: no side; only EVENT 21 has a parameter.
        (f"EVENT 20 {METER}", Dialect.BP35A1, SkEvent(0x20, METER)),
        (f"EVENT 21 {METER} 00", Dialect.BP35A1, SkEvent(0x21, METER, None, 0)),
        (f"EVENT 25 {METER}", Dialect.BP35A1, SkEvent(0x25, METER)),
        # BP35C0/C2: the side comes first.
        (f"EVENT 25 {METER} 0", Dialect.BP35C, SkEvent(0x25, METER, 0)),
        (f"EVENT 21 {METER} 0 01", Dialect.BP35C, SkEvent(0x21, METER, 0, 1)),
        (f"EVENT 32 {METER} 1", Dialect.BP35C, SkEvent(0x32, METER, 1)),
        # Before the dialect is known, the field count decides.
        (f"EVENT 21 {METER} 02", None, SkEvent(0x21, METER, None, 2)),
        (f"EVENT 21 {METER} 0 02", None, SkEvent(0x21, METER, 0, 2)),
        (f"EVENT 29 {METER} 0", None, SkEvent(0x29, METER, 0)),
        (f"EVENT 22 {METER}", None, SkEvent(0x22, METER)),
    ],
)
def test_events(line: str, dialect: Dialect | None, expected: SkEvent) -> None:
    assert parse(f"{line}\r\n".encode(), dialect) == [expected]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("EVENT", "EVENT without a number and a sender"),
        (f"EVENT ZZ {METER}", "event number 'ZZ' is not hexadecimal"),
        (f"EVENT 21 {METER} 0 1 2", "EVENT with too many fields"),
    ],
)
def test_bad_events(line: str, reason: str) -> None:
    [message] = parse(f"{line}\r\n".encode())
    assert isinstance(message, Unparsed)
    assert message.reason == reason


def test_a1_event_with_side_and_param_is_refused() -> None:
    """A BP35A1 has no side: a lone field is a parameter, two are one too many."""
    assert parse(f"EVENT 25 {METER} 1\r\n".encode(), Dialect.BP35A1) == [
        SkEvent(0x25, METER, None, 1)
    ]
    [message] = parse(f"EVENT 21 {METER} 0 01\r\n".encode(), Dialect.BP35A1)
    assert message == Unparsed(
        "EVENT with a field this dialect does not have", f"EVENT 21 {METER} 0 01"
    )


def test_hex_erxudp_both_dialects() -> None:
    a1 = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 {len(FRAME):04X} {FRAME.hex().upper()}\r\n"
    c = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} A8 1 0 {len(FRAME):04X} {FRAME.hex()}\r\n"
    expected_a1 = UdpReceived(METER, ME, 0x0E1A, 0x0E1A, MAC, True, FRAME)
    expected_c = UdpReceived(METER, ME, 0x0E1A, 0x0E1A, MAC, True, FRAME, lqi=0xA8, side=0)
    # The field count tells the dialects apart until it is known...
    assert parse(a1.encode()) == [expected_a1]
    assert parse(c.encode()) == [expected_c]
    # ...and once known, a line of the other dialect is refused.
    assert parse(a1.encode(), Dialect.BP35A1) == [expected_a1]
    [wrong] = parse(a1.encode(), Dialect.BP35C)
    assert isinstance(wrong, Unparsed)
    assert wrong.reason == "ERXUDP with 9 fields"


def test_pana_traffic_is_still_a_datagram() -> None:
    """PANA (port 0x02CC) arrives as ERXUDP too: filtering it is the session's job."""
    line = f"ERXUDP {METER} {ME} 02CC 02CC {MAC} 0 0002 ABCD\r\n"
    [message] = parse(line.encode())
    assert isinstance(message, UdpReceived)
    assert (message.remote_port, message.secured, message.data) == (0x02CC, False, b"\xab\xcd")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0004 0102",
            "ERXUDP announces 4 bytes and carries 2",
        ),
        (f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0002 01XY", "ERXUDP payload is not hexadecimal"),
        (f"ERXUDP {METER} {ME} 0E1A 0E1A 1 0002 0102", "ERXUDP with 8 fields"),
        (f"ERXUDP {METER} {ME} PORT 0E1A {MAC} 1 0002 0102", "port 'PORT' is not hexadecimal"),
        (f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 FFFF 0102", "ERXUDP announces 65535 bytes"),
    ],
)
def test_bad_hex_erxudp(line: str, reason: str) -> None:
    [message] = parse(f"{line}\r\n".encode())
    assert message == Unparsed(reason, line)


@pytest.mark.parametrize("dialect", list(Dialect))
def test_binary_erxudp_payload_may_hold_line_ends(dialect: Dialect) -> None:
    """In binary mode the payload is read by its length, CR and LF included."""
    payload = b"\x10\x81\r\n\x00OK\r\nEVENT 25\r\n\xff"
    header = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 "
    if dialect is Dialect.BP35C:
        header = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 9C 1 1 "
    stream = header.encode() + f"{len(payload):04X} ".encode() + payload + b"\r\nOK\r\n"
    for messages in (
        parse(stream, dialect, binary=True),
        parse_bytewise(stream, dialect, binary=True),
    ):
        assert len(messages) == 2
        assert isinstance(messages[0], UdpReceived)
        assert messages[0].data == payload
        assert messages[0].side == (1 if dialect is Dialect.BP35C else None)
        assert messages[1] == Ok()


def test_binary_erxudp_waits_for_the_whole_payload() -> None:
    parser = SkStreamParser(Dialect.BP35A1, binary_payload=True)
    head = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0012 ".encode()
    assert parser.feed(head + FRAME[:5]) == []
    assert parser.pending == len(head) + 5
    [message] = parser.feed(FRAME[5:] + b"\r\n")
    assert isinstance(message, UdpReceived)
    assert message.data == FRAME
    assert parser.pending == 0


@pytest.mark.parametrize(
    ("stream", "reason"),
    [
        (f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0FFF ".encode(), "ERXUDP announces 4095 bytes"),
        (
            f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0002 AB!!".encode(),
            "ERXUDP payload is not followed by CR LF",
        ),
        (
            f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 00G2 ".encode(),
            "payload length '00G2' is not hexadecimal",
        ),
        (b"ERXUDP " + b"A" * 80 + b" ", "binary message header field is too long"),
        (b"ERXUDP \xff\xfe ", "binary message header is not ASCII"),
    ],
)
def test_bad_binary_erxudp_resynchronises(stream: bytes, reason: str) -> None:
    messages = parse(stream + b"\r\nOK\r\n", Dialect.BP35A1, binary=True)
    assert isinstance(messages[0], Unparsed)
    assert messages[0].reason == reason
    assert messages[-1] == Ok()


def test_binary_mode_needs_a_dialect() -> None:
    with pytest.raises(ValueError, match="known dialect"):
        SkStreamParser(None, binary_payload=True)
    parser = SkStreamParser()
    parser.configure(Dialect.BP35C, binary_payload=True)
    assert (parser.dialect, parser.binary_payload) == (Dialect.BP35C, True)


A1_SCAN = (
    f"EVENT 20 {METER}\r\n"
    "EPANDESC\r\n"
    "  Channel:21\r\n"
    "  Channel Page:09\r\n"
    "  Pan ID:8888\r\n"
    f"  Addr:{MAC}\r\n"
    "  LQI:E1\r\n"
    "  PairID:0012ABCD\r\n"
    f"EVENT 22 {ME}\r\n"
)


def test_pandesc_block() -> None:
    assert parse(A1_SCAN.encode(), Dialect.BP35A1) == [
        SkEvent(0x20, METER),
        PanDescriptor(0x21, 0x09, 0x8888, MAC, 0xE1, None, "0012ABCD"),
        SkEvent(0x22, ME),
    ]
    assert parse_bytewise(A1_SCAN.encode(), Dialect.BP35A1) == parse(
        A1_SCAN.encode(), Dialect.BP35A1
    )


def test_pandesc_block_with_side_and_without_pair_id() -> None:
    stream = (
        f"EVENT 20 {METER} 0\r\nEPANDESC\r\n  Channel:3B\r\n  Channel Page:09\r\n"
        f"  Pan ID:1A2B\r\n  Addr:{MAC}\r\n  LQI:7F\r\n  Side:0\r\nEVENT 22 {ME} 0\r\n"
    )
    assert parse(stream.encode(), Dialect.BP35C) == [
        SkEvent(0x20, METER, 0),
        PanDescriptor(0x3B, 0x09, 0x1A2B, MAC, 0x7F, 0, None),
        SkEvent(0x22, ME, 0),
    ]


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ("  Channel:21\r\n  Pan ID:8888\r\n", "EPANDESC without channel_page"),
        ("  Channel:21\r\n  Weather:fine\r\n", "unknown EPANDESC field"),
        (
            f"  Channel:2Z\r\n  Channel Page:09\r\n  Pan ID:8888\r\n  Addr:{MAC}\r\n  LQI:E1\r\n",
            "channel '2Z' is not hexadecimal",
        ),
    ],
)
def test_bad_pandesc_block(block: str, reason: str) -> None:
    messages = parse(f"EPANDESC\r\n{block}OK\r\n".encode())
    assert isinstance(messages[0], Unparsed)
    assert messages[0].reason == reason
    assert messages[-1] == Ok()


def test_echo_and_replies() -> None:
    stream = (
        "SKINFO\r\n"
        f"EINFO {ME} 001D129000030C89 21 8888 FFFE\r\n"
        "OK\r\n"
        "SKVER\r\nEVER 1.2.10\r\nOK\r\n"
        "ROPT\r\nOK 01\r\n"
    )
    assert parse(stream.encode()) == [
        Echo("SKINFO"),
        Reply("EINFO", (ME, "001D129000030C89", "21", "8888", "FFFE")),
        Ok(),
        Echo("SKVER"),
        Reply("EVER", ("1.2.10",)),
        Ok(),
        Echo("ROPT"),
        Ok("01"),
    ]


def test_secrets_are_not_kept_from_echoes() -> None:
    password = "0123456789AB"
    rbid = "00112233445566778899AABBCCDDEEFF"
    messages = parse(f"SKSETPWD C {password}\r\nOK\r\nSKSETRBID {rbid}\r\nOK\r\n".encode())
    assert messages == [Echo("SKSETPWD"), Ok(), Echo("SKSETRBID"), Ok()]
    assert password not in repr(messages)
    assert rbid not in repr(messages)


@pytest.mark.parametrize(
    ("dialect", "args"), [(Dialect.BP35A1, "1 {ip} 0E1A 1"), (Dialect.BP35C, "1 {ip} 0E1A 1 0")]
)
def test_sksendto_echo_skips_its_binary_payload(dialect: Dialect, args: str) -> None:
    payload = b"\x10\x81\r\nOK\r\n\x00"
    head = f"SKSENDTO {args.format(ip=METER)} {len(payload):04X} ".encode()
    stream = head + payload + b"\r\n" + f"EVENT 21 {METER} 00\r\nOK\r\n".encode()
    messages = parse_bytewise(stream, dialect)
    assert isinstance(messages[0], Echo)
    assert messages[0].command == "SKSENDTO"
    assert messages[-1] == Ok()
    assert len(messages) == 3


@pytest.mark.parametrize(
    ("noise", "reason"),
    [
        (b"\xff\xfe\x80garbage", "line is not ASCII"),
        (b"OK\x07", "line holds control characters"),
        (b"HELLO WORLD", "unknown line"),
        (b"FAIL", "unknown line"),
        (b"x" * 5000, "no line end within 4096 bytes"),
    ],
    ids=["not-ascii", "control", "unknown", "bare-fail", "overlong"],
)
def test_garbage_is_reported_and_the_stream_recovers(noise: bytes, reason: str) -> None:
    messages = parse(noise + b"\r\n" + b"OK\r\n")
    assert isinstance(messages[0], Unparsed)
    assert messages[0].reason == reason
    assert messages[-1] == Ok()


def test_overlong_line_is_the_same_however_it_is_chunked() -> None:
    stream = b"y" * 9000 + b" OK\r\nOK\r\n"
    expected = [Unparsed("no line end within 4096 bytes", ""), Ok()]
    assert parse(stream) == expected
    parser = SkStreamParser()
    chunked = [
        m
        for start in range(0, len(stream), 1000)
        for m in parser.feed(stream[start : start + 1000])
    ]
    assert chunked == expected


def test_overlong_line_inside_a_pandesc_block_closes_it() -> None:
    messages = parse(b"EPANDESC\r\n  Channel:21\r\n  " + b"z" * 5000 + b"\r\nOK\r\n")
    assert messages == [Unparsed("no line end within 4096 bytes", ""), Ok()]


def test_a_nul_line_is_not_mistaken_for_an_overlong_one() -> None:
    [message] = parse(b"\x00\r\n")
    assert message == Unparsed("line holds control characters", "\x00")


def test_blank_lines_and_bare_lf_are_tolerated() -> None:
    assert parse(b"\r\n\r\nOK\nOK 01\r\n") == [Ok(), Ok("01")]


def _valid_stream(rng: random.Random) -> bytes:
    parts = [
        b"OK\r\n",
        b"FAIL ER05\r\n",
        f"EVENT 21 {METER} 00\r\n".encode(),
        A1_SCAN.encode(),
        f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 {len(FRAME):04X} {FRAME.hex()}\r\n".encode(),
        b"SKSETPWD C 0123456789AB\r\n",
        f"EINFO {ME} 001D129000030C89 21 8888 FFFE\r\n".encode(),
    ]
    return b"".join(rng.choice(parts) for _ in range(rng.randint(1, 12)))


def test_chunking_never_changes_the_messages() -> None:
    rng = random.Random(1)
    for _ in range(300):
        stream = _valid_stream(rng)
        whole = parse(stream)
        parser = SkStreamParser()
        chunked: list[SkMessage] = []
        position = 0
        while position < len(stream):
            step = rng.randint(1, 40)
            chunked += parser.feed(stream[position : position + step])
            position += step
        assert chunked == whole
        assert not any(isinstance(message, Unparsed) for message in whole)


@pytest.mark.parametrize("binary", [False, True])
def test_fuzzed_input_never_raises_and_the_parser_recovers(binary: bool) -> None:
    """20 000 random and mutated inputs: no exception, and a clean line afterwards still parses."""
    rng = random.Random(0)
    dialect = Dialect.BP35A1 if binary else None
    for round_number in range(20_000):
        if round_number % 2:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
        else:
            data = bytearray(_valid_stream(rng))
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            data = bytes(data[: rng.randint(0, len(data))])
        parser = SkStreamParser(dialect, binary_payload=binary)
        parser.feed(data)
        # Whatever came before, a line end and a clean line bring it back,
        # unless a binary payload of at most MAX_UDP_PAYLOAD bytes is still owed.
        tail = parser.feed(b"\r\n" + b"\r\n" * (MAX_UDP_PAYLOAD // 2 + 2) + b"OK\r\n")
        assert tail[-1] == Ok(), (round_number, data)


def test_sksendto_echo_without_line_end_and_with_a_bad_length() -> None:
    payload = b"\x10\x81\x00\x01"
    stream = f"SKSENDTO 1 {METER} 0E1A 1 0004 ".encode() + payload + b"OK\r\n"
    assert parse(stream, Dialect.BP35A1) == [
        Echo("SKSENDTO", ("1", METER, "0E1A", "1", "0004")),
        Ok(),
    ]
    [bad, ok] = parse(f"SKSENDTO 1 {METER} 0E1A 1 9999 \r\nOK\r\n".encode(), Dialect.BP35A1)
    assert bad == Unparsed("SKSENDTO announces 39321 bytes", f"SKSENDTO 1 {METER} 0E1A 1 9999")
    assert ok == Ok()
