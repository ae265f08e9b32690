"""The meter client end to end: session, dongle simulator on a pty, simulated meter."""

import asyncio
from collections.abc import AsyncIterator

from momonga import Momonga
import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.meter import LowVoltageMeter
from custom_components.denki.lib.broute.meter_values import Current, EnergyScale
from custom_components.denki.lib.broute.session import BRouteSession
from custom_components.denki.lib.echonet import CONTROLLER, ESV, Frame, Property, encode_frame
from simulators.smart_meter import METER_EOJ, SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle
from tests.threads import run_in_thread


@pytest.fixture(params=["bp35a1", "bp35c"])
async def home(request: pytest.FixtureRequest) -> AsyncIterator[tuple[PtyDongle, SimulatedMeter]]:
    meter = SimulatedMeter()
    pty = PtyDongle(DongleModel(dialect=request.param, meter=MeterRadio(responder=meter.answer)))
    await pty.start()
    yield pty, meter
    await pty.stop()


@pytest.fixture
async def client(home: tuple[PtyDongle, SimulatedMeter]) -> AsyncIterator[LowVoltageMeter]:
    pty, _ = home
    dongle = await SkDongle.open(pty.path)
    session = BRouteSession(
        dongle, pty.model.meter.rbid, pty.model.meter.password, scan_durations=(4,)
    )
    await session.connect()
    yield LowVoltageMeter(session)
    await session.close()
    await dongle.close()


async def test_reads_power_current_and_energy(client: LowVoltageMeter) -> None:
    assert await client.instantaneous() == (500, Current(5.0, 2.0, single_phase=False))
    # No 0xD3 on this meter: the coefficient is 1, not an error.
    assert await client.read_scale() == EnergyScale(1, -1, 6)
    assert await client.cumulative_kwh() == (12345.6, 78.9)


async def test_coefficient_and_missing_properties(
    client: LowVoltageMeter, home: tuple[PtyDongle, SimulatedMeter]
) -> None:
    _, meter = home
    meter.coefficient = 10
    assert (await client.read_scale()).coefficient == 10
    assert await client.get(0xE7, 0xEE) == {0xE7: (500).to_bytes(4)}  # 0xEE: an older meter


async def test_a_stale_answer_does_not_satisfy_a_request(
    client: LowVoltageMeter, home: tuple[PtyDongle, SimulatedMeter]
) -> None:
    pty, meter = home
    meter.power_w = 42
    stale = Frame(
        client._tid, METER_EOJ, CONTROLLER, ESV.GET_RES, (Property(0xE7, (9999).to_bytes(4)),)
    )
    pty.write(pty.model.erxudp(encode_frame(stale)))  # an answer to an earlier request
    await asyncio.sleep(0.1)
    power, _ = await client.instantaneous()
    assert power == 42


@pytest.mark.parametrize("dialect", ["bp35a1", "bp35c"])
async def test_momonga_reads_the_simulated_meter(dialect: str) -> None:
    """momonga's full client (scan, join, 0xD3/0xE1, then readings) against the simulators."""
    meter = SimulatedMeter(coefficient=1)
    radio = MeterRadio(responder=meter.answer)
    pty = PtyDongle(DongleModel(dialect=dialect, meter=radio))
    await pty.start()
    outcome: dict[str, object] = {}

    def run() -> None:
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=1, join_retries=1)
        client.internal_xmit_interval = 0
        try:
            client.open()
            outcome["power"] = client.get_instantaneous_power()
            outcome["energy"] = client.get_measured_cumulative_energy()
        except Exception as err:  # noqa: BLE001 - reported through the assertion below
            outcome["error"] = repr(err)
        finally:
            client.close()

    try:
        await run_in_thread(run, name="momonga-meter", within=60)
    finally:
        await pty.stop()
    assert "error" not in outcome, outcome
    assert outcome["power"] == 500
    assert outcome["energy"] == pytest.approx(12345.6)
