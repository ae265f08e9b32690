"""The node profile object (class 0x0EF0): its property codes and list formats.

Every ECHONET Lite node has a node profile; a controller discovers nodes by
asking every node profile for its self-node instance list S (0xD6): a count,
then three bytes per object. Lists of more than 84 objects carry only the
first 84 (ECHONET Lite specification, part II, 6.11.1).
"""

from collections.abc import Iterable

from .errors import FrameError
from .frame import EOJ

NODE_PROFILE_CLASS = 0x0EF0

EPC_OPERATING_STATUS = 0x80
EPC_VERSION = 0x82
EPC_IDENTIFICATION = 0x83
EPC_MANUFACTURER = 0x8A
EPC_ANNOUNCEMENT_MAP = 0x9D
EPC_SET_MAP = 0x9E
EPC_GET_MAP = 0x9F
EPC_INSTANCE_COUNT = 0xD3
EPC_CLASS_COUNT = 0xD4
EPC_INSTANCE_LIST_NOTIFICATION = 0xD5
EPC_INSTANCE_LIST = 0xD6
EPC_CLASS_LIST = 0xD7

_MAX_INSTANCES = 84
_MAX_CLASSES = 8


def encode_instance_list(objects: Iterable[EOJ]) -> bytes:
    """A self-node instance list (0xD5, 0xD6): count, then up to 84 EOJs."""
    unique = sorted(set(objects))
    out = bytearray((min(len(unique), 0xFF),))
    for eoj in unique[:_MAX_INSTANCES]:
        out += eoj.to_bytes()
    return bytes(out)


def decode_instance_list(edt: bytes) -> tuple[EOJ, ...]:
    """The objects of a self-node instance list, or FrameError."""
    if not edt:
        raise FrameError("an empty instance list")
    listed = min(edt[0], _MAX_INSTANCES)
    if len(edt) != 1 + 3 * listed:
        raise FrameError(f"an instance list of {edt[0]} objects has {len(edt) - 1} bytes")
    return tuple(EOJ(*edt[start : start + 3]) for start in range(1, len(edt), 3))


def encode_class_list(objects: Iterable[EOJ]) -> bytes:
    """A self-node class list S (0xD7): count, then up to 8 class codes (no node profile)."""
    classes = sorted({eoj.class_id for eoj in objects} - {NODE_PROFILE_CLASS})
    out = bytearray((len(classes),))
    for class_id in classes[:_MAX_CLASSES]:
        out += class_id.to_bytes(2)
    return bytes(out)
