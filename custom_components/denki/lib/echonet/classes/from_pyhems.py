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
  those fields; anything else: raw bytes.
"""

from collections.abc import Iterable
from decimal import Decimal
import re
from typing import Any, Final

from pyhems import REGISTRY

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
    number,
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
        own = grouped.get(class_id, {})
        classes.append(
            ClassSpec(
                class_id,
                snake(device.name_en),
                device.name_en,
                device.name_ja,
                tuple(_property(defs) for _, defs in sorted(own.items())),
            )
        )
    return classes
