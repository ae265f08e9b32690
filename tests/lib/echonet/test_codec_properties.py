"""Property-based tests of the ECHONET Lite codec: frames, property maps, instance lists, values.

Hypothesis draws the inputs; the properties are the codec's contract:

- frames: ``decode_frame(encode_frame(f)) == f`` for every frame the wire
  can carry, and the decoder accepts exactly what the encoder produces
  (any accepted datagram re-encodes to itself), raising only FrameError;
- property maps: the EPC set survives a round trip, the encoder picks the
  list format below 16 EPCs and the bitmap from 16 on, and the decoder
  raises only FrameError;
- class values: for every (class, EPC) of the registry, an EDT that decodes
  re-encodes to the same bytes, except where the data makes the codec
  many-to-one (see ``_many_to_one``), where the re-encoded EDT is at least
  a fixed point that decodes to the same value; ``decode_value`` raises
  only PropertyValueError on any bytes.
"""

from collections.abc import Iterator, Mapping
import contextlib
import datetime as dt
import random

from hypothesis import HealthCheck, example, given, settings, strategies as st
import pytest

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    Frame,
    FrameError,
    Property,
    decode_frame,
    decode_instance_list,
    decode_property_map,
    encode_frame,
    encode_instance_list,
    encode_property_map,
)
from custom_components.denki.lib.echonet.classes import (
    CLASSES,
    OVERFLOW,
    UNDERFLOW,
    DataType,
    DecodedValue,
    PropertySpec,
    PropertyValueError,
    SpecialKind,
    ValueSpec,
    codec,
    decode_value,
    encode_value,
    property_spec,
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
    s8,
    s16,
    state,
    struct,
    sv,
    text,
    time,
    u8,
    u16,
    u32,
)

# No example database: the tree is shared, and the tests are seeded by Hypothesis anyway.
FAST = settings(deadline=None, max_examples=200, database=None)
THOROUGH = settings(deadline=None, max_examples=1000, database=None)

# Frames.

BYTE = st.integers(0, 0xFF)
EOJS = st.builds(EOJ, BYTE, BYTE, BYTE)
TIDS = st.integers(0, 0xFFFF)
# Mostly short EDTs, as devices send, but every length a PDC can say.
EDTS = st.one_of(st.binary(max_size=8), st.binary(max_size=0xFF))
PROPERTIES = st.builds(Property, BYTE, EDTS)
PROPERTY_LISTS = st.lists(PROPERTIES, max_size=12).map(tuple)


@st.composite
def frames(draw: st.DrawFn, esv: ESV | None = None) -> Frame:
    """Any frame the wire format can carry; a second property list for the SetGet family."""
    service = draw(st.sampled_from(ESV)) if esv is None else esv
    return Frame(
        draw(TIDS),
        draw(EOJS),
        draw(EOJS),
        service,
        draw(PROPERTY_LISTS),
        draw(PROPERTY_LISTS) if service.has_get_list else (),
    )


def _expected_length(frame: Frame) -> int:
    lists = [frame.properties, *([frame.get_properties] if frame.esv.has_get_list else [])]
    return 11 + sum(1 + sum(2 + len(p.edt) for p in props) for props in lists)


@pytest.mark.parametrize("esv", list(ESV), ids=lambda esv: esv.name)
@settings(deadline=None, max_examples=60, database=None)
@given(data=st.data())
def test_every_service_round_trips(esv: ESV, data: st.DataObject) -> None:
    frame = data.draw(frames(esv))
    encoded = encode_frame(frame)
    assert len(encoded) == _expected_length(frame)
    decoded = decode_frame(encoded)
    assert decoded == frame
    assert encode_frame(decoded) == encoded


@THOROUGH
@given(frames())
@example(Frame(0, EOJ(0, 0, 0), EOJ(0, 0, 0), ESV.SETGET))  # two empty lists
@example(Frame(0xFFFF, EOJ(0xFF, 0xFF, 0xFF), EOJ(0xFF, 0xFF, 0xFF), ESV.GET_RES))
def test_frames_round_trip(frame: Frame) -> None:
    encoded = encode_frame(frame)
    assert encoded[:2] == b"\x10\x81"
    assert int.from_bytes(encoded[2:4]) == frame.tid
    assert decode_frame(encoded) == frame
    assert encode_frame(decode_frame(encoded)) == encoded


