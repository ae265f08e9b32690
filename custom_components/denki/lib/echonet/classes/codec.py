"""Decode and encode property values, driven by the class data alone.

``decode_value`` turns an EDT into a ``DecodedValue``; ``encode_value`` turns
a Python value into an EDT. Neither has code for a particular class: each
walks the property's ``ValueSpec``. Both are strict for known properties: a
wrong length, a value out of range or an unlisted code raises
``PropertyValueError`` (never IndexError or struct.error). A class or
property the data does not describe still decodes, marked unknown, to its
raw bytes and a best-effort integer.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal, InvalidOperation

from ..errors import FrameError
from ..property_map import decode_property_map, encode_property_map
from .errors import PropertyValueError, UnknownPropertyError
from .registry import property_spec
from .spec import NUMERIC, DataType, EnumValue, PropertySpec, SpecialKind, SpecialValue, ValueSpec

type Value = (
    int
    | float
    | str
    | bytes
    | bool
    | dt.date
    | dt.time
    | dt.datetime
    | frozenset[int]
    | tuple[Value, ...]
    | Mapping[str, Value]
    | None
)
"""A decoded value: a number, an enum key, text, bytes, a date or time, a
property map, a tuple of items (arrays) or a mapping of fields (structs,
bitmaps). None stands for a special "no data"-like code."""

_OVERFLOW_CODES = {
    (DataType.UNSIGNED, 1): (0xFF, 0xFE),
    (DataType.UNSIGNED, 2): (0xFFFF, 0xFFFE),
    (DataType.UNSIGNED, 4): (0xFFFFFFFF, 0xFFFFFFFE),
    (DataType.SIGNED, 1): (0x7F, -0x80),
    (DataType.SIGNED, 2): (0x7FFF, -0x8000),
    (DataType.SIGNED, 4): (0x7FFFFFFF, -0x80000000),
}
"""(type, size) -> (overflow code, underflow code), from the Appendix's general rules."""

OVERFLOW: SpecialValue = SpecialValue(
    -1, "overflow", "Overflow", "オーバーフロー", SpecialKind.OVERFLOW
)
"""The special value a number decodes to when the device sends its type's overflow code."""

UNDERFLOW: SpecialValue = SpecialValue(
    -2, "underflow", "Underflow", "アンダーフロー", SpecialKind.UNDERFLOW
)
"""The special value a number decodes to when the device sends its type's underflow code."""


OTHER_BITS = "other_bits"
"""The key under which a decoded bitmap keeps set bits the specification does not name."""


@dataclass(frozen=True, slots=True)
class DecodedValue:
    """A property value decoded from its EDT."""

    class_id: int
    epc: int
    edt: bytes
    value: Value
    """The value; None when ``special`` is set or nothing could be decoded."""
    known: bool
    """Whether the class data describes the property (else ``value`` is a best effort)."""
    special: SpecialValue | None = None
    """A special code ("no data", overflow, a named state) instead of a value."""
    enum: EnumValue | None = None
    """For an enum property, the code's entry (names in both languages)."""
    unit: str | None = None
    spec: PropertySpec | None = None

    @property
    def hex(self) -> str:
        """The EDT in upper-case hex, e.g. "0000012C"."""
        return self.edt.hex().upper()

    @property
    def is_no_data(self) -> bool:
        """Whether the device sent a code that carries no value (no data, overflow...)."""
        return self.special is not None and self.special.kind is not SpecialKind.STATE

    @property
    def name_en(self) -> str | None:
        """The property's English name, if known."""
        return None if self.spec is None else self.spec.en

    @property
    def name_ja(self) -> str | None:
        """The property's Japanese name, if known."""
        return None if self.spec is None else self.spec.ja


