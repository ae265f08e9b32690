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

What next-generation meters offer, and what any meter may do to a
back-fill, each from its public source:

- 1-minute values kept for 60 minutes (0xEF chooses the newest minute and
  how many, 1 to 10; 0xEE gives them newest first): "1分値を60分保存",
  next-gen-smart-meter-standard-functions.txt, 論点2-④; the format as
  momonga 0.7.0 builds and reads it (momonga_echonet_data.py lines 487-503
  and 375-404). The values themselves come from `MeterHistory`.
- The fixed-time counts (0xEA, and 0xEB for export) pushed within five
  minutes of every hour and half hour, by INF or INFC (momonga 0.7.0's
  README, "Notification"): `due_announcements`, which a test delivers
  through the dongle (`PtyDongle.announce`). An INFC wants an INFC_Res
  back, which `answer` records like any other frame.
- A day of 30-minute records refused: a SetC of 0xE5 the meter cannot carry
  out is answered SetC_SNA (ESV 0x51, ECHONET Lite specification part II,
  3.2.5), which momonga takes as "the meter could not do this" for any
  0x5X (momonga.py lines 473-475): `refused_days`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

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

from .meter_history import (
    JST,
    NO_DATA,
    MeterHistory,
    history_properties,
    one_minute_properties,
    timestamp,
)

METER_EOJ = EOJ(0x02, 0x88, 0x01)
CONTROLLER_EOJ = EOJ(0x05, 0xFF, 0x01)
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
    refused_days: set[int] = field(default_factory=set)
    """0xE5 values ("days ago") whose SetC the meter answers SetC_SNA."""
    days_asked: list[int] = field(default_factory=list)
    """Every 0xE5 value a controller set, refused or not."""
    minutes_asked: list[tuple[datetime, int]] = field(default_factory=list)
    """Every 0xEF a controller set: (newest minute, points)."""
    announce_esv: ESV = ESV.INF
    """INF, or INFC (which wants an INFC_Res)."""
    announced_until: datetime | None = None
    """The newest boundary whose counts `due_announcements` gave."""
    _tid: int = 0

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
            accepted = {p.epc for p in request.properties if self._settable(p)}
            for p in request.properties:
                if p.epc in accepted:
                    self.extra[p.epc] = p.edt
            # Accepted properties come back without data, refused ones with theirs (the
            # ECHONET Lite specification part II's SetC_SNA, as lib/echonet/exchange.py reads it).
            found = [
                Property(p.epc, b"" if p.epc in accepted else p.edt) for p in request.properties
            ]
            esv = ESV.SET_RES if len(accepted) == len(request.properties) else ESV.SETC_SNA
        else:
            return None
        return encode_frame(Frame(request.tid, METER_EOJ, request.seoj, esv, tuple(found)))

    def _settable(self, prop: Property) -> bool:
        """Whether the meter takes this SetC: a history selection it can carry out."""
        if prop.epc not in _SETTABLE:
            return False
        if prop.epc == 0xE5 and len(prop.edt) == 1:
            self.days_asked.append(prop.edt[0])
            return prop.edt[0] not in self.refused_days
        if prop.epc == 0xEF and len(prop.edt) == 7:
            year = int.from_bytes(prop.edt[0:2])
            month, day, hour, minute = prop.edt[2:6]
            self.minutes_asked.append(
                (datetime(year, month, day, hour, minute, tzinfo=JST), prop.edt[6])
            )
        return True

    def announcement(self, boundary: datetime) -> bytes:
        """The INF (or INFC) of the fixed-time counts at `boundary`: 0xEA and 0xEB."""
        if self.history is None:
            raise ValueError("a meter without a history has no fixed-time counts to announce")
        counts = self.history.counts_at(boundary) or (NO_DATA, NO_DATA)
        stamp = timestamp(boundary, seconds=True)
        properties = (
            Property(0xEA, stamp + counts[0].to_bytes(4)),
            Property(0xEB, stamp + counts[1].to_bytes(4)),
        )
        self._tid = (self._tid + 1) & 0xFFFF
        frame = Frame(self._tid, METER_EOJ, CONTROLLER_EOJ, self.announce_esv, properties)
        return encode_frame(frame)

    def due_announcements(self) -> list[bytes]:
        """The announcements of every boundary passed since the last call, oldest first.

        A real meter announces each boundary within five minutes of it; a
        test that moves the clock by more asks afterwards, and still gets
        every boundary passed, each with its own time and counts. The first
        call announces the latest boundary only.
        """
        if self.history is None:
            return []
        latest = self.history.last_boundary()
        boundary = (self.announced_until or latest - timedelta(minutes=30)) + timedelta(minutes=30)
        due = []
        while boundary <= latest:
            due.append(self.announcement(boundary))
            boundary += timedelta(minutes=30)
        self.announced_until = latest
        return due
