"""ECHONET Lite frames (format 1): typed values, a strict decoder and an encoder.

A frame is EHD1 0x10, EHD2 0x81, TID (2 bytes), SEOJ (3), DEOJ (3), ESV,
OPC, then OPC x (EPC, PDC, EDT); SetGet and its answers add OPCGet and a
second property list. The decoder refuses, with a FrameError that says why,
anything short, long, inconsistent or of an unknown service: it never
raises IndexError or ValueError on input from the network.
"""

from dataclasses import dataclass
from typing import NamedTuple, Self

from .errors import FrameError
from .esv import ESV

EHD1 = 0x10
EHD2_FORMAT_1 = 0x81
EHD2_FORMAT_2 = 0x82
HEADER_LENGTH = 12
_ESVS = {int(esv): esv for esv in ESV}


@dataclass(frozen=True, slots=True, order=True)
class EOJ:
    """An ECHONET object: class group, class, instance (e.g. 0x028801, a smart meter)."""

    class_group: int
    class_code: int
    instance: int

    def __post_init__(self) -> None:
        """Each part is one byte."""
        for part in (self.class_group, self.class_code, self.instance):
            if not 0 <= part <= 0xFF:
                raise ValueError(f"EOJ part {part} is not a byte")

    @classmethod
    def from_int(cls, value: int) -> EOJ:
        """From 0xGGCCII."""
        if not 0 <= value <= 0xFFFFFF:
            raise ValueError(f"EOJ 0x{value:X} is more than three bytes")
        return cls(value >> 16, (value >> 8) & 0xFF, value & 0xFF)

    @property
    def class_id(self) -> int:
        """The class without the instance, e.g. 0x0288."""
        return self.class_group << 8 | self.class_code

    def to_bytes(self) -> bytes:
        """The three bytes on the wire."""
        return bytes((self.class_group, self.class_code, self.instance))

    def __str__(self) -> str:
        """0x028801 style."""
        return f"0x{self.class_group:02X}{self.class_code:02X}{self.instance:02X}"


# A home has a handful of distinct objects: the decoder reuses their EOJs
# instead of building (and validating) two new ones for every frame.
_EOJ_CACHE: dict[bytes, EOJ] = {}
_EOJ_CACHE_LIMIT = 1024


def _eoj(raw: bytes) -> EOJ:
    eoj = _EOJ_CACHE.get(raw)
    if eoj is None:
        eoj = EOJ(raw[0], raw[1], raw[2])
        if len(_EOJ_CACHE) < _EOJ_CACHE_LIMIT:
            _EOJ_CACHE[raw] = eoj
    return eoj


NODE_PROFILE = EOJ(0x0E, 0xF0, 0x01)
CONTROLLER = EOJ(0x05, 0xFF, 0x01)

# Property and Frame are named tuples, not frozen dataclasses: the decoder, which
# has already checked every bound, builds them with tuple.__new__ and skips the
# constructor's checks, at a third of a frozen dataclass's cost per frame. Built
# by hand, they check what the wire format can carry, as before.
_new = tuple.__new__


class _PropertyFields(NamedTuple):
    epc: int
    edt: bytes


class Property(_PropertyFields):
    """One property: its code (EPC) and data (EDT; empty in a Get request)."""

    __slots__ = ()

    def __new__(cls, epc: int, edt: bytes = b"") -> Self:
        """An EPC is one byte; EDT is at most 255 bytes (PDC is one byte)."""
        if not 0 <= epc <= 0xFF:
            raise ValueError(f"EPC {epc} is not a byte")
        if len(edt) > 0xFF:
            raise ValueError(f"EDT of {len(edt)} bytes does not fit a PDC")
        return _new(cls, (epc, edt))


class _FrameFields(NamedTuple):
    tid: int
    seoj: EOJ
    deoj: EOJ
    esv: ESV
    properties: tuple[Property, ...]
    get_properties: tuple[Property, ...]


class Frame(_FrameFields):
    """A format 1 ECHONET Lite frame.

    `get_properties` is the Get part of SetGet, SetGet_Res and SetGet_SNA;
    empty otherwise.
    """

    __slots__ = ()

    def __new__(  # noqa: PLR0917 - the fields in wire order, as the dataclass took them
        cls,
        tid: int,
        seoj: EOJ,
        deoj: EOJ,
        esv: ESV,
        properties: tuple[Property, ...] = (),
        get_properties: tuple[Property, ...] = (),
    ) -> Self:
        """Check what the wire format can carry."""
        if not 0 <= tid <= 0xFFFF:
            raise ValueError(f"TID {tid} is not two bytes")
        if len(properties) > 0xFF or len(get_properties) > 0xFF:
            raise ValueError("at most 255 properties in one list")
        if get_properties and not esv.has_get_list:
            raise ValueError(f"{esv.name} has no Get property list")
        return _new(cls, (tid, seoj, deoj, esv, tuple(properties), tuple(get_properties)))