def decode_value(class_id: int, epc: int, edt: bytes) -> DecodedValue:
    """Decode ``edt`` of property ``epc`` of class ``class_id`` (e.g. 0x0288, 0xE7).

    Raises:
        PropertyValueError: The property is known and ``edt`` does not fit it.
    """
    edt = bytes(edt)
    spec = property_spec(class_id, epc)
    if spec is None:
        best = int.from_bytes(edt, "big") if 0 < len(edt) <= 8 else None
        return DecodedValue(class_id, epc, edt, best, known=False)
    where = f"0x{class_id:04X} EPC 0x{epc:02X}"
    value_spec = spec.value
    special: SpecialValue | None = None
    enum_value: EnumValue | None = None
    if value_spec.type in NUMERIC:
        _check_size(value_spec, edt, where)
        value, special = _decode_number(value_spec, edt, where)
    elif value_spec.type is DataType.ENUM:
        _check_size(value_spec, edt, where)
        code = int.from_bytes(edt, "big")
        special = value_spec.special_by_raw(code)
        enum_value = None if special else _enum_entry(value_spec, code, where)
        value = None if enum_value is None else enum_value.key
    elif value_spec.type is DataType.LEVEL:
        _check_size(value_spec, edt, where)
        value, special = _decode_level(value_spec, edt[0], where)
    else:
        special = _coded_special(value_spec, edt)
        value = None if special is not None else _decode(value_spec, edt, where)
    return DecodedValue(
        class_id,
        epc,
        edt,
        value,
        known=True,
        special=special,
        enum=enum_value,
        unit=value_spec.unit,
        spec=spec,
    )


def encode_value(class_id: int, epc: int, value: object) -> bytes:
    """The EDT for ``value`` of property ``epc`` of class ``class_id``.

    Numbers are physical values (scale applied: 22.5 for 22.5 °C when the
    property counts tenths); enums take their key (``"cooling"``), their
    ``EnumValue`` or their raw code; special codes take their key
    (``"automatic"``); structs take a mapping of field keys; arrays a
    sequence of items (after their header fields, given as a mapping with the
    items under the array's ``items_key``, ``"items"`` unless the data names
    them); ``bytes`` are checked against the layout and returned as they are.

    Raises:
        UnknownPropertyError: The data does not describe the property (only
            ``bytes`` can be sent for it, and they are returned unchanged).
        PropertyValueError: The value does not fit the property.
    """
    spec = property_spec(class_id, epc)
    where = f"0x{class_id:04X} EPC 0x{epc:02X}"
    if spec is None:
        if isinstance(value, bytes | bytearray) and len(value) <= 0xFF:
            return bytes(value)
        raise UnknownPropertyError(f"{where} is not in the class data; only raw bytes can be sent")
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
        decode_value(class_id, epc, data)
        return data
    data = _encode(spec.value, value, where)
    if len(data) > 0xFF:
        raise PropertyValueError(f"{where}: {len(data)} bytes do not fit an EDT")
    return data


# Decoding.


def _check_size(spec: ValueSpec, edt: bytes, where: str) -> None:
    if spec.size is not None:
        if len(edt) != spec.size:
            raise PropertyValueError(f"{where}: {len(edt)} bytes where {spec.size} are specified")
    elif not spec.min_size <= len(edt) <= spec.max_size:
        raise PropertyValueError(
            f"{where}: {len(edt)} bytes where {spec.min_size} to {spec.max_size} are specified"
        )


def _scaled(spec: ValueSpec, raw: int) -> int | float:
    if spec.scale == 1:
        return raw
    value = Decimal(raw) * spec.scale
    if spec.scale > 1:
        return int(value)
    return float(value)


def _decode_number(spec: ValueSpec, edt: bytes, where: str) -> tuple[Value, SpecialValue | None]:
    raw_value = int.from_bytes(edt, "big", signed=spec.type is DataType.SIGNED)
    special = spec.special_by_raw(raw_value)
    if special is None and spec.type is DataType.SIGNED:
        # Special codes are written as unsigned hex in the Appendix (0x7FFE, 0x80...).
        special = spec.special_by_raw(int.from_bytes(edt, "big"))
    if special is not None:
        return None, special
    low = spec.minimum if spec.minimum is not None else raw_value
    high = spec.maximum if spec.maximum is not None else raw_value
    if low <= raw_value <= high:
        return _scaled(spec, raw_value), None
    if spec.overflow_codes and spec.size is not None:
        codes = _OVERFLOW_CODES.get((spec.type, spec.size))
        if codes is not None:
            if raw_value == codes[0]:
                return None, OVERFLOW
            if raw_value == codes[1]:
                return None, UNDERFLOW
    raise PropertyValueError(f"{where}: {raw_value} is outside {low} to {high}")


def _enum_entry(spec: ValueSpec, code: int, where: str) -> EnumValue:
    entry = spec.enum_by_raw(code)
    if entry is None:
        raise PropertyValueError(f"{where}: code 0x{code:02X} is not one the specification lists")
    return entry


