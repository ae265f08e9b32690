"""Line ends (CR LF, LF, CR alone) and every ERXUDP form, in both dialects and payload modes."""

import pytest

from custom_components.denki.lib.broute import (
    Dialect,
    Ok,
    PanDescriptor,
    SkEvent,
    SkStreamParser,
    UdpReceived,
    Unparsed,
)

METER = "FE80:0000:0000:0000:1234:5678:9ABC:DEF0"
ME = "FE80:0000:0000:0000:021D:1290:0003:C890"
MAC = "12345678ABCDEF01"
FRAME = bytes.fromhex("1081000102880105FF017201E704000001F4")


def feed(data: bytes, dialect: Dialect | None = None, *, binary: bool = False) -> list[object]:
    whole = SkStreamParser(dialect, binary_payload=binary).feed(data)
    parser = SkStreamParser(dialect, binary_payload=binary)
    bytewise: list[object] = []
    for byte in data:
        bytewise += parser.feed(bytes([byte]))
    assert bytewise == whole  # chunking never changes the messages
    return list(whole)


@pytest.mark.parametrize("end", [b"\r\n", b"\n", b"\r"])
def test_every_line_end(end: bytes) -> None:
    stream = end.join([b"ROPT", b"OK 01", f"EVENT 25 {METER}".encode(), b"OK", b""])
    assert feed(stream, Dialect.BP35A1)[1:] == [Ok("01"), SkEvent(0x25, METER), Ok()]


def test_ropt_answer_ended_by_cr_alone_then_crlf_lines() -> None:
    """BP35A1 1.2.10+: `OK 01` and CR, then ordinary CR LF lines (momonga reads to CR)."""
    assert feed(b"ROPT\r\nOK 01\rOK\r\n") == [
        feed(b"ROPT\r\n")[0],
        Ok("01"),
        Ok(),
    ]


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r"])
def test_pandesc_with_any_line_end_and_an_unknown_key(end: str) -> None:
    block = end.join(
        [
            "EPANDESC",
            "  Channel:21",
            "  Channel Page:09",
            "  Pan ID:8888",
            f"  Addr:{MAC}",
            "  LQI:E1",
            "  Frequency:922.5",
            "  PairID:0012ABCD",
            "OK",
            "",
        ]
    )
    messages = feed(block.encode(), Dialect.BP35A1)
    assert PanDescriptor(0x21, 0x09, 0x8888, MAC, 0xE1, None, "0012ABCD") in messages
    assert Unparsed("unknown EPANDESC field", "  Frequency:922.5") in messages
    assert messages[-1] == Ok()


FORMS = [
    # (dialect, radio fields, lqi, side, secured)
    (Dialect.BP35A1, "", None, None, True),  # old BP35A1: no SECURED
    (Dialect.BP35A1, "1 ", None, None, True),  # BP35A1 reference 4.1
    (Dialect.BP35A1, "0 ", None, None, False),
    (Dialect.BP35C, "1 0 ", None, 0, True),  # BP35C0/C2, SA2 = 0 (10 fields)
    (Dialect.BP35C, "A8 1 1 ", 0xA8, 1, True),  # after SKSREG SA2 1 (11 fields)
]


@pytest.mark.parametrize("form", FORMS)
# Hex payloads parse with or without a known dialect; binary ones need the dialect (the
# length field's place depends on it), so that pair is not a case.
@pytest.mark.parametrize(("binary", "known"), [(False, True), (False, False), (True, True)])
@pytest.mark.parametrize("end", [b"\r\n", b"\r", b"\n"])
def test_every_erxudp_form(
    form: tuple[Dialect, str, int | None, int | None, bool],
    *,
    binary: bool,
    end: bytes,
    known: bool,
) -> None:
    dialect, radio, lqi, side, secured = form
    payload = FRAME + (b"\r\n\x00" if binary else b"")
    body = payload if binary else payload.hex().upper().encode()
    head = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} {radio}{len(payload):04X} ".encode()
    stream = head + body + end + b"OK" + end
    messages = feed(stream, dialect if known else None, binary=binary)
    assert messages == [
        UdpReceived(METER, ME, 0x0E1A, 0x0E1A, MAC, secured, payload, lqi=lqi, side=side),
        Ok(),
    ]


def test_an_erxudp_of_the_other_dialect_is_refused() -> None:
    c10 = f"ERXUDP {METER} {ME} 0E1A 0E1A {MAC} 1 0 0002 ABCD\r\n".encode()
    [message] = feed(c10, Dialect.BP35A1)
    assert message == Unparsed("ERXUDP with 10 fields", c10.decode().strip())
