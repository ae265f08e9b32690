"""The ECHONET Lite codec: known bytes, every malformation, fuzzing, and pychonet's decoder."""

import random

from pychonet.lib import epc_functions
from pychonet.lib.functions import decodeEchonetMsg
import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    RESPONSES,
    Frame,
    FrameError,
    Property,
    decode_frame,
    decode_property_map,
    encode_frame,
    encode_property_map,
)

METER = EOJ.from_int(0x028801)
GET_POWER = bytes.fromhex("1081000105FF010288016201E700")
GET_POWER_RES = bytes.fromhex("1081000102880105FF017201E704000001F4")


def test_known_get_and_answer() -> None:
    request = Frame(1, CONTROLLER, METER, ESV.GET, (Property(0xE7),))
    assert encode_frame(request) == GET_POWER
    assert decode_frame(GET_POWER) == request
    answer = decode_frame(GET_POWER_RES)
    assert (answer.tid, answer.seoj, answer.deoj, answer.esv) == (1, METER, CONTROLLER, ESV.GET_RES)
    assert answer.properties == (Property(0xE7, bytes.fromhex("000001F4")),)
    assert str(answer.seoj) == "0x028801"
    assert answer.seoj.class_id == 0x0288


def test_setget_carries_two_lists() -> None:
    frame = Frame(
        0xBEEF,
        CONTROLLER,
        EOJ.from_int(0x013001),
        ESV.SETGET,
        (Property(0x80, b"\x30"), Property(0xB3, b"\x1a")),
        (Property(0x80), Property(0xBB)),
    )
    data = encode_frame(frame)
    assert data == bytes.fromhex("1081BEEF05FF010130016E02800130B3011A028000BB00")
    assert decode_frame(data) == frame


def test_every_service_round_trips() -> None:
    for esv in ESV:
        get_part = (Property(0x80),) if esv.has_get_list else ()
        frame = Frame(
            7, NODE_PROFILE, CONTROLLER, esv, (Property(0xD5, b"\x01\x02\x88\x01"),), get_part
        )
        assert decode_frame(encode_frame(frame)) == frame


def test_service_kinds() -> None:
    assert ESV.GET.is_request
    assert not ESV.GET_RES.is_request
    assert ESV.GET_SNA.is_failure
    assert RESPONSES[ESV.GET] == (ESV.GET_RES, ESV.GET_SNA)
    assert RESPONSES[ESV.SETI] == (None, ESV.SETI_SNA)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (GET_POWER[:9], "frame of 9 bytes is shorter than the 12-byte header"),
        (b"\x20" + GET_POWER[1:], "EHD1 0x20 is not ECHONET Lite"),
        (b"\x10\x82" + GET_POWER[2:], "format 2"),
        (b"\x10\x99" + GET_POWER[2:], "EHD2 0x99"),
        (GET_POWER[:10] + b"\x99" + GET_POWER[11:], "ESV 0x99 is not an ECHONET Lite service"),
        (GET_POWER[:11] + b"\x02" + GET_POWER[12:], "property 2 of 2 is cut off"),
        (GET_POWER_RES[:-1], "announces 4 bytes but 3 remain"),
        (GET_POWER + b"\x00", "1 bytes follow the last property"),
        # Three properties, the second announcing more than is left; then the third cut off.
        (
            bytes.fromhex("1081000102880105FF017203E70100E70900E701"),
            "property 0xE7 announces 9 bytes but 3 remain",
        ),
        (bytes.fromhex("1081000102880105FF017203E70100E70100E7"), "property 3 of 3 is cut off"),
        (bytes.fromhex("1081000105FF010130016E0180013001"), "Get property 1 of 1 is cut off"),
        (bytes.fromhex("1081000105FF010130016E0180 0130".replace(" ", "")), "SETGET has no OPCGet"),
    ],
)
def test_malformed_frames_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_frame(data)


def test_bytes_of_any_kind_decode_to_values_that_do_not_alias_them() -> None:
    buffer = bytearray(GET_POWER_RES)
    frame = decode_frame(memoryview(buffer))
    assert frame == decode_frame(bytearray(GET_POWER_RES)) == decode_frame(GET_POWER_RES)
    buffer[-1] ^= 0xFF
    assert type(frame.properties[0].edt) is bytes
    assert frame == decode_frame(GET_POWER_RES)


def test_constructors_refuse_what_the_wire_cannot_carry() -> None:
    with pytest.raises(ValueError, match="not two bytes"):
        Frame(0x10000, CONTROLLER, METER, ESV.GET)
    with pytest.raises(ValueError, match="does not fit a PDC"):
        Property(0xE7, bytes(256))
    with pytest.raises(ValueError, match="has no Get property list"):
        Frame(1, CONTROLLER, METER, ESV.GET, (), (Property(0x80),))
    with pytest.raises(ValueError, match="more than three bytes"):
        EOJ.from_int(0x1000000)
    with pytest.raises(ValueError, match="not a byte"):
        Property(0x100)