def _decode_level(spec: ValueSpec, code: int, where: str) -> tuple[Value, SpecialValue | None]:
    special = spec.special_by_raw(code)
    if special is not None:
        return None, special
    step = code - spec.level_base + 1
    if not 1 <= step <= spec.level_count:
        raise PropertyValueError(
            f"{where}: 0x{code:02X} is not a level from 0x{spec.level_base:02X}"
            f" to 0x{spec.level_base + spec.level_count - 1:02X}"
        )
    return step, None


def _decode_date(edt: bytes, where: str) -> dt.date:
    year = int.from_bytes(edt[0:2], "big")
    day = edt[3] if len(edt) > 3 else 1
    try:
        return dt.date(year, edt[2], day)
    except ValueError as error:
        raise PropertyValueError(f"{where}: {edt.hex().upper()} is not a date ({error})") from None


def _decode_time(edt: bytes, where: str) -> dt.time:
    second = edt[2] if len(edt) > 2 else 0
    try:
        return dt.time(edt[0], edt[1], second)
    except ValueError as error:
        raise PropertyValueError(f"{where}: {edt.hex().upper()} is not a time ({error})") from None


def _decode_date_time(edt: bytes, where: str) -> dt.datetime:
    year = int.from_bytes(edt[0:2], "big")
    second = edt[6] if len(edt) > 6 else 0
    try:
        return dt.datetime(year, edt[2], edt[3], edt[4], edt[5], second)  # noqa: DTZ001
    except ValueError as error:
        raise PropertyValueError(
            f"{where}: {edt.hex().upper()} is not a date and time ({error})"
        ) from None


def _decode_text(edt: bytes, where: str) -> str:
    try:
        return edt.rstrip(b"\x00 ").decode("ascii")
    except UnicodeDecodeError:
        raise PropertyValueError(f"{where}: {edt.hex().upper()} is not ASCII text") from None


def _decode_bitmap(spec: ValueSpec, edt: bytes, where: str) -> Mapping[str, Value]:
    word = int.from_bytes(edt, "big")
    fields: dict[str, Value] = {}
    for bit_field in spec.bits:
        part = word >> bit_field.shift & ((1 << bit_field.width) - 1)
        if bit_field.enum:
            entry = next((e for e in bit_field.enum if e.raw == part), None)
            if entry is None:
                raise PropertyValueError(f"{where}: {bit_field.key} has no code {part}")
            fields[bit_field.key] = entry.key
        elif bit_field.width == 1:
            fields[bit_field.key] = bool(part)
        else:
            fields[bit_field.key] = part
    described = sum(((1 << b.width) - 1) << b.shift for b in spec.bits)
    if word & ~described:
        fields[OTHER_BITS] = word & ~described
    return fields


def _special_in_field(special: SpecialValue) -> Value:
    """Inside a struct or array, a named state is its key; "no data"-like codes are None."""
    return special.key if special.kind is SpecialKind.STATE else None


def _field_value(spec: ValueSpec, edt: bytes, where: str) -> Value:
    """A value inside a struct or array (see _special_in_field for special codes)."""
    if spec.type in NUMERIC:
        _check_size(spec, edt, where)
        value, special = _decode_number(spec, edt, where)
        return value if special is None else _special_in_field(special)
    if spec.type is DataType.ENUM:
        _check_size(spec, edt, where)
        code = int.from_bytes(edt, "big")
        enum_special = spec.special_by_raw(code)
        if enum_special is not None:
            return _special_in_field(enum_special)
        return _enum_entry(spec, code, where).key
    if spec.type is DataType.LEVEL:
        _check_size(spec, edt, where)
        level_value, level_special = _decode_level(spec, edt[0], where)
        return level_value if level_special is None else _special_in_field(level_special)
    return _decode(spec, edt, where)


_CODED_LAYOUTS = frozenset({DataType.DATE, DataType.TIME, DataType.DATE_TIME, DataType.RAW})
"""Layouts that are not numbers but may still have special codes (0xFFFFFFFF "unknown" date)."""


def _coded_special(spec: ValueSpec, edt: bytes) -> SpecialValue | None:
    """The special code ``edt`` is, for a date, time or raw value that has some."""
    if not spec.special or spec.type not in _CODED_LAYOUTS or not edt:
        return None
    return spec.special_by_raw(int.from_bytes(edt, "big"))


