"""The shape of the class data: classes, properties, value types, and builders for them.

Everything here is a frozen dataclass, so the tables in the data modules
(super_class.py, air_conditioning.py, meters.py, ...) are plain, immutable
Python literals. Raw bounds (``minimum``/``maximum``) are in EDT units,
before ``scale``: a value of 0.1 kWh resolution with ``scale=Decimal("0.1")``
has raw bounds in tenths.

The short builder functions at the end (``prop``, ``u8``, ``enum``, ...) keep
the tables readable; they only construct the dataclasses.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Access(StrEnum):
    """An access rule of a property for Get, Set or announcement (Inf)."""

    REQUIRED = "required"
    CONDITIONAL = "conditional"
    """Mandatory under a condition the Appendix states (MRA ``required_c``/``required_o``)."""
    OPTIONAL = "optional"
    NONE = "none"
    """Not applicable: the service is not defined for the property."""

    @property
    def allowed(self) -> bool:
        """Whether the service may be used at all."""
        return self is not Access.NONE

    @property
    def mandatory(self) -> bool:
        """Whether the Appendix requires it (always or under its condition)."""
        return self in (Access.REQUIRED, Access.CONDITIONAL)


class Role(StrEnum):
    """What a property is for, whatever the consumer shows it as (pyhems' curated roles)."""

    PRIMARY = "primary"
    """A state or reading of the device's main function."""
    INSTANTANEOUS = "instantaneous"
    """A fast-changing measurement (power, current): worth reading more often."""
    SETTING = "setting"
    """How the device operates: thresholds, schedules, reservations."""
    STATUS = "status"
    """Fault, maintenance or operating condition, for monitoring."""
    SPECIFICATION = "specification"
    """A fact about the hardware that does not change (rated values, capacities)."""


class DataType(StrEnum):
    """How an EDT is laid out."""

    UNSIGNED = "unsigned"
    """Big-endian unsigned integer of 1, 2, 3 or 4 bytes, optionally scaled."""
    SIGNED = "signed"
    """Big-endian two's complement integer of 1, 2 or 4 bytes, optionally scaled."""
    ENUM = "enum"
    """A code from a closed list (ECHONET "state"); may carry numbers (unit tables)."""
    BITMAP = "bitmap"
    """Named bits or bit fields of a 1 to 4 byte integer."""
    LEVEL = "level"
    """``level_count`` steps coded from ``level_base`` upward (e.g. 0x31 to 0x38)."""
    DATE = "date"
    """YYYY (2 bytes) MM DD, or YYYY MM when size is 3."""
    TIME = "time"
    """hh mm, or hh mm ss when size is 3."""
    DATE_TIME = "date_time"
    """YYYY (2 bytes) MM DD hh mm ss (7 bytes), or without seconds (6 bytes)."""
    RAW = "raw"
    """Bytes with no further structure in the specification."""
    TEXT = "text"
    """ASCII text, padded with NUL or spaces."""
    STRUCT = "struct"
    """A sequence of named fields; the last one may be of variable length."""
    ARRAY = "array"
    """Optional header fields, then repeated items (a fixed number of them when ``size`` is set)."""
    PROPERTY_MAP = "property_map"
    """A property map (0x9D, 0x9E, 0x9F and alike)."""


NUMERIC: Final = frozenset({DataType.UNSIGNED, DataType.SIGNED})


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One code of an enum, with a stable snake_case key and both names."""

    raw: int
    key: str
    en: str
    ja: str
    number: Decimal | None = None
    """The number the code stands for, in unit/coefficient tables (e.g. 0x01 -> 0.1)."""


class SpecialKind(StrEnum):
    """What a special code means; none of them is a measurement."""

    NO_DATA = "no_data"
    """No value: not measured, not set, unknown, undefined or not available."""
    OVERFLOW = "overflow"
    UNDERFLOW = "underflow"
    STATE = "state"
    """A named state standing in for a number (e.g. "automatic" for a temperature)."""


@dataclass(frozen=True, slots=True)
class SpecialValue:
    """A raw code outside the numeric meaning of a property (0xFD "no data", 0xFFFF overflow...)."""

    raw: int
    key: str
    en: str
    ja: str
    kind: SpecialKind = SpecialKind.NO_DATA


@dataclass(frozen=True, slots=True)
class BitField:
    """Bits ``shift`` to ``shift + width - 1`` (0 is the least significant) of a bitmap."""

    shift: int
    key: str
    en: str
    ja: str
    width: int = 1
    enum: tuple[EnumValue, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    """A named part of a struct or of an array's header or item."""

    key: str
    en: str
    ja: str
    value: ValueSpec


@dataclass(frozen=True, slots=True)
class ValueSpec:
    """The layout and meaning of an EDT (or of one field of it)."""

    type: DataType
    size: int | None = None
    """Exact length in bytes; None for variable-length types."""
    min_size: int = 0
    max_size: int = 0xFF
    minimum: int | None = None
    """Smallest raw value (before scale) that is a measurement or setting."""
    maximum: int | None = None
    scale: Decimal = Decimal(1)
    """Physical value = raw x scale (e.g. 0.1 for tenths of a degree)."""
    unit: str | None = None
    enum: tuple[EnumValue, ...] = ()
    special: tuple[SpecialValue, ...] = ()
    bits: tuple[BitField, ...] = ()
    fields: tuple[Field, ...] = ()
    """Struct fields; for an array, the header fields before its items."""
    item: ValueSpec | None = None
    """Array item."""
    count_field: str | None = None
    """Array: the header field holding the number of items; else items fill the rest."""
    min_items: int = 0
    max_items: int = 0xFF
    items_key: str = "items"
    """Array with header fields: the key its items are decoded under, beside the header's."""
    level_base: int = 0
    level_count: int = 0
    required_fields: int | None = None
    """Struct: how many leading fields an EDT must hold; the rest may be left off
    at a field boundary (and decode as None). None: every field is required."""
    overflow_codes: bool = True
    """Numbers: whether the Appendix's overflow/underflow codes apply (MRA ``overflowCode``).

    When they do, a raw value outside the range that equals the type's code
    (0xFF/0xFE, 0xFFFF/0xFFFE, 0xFFFFFFFF/0xFFFFFFFE unsigned; 0x7F/0x80,
    0x7FFF/0x8000, 0x7FFFFFFF/0x80000000 signed) decodes as overflow/underflow.
    """

    @property
    def fixed_size(self) -> int | None:
        """The exact EDT length, or None when it varies."""
        return self.size

    def special_by_raw(self, raw: int) -> SpecialValue | None:
        """The special value coded ``raw``, if there is one."""
        for special in self.special:
            if special.raw == raw:
                return special
        return None

    def enum_by_raw(self, raw: int) -> EnumValue | None:
        """The enum value coded ``raw``, if there is one."""
        for value in self.enum:
            if value.raw == raw:
                return value
        return None


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One property of a class: EPC, names, access rules and value layout."""

    epc: int
    key: str
    en: str
    ja: str
    get: Access
    set: Access
    value: ValueSpec
    note: str = ""
    """Anything the tables cannot say (conditions, coefficients, related EPCs)."""
    role: Role = Role.PRIMARY


@dataclass(frozen=True, slots=True)
class ClassSpec:
    """An ECHONET class (class group code and class code) and its own properties.

    Device classes also have the device object super class's properties
    (0x80 to 0x9F); ``property_spec`` in the registry falls back to them.
    """

    class_id: int
    key: str
    en: str
    ja: str
    own_properties: tuple[PropertySpec, ...]
    inherits_super_class: bool = True
    note: str = ""
    properties: MappingProxyType[int, PropertySpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the properties by EPC; an EPC listed twice is a data error."""
        by_epc: dict[int, PropertySpec] = {}
        for spec in self.own_properties:
            if spec.epc in by_epc:
                raise ValueError(f"class 0x{self.class_id:04X} lists EPC 0x{spec.epc:02X} twice")
            by_epc[spec.epc] = spec
        object.__setattr__(self, "properties", MappingProxyType(by_epc))

    @property
    def class_group(self) -> int:
        """The class group code (e.g. 0x02 for housing and facilities)."""
        return self.class_id >> 8

    @property
    def class_code(self) -> int:
        """The class code within its group (e.g. 0x88)."""
        return self.class_id & 0xFF


# Builders. They are short because the tables use them hundreds of times.

_ACCESS_CODES: Final = {
    "R": Access.REQUIRED,
    "C": Access.CONDITIONAL,
    "O": Access.OPTIONAL,
    "-": Access.NONE,
}


def prop(  # noqa: PLR0917 - the tables call it positionally, hundreds of times
    epc: int, key: str, en: str, ja: str, access: str, value: ValueSpec, note: str = ""
) -> PropertySpec:
    """A property; ``access`` is two letters for Get and Set: R, C, O or - (see Access)."""
    if len(access) != 2 or any(code not in _ACCESS_CODES for code in access):
        raise ValueError(f"access {access!r} is not two of R, C, O, -")
    get, set_ = (_ACCESS_CODES[code] for code in access)
    return PropertySpec(epc, key, en, ja, get, set_, value, note)


def _scale(scale: str | int) -> Decimal:
    return Decimal(scale)


def number(
    size: int,
    *,
    signed: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    unit: str | None = None,
    scale: str | int = 1,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """An integer of ``size`` bytes; bounds default to the whole type."""
    if signed:
        low, high = -(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1
        data_type = DataType.SIGNED
    else:
        low, high = 0, (1 << (8 * size)) - 1
        data_type = DataType.UNSIGNED
    return ValueSpec(
        data_type,
        size=size,
        minimum=low if minimum is None else minimum,
        maximum=high if maximum is None else maximum,
        scale=_scale(scale),
        unit=unit,
        special=special,
        overflow_codes=overflow_codes,
    )


def u8(
    minimum: int = 0,
    maximum: int = 0xFD,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Unsigned char; the default range 0 to 253 is the Appendix's usual one."""
    return number(
        1,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def u16(
    minimum: int = 0,
    maximum: int = 0xFFFD,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Unsigned short; default range 0 to 65533."""
    return number(
        2,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def u32(
    minimum: int = 0,
    maximum: int = 0xFFFFFFFD,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Unsigned long; default range 0 to 4294967293."""
    return number(
        4,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def s8(
    minimum: int = -127,
    maximum: int = 125,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Signed char; default range -127 to 125."""
    return number(
        1,
        signed=True,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def s16(
    minimum: int = -32767,
    maximum: int = 32765,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Signed short; default range -32767 to 32765."""
    return number(
        2,
        signed=True,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def s32(
    minimum: int = -2147483647,
    maximum: int = 2147483645,
    unit: str | None = None,
    scale: str | int = 1,
    *,
    special: tuple[SpecialValue, ...] = (),
    overflow_codes: bool = True,
) -> ValueSpec:
    """Signed long; default range -2147483647 to 2147483645."""
    return number(
        4,
        signed=True,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        scale=scale,
        special=special,
        overflow_codes=overflow_codes,
    )


def ev(raw: int, key: str, en: str, ja: str, number_: str | int | None = None) -> EnumValue:
    """An enum value; ``number_`` for codes that stand for a number."""
    return EnumValue(raw, key, en, ja, None if number_ is None else Decimal(number_))


def enum(*values: EnumValue, size: int = 1, special: tuple[SpecialValue, ...] = ()) -> ValueSpec:
    """A closed list of codes."""
    return ValueSpec(DataType.ENUM, size=size, enum=values, special=special)


def sv(
    raw: int, key: str, en: str, ja: str, kind: SpecialKind = SpecialKind.NO_DATA
) -> SpecialValue:
    """A special code; "no data" unless ``kind`` says otherwise."""
    return SpecialValue(raw, key, en, ja, kind)


def state(raw: int, key: str, en: str, ja: str) -> SpecialValue:
    """A named state standing in for a number (kind STATE)."""
    return SpecialValue(raw, key, en, ja, SpecialKind.STATE)


def level(base: int, count: int, special: tuple[SpecialValue, ...] = ()) -> ValueSpec:
    """``count`` levels coded ``base``, ``base + 1``, ...; decoded as 1 to ``count``."""
    return ValueSpec(DataType.LEVEL, size=1, level_base=base, level_count=count, special=special)


def bit(shift: int, key: str, en: str, ja: str, width: int = 1, *values: EnumValue) -> BitField:
    """A bit (or ``width`` bits) of a bitmap."""
    return BitField(shift, key, en, ja, width, values)


def bitmap(size: int, *bits: BitField) -> ValueSpec:
    """A bitmap of ``size`` bytes; undescribed bits are kept but not named."""
    return ValueSpec(DataType.BITMAP, size=size, bits=bits)


def date(size: int = 4) -> ValueSpec:
    """YYYY MM DD (4 bytes) or YYYY MM (3 bytes)."""
    return ValueSpec(DataType.DATE, size=size)


def time(size: int = 2) -> ValueSpec:
    """Hours and minutes (2 bytes), or hours, minutes and seconds (3 bytes)."""
    return ValueSpec(DataType.TIME, size=size)


def date_time(size: int = 7) -> ValueSpec:
    """YYYY MM DD hh mm ss (7 bytes) or YYYY MM DD hh mm (6 bytes)."""
    return ValueSpec(DataType.DATE_TIME, size=size)


def raw(size: int | None = None, min_size: int = 0, max_size: int = 0xFF) -> ValueSpec:
    """Bytes of exactly ``size`` or between ``min_size`` and ``max_size``."""
    if size is not None:
        return ValueSpec(DataType.RAW, size=size, min_size=size, max_size=size)
    return ValueSpec(DataType.RAW, min_size=min_size, max_size=max_size)


def text(size: int | None = None, min_size: int = 0, max_size: int = 0xFF) -> ValueSpec:
    """ASCII text of exactly ``size`` bytes or between the bounds."""
    if size is not None:
        return ValueSpec(DataType.TEXT, size=size, min_size=size, max_size=size)
    return ValueSpec(DataType.TEXT, min_size=min_size, max_size=max_size)


def fld(key: str, en: str, ja: str, value: ValueSpec) -> Field:
    """A named field of a struct or array."""
    return Field(key, en, ja, value)


def struct(*fields: Field) -> ValueSpec:
    """Fields one after another; the size is their sum when all are fixed."""
    sizes = [part.value.size for part in fields]
    size = None if any(part is None for part in sizes) else sum(s or 0 for s in sizes)
    return ValueSpec(DataType.STRUCT, size=size, fields=fields)


def array(
    item: ValueSpec,
    *header: Field,
    count_field: str | None = None,
    min_items: int = 0,
    max_items: int = 0xFF,
) -> ValueSpec:
    """Header fields, then items; their number is ``count_field``'s value or what fits."""
    return ValueSpec(
        DataType.ARRAY,
        fields=header,
        item=item,
        count_field=count_field,
        min_items=min_items,
        max_items=max_items,
    )


def rel_time() -> ValueSpec:
    """A relative time as hours (0 to 255) and minutes (0 to 59), as the timers use."""
    return struct(
        fld("hours", "Hours", "時間", u8(0, 0xFF, "h", overflow_codes=False)),
        fld("minutes", "Minutes", "分", u8(0, 59, "min")),
    )


def property_map() -> ValueSpec:
    """A property map: a count then EPCs, or a count then a 16-byte bitmap."""
    return ValueSpec(DataType.PROPERTY_MAP, min_size=1, max_size=17)


def cls(
    class_id: int,
    key: str,
    en: str,
    ja: str,
    *properties: PropertySpec,
    inherits_super_class: bool = True,
    note: str = "",
) -> ClassSpec:
    """A class and its own properties."""
    return ClassSpec(class_id, key, en, ja, properties, inherits_super_class, note)