def test_largest_frames_round_trip() -> None:
    """255 properties of 255 bytes in both lists: every count and length field at its maximum."""
    full = tuple(Property(epc, bytes([epc]) * 0xFF) for epc in range(0xFF))
    frame = Frame(0xFFFF, EOJ(0x0E, 0xF0, 0x01), EOJ(0x05, 0xFF, 0x01), ESV.SETGET, full, full)
    encoded = encode_frame(frame)
    assert len(encoded) == 12 + 1 + 2 * 0xFF * (2 + 0xFF)
    assert decode_frame(encoded) == frame


@st.composite
def datagrams(draw: st.DrawFn) -> bytes:
    """Bytes near a frame: junk, junk behind a valid header, or an encoded frame damaged once."""
    kind = draw(st.sampled_from(["junk", "header", "damaged"]))
    if kind == "junk":
        return draw(st.binary(max_size=40))
    if kind == "header":
        esv = draw(st.sampled_from([int(e) for e in ESV]))
        return (
            b"\x10\x81"
            + draw(st.binary(min_size=8, max_size=8))
            + bytes([esv])
            + draw(st.binary(max_size=30))
        )
    data = bytearray(encode_frame(draw(frames())))
    position = draw(st.integers(0, len(data) - 1))
    match draw(st.sampled_from(["set", "insert", "delete", "truncate", "append"])):
        case "set":
            data[position] = draw(BYTE)
        case "insert":
            data.insert(position, draw(BYTE))
        case "delete":
            del data[position]
        case "truncate":
            del data[position:]
        case _:
            data += draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


@THOROUGH
@given(datagrams())
def test_decoder_accepts_exactly_what_the_encoder_produces(data: bytes) -> None:
    """Any bytes: FrameError, or a frame that re-encodes to those very bytes."""
    try:
        frame = decode_frame(data)
    except FrameError:
        return
    assert encode_frame(frame) == data


# Property maps.

EPCS = st.integers(0x80, 0xFF)
EPC_SETS = st.one_of(
    st.frozensets(EPCS, max_size=20),
    st.frozensets(EPCS, min_size=14, max_size=17),  # around the format threshold
    st.frozensets(EPCS, min_size=100),
)


@THOROUGH
@given(EPC_SETS)
@example(frozenset())
@example(frozenset(range(0x80, 0x100)))
@example(frozenset(range(0x80, 0x8F)))  # 15: the largest list
@example(frozenset(range(0x80, 0x90)))  # 16: the smallest bitmap
def test_property_maps_round_trip_in_the_format_their_size_calls_for(epcs: frozenset[int]) -> None:
    encoded = encode_property_map(epcs)
    assert encoded[0] == len(epcs)
    if len(epcs) < 16:
        assert encoded[1:] == bytes(sorted(epcs))
    else:
        assert len(encoded) == 17
        # Bit j of byte i is EPC 0x80 + i + 0x10 * j.
        for epc in range(0x80, 0x100):
            offset = epc - 0x80
            assert bool(encoded[1 + (offset & 0x0F)] >> (offset >> 4) & 1) == (epc in epcs)
    assert decode_property_map(encoded) == epcs
    assert encode_property_map(decode_property_map(encoded)) == encoded


@FAST
@given(st.lists(EPCS, max_size=15, unique=True))
def test_list_maps_are_read_in_any_order(epcs: list[int]) -> None:
    """The list format may come in any order; only the sorted one is what we send."""
    listed = bytes([len(epcs), *epcs])
    assert decode_property_map(listed) == frozenset(epcs)
    assert encode_property_map(decode_property_map(listed)) == bytes([len(epcs), *sorted(epcs)])


@THOROUGH
@given(
    st.one_of(
        st.binary(max_size=20),
        st.builds(
            lambda count, bits: bytes([count]) + bits, BYTE, st.binary(min_size=16, max_size=16)
        ),
    )
)
def test_property_map_decoder_only_raises_frame_error(data: bytes) -> None:
    try:
        epcs = decode_property_map(data)
    except FrameError:
        return
    assert all(0x80 <= epc <= 0xFF for epc in epcs)
    assert len(epcs) == data[0]
    if data[0] >= 16:
        assert encode_property_map(epcs) == data  # a bitmap has one form only
    else:
        assert sorted(data[1:]) == sorted(epcs)


# Instance lists (node profile 0xD5, 0xD6).