def _decode(spec: ValueSpec, edt: bytes, where: str) -> Value:
    """Any non-scalar layout (and scalars reached through _field_value)."""
    coded = _coded_special(spec, edt)
    if coded is not None and (spec.size is None or len(edt) == spec.size):
        return _special_in_field(coded)
    match spec.type:
        case DataType.UNSIGNED | DataType.SIGNED | DataType.ENUM | DataType.LEVEL:
            return _field_value(spec, edt, where)
        case DataType.BITMAP:
            _check_size(spec, edt, where)
            return _decode_bitmap(spec, edt, where)
        case DataType.DATE:
            _check_size(spec, edt, where)
            return _decode_date(edt, where)
        case DataType.TIME:
            _check_size(spec, edt, where)
            return _decode_time(edt, where)
        case DataType.DATE_TIME:
            _check_size(spec, edt, where)
            return _decode_date_time(edt, where)
        case DataType.RAW:
            _check_size(spec, edt, where)
            return edt
        case DataType.TEXT:
            _check_size(spec, edt, where)
            return _decode_text(edt, where)
        case DataType.PROPERTY_MAP:
            try:
                return decode_property_map(edt)
            except FrameError as error:
                raise PropertyValueError(f"{where}: {error}") from None
        case DataType.STRUCT:
            return _decode_struct(spec, edt, where)
        case DataType.ARRAY:
            return _decode_array(spec, edt, where)
    raise PropertyValueError(f"{where}: no decoder for {spec.type}")  # pragma: no cover


def _decode_fields(
    spec: ValueSpec, edt: bytes, where: str, *, rest_allowed: bool
) -> tuple[dict[str, Value], int]:
    values: dict[str, Value] = {}
    position = 0
    last = len(spec.fields) - 1
    for index, part in enumerate(spec.fields):
        if (
            spec.required_fields is not None
            and index >= spec.required_fields
            and position == len(edt)
            and part.value.size is not None
        ):
            # Optional trailing fields the device left off.
            values.update(dict.fromkeys((f.key for f in spec.fields[index:]), None))
            break
        size = part.value.size
        if size is None and index == last and not rest_allowed:
            # A struct's last field may be of variable length: it takes the rest.
            size = len(edt) - position
        if size is None:
            raise PropertyValueError(f"{where}: field {part.key} has no fixed size")
        chunk = edt[position : position + size]
        if len(chunk) != size:
            raise PropertyValueError(f"{where}: {len(edt)} bytes end inside field {part.key}")
        values[part.key] = _field_value(part.value, chunk, f"{where} {part.key}")
        position += size
    if not rest_allowed and position != len(edt):
        raise PropertyValueError(f"{where}: {len(edt)} bytes where {position} are specified")
    return values, position


def _decode_struct(spec: ValueSpec, edt: bytes, where: str) -> Mapping[str, Value]:
    values, _position = _decode_fields(spec, edt, where, rest_allowed=False)
    return values


def _decode_array(spec: ValueSpec, edt: bytes, where: str) -> Value:
    item = spec.item
    if item is None or item.size is None or item.size == 0:
        raise PropertyValueError(f"{where}: array items have no fixed size")  # pragma: no cover
    header, position = _decode_fields(spec, edt, where, rest_allowed=True)
    rest = len(edt) - position
    if rest % item.size:
        raise PropertyValueError(f"{where}: {rest} bytes are not whole {item.size}-byte items")
    count = rest // item.size
    if spec.count_field is not None:
        declared = header.get(spec.count_field)
        if isinstance(declared, int) and declared != count:
            raise PropertyValueError(
                f"{where}: {spec.count_field} says {declared} items, not {count}"
            )
    if not spec.min_items <= count <= spec.max_items:
        raise PropertyValueError(
            f"{where}: {count} items where {spec.min_items} to {spec.max_items} are specified"
        )
    items = tuple(
        _field_value(item, edt[position + i * item.size : position + (i + 1) * item.size], where)
        for i in range(count)
    )
    if not spec.fields:
        return items
    return {**header, spec.items_key: items}


# Encoding.


