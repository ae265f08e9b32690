"""An independent J11 client, broute-j11 0.1.0 (PyPI, MIT), against the simulated J11 dongle.

broute_j11's own `J11Session`, over its pyserial `SerialTransport` on the
pseudo-terminal's path, resets the simulated dongle, scans, starts the
B-route and PANA and reads the meter: if it does, the simulator answers the
way broute_j11's author found a J11 dongle does. It then reads the same
instantaneous power as Denki's MeterLink does through the same simulator.
broute_j11 runs its blocking reads in the loop's executor, so it shares the
test's event loop with the simulator.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
import functools

from broute_j11 import (
    AuthenticationError,
    BackoffPolicy,
    J11Session,
    SerialTransport,
    SessionConfig,
)
import pytest

from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.probe import open_dongle
from simulators.j11_dongle import J11Model, PtyJ11Dongle
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import MeterRadio


@pytest.fixture
def meter() -> SimulatedMeter:
    return SimulatedMeter(power_w=842)


@pytest.fixture
async def pty(meter: SimulatedMeter) -> AsyncIterator[PtyJ11Dongle]:
    dongle = PtyJ11Dongle(J11Model(meter=MeterRadio(responder=meter.answer)))
    await dongle.start()
    yield dongle
    await dongle.stop()


def config(radio: MeterRadio, password: str | None = None) -> SessionConfig:
    return SessionConfig(
        auth_id=radio.rbid,
        password=password or radio.password,
        scan_duration=1,
        command_timeout=5.0,
        startup_timeout=5.0,
        scan_timeout=5.0,
        pana_timeout=5.0,
        echonet_timeout=5.0,
    )


async def test_broute_j11_reads_what_denki_reads(pty: PtyJ11Dongle, meter: SimulatedMeter) -> None:
    radio = pty.model.meter
    session = J11Session(
        SerialTransport(pty.path, read_slice=0.05),
        config(radio),
        backoff=BackoffPolicy(initial=0.01, maximum=0.02),
    )
    try:
        link = await session.async_connect()
        reading = await session.async_read_meter()
    finally:
        await session.async_close()
    assert link.channel == pty.model.channel
    assert link.pan_id == radio.pan_id
    assert link.mac_address == bytes.fromhex(radio.mac)
    assert link.firmware_version == "1.2.3"
    assert reading.instantaneous_power == 842
    assert session.stats.frames.checksum_errors == 0
    assert session.stats.frames.format_errors == 0
    assert not pty.model.joined  # it ended PANA on close

    denki = MeterLink(
        pty.path,
        radio.rbid,
        radio.password,
        scan_durations=(1,),
        open_dongle=functools.partial(open_dongle, within=0.3),
    )
    try:
        live = await denki.read_live(lambda: datetime.now(UTC))
    finally:
        await denki.close()
    assert live.power_w == reading.instantaneous_power
    assert reading.cumulative_forward_energy is not None
    assert live.import_kwh == float(reading.cumulative_forward_energy)


async def test_broute_j11_is_refused_a_wrong_password(pty: PtyJ11Dongle) -> None:
    session = J11Session(
        SerialTransport(pty.path, read_slice=0.05), config(pty.model.meter, "WRONGPASSWD1")
    )
    try:
        with pytest.raises(AuthenticationError):
            await session.async_connect()
    finally:
        await session.async_close()
    assert session.authentication_failed