@FAST
@given(st.frozensets(EOJS, max_size=100))
def test_instance_lists_round_trip_up_to_84_objects(objects: frozenset[EOJ]) -> None:
    encoded = encode_instance_list(objects)
    assert encoded[0] == len(objects)  # the count is the total...
    assert decode_instance_list(encoded) == tuple(sorted(objects))[:84]  # ...the list stops at 84


@FAST
@given(st.one_of(st.binary(max_size=30), st.binary(min_size=250, max_size=256)))
def test_instance_list_decoder_only_raises_frame_error(data: bytes) -> None:
    try:
        objects = decode_instance_list(data)
    except FrameError:
        return
    assert len(objects) == min(data[0], 84)


# Class values.

REGISTRY = sorted((class_id, epc) for class_id, spec in CLASSES.items() for epc in spec.properties)


def _type_range(size: int, *, signed: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1
    return 0, (1 << 8 * size) - 1


def _fit(number: int, size: int, rng: random.Random) -> bytes:
    """`number` in `size` bytes, two's complement if negative, random bytes if it cannot fit."""
    with contextlib.suppress(OverflowError):
        return number.to_bytes(size, signed=number < 0)
    return rng.randbytes(size)


def _scalar_edt(spec: ValueSpec, rng: random.Random, *, clean: bool = False) -> bytes:
    size = spec.size or 1
    specials = [special.raw for special in spec.special]
    if spec.type in (DataType.UNSIGNED, DataType.SIGNED):
        signed = spec.type is DataType.SIGNED
        low_type, high_type = _type_range(size, signed=signed)
        low = low_type if spec.minimum is None else spec.minimum
        high = high_type if spec.maximum is None else spec.maximum
        if low <= high and (clean or rng.random() < 0.75):
            return _fit(rng.choice([low, high, rng.randint(low, high)]), size, rng)
        overflow = [high_type, low_type] if signed else [high_type, high_type - 1]
        return _fit(rng.choice([low - 1, high + 1, *specials, *overflow]), size, rng)
    if spec.type is DataType.ENUM:
        return _fit(rng.choice([e.raw for e in spec.enum] + specials or [0]), size, rng)
    # A level.
    steps = list(range(spec.level_base - 1, spec.level_base + spec.level_count + 1))
    return _fit(rng.choice(steps + specials), size, rng)


def _date_edt(spec: ValueSpec, rng: random.Random) -> bytes:
    moment = dt.datetime(1, 1, 1) + dt.timedelta(seconds=rng.randrange(315_537_897_600))  # noqa: DTZ001 - the wire has no zone
    match spec.type:
        case DataType.DATE:
            whole = moment.year.to_bytes(2) + bytes((moment.month, moment.day))
        case DataType.TIME:
            whole = bytes((moment.hour, moment.minute, moment.second))
        case _:
            whole = moment.year.to_bytes(2) + bytes(
                (moment.month, moment.day, moment.hour, moment.minute, moment.second)
            )
    return whole[: spec.size]


def _sized(spec: ValueSpec, rng: random.Random) -> int:
    if spec.size is not None:
        return spec.size
    return rng.randint(spec.min_size, min(spec.max_size, spec.min_size + 24))


def _edt(spec: ValueSpec, rng: random.Random, *, clean: bool = False) -> bytes:
    """An EDT shaped like `spec`: mostly valid, with the boundaries and special codes around it.

    `clean` keeps numbers in range: the items of a long array (48 half-hours)
    would otherwise almost never be valid all at once.
    """
    if spec.size is not None and not clean and rng.random() < 0.05:
        return rng.randbytes(spec.size)
    match spec.type:
        case DataType.UNSIGNED | DataType.SIGNED | DataType.ENUM | DataType.LEVEL:
            return _scalar_edt(spec, rng, clean=clean)
        case DataType.BITMAP:
            return rng.randbytes(spec.size or 1)
        case DataType.DATE | DataType.TIME | DataType.DATE_TIME:
            return _date_edt(spec, rng)
        case DataType.RAW:
            return rng.randbytes(_sized(spec, rng))
        case DataType.TEXT:
            length = _sized(spec, rng)
            body = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randint(0, length)))
            return body.ljust(length, rng.choice([b"\x00", b" "]))
        case DataType.PROPERTY_MAP:
            epcs = rng.sample(range(0x80, 0x100), rng.choice([0, 3, 15, 16, 40]))
            if len(epcs) < 16 and rng.random() < 0.5:
                return bytes([len(epcs), *epcs])  # the list format, in no particular order
            return encode_property_map(epcs)
        case DataType.STRUCT:
            return b"".join(_edt(part.value, rng, clean=clean) for part in spec.fields)
        case _:
            assert spec.type is DataType.ARRAY
            assert spec.item is not None
            count = rng.randint(spec.min_items, min(spec.max_items, spec.min_items + 8))
            header = b""
            for part in spec.fields:
                if part.key == spec.count_field and rng.random() < 0.9:
                    header += _fit(count, part.value.size or 1, rng)
                else:
                    header += _edt(part.value, rng, clean=clean)
            clean_items = clean or rng.random() < 0.5
            return header + b"".join(_edt(spec.item, rng, clean=clean_items) for _ in range(count))