def _number_raw(spec: ValueSpec, value: object, where: str) -> int:
    if isinstance(value, str):
        for special in spec.special:
            if special.key == value:
                return special.raw
        raise PropertyValueError(f"{where}: {value!r} is not a special value of this property")
    if isinstance(value, SpecialValue):
        if value in spec.special:
            return value.raw
        raise PropertyValueError(f"{where}: {value.key!r} is not a special value of this property")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PropertyValueError(f"{where}: a number is needed, not {type(value).__name__}")
    try:
        exact = Decimal(str(value)) / spec.scale
    except InvalidOperation:
        raise PropertyValueError(f"{where}: {value!r} is not a number") from None
    if not exact.is_finite() or exact != exact.to_integral_value():
        raise PropertyValueError(f"{where}: {value!r} is not a multiple of {spec.scale}")
    raw_value = int(exact)
    low = spec.minimum if spec.minimum is not None else raw_value
    high = spec.maximum if spec.maximum is not None else raw_value
    if not low <= raw_value <= high:
        raise PropertyValueError(
            f"{where}: {value!r} is outside {_scaled(spec, low)} to {_scaled(spec, high)}"
        )
    return raw_value


def _to_bytes(number: int, size: int, *, signed: bool, where: str) -> bytes:
    try:
        return number.to_bytes(size, "big", signed=signed)
    except OverflowError:
        raise PropertyValueError(f"{where}: {number} does not fit {size} bytes") from None


def _encode_special_or_enum(spec: ValueSpec, value: object, where: str) -> bytes:
    size = spec.size or 1
    if isinstance(value, EnumValue | SpecialValue):
        if value in spec.enum or value in spec.special:
            return _to_bytes(value.raw, size, signed=False, where=where)
        raise PropertyValueError(f"{where}: {value.key!r} is not a code of this property")
    if isinstance(value, str):
        entries: tuple[EnumValue | SpecialValue, ...] = (*spec.enum, *spec.special)
        for entry in entries:
            if entry.key == value:
                return _to_bytes(entry.raw, size, signed=False, where=where)
        raise PropertyValueError(f"{where}: {value!r} is not a code of this property")
    if isinstance(value, int) and not isinstance(value, bool):
        if spec.enum_by_raw(value) or spec.special_by_raw(value):
            return _to_bytes(value, size, signed=False, where=where)
        raise PropertyValueError(f"{where}: 0x{value:X} is not a code of this property")
    raise PropertyValueError(f"{where}: an enum key is needed, not {type(value).__name__}")


def _encode_level(spec: ValueSpec, value: object, where: str) -> bytes:
    if isinstance(value, str | SpecialValue):
        key = value if isinstance(value, str) else value.key
        for special in spec.special:
            if special.key == key:
                return bytes((special.raw,))
        raise PropertyValueError(f"{where}: {key!r} is not a special value of this property")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PropertyValueError(f"{where}: a level number is needed, not {type(value).__name__}")
    if not 1 <= value <= spec.level_count:
        raise PropertyValueError(f"{where}: level {value} is outside 1 to {spec.level_count}")
    return bytes((spec.level_base + value - 1,))


def _encode_bitmap(spec: ValueSpec, value: object, where: str) -> bytes:
    size = spec.size or 1
    if isinstance(value, int) and not isinstance(value, bool):
        return _to_bytes(value, size, signed=False, where=where)
    if not isinstance(value, Mapping):
        raise PropertyValueError(f"{where}: a mapping of bit names is needed")
    word = 0
    known = {bit_field.key: bit_field for bit_field in spec.bits}
    for key, part in value.items():
        if key == OTHER_BITS and isinstance(part, int) and not isinstance(part, bool):
            word |= part
            continue
        bit_field = known.get(key)
        if bit_field is None:
            raise PropertyValueError(f"{where}: no bit named {key!r}")
        if bit_field.enum and isinstance(part, str):
            entry = next((e for e in bit_field.enum if e.key == part), None)
            if entry is None:
                raise PropertyValueError(f"{where}: {key} has no code {part!r}")
            number = entry.raw
        elif isinstance(part, bool | int):
            number = int(part)
        else:
            raise PropertyValueError(f"{where}: {key} needs a number or a bool")
        if not 0 <= number < 1 << bit_field.width:
            raise PropertyValueError(f"{where}: {key}={number} does not fit {bit_field.width} bits")
        word |= number << bit_field.shift
    return _to_bytes(word, size, signed=False, where=where)


def _encode_date_time(spec: ValueSpec, value: object, where: str) -> bytes:
    size = spec.size or 0
    if isinstance(value, str | SpecialValue) and spec.special:
        return _encode_special_or_enum(spec, value, where)
    match spec.type:
        case DataType.DATE_TIME if isinstance(value, dt.datetime):
            out = value.year.to_bytes(2, "big") + bytes(
                (value.month, value.day, value.hour, value.minute, value.second)
            )
        case DataType.DATE if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out = value.year.to_bytes(2, "big") + bytes((value.month, value.day))
        case DataType.TIME if isinstance(value, dt.time):
            out = bytes((value.hour, value.minute, value.second))
        case _:
            raise PropertyValueError(f"{where}: a {spec.type} value is needed, not {value!r}")
    return out[:size]


