"""The value codec over every layout it supports, with a class of hand-made properties.

pyhems' data uses numbers, enums and structs; the codec also reads levels,
bitmaps, dates, times, text, arrays and property maps, which the overlay
and future overlays use. A test class (0x0F10, a user-defined class code)
holds one property of each layout.
"""

import datetime as dt

import pytest

from custom_components.denki.lib.echonet.classes import (
    PropertySpec,
    PropertyValueError,
    SpecialKind,
    codec,
    decode_value,
    encode_value,
)
from custom_components.denki.lib.echonet.classes.spec import (
    array,
    bit,
    bitmap,
    cls,
    date,
    date_time,
    enum,
    ev,
    fld,
    level,
    prop,
    property_map,
    raw,
    s16,
    state,
    struct,
    sv,
    text,
    time,
    u8,
    u16,
)

TEST_CLASS = cls(
    0x0F10,
    "test",
    "Test",
    "テスト",
    prop(0xE0, "level", "Level", "レベル", "RO", level(0x31, 8, (state(0x41, "auto", "Auto", "自動"),))),
    prop(0xE1, "flags", "Flags", "フラグ", "R-", bitmap(1, bit(0, "a", "A", "A"), bit(1, "b", "B", "B", 2, ev(0, "off", "Off", "切"), ev(1, "low", "Low", "弱"), ev(2, "high", "High", "強")))),
    prop(0xE2, "day", "Day", "日", "RO", date()),
    prop(0xE3, "clock", "Clock", "時刻", "RO", time()),
    prop(0xE4, "stamp", "Stamp", "日時", "RO", date_time()),
    prop(0xE5, "name", "Name", "名前", "R-", text(None, 1, 12)),
    prop(0xE6, "pair", "Pair", "組", "RO", struct(fld("low", "Low", "下", u8()), fld("high", "High", "上", s16(unit="°C", scale="0.1")))),
    prop(0xE7, "series", "Series", "系列", "R-", array(u16(), fld("count", "Count", "数", u8(0, 0xFF)), count_field="count")),
    prop(0xE8, "map", "Map", "マップ", "R-", property_map()),
    prop(0xE9, "blob", "Blob", "塊", "R-", raw(3)),
    prop(0xEA, "temperature", "Temperature", "温度", "RO", u8(0, 50, "°C", special=(sv(0xFD, "undefined", "Undefined", "未定義"),))),
    prop(0xEB, "mode", "Mode", "モード", "RO", enum(ev(0x41, "auto", "Auto", "自動"), ev(0x42, "cool", "Cool", "冷房"))),
)  # fmt: skip


@pytest.fixture(autouse=True)
def test_class(monkeypatch: pytest.MonkeyPatch) -> None:
    real = codec.property_spec

    def lookup(class_id: int, epc: int) -> PropertySpec | None:
        if class_id == TEST_CLASS.class_id:
            return TEST_CLASS.properties.get(epc)
        return real(class_id, epc)

    monkeypatch.setattr(codec, "property_spec", lookup)


@pytest.mark.parametrize(
    ("epc", "edt", "value"),
    [
        (0xE0, b"\x33", 3),
        (0xE2, bytes.fromhex("07EA0B17"), dt.date(2026, 11, 23)),
        (0xE3, bytes.fromhex("1130"), dt.time(17, 48)),
        (0xE4, bytes.fromhex("07EA0B1711301E"), dt.datetime(2026, 11, 23, 17, 48, 30)),  # noqa: DTZ001 - the device sends no zone
        (0xE5, b"DENKI\x00\x00", "DENKI"),
        (0xEA, b"\x1a", 26),
        (0xEB, b"\x42", "cool"),
    ],
)
def test_layouts_decode(epc: int, edt: bytes, value: object) -> None:
    decoded = decode_value(0x0F10, epc, edt)
    assert decoded.value == value
    assert decoded.known


@pytest.mark.parametrize(
    ("epc", "edt"),
    [
        (0xE0, b"\x38"),
        (0xE1, b"\x05"),
        (0xE2, bytes.fromhex("07EA0B17")),
        (0xE3, bytes.fromhex("1130")),
        (0xE4, bytes.fromhex("07EA0B1711301E")),
        (0xE6, bytes.fromhex("05FF38")),
        (0xE7, bytes.fromhex("0200010002")),
        (0xE8, bytes.fromhex("0380B0B3")),
        (0xE9, b"\x01\x02\x03"),
        (0xEA, b"\x1a"),
        (0xEB, b"\x41"),
    ],
)
def test_every_layout_round_trips(epc: int, edt: bytes) -> None:
    decoded = decode_value(0x0F10, epc, edt)
    assert encode_value(0x0F10, epc, decoded.value) == edt


def test_structs_bitmaps_and_arrays_have_named_parts() -> None:
    pair = decode_value(0x0F10, 0xE6, bytes.fromhex("05FF38")).value
    assert pair == {"low": 5, "high": pytest.approx(-20.0)}
    flags = decode_value(0x0F10, 0xE1, b"\x05").value
    assert flags == {"a": True, "b": "high"}
    series = decode_value(0x0F10, 0xE7, bytes.fromhex("0200010002")).value
    assert series == {"count": 2, "items": (1, 2)}
    assert decode_value(0x0F10, 0xE8, bytes.fromhex("0380B0B3")).value == frozenset(
        {0x80, 0xB0, 0xB3}
    )


def test_special_codes_are_not_values() -> None:
    undefined = decode_value(0x0F10, 0xEA, b"\xfd")
    assert undefined.value is None
    assert undefined.special is not None
    assert undefined.special.key == "undefined"
    auto = decode_value(0x0F10, 0xE0, b"\x41")
    assert auto.special is not None
    assert auto.special.kind is SpecialKind.STATE
    assert encode_value(0x0F10, 0xE0, "auto") == b"\x41"
    assert encode_value(0x0F10, 0xEA, "undefined") == b"\xfd"


@pytest.mark.parametrize(
    ("epc", "edt"),
    [
        (0xE0, b"\x30"),  # below the first level
        (0xE2, bytes.fromhex("07EA0D17")),  # month 13
        (0xE3, bytes.fromhex("1860")),  # 24:96
        (0xE6, b"\x05"),  # a struct cut short
        (0xE7, bytes.fromhex("030001")),  # three items announced, one sent
        (0xE8, b""),
        (0xE9, b"\x01"),
        (0xEA, b"\x33"),  # 51 °C, above the range
        (0xEB, b"\x43"),  # not a code
    ],
)
def test_what_does_not_fit_is_refused(epc: int, edt: bytes) -> None:
    with pytest.raises(PropertyValueError):
        decode_value(0x0F10, epc, edt)


@pytest.mark.parametrize(
    ("epc", "value"),
    [
        (0xE0, 9),
        (0xEA, 51),
        (0xEA, "hot"),
        (0xEB, "warp"),
        (0xE2, "yesterday"),
        (0xE9, b"\x01"),
        (0xE6, {"low": 5}),
    ],
)
def test_values_that_do_not_fit_are_refused(epc: int, value: object) -> None:
    with pytest.raises(PropertyValueError):
        encode_value(0x0F10, epc, value)