_GET_LIST_CODES = frozenset(int(esv) for esv in ESV if esv.has_get_list)
_ESV_BY_CODE: tuple[ESV | None, ...] = tuple(_ESVS.get(code) for code in range(0x100))
_FORMAT_1 = bytes((EHD1, EHD2_FORMAT_1))


def _properties(
    data: bytes, position: int, count: int, where: str
) -> tuple[tuple[Property, ...], int]:
    """`count` properties from `position` on, and the position after them.

    Bounds are checked once, at the end: a property that overruns the frame
    either makes the next index fail or leaves the position past the end,
    and then `_overrun` walks the list again to say which one.
    """
    start = position
    properties: list[Property] = []
    append = properties.append
    try:
        for _ in range(count):
            end = position + 2 + data[position + 1]
            append(_new(Property, (data[position], data[position + 2 : end])))
            position = end
    except IndexError:
        raise _overrun(data, start, count, where) from None
    if position > len(data):
        raise _overrun(data, start, count, where)
    return tuple(properties), position


def _overrun(data: bytes, position: int, count: int, where: str) -> FrameError:
    """The error for the first property of a list that does not fit in the frame."""
    length = len(data)
    for index in range(count):
        if position + 2 > length:
            return FrameError(
                f"{where}property {index + 1} of {count} is cut off at byte {position}"
            )
        epc, pdc = data[position], data[position + 1]
        if position + 2 + pdc > length:
            return FrameError(
                f"{where}property 0x{epc:02X} announces {pdc} bytes"
                f" but {length - position - 2} remain"
            )
        position += 2 + pdc
    return FrameError(f"{where}property list overruns the frame")  # pragma: no cover


def _header_error(data: bytes) -> FrameError:
    length = len(data)
    if length < HEADER_LENGTH:
        return FrameError(
            f"frame of {length} bytes is shorter than the {HEADER_LENGTH}-byte header"
        )
    if data[0] != EHD1:
        return FrameError(f"EHD1 0x{data[0]:02X} is not ECHONET Lite (0x10)")
    if data[1] == EHD2_FORMAT_2:
        return FrameError("format 2 (arbitrary message) frames are not supported")
    return FrameError(f"EHD2 0x{data[1]:02X} is not a known frame format")


def decode_frame(data: bytes) -> Frame:
    """Decode one frame, or raise FrameError saying what is wrong with it."""
    if type(data) is not bytes:  # a bytearray or memoryview: values must not alias it
        data = bytes(data)
    length = len(data)
    if length < HEADER_LENGTH or data[:2] != _FORMAT_1:
        raise _header_error(data)
    code = data[10]
    esv = _ESV_BY_CODE[code]
    if esv is None:
        raise FrameError(f"ESV 0x{code:02X} is not an ECHONET Lite service")
    count = data[11]
    if count == 1 and length >= 14 and (position := 14 + data[13]) <= length:
        # The common answer, one property, without building a list.
        properties: tuple[Property, ...] = (_new(Property, (data[12], data[14:position])),)
    else:
        properties, position = _properties(data, HEADER_LENGTH, count, "")
    get_properties: tuple[Property, ...] = ()
    if code in _GET_LIST_CODES:
        if position >= length:
            raise FrameError(f"{esv.name} has no OPCGet")
        get_properties, position = _properties(data, position + 1, data[position], "Get ")
    if position != length:
        raise FrameError(f"{length - position} bytes follow the last property")
    seoj = data[4:7]
    deoj = data[7:10]
    return _new(
        Frame,
        (
            data[2] << 8 | data[3],
            _EOJ_CACHE.get(seoj) or _eoj(seoj),
            _EOJ_CACHE.get(deoj) or _eoj(deoj),
            esv,
            properties,
            get_properties,
        ),
    )


def encode_frame(frame: Frame) -> bytes:
    """The bytes of a frame."""
    out = bytearray((EHD1, EHD2_FORMAT_1, frame.tid >> 8, frame.tid & 0xFF))
    out += frame.seoj.to_bytes()
    out += frame.deoj.to_bytes()
    out.append(frame.esv)
    lists = [frame.properties]
    if frame.esv.has_get_list:
        lists.append(frame.get_properties)
    for properties in lists:
        out.append(len(properties))
        for prop in properties:
            out.append(prop.epc)
            out.append(len(prop.edt))
            out += prop.edt
    return bytes(out)