def _encode_fields(spec: ValueSpec, value: Mapping[str, object], where: str) -> bytes:
    unknown = set(value) - {part.key for part in spec.fields} - {spec.items_key}
    if unknown:
        raise PropertyValueError(f"{where}: no field named {sorted(unknown)}")
    out = bytearray()
    for index, part in enumerate(spec.fields):
        if (
            spec.required_fields is not None
            and index >= spec.required_fields
            and all(value.get(f.key) is None for f in spec.fields[index:])
        ):
            break  # optional trailing fields, left off
        if part.key not in value:
            raise PropertyValueError(f"{where}: field {part.key} is missing")
        out += _encode_item(part.value, value[part.key], f"{where} {part.key}")
    return bytes(out)


def _encode(spec: ValueSpec, value: object, where: str) -> bytes:
    match spec.type:
        case DataType.UNSIGNED | DataType.SIGNED:
            return _to_bytes(
                _number_raw(spec, value, where),
                spec.size or 1,
                signed=spec.type is DataType.SIGNED and not isinstance(value, str | SpecialValue),
                where=where,
            )
        case DataType.ENUM:
            return _encode_special_or_enum(spec, value, where)
        case DataType.LEVEL:
            return _encode_level(spec, value, where)
        case DataType.BITMAP:
            return _encode_bitmap(spec, value, where)
        case DataType.DATE | DataType.TIME | DataType.DATE_TIME:
            return _encode_date_time(spec, value, where)
        case DataType.RAW:
            if not isinstance(value, bytes | bytearray):
                raise PropertyValueError(f"{where}: bytes are needed, not {type(value).__name__}")
            _check_size(spec, bytes(value), where)
            return bytes(value)
        case DataType.TEXT:
            if not isinstance(value, str) or not value.isascii():
                raise PropertyValueError(f"{where}: ASCII text is needed")
            data = value.encode("ascii")
            if spec.size is not None:
                data = data.ljust(spec.size, b"\x00")
            _check_size(spec, data, where)
            return data
        case DataType.PROPERTY_MAP:
            if not isinstance(value, Iterable) or isinstance(value, str | Mapping):
                raise PropertyValueError(f"{where}: an iterable of EPCs is needed")
            epcs = list(value)
            if not all(isinstance(epc, int) and 0x80 <= epc <= 0xFF for epc in epcs):
                raise PropertyValueError(f"{where}: property map EPCs are 0x80 to 0xFF")
            return encode_property_map(epcs)
        case DataType.STRUCT:
            if not isinstance(value, Mapping):
                raise PropertyValueError(f"{where}: a mapping of field names is needed")
            return _encode_fields(spec, value, where)
        case DataType.ARRAY:
            return _encode_array(spec, value, where)
    raise PropertyValueError(f"{where}: no encoder for {spec.type}")  # pragma: no cover


def _encode_array(spec: ValueSpec, value: object, where: str) -> bytes:
    item = spec.item
    if item is None:
        raise PropertyValueError(f"{where}: array without items")  # pragma: no cover
    header = b""
    items: object = value
    if spec.fields:
        if not isinstance(value, Mapping):
            raise PropertyValueError(f"{where}: a mapping with header fields and items is needed")
        header = _encode_fields(spec, value, where)
        items = value.get(spec.items_key, ())
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise PropertyValueError(f"{where}: a sequence of items is needed")
    if not spec.min_items <= len(items) <= spec.max_items:
        raise PropertyValueError(
            f"{where}: {len(items)} items where {spec.min_items} to {spec.max_items} are specified"
        )
    body = b"".join(
        _encode_item(item, element, f"{where} item {index}") for index, element in enumerate(items)
    )
    return header + body


def _encode_item(spec: ValueSpec, value: object, where: str) -> bytes:
    if value is None:
        no_data = next((s for s in spec.special if s.kind is SpecialKind.NO_DATA), None)
        if no_data is None:
            raise PropertyValueError(f"{where}: None, but it has no 'no data' code")
        return _to_bytes(no_data.raw, spec.size or 1, signed=False, where=where)
    return _encode(spec, value, where)