def edt_for(spec: ValueSpec, rng: random.Random) -> bytes:
    """Usually an EDT shaped by `spec`; sometimes one a byte off, or plain junk."""
    roll = rng.random()
    if roll < 0.08:
        return rng.randbytes(rng.randint(0, 20))
    edt = _edt(spec, rng)
    if roll < 0.12:
        return edt + rng.randbytes(1)
    if roll < 0.16:
        return edt[:-1]
    return edt


def _fields_read_as_none(spec: ValueSpec, value: object) -> Iterator[ValueSpec]:
    """The specs of the struct or array fields whose code read as None ("no data"-like)."""
    if spec.type not in (DataType.STRUCT, DataType.ARRAY):
        return
    parts: list[tuple[ValueSpec, object]] = []
    items = value
    if spec.fields:
        assert isinstance(value, Mapping)
        parts += [
            (part.value, value[part.key])
            for index, part in enumerate(spec.fields)
            # Optional trailing fields a device left off read as None and are left off again.
            if spec.required_fields is None or index < spec.required_fields
        ]
        items = value.get(spec.items_key, ())
    if spec.type is DataType.ARRAY:
        assert spec.item is not None
        assert isinstance(items, tuple)
        parts += [(spec.item, item) for item in items]
    for part_spec, part_value in parts:
        if part_value is None:
            yield part_spec
        else:
            yield from _fields_read_as_none(part_spec, part_value)


def _has_no_data_code(spec: ValueSpec) -> bool:
    return any(special.kind is SpecialKind.NO_DATA for special in spec.special)


def _many_to_one(spec: ValueSpec, decoded: DecodedValue) -> tuple[str, bool] | None:
    """Why this EDT may not come back byte for byte, and whether it can be encoded at all.

    None when it must come back byte for byte. The codec is one-to-one
    except in these cases, all by design:
    - overflow/underflow codes of a top-level number decode to OVERFLOW or
      UNDERFLOW, which are not values a controller sends: encoding their key
      is refused (one way);
    - text: trailing NULs and spaces are stripped, and a fixed-size text is
      padded back with NULs only ("AB  " and "AB\\0\\0" both read "AB"); a
      variable-length text of padding only reads "", which its minimum size
      cannot carry back (one way);
    - a property map in the list format may list its EPCs in any order; we
      send them sorted;
    - inside a struct or array every "no data"-like code (a NO_DATA special,
      overflow, underflow) reads as None; None is sent as the field's first
      NO_DATA code, and cannot be sent at all for a field that has none (one
      way; pyhems' data has no NO_DATA codes, so every overflow code in a
      field of the registry is one way).
    """
    if decoded.special in (OVERFLOW, UNDERFLOW) and decoded.special not in spec.special:
        return "overflow/underflow is decoded only", False
    if spec.type is DataType.TEXT:
        stripped = decoded.edt.rstrip(b"\x00 ")
        canonical = stripped if spec.size is None else stripped.ljust(spec.size, b"\x00")
        if canonical == decoded.edt:
            return None
        return "text padding is normalised to NUL", len(canonical) >= spec.min_size
    if spec.type is DataType.PROPERTY_MAP:
        assert isinstance(decoded.value, frozenset)
        if encode_property_map(decoded.value) == decoded.edt:
            return None
        return "a list property map is sent sorted", True
    nones = list(_fields_read_as_none(spec, decoded.value))
    if nones:
        return "a no-data-like code in a field reads as None", all(map(_has_no_data_code, nones))
    return None


