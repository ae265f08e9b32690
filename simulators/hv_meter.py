"""A high-voltage smart electric energy meter (0x028A, or bidirectional 0x028F) on the LAN.

A `SimulatedNode` on a loopback address of its own answers ECHONET Lite
over UDP, as a building's meter on Ethernet does. Its counters come from a
`MeterHistory` (one count = 1 Wh, 8 digits), so the cumulative energy
(0xE2), the last 30-minute demand (0xC3) and the 48 half-hourly counts of
any of the last 45 days (0xE7, 0xE8 on 0x028F, the day chosen by SetC
0xE1) agree with each other exactly. Its scaling is a real meter's kind:
coefficient 0xD3 = 1, its factor 0xD4 = 0x02 (x0.01), energy unit 0xE6 =
0x01 (0.1 kWh), so a raw count times 0.001 is kWh; demand unit 0xC5 = 0x01
(0.1 kW), so a raw demand times 0.001 is kW. `silent = True` makes it stop
answering, as a meter whose LAN cable is pulled.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from custom_components.denki.lib.echonet import EOJ, ESV, Frame

from .echonet_devices import device_object, home_node
from .echonet_node import SimulatedNode
from .meter_history import NO_DATA, MeterHistory, history_properties, timestamp

HV_METER = EOJ(0x02, 0x8A, 0x01)
HV_BIDIRECTIONAL = EOJ(0x02, 0x8F, 0x01)
IMPORT_BASE = 12_345_678
"""The import count at the history's origin: 12 345.678 kWh."""
EXPORT_BASE = 4_321
_SILENT = 1 << 62
_HALF_HOUR = timedelta(minutes=30)


def _u32(value: int | None) -> bytes:
    return (NO_DATA if value is None else value).to_bytes(4)


@dataclass
class SimulatedHighVoltageMeter:
    """The meter node: its address, its counters and its clock."""

    address: str
    port: int
    clock: Callable[[], datetime]
    bidirectional: bool = False
    identity: bytes = b"HV-METER-0001"
    days: int = 45
    fixed: dict[int, bytes] = field(default_factory=dict)
    """Properties a test pins to a raw value, over what the counters say."""
    history: MeterHistory = field(init=False)
    node: SimulatedNode = field(init=False)

    def __post_init__(self) -> None:
        """Make 45 days (and one) of history behind the meter's clock, and the node."""
        self.history = MeterHistory(
            origin=self.clock() - timedelta(days=self.days + 1),
            clock=self.clock,
            wh_per_count=1,
            digits=8,
            import_base=IMPORT_BASE,
            export_base=EXPORT_BASE,
            days_kept=self.days,
        )
        values = {
            0x80: b"\x30",
            0xC4: b"\x08",  # demand digits
            0xC5: b"\x01",  # demand unit 0.1 kW
            0xD3: (1).to_bytes(4),  # coefficient
            0xD4: b"\x02",  # coefficient x 0.01
            0xE0: b"\x01",  # fixed date: the 1st
            0xE1: b"\x00",  # history day
            0xE5: b"\x08",  # energy digits
            0xE6: b"\x01",  # energy unit 0.1 kWh
            0xC1: _u32(0),  # monthly maximum demand (not simulated)
        }
        eoj = HV_BIDIRECTIONAL if self.bidirectional else HV_METER
        values.update(self._live(values))
        obj = device_object(values, settable={0xE1}, serial="HV0001", product="HV-SIM")
        objects, settable = home_node(self.identity, {eoj: obj})
        self.node = SimulatedNode(
            self.address, self.port, objects, settable=settable, on_request=self._refresh
        )
        self._eoj = eoj

    @property
    def values(self) -> dict[int, bytes]:
        """The meter object's properties, as raw EDT bytes."""
        return self.node.objects[self._eoj]

    @property
    def silent(self) -> bool:
        """Whether it leaves every request unanswered."""
        return self.node.drop > 0

    @silent.setter
    def silent(self, value: bool) -> None:
        self.node.drop = _SILENT if value else 0

    async def start(self) -> None:
        """Bind the node's socket."""
        await self.node.start()

    def close(self) -> None:
        """Close the node's socket."""
        self.node.close()

    def counts_at(self, when: datetime) -> tuple[int, int] | None:
        """Raw import and export counts at a time the meter has passed."""
        return self.history.counts_at(when)

    def _live(self, values: dict[int, bytes]) -> dict[int, bytes]:
        """Energy, demand, power and the chosen day's history, from the counters now."""
        history = self.history
        now = history.now()
        counts = history.counts_at(now)
        boundary = history.last_boundary()
        end, start = history.counts_at(boundary), history.counts_at(boundary - _HALF_HOUR)
        demand: list[int | None] = [None, None]
        if end is not None and start is not None:
            # Wh over half an hour, doubled, is W; one demand count is 1 W (0.001 kW).
            demand = [2 * ((end[i] - start[i]) % 10**8) for i in (0, 1)]
        day = history_properties(history, {0xE5: values.get(0xE1, b"\x00")})
        out = {
            0x98: day[0x98],
            0xE2: timestamp(now, seconds=True) + _u32(counts[0] if counts else None),
            0xC3: timestamp(boundary, seconds=True) + _u32(demand[0]),
            0xE7: day[0xE2],
        }
        if self.bidirectional:
            out[0xE2] += _u32(counts[1] if counts else None)
            out[0xC3] += _u32(demand[1])
            out[0xE8] = day[0xE4]
            out[0xEA] = history.power_w().to_bytes(4, signed=True)
        return out

    def _refresh(self, request: Frame) -> None:
        """Bring the live values up to date before a Get is answered."""
        if request.esv is ESV.GET and request.deoj.class_id == self._eoj.class_id:
            self.values.update(self._live(self.values))
            self.values.update(self.fixed)
