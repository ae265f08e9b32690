"""The low-voltage smart meter (class 0x0288) over a B-route session.

Reads are ECHONET Lite Get requests matched to their answer by TID and by
the meter's object; a property the meter lacks (a "not possible" answer)
comes back as missing, not as an error, since several are optional.
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
import random

from ..echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    Frame,
    FrameError,
    Property,
    decode_frame,
    decode_property_map,
    encode_frame,
)
from .errors import DongleTimeoutError
from .history import BoundaryCounts
from .meter_values import (
    JST,
    Current,
    EnergyScale,
    MeterValueError,
    TimedCount,
    TimedPair,
    build_history_2,
    build_history_3,
    build_history_day,
    parse_coefficient,
    parse_cumulative,
    parse_current,
    parse_digits,
    parse_fixed_time,
    parse_history_2,
    parse_history_3,
    parse_history_day,
    parse_power,
    parse_unit,
)
from .session import BRouteSession

METER = EOJ(0x02, 0x88, 0x01)
IDENTITY_WITHIN = 5.0
"""How long the node profile gets to answer: a meter without one never does."""
EPC_FIXED_IMPORT = 0xEA
EPC_FIXED_EXPORT = 0xEB


@dataclass(frozen=True, slots=True)
class Announcement:
    """What the meter sent of its own accord (INF or INFC), and the counts it carried."""

    frame: Frame
    counts: tuple[BoundaryCounts, ...]
    """The fixed-time counts (0xEA import, 0xEB export), one per moment they were taken at."""

    @property
    def wants_answer(self) -> bool:
        """Whether the meter waits for an INFC_Res."""
        return self.frame.esv is ESV.INFC


def read_announcement(data: bytes) -> Announcement | None:
    """The meter object's INF or INFC in a datagram, with its fixed-time counts; else None.

    A low-voltage meter announces its fixed-time cumulative values (0xEA,
    and 0xEB where it measures export) within five minutes of every hour and
    half hour, by INF or INFC (momonga 0.7.0's README, "Notification";
    momonga.py lines 174-180 route both to its notification queue). A
    property that does not parse is left out rather than failing the rest.
    """
    try:
        frame = decode_frame(data)
    except FrameError:
        return None
    if frame.esv not in (ESV.INF, ESV.INFC) or frame.seoj.class_id != METER.class_id:
        return None
    by_time: dict[datetime, BoundaryCounts] = {}
    for prop in frame.properties:
        if prop.epc not in (EPC_FIXED_IMPORT, EPC_FIXED_EXPORT) or not prop.edt:
            continue
        try:
            timed = parse_fixed_time(prop.edt)
        except MeterValueError:
            continue
        known = by_time.get(timed.timestamp, BoundaryCounts(timed.timestamp, None, None))
        if prop.epc == EPC_FIXED_IMPORT:
            by_time[timed.timestamp] = BoundaryCounts(timed.timestamp, timed.count, known.exported)
        else:
            by_time[timed.timestamp] = BoundaryCounts(timed.timestamp, known.imported, timed.count)
    return Announcement(frame, tuple(by_time.values()))


def infc_response(frame: Frame) -> bytes:
    """The INFC_Res to an INFC: its TID, each of its EPCs with no data.

    As momonga answers (momonga.py lines 385-405, `_send_infc_res`): the
    meter that sent INFC waits for it.
    """
    answer = Frame(
        frame.tid,
        CONTROLLER,
        frame.seoj,
        ESV.INFC_RES,
        tuple(Property(prop.epc) for prop in frame.properties),
    )
    return encode_frame(answer)


class LowVoltageMeter:
    """Typed reads from the meter behind a session."""

    def __init__(self, session: BRouteSession, *, within: float = 20.0) -> None:
        """Start TIDs at a random value, so answers to a previous run cannot match.

        `within` is how long each request waits for the meter's answer.
        """
        self._session = session
        self.within = within
        self._tid = random.randrange(0x10000)  # noqa: S311 - uniqueness, not secrecy
        self.scale: EnergyScale | None = None
        self._get_map: frozenset[int] | None = None
        # A record is read in two frames: a Set that chooses (the day, the
        # moment), then the Get. Two readers (the statistics back-fill and the
        # savings, say) must not choose between each other's two frames.
        self._choosing = asyncio.Lock()

    def _next_tid(self) -> int:
        self._tid = (self._tid + 1) & 0xFFFF
        return self._tid

    async def get(
        self, *epcs: int, within: float | None = None, eoj: EOJ = METER
    ) -> dict[int, bytes]:
        """The data of the meter (or of its node's `eoj`) for each EPC it has; the rest left out."""
        properties = tuple(Property(epc) for epc in epcs)
        answer = await self._ask(ESV.GET, properties, within or self.within, eoj)
        return {prop.epc: prop.edt for prop in answer.properties if prop.edt}

    async def set(self, epc: int, edt: bytes, *, within: float | None = None) -> None:
        """Write one property (SetC); raise MeterValueError if the meter refuses it."""
        answer = await self._ask(ESV.SETC, (Property(epc, edt),), within or self.within)
        if answer.esv is not ESV.SET_RES:
            raise MeterValueError(f"the meter refused to set 0x{epc:02X}")

    async def _ask(
        self, esv: ESV, properties: tuple[Property, ...], within: float, eoj: EOJ = METER
    ) -> Frame:
        request = Frame(self._next_tid(), CONTROLLER, eoj, esv, properties)
        answers = {
            ESV.GET: (ESV.GET_RES, ESV.GET_SNA),
            ESV.SETC: (ESV.SET_RES, ESV.SETC_SNA),
        }[esv]

        def is_answer(data: bytes) -> bool:
            try:
                answer = decode_frame(data)
            except FrameError:
                return False
            return (
                answer.tid == request.tid
                and answer.seoj.class_id == eoj.class_id
                and answer.esv in answers
            )

        return decode_frame(
            await self._session.request(encode_frame(request), is_answer, within=within)
        )

    async def property_map(self) -> frozenset[int]:
        """The EPCs the meter can answer Get for (0x9F), read once and kept."""
        if self._get_map is None:
            values = await self.get(0x9F)
            if 0x9F not in values:
                raise MeterValueError("the meter did not give its Get property map (0x9F)")
            self._get_map = frozenset(decode_property_map(values[0x9F]))
        return self._get_map

    async def has(self, *epcs: int) -> bool:
        """Whether the meter offers every one of these properties."""
        return set(epcs) <= await self.property_map()

    async def identification(self) -> str:
        """The meter's identification number (0x83) as hex: its identity, not the dongle's."""
        values = await self.get(0x83)
        if 0x83 not in values:
            raise MeterValueError("the meter did not give its identification number (0x83)")
        return values[0x83].hex().upper()

    async def identity(self, mac: str | None = None) -> tuple[str, str]:
        """The meter's identity and where it came from, for meters with and without 0x83.

        In order: the meter object's identification number (0x83: the same
        value `identification()` gives, so entries keep their unique id), the
        node profile's 0x83, the maker code (0x8A) with the serial number
        (0x8D), and last the meter's MAC from its PAN descriptor. 0x83 and
        0x8D are optional on a device object (ECHONET Lite Appendix, the
        device object super class), so any of them may be missing.
        """
        values = await self.get(0x83)
        if 0x83 in values:
            return values[0x83].hex().upper(), "meter 0x83"
        try:
            node = await self.get(0x83, within=IDENTITY_WITHIN, eoj=NODE_PROFILE)
        except DongleTimeoutError:
            node = {}
        if 0x83 in node:
            return node[0x83].hex().upper(), "node profile 0x83"
        values = await self.get(0x8A, 0x8D)
        if 0x8A in values and 0x8D in values:
            return f"{values[0x8A].hex().upper()}-{values[0x8D].hex().upper()}", "0x8A+0x8D"
        if mac:
            return mac.upper(), "MAC"
        raise MeterValueError("the meter gave no identification number, serial number or MAC")

    async def clock(self) -> datetime:
        """The meter's own date (0x98) and time (0x97), in Japan Standard Time."""
        values = await self.get(0x98, 0x97)
        return _meter_time(values)

    async def fixed_time(self) -> tuple[TimedCount | None, TimedCount | None]:
        """The counts at the last 30-minute boundary (0xEA import, 0xEB export)."""
        values = await self.get(0xEA, 0xEB)
        return (
            parse_fixed_time(values[0xEA]) if 0xEA in values else None,
            parse_fixed_time(values[0xEB]) if 0xEB in values else None,
        )

    async def history_day(self, days_ago: int) -> tuple[list[TimedCount], list[TimedCount]]:
        """The 48 half-hourly import and export counts of one of the meter's days.

        Two frames: 0xE5 chooses the day, then one Get reads 0xE2, 0xE4 and
        the meter's date (0x98), so that "days ago" is counted on the meter's
        calendar even across midnight.
        """
        async with self._choosing:
            await self.set(0xE5, build_history_day(days_ago))
            values = await self.get(0xE2, 0xE4, 0x98)
        if 0xE2 not in values or 0x98 not in values:
            raise MeterValueError("the meter did not give its 30-minute history (0xE2)")
        today = _meter_date(values[0x98])
        imports = parse_history_day(values[0xE2], today)
        exports = parse_history_day(values[0xE4], today) if 0xE4 in values else []
        return imports, exports

    async def history_2(self, newest: datetime, points: int = 12) -> list[TimedPair]:
        """Historical data 2 (0xED then 0xEC): up to 12 half-hourly pairs, newest first."""
        async with self._choosing:
            await self.set(0xED, build_history_2(newest, points))
            values = await self.get(0xEC)
        if 0xEC not in values:
            raise MeterValueError("the meter did not give historical data 2 (0xEC)")
        return parse_history_2(values[0xEC])

    async def history_3(self, newest: datetime, points: int = 10) -> list[TimedPair]:
        """Historical data 3 (0xEF then 0xEE): up to 10 one-minute pairs, newest first."""
        async with self._choosing:
            await self.set(0xEF, build_history_3(newest, points))
            values = await self.get(0xEE)
        if 0xEE not in values:
            raise MeterValueError("the meter did not give historical data 3 (0xEE)")
        return parse_history_3(values[0xEE])

    async def read_scale(self) -> EnergyScale:
        """Coefficient (0xD3, optional: 1 without it), unit (0xE1) and digits (0xD7)."""
        values = await self.get(0xD3, 0xE1, 0xD7)
        if 0xE1 not in values or 0xD7 not in values:
            raise MeterValueError("the meter did not give its unit (0xE1) and digits (0xD7)")
        coefficient = parse_coefficient(values[0xD3]) if 0xD3 in values else 1
        self.scale = EnergyScale(coefficient, parse_unit(values[0xE1]), parse_digits(values[0xD7]))
        return self.scale

    async def instantaneous(self) -> tuple[int | None, Current | None]:
        """Power in W (0xE7) and current per phase (0xE8)."""
        values = await self.get(0xE7, 0xE8)
        power = parse_power(values[0xE7]) if 0xE7 in values else None
        current = parse_current(values[0xE8]) if 0xE8 in values else None
        return power, current

    async def cumulative_kwh(self) -> tuple[float | None, float | None]:
        """Cumulative import (0xE0) and export (0xE3) energy in kWh."""
        scale = self.scale or await self.read_scale()
        values = await self.get(0xE0, 0xE3)
        return (
            scale.kwh(parse_cumulative(values[0xE0])) if 0xE0 in values else None,
            scale.kwh(parse_cumulative(values[0xE3])) if 0xE3 in values else None,
        )


def _meter_date(edt: bytes) -> date:
    if len(edt) != 4:
        raise MeterValueError(f"the meter's date (0x98) takes 4 bytes, not {len(edt)}")
    try:
        return date(int.from_bytes(edt[0:2]), edt[2], edt[3])
    except ValueError as err:
        raise MeterValueError(f"the meter's date (0x98) {edt.hex()} is not a date") from err


def _meter_time(values: dict[int, bytes]) -> datetime:
    if 0x98 not in values or 0x97 not in values or len(values[0x97]) != 2:
        raise MeterValueError("the meter did not give its date (0x98) and time (0x97)")
    day = _meter_date(values[0x98])
    hour, minute = values[0x97]
    if hour > 23 or minute > 59:
        raise MeterValueError(f"the meter's time (0x97) {values[0x97].hex()} is not a time")
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)
