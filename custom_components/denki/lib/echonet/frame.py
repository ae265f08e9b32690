"""ECHONET Lite frames (format 1): typed values, a strict decoder and an encoder.

A frame is EHD1 0x10, EHD2 0x81, TID (2 bytes), SEOJ (3), DEOJ (3), ESV,
OPC, then OPC x (EPC, PDC, EDT); SetGet and its answers add OPCGet and a
second property list. The decoder refuses, with a FrameError that says why,
anything short, long, inconsistent or of an unknown service: it never
raises IndexError or ValueError on input from the network.
"""

from dataclasses import dataclass

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
_EOJ_CACHE: dict[int, EOJ] = {}
_EOJ_CACHE_LIMIT = 1024


def _eoj(data: bytes, offset: int) -> EOJ:
    key = data[offset] << 16 | data[offset + 1] << 8 | data[offset + 2]
    eoj = _EOJ_CACHE.get(key)
    if eoj is None:
        eoj = EOJ(data[offset], data[offset + 1], data[offset + 2])
        if len(_EOJ_CACHE) < _EOJ_CACHE_LIMIT:
            _EOJ_CACHE[key] = eoj
    return eoj


NODE_PROFILE = EOJ(0x0E, 0xF0, 0x01)
CONTROLLER = EOJ(0x05, 0xFF, 0x01)


@dataclass(frozen=True, slots=True)
class Property:
    """One property: its code (EPC) and data (EDT; empty in a Get request)."""

    epc: int
    edt: bytes = b""

    def __post_init__(self) -> None:
        """An EPC is one byte; EDT is at most 255 bytes (PDC is one byte)."""
        if not 0 <= self.epc <= 0xFF:
            raise ValueError(f"EPC {self.epc} is not a byte")
        if len(self.edt) > 0xFF:
            raise ValueError(f"EDT of {len(self.edt)} bytes does not fit a PDC")


@dataclass(frozen=True, slots=True)
class Frame:
    """A format 1 ECHONET Lite frame."""

    tid: int
    seoj: EOJ
    deoj: EOJ
    esv: ESV
    properties: tuple[Property, ...] = ()
    get_properties: tuple[Property, ...] = ()
    """The Get part of SetGet, SetGet_Res and SetGet_SNA; empty otherwise."""

    def __post_init__(self) -> None:
        """Check what the wire format can carry."""
        if not 0 <= self.tid <= 0xFFFF:
            raise ValueError(f"TID {self.tid} is not two bytes")
        if len(self.properties) > 0xFF or len(self.get_properties) > 0xFF:
            raise ValueError("at most 255 properties in one list")
        if self.get_properties and not self.esv.has_get_list:
            raise ValueError(f"{self.esv.name} has no Get property list")


def _properties(
    data: bytes, position: int, count: int, where: str
) -> tuple[tuple[Property, ...], int]:
    properties = []
    length = len(data)
    for index in range(count):
        if position + 2 > length:
            raise FrameError(
                f"{where}property {index + 1} of {count} is cut off at byte {position}"
            )
        epc = data[position]
        pdc = data[position + 1]
        start = position + 2
        end = start + pdc
        if end > length:
            raise FrameError(
                f"{where}property 0x{epc:02X} announces {pdc} bytes but {length - start} remain"
            )
        properties.append(Property(epc, data[start:end]))
        position = end
    return tuple(properties), position


def decode_frame(data: bytes) -> Frame:
    """Decode one frame, or raise FrameError saying what is wrong with it."""
    length = len(data)
    if length < HEADER_LENGTH:
        raise FrameError(f"frame of {length} bytes is shorter than the {HEADER_LENGTH}-byte header")
    if data[0] != EHD1:
        raise FrameError(f"EHD1 0x{data[0]:02X} is not ECHONET Lite (0x10)")
    if data[1] != EHD2_FORMAT_1:
        if data[1] == EHD2_FORMAT_2:
            raise FrameError("format 2 (arbitrary message) frames are not supported")
        raise FrameError(f"EHD2 0x{data[1]:02X} is not a known frame format")
    esv = _ESVS.get(data[10])
    if esv is None:
        raise FrameError(f"ESV 0x{data[10]:02X} is not an ECHONET Lite service")
    properties, position = _properties(data, HEADER_LENGTH, data[11], "")
    get_properties: tuple[Property, ...] = ()
    if esv.has_get_list:
        if position >= length:
            raise FrameError(f"{esv.name} has no OPCGet")
        get_properties, position = _properties(data, position + 1, data[position], "Get ")
    if position != length:
        raise FrameError(f"{length - position} bytes follow the last property")
    return Frame(
        tid=data[2] << 8 | data[3],
        seoj=_eoj(data, 4),
        deoj=_eoj(data, 7),
        esv=esv,
        properties=properties,
        get_properties=get_properties,
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
