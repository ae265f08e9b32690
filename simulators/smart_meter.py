"""A low-voltage smart electric energy meter (class 0x0288) answering ECHONET Lite.

It stands behind the simulated Wi-SUN dongle (`MeterRadio.responder`) and
answers Get (and SetC of the history-selection properties) from a table of
property values, with Get_SNA for properties it does not have. It uses the
library's frame codec, whose own tests check it against pychonet.

Without a `MeterHistory` its values are fixed numbers a test sets; with
one, live values and every history (30-minute by day 0xE2/0xE4, historical
data 2 0xEC, and on next-generation meters 0xD0 and 1-minute 0xEE) come from
the same minute-by-minute counters and the meter's own clock. When the
history has a `load` (the simulated home's appliances), the power 0xE7 and
the current 0xE8 (R and T at 100 V) are the base load plus theirs, and the
counters integrate them.
"""

from dataclasses import dataclass, field

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    Frame,
    FrameError,
    Property,
    decode_frame,
    encode_frame,
    encode_property_map,
)

from .meter_history import MeterHistory, history_properties, one_minute_properties

METER_EOJ = EOJ(0x02, 0x88, 0x01)
_SETTABLE = {0xE5, 0xED, 0xEF}
_UNIT_CODES = {1000: 0x00, 100: 0x01, 10: 0x02, 1: 0x03}  # Wh per count -> 0xE1 code


def _u32(value: int) -> bytes:
    return value.to_bytes(4)


@dataclass
class SimulatedMeter:
    """The meter's properties, as raw EDT bytes, changeable by a test."""

    power_w: int = 500
    import_count: int = 123_456
    export_count: int = 789
    unit: int = 0x01  # 0.1 kWh
    digits: int = 6
    coefficient: int | None = None  # None: the meter has no 0xD3 (optional)
    serial: str = "SIM0000000001"
    history: MeterHistory | None = None
    next_generation: bool = False
    extra: dict[int, bytes] = field(default_factory=dict)
    requests: int = 0
    frames: list[ESV] = field(default_factory=list)

    def properties(self) -> dict[int, bytes]:
        """Every property the meter has, by EPC."""
        props = {
            0x80: b"\x30",
            0x83: b"\xfe\x00\x00\x16" + self.serial.encode().ljust(13, b"\x00")[:13],
            0x88: b"\x42",
            0x8A: b"\x00\x00\x16",
            0xD7: bytes([self.digits]),
            0xE0: _u32(self.import_count),
            0xE1: bytes([self.unit]),
            0xE3: _u32(self.export_count),
            0xE7: self.power_w.to_bytes(4, signed=True),
            0xE8: bytes.fromhex("003200" + "14"),
        }
        if self.history is not None:
            props[0xE1] = bytes([_UNIT_CODES[self.history.wh_per_count]])
            props[0xD7] = bytes([self.history.digits])
            props.update(history_properties(self.history, self.extra))
            if self.next_generation:
                props.update(one_minute_properties(self.history, self.extra))
        if self.coefficient is not None:
            props[0xD3] = _u32(self.coefficient)
        props.update(self.extra)
        props[0x9F] = encode_property_map(set(props) | {0x9F})
        return props

    def answer(self, payload: bytes) -> bytes | None:
        """The meter's answer to a datagram, or None for what it ignores."""
        try:
            request = decode_frame(payload)
        except FrameError:
            return None
        if request.deoj.class_id != METER_EOJ.class_id:
            return None
        self.requests += 1
        self.frames.append(request.esv)
        props = self.properties()
        if request.esv is ESV.GET:
            found = [Property(p.epc, props.get(p.epc, b"")) for p in request.properties]
            ok = all(p.epc in props for p in request.properties)
            esv = ESV.GET_RES if ok else ESV.GET_SNA
        elif request.esv is ESV.SETC:
            ok = all(p.epc in _SETTABLE for p in request.properties)
            for p in request.properties:
                if p.epc in _SETTABLE:
                    self.extra[p.epc] = p.edt
            found = [
                Property(p.epc, b"" if p.epc in _SETTABLE else p.edt) for p in request.properties
            ]
            esv = ESV.SET_RES if ok else ESV.SETC_SNA
        else:
            return None
        return encode_frame(Frame(request.tid, METER_EOJ, request.seoj, esv, tuple(found)))