def _reencode(decoded: DecodedValue) -> bytes:
    """Encode a decoded value back: its value, or its special code's key."""
    value = decoded.value if decoded.special is None else decoded.special.key
    return encode_value(decoded.class_id, decoded.epc, value)


def check_value_round_trip(class_id: int, epc: int, edt: bytes) -> str:
    """Decode `edt`; if it decodes, check that it encodes back. Says what happened."""
    spec = _lookup(class_id, epc)
    assert spec is not None
    try:
        decoded = decode_value(class_id, epc, edt)
    except PropertyValueError:
        return "rejected"
    assert decoded.known
    assert decoded.edt == edt
    where = f"0x{class_id:04X} 0x{epc:02X} {edt.hex()}"
    many_to_one = _many_to_one(spec.value, decoded)
    if many_to_one is None:
        again = _reencode(decoded)
        assert again == edt, f"{where} came back as {again.hex()}"
        return "exact"
    reason, encodable = many_to_one
    if not encodable:
        with pytest.raises(PropertyValueError):
            _reencode(decoded)
        return "one way"
    # Many-to-one: the EDT we send instead must mean the same and be a fixed point.
    again = _reencode(decoded)
    if again == edt:
        return "exact"  # it was the canonical form already (a field's first NO_DATA code)
    redecoded = decode_value(class_id, epc, again)
    assert (redecoded.value, redecoded.special) == (decoded.value, decoded.special), (where, reason)
    assert _reencode(redecoded) == again, (where, reason)
    return "canonical"


@THOROUGH
@given(st.sampled_from(REGISTRY), st.randoms(use_true_random=False))
def test_every_registry_value_round_trips(key: tuple[int, int], rng: random.Random) -> None:
    class_id, epc = key
    spec = property_spec(class_id, epc)
    assert spec is not None
    check_value_round_trip(class_id, epc, edt_for(spec.value, rng))


def test_every_property_of_the_registry_is_exercised() -> None:
    """Hypothesis samples the registry; this visits every (class, EPC) of it, seeded."""
    rng = random.Random(3610)
    outcomes: dict[str, int] = {}
    never_exact = []
    for class_id, epc in REGISTRY:
        spec = property_spec(class_id, epc)
        assert spec is not None
        seen = {check_value_round_trip(class_id, epc, edt_for(spec.value, rng)) for _ in range(60)}
        for outcome in seen:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if "exact" not in seen:
            never_exact.append(f"0x{class_id:04X} 0x{epc:02X}")
    assert not never_exact, f"no EDT round-tripped exactly for {never_exact}"
    assert outcomes.get("rejected", 0) > 0  # the generator reaches the edges too


@THOROUGH
@given(
    st.one_of(
        st.sampled_from(REGISTRY),
        st.tuples(st.integers(0, 0xFFFF), BYTE),  # mostly classes and EPCs the data lacks
    ),
    st.one_of(st.binary(max_size=8), st.binary(max_size=0xFF)),
)
def test_decode_value_only_raises_property_value_error(key: tuple[int, int], edt: bytes) -> None:
    class_id, epc = key
    try:
        decoded = decode_value(class_id, epc, edt)
    except PropertyValueError:
        assert property_spec(class_id, epc) is not None  # unknown properties always decode
        return
    assert decoded.edt == edt
    assert decoded.known == (property_spec(class_id, epc) is not None)


# Layouts the registry does not use (yet): a class of our own, as test_classes_codec does.

