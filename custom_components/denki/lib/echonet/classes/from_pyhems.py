"""Class data built from pyhems' registry, a dependency, at import time.

`pyhems` (MIT) carries the ECHONET Consortium's Machine Readable Appendix
(MRA) as Python data: for each class its properties with names in English
and Japanese, Get/Set access rules, formats, ranges, units, scales, enum
codes and a curated role. This module turns that into our `ClassSpec`s;
nothing of the data is copied into this repository. What pyhems lacks or
what we read differently is in `overlay.py`.

The mapping:
- ``format`` uint8/16/32, int8/16/32: a number of that size with the MRA's
  range and scale; enum codes given alongside a number are its special
  states (e.g. 0xFD "automatic" for a temperature);
- ``numeric_values`` (unit and coefficient tables): an enum whose codes
  carry the number they stand for;
- ``enum_values`` alone: an enum of one byte (two when a code needs it);
- several definitions of one EPC at different byte offsets: a struct of
  those fields;
- the structured properties (``REGISTRY.structured_values``: the MRA's
  ``object``, ``array`` and ``oneOf`` layouts, such as a distribution
  board's channel lists or a smart meter's timed values and histories),
  which pyhems keeps apart from its entities and without names: a struct
  (``object``), an array (``array``; a trailing one after header fields, or
  a fixed number of items inside a struct), a number or date whose other
  ``oneOf`` options are its special codes ("no data", "undefined"...); a
  scalar of no number format is a date and time (7 bytes), a date (4
  bytes), a time (3 or 2 bytes, by its name), or bytes. Their names and
  access rules are in ``overlay.STRUCTURED_NAMES``;
- anything else: raw bytes (the MRA's own ``raw`` data: identification
  numbers, maker codes and alike).
"""

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
import re
from typing import Any, Final

from pyhems import REGISTRY
from pyhems.definitions import (
    ArrayDefinition,
    OneOfDefinition,
    PropertyValueDefinition,
    ScalarDefinition,
)

from .overlay import STRUCTURED_NAMES
from .spec import (
    Access,
    ClassSpec,
    DataType,
    EnumValue,
    Field,
    PropertySpec,
    Role,
    SpecialKind,
    SpecialValue,
    ValueSpec,
    date,
    date_time,
    number,
    raw,
    time,
)

SUPER_CLASS_ID: Final = 0x0000

_ACCESS: Final = {
    "required": Access.REQUIRED,
    "required_c": Access.CONDITIONAL,
    "required_o": Access.CONDITIONAL,
    "optional": Access.OPTIONAL,
    "notApplicable": Access.NONE,
}
_SIZES: Final = {"uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "uint32": 4, "int32": 4}
_UNITS: Final = {"Celsius": "°C", "lux": "lx", "klux": "klx", "days": "day"}
_ID: Final = re.compile(r"^class_([0-9a-f]{4})_epc_([0-9a-f]{2})")


def snake(name: str) -> str:
    """A stable snake_case key from an English name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "value"


def _access(rule: str) -> Access:
    return _ACCESS.get(rule, Access.OPTIONAL)


def _scale(multiple_of: float) -> str:
    # 0.1 is not exact as a float; its shortest repr is what the MRA says.
    return repr(multiple_of) if multiple_of != int(multiple_of) else str(int(multiple_of))


def _enum_values(definition: Any) -> tuple[EnumValue, ...]:
    return tuple(
        EnumValue(value.edt, value.key, value.name_en, value.name_ja)
        for value in definition.enum_values
    )


def _value(definition: Any) -> ValueSpec:
    """The layout of one pyhems definition (a whole EDT, or one field of it)."""
    size = _SIZES.get(definition.format or "")
    if size is not None:
        special = tuple(
            SpecialValue(value.edt, value.key, value.name_en, value.name_ja, SpecialKind.STATE)
            for value in definition.enum_values
        )
        return number(
            size,
            signed=definition.format.startswith("int"),
            minimum=None if definition.minimum is None else int(definition.minimum),
            maximum=None if definition.maximum is None else int(definition.maximum),
            unit=_UNITS.get(definition.unit, definition.unit),
            scale=_scale(definition.multiple_of),
            special=special,
        )
    if definition.numeric_values:
        codes = tuple(
            EnumValue(
                entry.edt,
                f"x{snake(repr(entry.value))}",
                repr(entry.value),
                repr(entry.value),
                Decimal(repr(entry.value)),
            )
            for entry in definition.numeric_values
        )
        return ValueSpec(DataType.ENUM, size=1, enum=codes)
    if definition.enum_values:
        values = _enum_values(definition)
        width = max(1, (max(value.raw for value in values).bit_length() + 7) // 8)
        return ValueSpec(DataType.ENUM, size=width, enum=values)
    return ValueSpec(DataType.RAW)


_SPECIAL_KINDS: Final = {"overflow": SpecialKind.OVERFLOW, "underflow": SpecialKind.UNDERFLOW}
_TIME_NAME: Final = re.compile(r"time|hh_?mm", re.IGNORECASE)
_DATE_NAME: Final = re.compile(r"date", re.IGNORECASE)
_COUNT_NAME: Final = re.compile(r"^(range|number_?of.*)$", re.IGNORECASE)
_LENGTH_NAME: Final = re.compile(r"^(length|data_?size)$", re.IGNORECASE)


def _field_key(key: str) -> str:
    """A snake_case key from the MRA's camelCase short name ("startChannel" -> "start_channel")."""
    return snake(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key))


