"""Property maps (EPC 0x9D, 0x9E, 0x9F): which properties a node announces, sets, gets.

Fewer than 16 properties: a count, then the EPCs. Sixteen or more: a count,
then a 16-byte bitmap in which bit j of byte i stands for EPC 0x80 + i + 0x10 * j
(ECHONET Lite specification, Appendix, property map description format 2).
The decoder is strict: a count that disagrees with the list or the bitmap
is refused, since a node whose map cannot be trusted would be polled wrongly.
"""

from collections.abc import Iterable

from .errors import FrameError

_BITMAP_THRESHOLD = 16


def decode_property_map(edt: bytes) -> frozenset[int]:
    """The EPCs of a property map, or FrameError."""
    if not edt:
        raise FrameError("an empty property map")
    count = edt[0]
    if count < _BITMAP_THRESHOLD:
        epcs = edt[1:]
        if len(epcs) != count:
            raise FrameError(f"a property map of {count} EPCs lists {len(epcs)}")
        if any(epc < 0x80 for epc in epcs):
            raise FrameError("a property map lists an EPC below 0x80")
        if len(set(epcs)) != count:
            raise FrameError("a property map lists an EPC twice")
        return frozenset(epcs)
    if len(edt) != 17:
        raise FrameError(
            f"a property map of {count} EPCs needs a 16-byte bitmap, not {len(edt) - 1}"
        )
    epcs_set = {
        0x80 + byte_index + 0x10 * bit
        for byte_index, byte in enumerate(edt[1:])
        for bit in range(8)
        if byte >> bit & 1
    }
    if len(epcs_set) != count:
        raise FrameError(f"a property map of {count} EPCs has {len(epcs_set)} bits set")
    return frozenset(epcs_set)


def encode_property_map(epcs: Iterable[int]) -> bytes:
    """A property map in the format its size calls for."""
    unique = sorted(set(epcs))
    if any(not 0x80 <= epc <= 0xFF for epc in unique):
        raise ValueError("property map EPCs are 0x80 to 0xFF")
    if len(unique) < _BITMAP_THRESHOLD:
        return bytes([len(unique), *unique])
    bitmap = bytearray(16)
    for epc in unique:
        offset = epc - 0x80
        bitmap[offset & 0x0F] |= 1 << (offset >> 4)
    return bytes([len(unique)]) + bytes(bitmap)