SYNTHETIC = cls(
    0x0F11,
    "synthetic",
    "Synthetic",
    "合成",
    prop(0xE0, "level", "Level", "レベル", "RO", level(0x31, 8, (state(0x41, "auto", "Auto", "自動"),))),
    prop(0xE1, "flags", "Flags", "フラグ", "R-", bitmap(2, bit(0, "a", "A", "A"), bit(3, "b", "B", "B", 2, ev(0, "off", "Off", "切"), ev(1, "low", "Low", "弱"), ev(2, "high", "High", "強")))),
    prop(0xE2, "month", "Month", "年月", "RO", date(3)),
    prop(0xE3, "clock", "Clock", "時刻", "RO", time(3)),
    prop(0xE4, "stamp", "Stamp", "日時", "RO", date_time()),
    prop(0xE5, "minute_stamp", "Minute stamp", "日時分", "RO", date_time(6)),
    prop(0xE6, "name", "Name", "名前", "R-", text(None, 1, 12)),
    prop(0xE7, "pair", "Pair", "組", "RO", struct(fld("low", "Low", "下", u8(special=(sv(0xFD, "undefined", "Undefined", "未定義"), sv(0xFE, "unknown", "Unknown", "不明")))), fld("high", "High", "上", s16(unit="°C", scale="0.1", special=(state(0x8001, "auto", "Auto", "自動"),))))),
    prop(0xE8, "series", "Series", "系列", "R-", array(u16(special=(sv(0xFFFE, "missing", "Missing", "欠測"),)), fld("count", "Count", "数", u8(0, 0xFF)), count_field="count")),
    prop(0xE9, "readings", "Readings", "計測値", "R-", array(s8(), min_items=1, max_items=6)),
    prop(0xEA, "energy", "Energy", "電力量", "R-", u32(scale="0.001", special=(sv(0xFFFFFFFD, "none", "None", "なし"),))),
    prop(0xEB, "mode", "Mode", "モード", "RO", enum(ev(0x0141, "auto", "Auto", "自動"), ev(0x0142, "cool", "Cool", "冷房"), size=2, special=(sv(0xFFFF, "unset", "Unset", "未設定"),))),
    prop(0xEC, "big", "Big", "大", "RO", u16(10, 60000, scale=10)),
    prop(0xED, "map", "Map", "マップ", "R-", property_map()),
    prop(0xEE, "blob", "Blob", "塊", "R-", raw(None, 2, 6)),
)  # fmt: skip
SYNTHETIC_KEYS = sorted(SYNTHETIC.properties)


def _lookup(class_id: int, epc: int) -> PropertySpec | None:
    """The registry's lookup, and the synthetic class below."""
    if class_id == SYNTHETIC.class_id:
        return SYNTHETIC.properties.get(epc)
    return property_spec(class_id, epc)


@contextlib.contextmanager
def _with_synthetic_class() -> Iterator[None]:
    """Make the codec see the synthetic class (as test_classes_codec does with its own)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "property_spec", _lookup)
        yield


@settings(
    deadline=None,
    max_examples=600,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.sampled_from(SYNTHETIC_KEYS), st.randoms(use_true_random=False))
def test_every_layout_round_trips(epc: int, rng: random.Random) -> None:
    with _with_synthetic_class():
        spec = SYNTHETIC.properties[epc]
        check_value_round_trip(SYNTHETIC.class_id, epc, edt_for(spec.value, rng))


def test_every_layout_is_exercised() -> None:
    rng = random.Random(61)
    with _with_synthetic_class():
        for epc in SYNTHETIC_KEYS:
            spec = SYNTHETIC.properties[epc]
            seen = {
                check_value_round_trip(SYNTHETIC.class_id, epc, edt_for(spec.value, rng))
                for _ in range(300)
            }
            assert "exact" in seen, f"0x{epc:02X}: {seen}"
            assert "rejected" in seen or spec.value.type is DataType.RAW, f"0x{epc:02X}: {seen}"


@pytest.mark.parametrize(
    ("epc", "edt", "outcome"),
    [
        (0xE6, b"AB  ", "canonical"),  # spaces read away, nothing put back
        (0xE6, b" \x00", "one way"),  # reads "", which the minimum of one byte cannot carry
        (0xE7, bytes.fromhex("FE0010"), "canonical"),  # 0xFE "unknown" is sent as 0xFD
        (0xE7, bytes.fromhex("FF0010"), "canonical"),  # overflow in a field: None, sent as 0xFD
        (0xE7, bytes.fromhex("FD8001"), "exact"),  # the first no-data code and a named state
        (0xE8, bytes.fromhex("01FFFF"), "canonical"),  # overflow in an item: None, sent as 0xFFFE
        (0xE9, bytes.fromhex("017F"), "one way"),  # overflow in an item with no "no data" code
        (0xEA, bytes.fromhex("FFFFFFFF"), "one way"),  # top-level overflow
        (0xED, bytes.fromhex("02B080"), "canonical"),  # a list map out of order
    ],
)
def test_the_documented_many_to_one_cases(epc: int, edt: bytes, outcome: str) -> None:
    with _with_synthetic_class():
        assert check_value_round_trip(SYNTHETIC.class_id, epc, edt) == outcome
