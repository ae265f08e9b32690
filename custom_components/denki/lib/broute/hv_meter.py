"""A high-voltage smart meter (class 0x028A, or bidirectional 0x028F) on the LAN.

It speaks ECHONET Lite over UDP like any appliance, so it is read through
the same `EchonetClient`, which accepts an answer only from the host asked
and only to the request's TID and object. What differs from the low-voltage
meter behind a Wi-SUN dongle is the property layout (see `hv_values`).

`HighVoltageMeter.connect()` asks the host who it is (`probe_node`: its
identification number 0x83, its objects and their Get maps), finds the
meter object, and reads the scaling properties once; `read()` then gets
cumulative energy, the last 30-minute demand and (0x028F) instantaneous
power in one frame, and `history_day()` sets 0xE1 and reads 0xE7 (0xE8).
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from ..echonet import EOJ, EchonetClient
from ..echonet.nodes import NodeInfo, ObjectInfo, probe_node
from .hv_values import (
    EPC_COEFFICIENT,
    EPC_COEFFICIENT_FACTOR,
    EPC_DATE,
    EPC_DEMAND,
    EPC_DEMAND_DIGITS,
    EPC_DEMAND_UNIT,
    EPC_ENERGY,
    EPC_ENERGY_DIGITS,
    EPC_ENERGY_UNIT,
    EPC_HISTORY,
    EPC_HISTORY_DAY,
    EPC_HISTORY_REVERSE,
    EPC_POWER,
    HIGH_VOLTAGE_BIDIRECTIONAL,
    HIGH_VOLTAGE_CLASSES,
    HighVoltageScales,
    HighVoltageValueError,
    build_scale,
    parse_date,
    parse_demand,
    parse_energy,
    parse_history,
    parse_power,
)
from .meter_values import EnergyScale, TimedCount, build_history_day


class NotAHighVoltageMeterError(HighVoltageValueError):
    """The host answered, but has no high-voltage meter object (0x028A / 0x028F)."""

    def __init__(self, address: str, classes: tuple[int, ...]) -> None:
        """Say what the host is instead."""
        listed = ", ".join(f"0x{code:04X}" for code in classes) or "no device object"
        super().__init__(f"{address} is not a high-voltage smart meter ({listed})")
        self.classes = classes


@dataclass(frozen=True, slots=True)
class HighVoltageReading:
    """One poll of the meter: energy in kWh, demand in kW, power in W; None where it has none."""

    measured_at: datetime | None
    import_kwh: float | None
    export_kwh: float | None
    demand_kw: float | None
    demand_at: datetime | None
    power_w: int | None


class HighVoltageMeter:
    """Typed reads from one high-voltage meter at `host`, through a started client."""

    def __init__(self, client: EchonetClient, host: str) -> None:
        """Nothing is sent until `connect()`."""
        self._client = client
        self.host = host
        self.node: NodeInfo | None = None
        self.object: ObjectInfo | None = None
        self.scales: HighVoltageScales | None = None
        # A day is read in two frames (SetC 0xE1, then Get): two readers must not
        # choose a day between each other's two frames.
        self._choosing = asyncio.Lock()

    @property
    def identification(self) -> str:
        """The node's identification number (0x83) in hex, its identity; after `connect()`."""
        if self.node is None:
            raise RuntimeError("connect() first")
        return self.node.identity

    @property
    def eoj(self) -> EOJ:
        """The meter object; after `connect()`."""
        if self.object is None:
            raise RuntimeError("connect() first")
        return self.object.eoj

    @property
    def bidirectional(self) -> bool:
        """Whether it is a 0x028F meter (export energy, instantaneous power)."""
        return self.object is not None and self.object.eoj.class_id == HIGH_VOLTAGE_BIDIRECTIONAL

    def offers(self, epc: int) -> bool:
        """Whether the meter object answers Get for `epc` (its 0x9F map)."""
        return self.object is not None and epc in self.object.get_map

    async def connect(self) -> HighVoltageScales:
        """Identify the host, find its meter object and read how to scale its counts.

        Raises:
            EchonetError: The host did not answer, or did not say who it is.
            NotAHighVoltageMeterError: It has no 0x028A / 0x028F object.
            HighVoltageValueError: Its scaling properties are missing or malformed.
        """
        node = await probe_node(self._client, self.host)
        meter = next((o for o in node.objects if o.eoj.class_id in HIGH_VOLTAGE_CLASSES), None)
        if meter is None:
            raise NotAHighVoltageMeterError(self.host, tuple(o.eoj.class_id for o in node.objects))
        self.node, self.object = node, meter
        wanted = [
            epc
            for epc in (
                EPC_COEFFICIENT,
                EPC_COEFFICIENT_FACTOR,
                EPC_ENERGY_UNIT,
                EPC_ENERGY_DIGITS,
                EPC_DEMAND_UNIT,
                EPC_DEMAND_DIGITS,
            )
            if self.offers(epc)
        ]
        values = await self._get(*wanted)
        both = self.bidirectional
        energy = build_scale(values, EPC_ENERGY_UNIT, EPC_ENERGY_DIGITS, bidirectional=both)
        demand = None
        if EPC_DEMAND_UNIT in values and EPC_DEMAND_DIGITS in values:
            demand = build_scale(values, EPC_DEMAND_UNIT, EPC_DEMAND_DIGITS, bidirectional=both)
        self.scales = HighVoltageScales(energy, demand)
        return self.scales

    @property
    def scale(self) -> EnergyScale | None:
        """How raw cumulative counts become kWh, once read."""
        return self.scales.energy if self.scales else None

    async def ensure(self) -> Self:
        """The meter, connected: identified and its scaling read (once)."""
        if self.scales is None:
            await self.connect()
        return self

    async def read_scale(self) -> EnergyScale:
        """How raw cumulative counts become kWh (0xD3, 0xD4, 0xE6, 0xE5), read once."""
        return (await self.connect()).energy if self.scales is None else self.scales.energy

    async def clock(self) -> datetime:
        """The meter's own time: that of its latest cumulative measurement (0xE2).

        Raises:
            EchonetError: The meter did not answer.
            HighVoltageValueError: It gave no well-formed 0xE2.
        """
        values = await self._get(EPC_ENERGY)
        if EPC_ENERGY not in values:
            raise HighVoltageValueError("the meter did not give its cumulative energy (0xE2)")
        return parse_energy(values[EPC_ENERGY], bidirectional=self.bidirectional).timestamp

    async def _get(self, *epcs: int) -> dict[int, bytes]:
        if not epcs:
            return {}
        return (await self._client.get(self.host, self.eoj, epcs)).values

    async def read(self) -> HighVoltageReading:
        """Cumulative energy, the last 30-minute demand and (0x028F) power, in one frame.

        Raises:
            EchonetError: The meter did not answer.
            HighVoltageValueError: An answer does not fit its property.
        """
        if self.scales is None:
            await self.connect()
        assert self.scales is not None  # noqa: S101 - connect() sets it or raises
        both = self.bidirectional
        wanted = [epc for epc in (EPC_ENERGY, EPC_DEMAND, EPC_POWER) if self.offers(epc)]
        values = await self._get(*wanted)
        energy = (
            parse_energy(values[EPC_ENERGY], bidirectional=both) if EPC_ENERGY in values else None
        )
        demand = (
            parse_demand(values[EPC_DEMAND], bidirectional=both) if EPC_DEMAND in values else None
        )
        scale, demand_scale = self.scales.energy, self.scales.demand
        return HighVoltageReading(
            measured_at=energy.timestamp if energy else None,
            import_kwh=scale.kwh(energy.normal) if energy and energy.normal is not None else None,
            export_kwh=scale.kwh(energy.reverse) if energy and energy.reverse is not None else None,
            demand_kw=(
                demand_scale.kwh(demand.normal)
                if demand and demand_scale and demand.normal is not None
                else None
            ),
            demand_at=demand.timestamp if demand else None,
            power_w=parse_power(values[EPC_POWER]) if EPC_POWER in values else None,
        )

    async def history_day(self, days_ago: int) -> tuple[list[TimedCount], list[TimedCount]]:
        """The 48 half-hourly raw import and (0x028F) export counts of one of the meter's days.

        Two frames: SetC 0xE1, then one Get of 0xE7 (0xE8) with the meter's date
        (0x98) where it offers one, else 0xE2, whose time of measurement dates
        the history on the meter's own calendar.

        Raises:
            EchonetError: The meter did not answer.
            HighVoltageValueError: It refused the day, or an answer is malformed.
        """
        if self.object is None:
            await self.connect()
        wanted = [EPC_HISTORY, EPC_ENERGY]
        if self.bidirectional and self.offers(EPC_HISTORY_REVERSE):
            wanted.append(EPC_HISTORY_REVERSE)
        if self.offers(EPC_DATE):
            wanted.append(EPC_DATE)
        async with self._choosing:
            reply = await self._client.set_c(
                self.host, self.eoj, {EPC_HISTORY_DAY: build_history_day(days_ago)}
            )
            if not reply.ok:
                raise HighVoltageValueError(f"the meter refused the history day (0xE1) {days_ago}")
            values = await self._get(*wanted)
        if EPC_HISTORY not in values or EPC_ENERGY not in values:
            raise HighVoltageValueError("the meter did not give its 30-minute history (0xE7)")
        # The meter's own date (0x98) where it has one; else that of its latest measurement,
        # which can lag the meter's midnight by as long as the meter takes to update 0xE2.
        if EPC_DATE in values:
            today = parse_date(values[EPC_DATE])
        else:
            today = parse_energy(
                values[EPC_ENERGY], bidirectional=self.bidirectional
            ).timestamp.date()
        imports = parse_history(values[EPC_HISTORY], today, "the history (0xE7)")
        exports = (
            parse_history(values[EPC_HISTORY_REVERSE], today, "the reverse history (0xE8)")
            if EPC_HISTORY_REVERSE in values
            else []
        )
        return imports, exports
