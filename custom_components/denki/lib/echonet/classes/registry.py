"""Lookups over the class data: a class by its id, a property by class and EPC."""

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from .from_pyhems import SUPER_CLASS_ID, build
from .overlay import (
    AIR_CONDITIONER,
    LOW_VOLTAGE_METER,
    NODE_PROFILE,
    openings,
    with_air_conditioner_extra,
    with_descriptive,
    with_meter_fixes,
)
from .spec import ClassSpec, PropertySpec

RAIN_SHUTTER = 0x0263


def _index(classes: list[ClassSpec]) -> Mapping[int, ClassSpec]:
    by_id: dict[int, ClassSpec] = {}
    for spec in classes:
        if spec.class_id in by_id:
            raise ValueError(f"class 0x{spec.class_id:04X} is defined twice")
        by_id[spec.class_id] = spec
    return MappingProxyType(by_id)


def _all() -> list[ClassSpec]:
    fixes: dict[int, Callable[[ClassSpec], ClassSpec]] = {
        SUPER_CLASS_ID: with_descriptive,
        LOW_VOLTAGE_METER: with_meter_fixes,
        AIR_CONDITIONER: with_air_conditioner_extra,
    }
    built = [fixes[spec.class_id](spec) if spec.class_id in fixes else spec for spec in build()]
    known = {spec.class_id for spec in built}
    rain_shutter = next(spec for spec in built if spec.class_id == RAIN_SHUTTER)
    extra = [spec for spec in openings(rain_shutter) if spec.class_id not in known]
    return [*built, NODE_PROFILE, *extra]


CLASSES: Final = _index(_all())
"""Every class in the data, by class id (0x0000 is the device object super class)."""
DEVICE_SUPER_CLASS: Final = CLASSES[SUPER_CLASS_ID]


def class_spec(class_id: int) -> ClassSpec | None:
    """The class ``class_id`` (e.g. 0x0130), or None when the data lacks it."""
    return CLASSES.get(class_id)


def property_spec(class_id: int, epc: int) -> PropertySpec | None:
    """Property ``epc`` of class ``class_id``, falling back to the device super class.

    An unknown device class still gets the super class's properties
    (0x80 to 0x9F), since every device object has them; profile classes
    (class group 0x0E) and the node profile do not.
    """
    spec = CLASSES.get(class_id)
    if spec is not None:
        own = spec.properties.get(epc)
        if own is not None or not spec.inherits_super_class:
            return own
    elif class_id >> 8 == 0x0E:
        return None
    if class_id == SUPER_CLASS_ID:
        return None
    return DEVICE_SUPER_CLASS.properties.get(epc)