def _specials(scalars: Iterable[ScalarDefinition]) -> tuple[SpecialValue, ...]:
    """The codes of ``oneOf`` options that only name states ("noData", "undefined"...).

    They stay as the MRA writes them, unsigned (0x8000 for a signed short),
    as the codec expects special codes.
    """
    return tuple(
        SpecialValue(
            value.edt,
            snake(value.key),
            value.name_en,
            value.name_ja,
            _SPECIAL_KINDS.get(value.key, SpecialKind.NO_DATA),
        )
        for scalar in scalars
        for value in scalar.enum_values
    )


def _scalar(
    scalar: ScalarDefinition, key: str, special: tuple[SpecialValue, ...] = ()
) -> ValueSpec:
    """One leaf of a structured property, with the special codes of its ``oneOf``."""
    size = scalar.size
    if scalar.format in _SIZES:
        value = _value(scalar)  # the same attributes as an entity definition
        return replace(value, special=(*value.special, *special))
    if scalar.numeric_values or scalar.enum_values:
        value = _value(scalar)
        return replace(value, size=size, special=special)
    if size == 7:
        return replace(date_time(7), special=special)
    if size == 4 and _DATE_NAME.search(key):
        return replace(date(4), special=special)
    if size in (2, 3) and _TIME_NAME.search(key):
        return replace(time(size), special=special)
    return replace(raw(size), special=special)


def _one_of(definition: OneOfDefinition, key: str) -> ValueSpec:
    """A value and the options that only name its special codes."""
    options = definition.options
    base = options[0]
    codes = [
        option
        for option in options[1:]
        if isinstance(option, ScalarDefinition) and option.format is None and option.enum_values
    ]
    if not isinstance(base, ScalarDefinition) or len(codes) != len(options) - 1:
        # A struct or a different layout as the first option (0x027C 0xD1: two
        # times, or 0xFFFFFFFF "undefined" of another size): the first one.
        return _structured(base, key)
    return _scalar(base, key, _specials(code for code in codes if code.size == base.size))


def _structured(definition: PropertyValueDefinition, key: str = "") -> ValueSpec:
    """Our layout of one of pyhems' recursive value definitions."""
    if isinstance(definition, ScalarDefinition):
        return _scalar(definition, key)
    if isinstance(definition, OneOfDefinition):
        return _one_of(definition, key)
    if isinstance(definition, ArrayDefinition):
        return _array(definition, ())
    fields = [
        Field(
            _field_key(part.key),
            part.name_en,
            part.name_ja,
            _structured(part.value, f"{part.key} {part.name_en}"),
        )
        for part in definition.fields
    ]
    tail = definition.fields[-1].value if definition.fields else None
    if isinstance(tail, ArrayDefinition) and tail.min_items != tail.max_items:
        # Header fields (a count among them), then as many items as there are:
        # what our array is. A fixed number of items stays a field of the struct.
        return _array(tail, tuple(fields[:-1]), fields[-1].key)
    if (
        len(fields) >= 2
        and fields[-1].value.type is DataType.RAW
        and fields[-1].value.size == 1
        and any(_LENGTH_NAME.match(f.key) for f in fields[:-1])
    ):
        # pyhems gives a string or an ID after its length as one byte: the rest of the EDT.
        fields[-1] = replace(fields[-1], value=raw(None, 0, 0xFF))
    sizes = [f.value.size for f in fields]
    size = None if None in sizes else sum(s or 0 for s in sizes)
    return ValueSpec(DataType.STRUCT, size=size, fields=tuple(fields))


