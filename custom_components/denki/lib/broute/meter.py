"""The low-voltage smart meter (class 0x0288) over a B-route session.

Reads are ECHONET Lite Get requests matched to their answer by TID and by
the meter's object; a property the meter lacks (a "not possible" answer)
comes back as missing, not as an error, since several are optional.
"""

import random

from ..echonet import CONTROLLER, EOJ, ESV, Frame, FrameError, Property, decode_frame, encode_frame
from .meter_values import (
    Current,
    EnergyScale,
    MeterValueError,
    parse_coefficient,
    parse_cumulative,
    parse_current,
    parse_digits,
    parse_power,
    parse_unit,
)
from .session import BRouteSession

METER = EOJ(0x02, 0x88, 0x01)


class LowVoltageMeter:
    """Typed reads from the meter behind a session."""

    def __init__(self, session: BRouteSession) -> None:
        """Start TIDs at a random value, so answers to a previous run cannot match."""
        self._session = session
        self._tid = random.randrange(0x10000)  # noqa: S311 - uniqueness, not secrecy
        self.scale: EnergyScale | None = None

    def _next_tid(self) -> int:
        self._tid = (self._tid + 1) & 0xFFFF
        return self._tid

    async def get(self, *epcs: int, within: float = 20.0) -> dict[int, bytes]:
        """The meter's data for each EPC it has; those it lacks are left out."""
        request = Frame(
            self._next_tid(), CONTROLLER, METER, ESV.GET, tuple(Property(epc) for epc in epcs)
        )

        def is_answer(data: bytes) -> bool:
            try:
                answer = decode_frame(data)
            except FrameError:
                return False
            return (
                answer.tid == request.tid
                and answer.seoj.class_id == METER.class_id
                and answer.esv in (ESV.GET_RES, ESV.GET_SNA)
            )

        answer = decode_frame(
            await self._session.request(encode_frame(request), is_answer, within=within)
        )
        return {prop.epc: prop.edt for prop in answer.properties if prop.edt}

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
