"""Time from opening the dongle's port to the first instantaneous power reading: Denki vs momonga.

What a household waits for after Home Assistant restarts. Both clients talk
to the same simulated dongle (simulators.wisun_dongle) on a real
pseudo-terminal, in one process run, with a radio's timing where it counts:

- the active scan takes a radio's time, channel by channel
  (PtyDongle(scan_time_scale=1.0): 9.6 ms x (2^duration + 1) per channel,
  17.5 s for the 28 channels at duration 6), and the meter is on channel
  0x2E, the middle of the band, so its beacon is heard 14 channels in;
- the meter answers each request `--radio-delay` seconds after the dongle
  took it (0.3 s by default; a real B-route round trip is a few hundred ms).

The rows:

- Denki after a restart: the PAN descriptor is cached in the config entry, so
  it joins without scanning; then the identification (0x83) and the scale
  (0xD3/0xE1/0xD7), then power, current and energies in one Get (what the
  integration's first update reads).
- Denki on its first start: the same, with an active scan first, at the
  integration's durations (4, 5, 6, 7), shortest first, stopping at the first
  that finds the meter.
- momonga 0.7 (Momonga.open, then get_instantaneous_power): it scans on every
  open, from duration 6, then reads the unit and coefficient. Its open sleeps
  internal_xmit_interval (5 s) on purpose; the row "momonga, no pacing" sets
  it to 0, its best case.

    .venv/bin/python -m bench.bench_broute_first_reading [--radio-delay S] [--time-scale X]
"""

import argparse
import asyncio
from datetime import UTC, datetime
import threading
import time

from momonga import Momonga

from bench.result import Row, emit
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.session import SCAN_DURATIONS, PanInfo
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

DIALECTS = ("bp35a1", "bp35c")
CHANNEL = 0x2E  # 14th of the 28 channels


async def with_dongle(
    dialect: str, radio_delay: float, time_scale: float
) -> tuple[PtyDongle, SimulatedMeter]:
    """A started simulated dongle with a meter behind it that answers `radio_delay` s later."""
    loop = asyncio.get_running_loop()
    meter = SimulatedMeter(power_w=1234)
    model = DongleModel(dialect=dialect, meter=MeterRadio(channel=CHANNEL))
    pty = PtyDongle(model, scan_time_scale=time_scale)

    def answer_later(payload: bytes) -> None:
        answer = meter.answer(payload)
        if answer is not None:
            loop.call_later(radio_delay, pty.write, model.erxudp(answer))

    model.meter.responder = answer_later
    await pty.start()
    return pty, meter


async def denki(dialect: str, radio_delay: float, time_scale: float, *, cached: bool) -> float:
    """Seconds from opening the port to Denki's first live reading."""
    pty, _ = await with_dongle(dialect, radio_delay, time_scale)
    radio = pty.model.meter
    pan = PanInfo(radio.channel, radio.pan_id, radio.mac) if cached else None
    link = MeterLink(pty.path, radio.rbid, radio.password, pan=pan, scan_durations=SCAN_DURATIONS)
    try:
        started = time.perf_counter()
        reading = await link.read_live(lambda: datetime.now(UTC))
        elapsed = time.perf_counter() - started
        assert reading.power_w == 1234, reading
        return elapsed
    finally:
        await link.close()
        await pty.stop()


async def momonga(dialect: str, radio_delay: float, time_scale: float, *, paced: bool) -> float:
    """Seconds from momonga's open to its first instantaneous power, in a thread of its own."""
    pty, _ = await with_dongle(dialect, radio_delay, time_scale)
    radio = pty.model.meter
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    result: dict[str, float] = {}

    def run() -> None:
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=3, join_retries=1)
        if not paced:
            client.internal_xmit_interval = 0
        try:
            started = time.perf_counter()
            client.open()
            power = client.get_instantaneous_power()
            result["elapsed"] = time.perf_counter() - started
            result["power"] = float(power or 0)
            client.close()
        finally:
            loop.call_soon_threadsafe(done.set)

    thread = threading.Thread(target=run, name="momonga-bench")
    thread.start()
    await done.wait()
    thread.join()
    await pty.stop()
    assert result.get("power") == 1234, result
    return result["elapsed"]


async def main(radio_delay: float, time_scale: float) -> None:
    print(
        "B-route: port open -> first instantaneous power, simulated dongle on a pty,"
        f" scan at {time_scale:g}x a radio's time, meter on channel {CHANNEL:#04x},"
        f" meter answering {radio_delay:g} s after each request"
    )
    print()
    print(
        "| dialect | Denki after a restart | Denki first start | momonga | momonga, no pacing"
        " | momonga / Denki restart | no pacing / Denki restart |"
    )
    print("|---|---|---|---|---|---|---|")
    rows: list[Row] = []
    for dialect in DIALECTS:
        restart = await denki(dialect, radio_delay, time_scale, cached=True)
        first = await denki(dialect, radio_delay, time_scale, cached=False)
        paced = await momonga(dialect, radio_delay, time_scale, paced=True)
        unpaced = await momonga(dialect, radio_delay, time_scale, paced=False)
        print(
            f"| {dialect} | {restart:.2f} s | {first:.2f} s | {paced:.2f} s | {unpaced:.2f} s"
            f" | {paced / restart:.1f}x | {unpaced / restart:.1f}x |"
        )
        rows += [
            Row(
                f"port open -> first power, {dialect}, after a restart",
                "momonga",
                restart,
                paced,
                "s",
            ),
            Row(f"port open -> first power, {dialect}, first start", "momonga", first, paced, "s"),
        ]
    emit("bench_broute_first_reading", rows, radio_delay=radio_delay, time_scale=time_scale)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radio-delay", type=float, default=0.3)
    parser.add_argument("--time-scale", type=float, default=1.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.radio_delay, arguments.time_scale))
