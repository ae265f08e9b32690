"""A simulated home started on a clock the test holds, with a way to each of its sides.

Shared by the tests of the home's consumption: the meter is read through the
dongle's pty, the appliances are set over real UDP.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.echonet import EOJ, EchonetClient, EchonetTransport, RetryPolicy
from simulators.home import INTERFACE, SimulatedHome
from tests.net import free_port


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Reach:
    """The started home, its clock, and a way to each of its sides."""

    home: SimulatedHome
    clock: Clock
    link: MeterLink
    echonet: EchonetClient

    async def meter(self) -> dict[int, bytes]:
        """Power, current and both counters, through the dongle."""
        meter = await self.link.ensure()
        return await meter.get(0xE7, 0xE8, 0xE0, 0xE3)

    async def power(self) -> int:
        return int.from_bytes((await self.meter())[0xE7], signed=True)

    async def get(self, address: str, eoj: EOJ, *epcs: int) -> dict[int, bytes]:
        reply = await self.echonet.get(address, eoj, epcs)
        assert reply.ok
        return reply.values

    async def set(self, address: str, eoj: EOJ, values: dict[int, bytes]) -> None:
        reply = await self.echonet.set_c(address, eoj, values)
        assert reply.ok


@asynccontextmanager
async def reach_home(folder: Path, at: datetime) -> AsyncIterator[Reach]:
    """A `SimulatedHome` started with its clock at `at`, and a meter link and an ECHONET client."""
    clock = Clock(at.astimezone(UTC))
    home = SimulatedHome(folder, echonet_port=free_port(), broker_port=free_port(), clock=clock)
    endpoints = await home.start()
    link = MeterLink(endpoints.dongle, endpoints.rbid, endpoints.password)
    transport = EchonetTransport(INTERFACE, port=endpoints.echonet_port, multicast_group=None)
    client = EchonetClient(transport, retry=RetryPolicy(timeout=1.0, attempts=3))
    await client.start()
    try:
        yield Reach(home, clock, link, client)
    finally:
        client.close()
        await link.close()
        await home.stop()
