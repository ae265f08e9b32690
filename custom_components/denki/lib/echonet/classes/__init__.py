"""ECHONET Lite class data (Appendix Release R) and property value decoding/encoding.

The tables hold, for each class this integration meets, every property's
EPC, names in English and Japanese, access rules, layout, range, unit,
scale, enum codes and special codes. ``decode_value``/``encode_value`` are
driven by them alone; ``class_spec``/``property_spec`` look them up.

Source: the ECHONET Consortium's Machine Readable Appendix (MRA) as carried
by `pyhems` (MIT), a dependency, turned into our specs at import
(``from_pyhems.py``, its structured properties included); what it lacks
(the node profile, the rest of the opening family, the names of its
structured properties, the air conditioner's timers and function settings,
the super class's 0x86) is written in ``overlay.py``. Announcement rules are not in
the data: a device's own announcement map (0x9D) says what it announces.
"""

from .codec import OVERFLOW, UNDERFLOW, DecodedValue, Value, decode_value, encode_value
from .errors import PropertyValueError, UnknownPropertyError
from .registry import CLASSES, class_spec, property_spec
from .spec import (
    Access,
    BitField,
    ClassSpec,
    DataType,
    EnumValue,
    Field,
    PropertySpec,
    Role,
    SpecialKind,
    SpecialValue,
    ValueSpec,
)

__all__ = [
    "CLASSES",
    "OVERFLOW",
    "UNDERFLOW",
    "Access",
    "BitField",
    "ClassSpec",
    "DataType",
    "DecodedValue",
    "EnumValue",
    "Field",
    "PropertySpec",
    "PropertyValueError",
    "Role",
    "SpecialKind",
    "SpecialValue",
    "UnknownPropertyError",
    "Value",
    "ValueSpec",
    "class_spec",
    "decode_value",
    "encode_value",
    "property_spec",
]