def _random_frame(rng: random.Random) -> Frame:
    esv = rng.choice(list(ESV))

    def props() -> tuple[Property, ...]:
        return tuple(
            Property(rng.randrange(0x80, 0x100), rng.randbytes(rng.randint(0, 12)))
            for _ in range(rng.randint(0, 6))
        )

    return Frame(
        rng.randrange(0x10000),
        EOJ.from_int(rng.randrange(0x1000000)),
        EOJ.from_int(rng.randrange(0x1000000)),
        esv,
        props(),
        props() if esv.has_get_list else (),
    )


def test_agrees_with_pychonet_on_valid_frames() -> None:
    """pychonet (PyPI) is an independent decoder: both read the same fields."""
    rng = random.Random(3)
    for _ in range(2000):
        frame = _random_frame(rng)
        if frame.esv.has_get_list:
            continue  # pychonet reads one property list only
        theirs = decodeEchonetMsg(encode_frame(frame))
        assert theirs["TID"] == frame.tid
        assert (theirs["SEOJGC"], theirs["SEOJCC"], theirs["SEOJCI"]) == (
            frame.seoj.class_group,
            frame.seoj.class_code,
            frame.seoj.instance,
        )
        assert (theirs["DEOJGC"], theirs["DEOJCC"], theirs["DEOJCI"]) == (
            frame.deoj.class_group,
            frame.deoj.class_code,
            frame.deoj.instance,
        )
        assert theirs["ESV"] == frame.esv
        assert [(p["EPC"], bytes(p["EDT"])) for p in theirs["OPC"]] == [
            (p.epc, p.edt) for p in frame.properties
        ]


def test_pychonet_raises_index_error_where_we_say_why() -> None:
    """The peer's decoder fails on a truncated frame with IndexError (peers.md); ours explains."""
    with pytest.raises(IndexError):
        decodeEchonetMsg(GET_POWER_RES[:13])
    with pytest.raises(FrameError, match="cut off"):
        decode_frame(GET_POWER_RES[:13])


def test_fuzzed_input_only_ever_raises_frame_error() -> None:
    rng = random.Random(0)
    accepted = 0
    for round_number in range(20_000):
        if round_number % 2:
            data = rng.randbytes(rng.randint(0, 40))
        else:
            data = bytearray(encode_frame(_random_frame(rng)))
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            data = bytes(data[: rng.randint(0, len(data))])
        try:
            frame = decode_frame(data)
        except FrameError:
            continue
        accepted += 1
        assert encode_frame(frame) == data  # whatever is accepted is exactly what was sent
    assert accepted > 0


# A node profile's Get property map with 17 EPCs, so format 2 (a bitmap), by hand.
# Byte i holds EPCs 0x8i, 0x9i, ... 0xFi as bits 0 to 7:
#   byte 0: 0x80 (bit 0), 0xE0 (bit 6) = 0x41     byte 1: 0x81, 0xE1 = 0x41
#   byte 2: 0x82 = 0x01                            byte 3: 0x83 (bit 0), 0xD3 (bit 5) = 0x21
#   bytes 4-7: 0xD4..0xD7 (bit 5) = 0x20 each      byte 8: 0x88 = 0x01, byte 10: 0x8A = 0x01
#   bytes 13, 14: 0x9D, 0x9E (bit 1) = 0x02        byte 15: 0x9F (bit 1), 0xBF (bit 3) = 0x0A
NODE_PROFILE_EPCS = {
    0x80,
    0x81,
    0x82,
    0x83,
    0x88,
    0x8A,
    0x9D,
    0x9E,
    0x9F,
    0xBF,
    0xD3,
    0xD4,
    0xD5,
    0xD6,
    0xD7,
    0xE0,
    0xE1,
}
NODE_PROFILE_MAP = bytes.fromhex("114141012120202020010001000002020A")


def test_property_map_bitmap_by_hand() -> None:
    assert encode_property_map(NODE_PROFILE_EPCS) == NODE_PROFILE_MAP
    assert decode_property_map(NODE_PROFILE_MAP) == NODE_PROFILE_EPCS
    assert set(epc_functions._009X(NODE_PROFILE_MAP)) == NODE_PROFILE_EPCS


def test_property_map_list_format() -> None:
    assert encode_property_map([0xE7, 0x80, 0xE0]) == bytes([3, 0x80, 0xE0, 0xE7])
    assert decode_property_map(bytes([3, 0x80, 0xE0, 0xE7])) == {0x80, 0xE0, 0xE7}


def test_property_maps_round_trip_and_agree_with_pychonet() -> None:
    rng = random.Random(5)
    for _ in range(500):
        epcs = set(rng.sample(range(0x80, 0x100), rng.randint(0, 128)))
        data = encode_property_map(epcs)
        assert decode_property_map(data) == epcs
        assert set(epc_functions._009X(data)) == epcs


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (bytes([3, 0x80, 0x81]), "of 3 EPCs lists 2"),
        (bytes([2, 0x80, 0x10]), "below 0x80"),
        (bytes([2, 0x80, 0x80]), "twice"),
        (bytes([16]) + bytes(15), "16-byte bitmap, not 15"),
        (bytes([16]) + b"\xff" * 16, "has 128 bits set"),
    ],
)
def test_bad_property_maps(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_property_map(data)
    with pytest.raises(ValueError, match="0x80 to 0xFF"):
        encode_property_map([0x7F])