def _array(definition: ArrayDefinition, header: tuple[Field, ...], key: str = "") -> ValueSpec:
    """An array; its count is a header field's ("range", "number of ...") when it has one."""
    item = _structured(definition.item, key)
    if item.size != definition.item_size:
        item = raw(definition.item_size)  # an EOJ given as one byte (0x02A5 0xE8): its 3 bytes
    count = next((f.key for f in header if _COUNT_NAME.match(f.key)), None)
    minimum = definition.min_items or 0
    maximum = 0xFF if definition.max_items is None else definition.max_items
    fixed = not header and minimum == maximum
    return ValueSpec(
        DataType.ARRAY,
        size=item.size * minimum if fixed and item.size else None,
        fields=header,
        item=item,
        count_field=count,
        min_items=minimum,
        max_items=maximum,
        items_key=key or "items",
    )


def _structured_property(
    class_id: int, epc: int, definition: PropertyValueDefinition
) -> PropertySpec:
    """A structured property, named from the overlay (pyhems has only its layout)."""
    en, ja, access = STRUCTURED_NAMES.get(
        (class_id, epc), (f"Property 0x{epc:02X}", f"プロパティ0x{epc:02X}", "O-")
    )
    settable = access[1] != "-"
    return PropertySpec(
        epc,
        snake(en),
        en,
        ja,
        Access.OPTIONAL,
        Access.OPTIONAL if settable else Access.NONE,
        _structured(definition),
        role=Role.SETTING if settable else Role.PRIMARY,
    )


def _property(definitions: list[Any]) -> PropertySpec:
    """One property from its definitions (several when its EDT has fields at offsets)."""
    first = min(definitions, key=lambda d: d.byte_offset)
    if len(definitions) == 1:
        value = _value(first)
    else:
        fields: list[Field] = []
        offset = 0
        for definition in sorted(definitions, key=lambda d: d.byte_offset):
            field_value = _value(definition)
            if definition.byte_offset != offset or field_value.size is None:
                value = ValueSpec(DataType.RAW)
                break
            fields.append(
                Field(
                    snake(definition.name_en), definition.name_en, definition.name_ja, field_value
                )
            )
            offset += field_value.size
        else:
            value = ValueSpec(DataType.STRUCT, size=offset, fields=tuple(fields))
    return PropertySpec(
        first.epc,
        snake(first.name_en),
        first.name_en,
        first.name_ja,
        _access(first.get),
        _access(first.set),
        value,
        role=Role(str(first.role)),
    )


def _group(definitions: Iterable[Any]) -> dict[int, dict[int, list[Any]]]:
    """Definitions by the class that defines them (from their id) and EPC."""
    grouped: dict[int, dict[int, list[Any]]] = {}
    for definition in definitions:
        match = _ID.match(definition.id)
        if match is None:
            continue
        class_id = int(match.group(1), 16)
        by_epc = grouped.setdefault(class_id, {})
        if definition not in by_epc.setdefault(definition.epc, []):
            by_epc[definition.epc].append(definition)
    return grouped


def build() -> list[ClassSpec]:
    """Every class pyhems knows, and the device object super class, as our specs."""
    definitions = [d for device in REGISTRY.devices.values() for d in device.entities]
    grouped = _group(definitions)
    classes = [
        ClassSpec(
            SUPER_CLASS_ID,
            "device_object_super_class",
            "Device object super class",
            "機器オブジェクトスーパークラス",
            tuple(_property(defs) for _, defs in sorted(grouped.get(SUPER_CLASS_ID, {}).items())),
            inherits_super_class=False,
        )
    ]
    for class_id, device in sorted(REGISTRY.devices.items()):
        own = {epc: _property(defs) for epc, defs in grouped.get(class_id, {}).items()}
        for epc, definition in REGISTRY.structured_values.get(class_id, {}).items():
            own.setdefault(epc, _structured_property(class_id, epc, definition))
        classes.append(
            ClassSpec(
                class_id,
                snake(device.name_en),
                device.name_en,
                device.name_ja,
                tuple(spec for _, spec in sorted(own.items())),
            )
        )
    return classes
