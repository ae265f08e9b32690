"""Time from opening the dongle's port to an established PANA session: Denki vs momonga.

Both clients talk to the same simulated dongle (simulators.wisun_dongle) on a
real pseudo-terminal, in one process run, so the figures compare the clients'
own overhead and fixed waits, not a radio: a real scan and join add tens of
seconds to both. Denki is measured twice: the first start (scan, then join)
and a later start with the PAN descriptor cached (join only). momonga scans
on every open, and its open includes fixed waits (about 2 s here), which
dominate its figure: read the ratio as "no fixed waits", not as speed. On a
real radio, what the cache saves is the scan itself: scan_seconds(6) less
the margin, about 1.75 s per attempt, several attempts at a poor signal.

    .venv/bin/python -m bench.bench_broute_join [--rounds N]
"""

import argparse
import asyncio
import statistics
import threading
import time

from momonga.momonga_session_manager import MomongaSessionManager

from bench.result import Row, emit
from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.session import BRouteSession, PanInfo
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle


async def denki_once(dialect: str, *, cached: bool) -> float:
    meter = MeterRadio()
    pty = PtyDongle(DongleModel(dialect=dialect, meter=meter))
    await pty.start()
    pan = PanInfo(meter.channel, meter.pan_id, meter.mac) if cached else None
    started = time.perf_counter()
    dongle = await SkDongle.open(pty.path)
    session = BRouteSession(dongle, meter.rbid, meter.password, pan=pan, scan_durations=(6,))
    await session.connect()
    elapsed = time.perf_counter() - started
    await session.close()
    await dongle.close()
    await pty.stop()
    return elapsed


async def momonga_once(dialect: str) -> float:
    meter = MeterRadio()
    pty = PtyDongle(DongleModel(dialect=dialect, meter=meter))
    await pty.start()
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    result: dict[str, float] = {}

    def run() -> None:
        manager = MomongaSessionManager(
            meter.rbid, meter.password, pty.path, scan_retries=1, join_retries=1
        )
        started = time.perf_counter()
        try:
            manager.open()
            result["elapsed"] = time.perf_counter() - started
        finally:
            manager.close()
            loop.call_soon_threadsafe(done.set)

    thread = threading.Thread(target=run, name="momonga-bench")
    thread.start()
    await done.wait()
    thread.join()
    await pty.stop()
    return result["elapsed"]


async def main(rounds: int) -> None:
    print(f"B-route: port open -> PANA session, simulated dongle on a pty, {rounds} rounds, median")
    print(
        f"{'dialect':8} {'denki first start':>18} {'denki cached PAN':>17} {'momonga':>10} {'momonga/denki':>14}"
    )
    rows: list[Row] = []
    for dialect in ("bp35a1", "bp35c"):
        first = statistics.median([await denki_once(dialect, cached=False) for _ in range(rounds)])
        cached = statistics.median([await denki_once(dialect, cached=True) for _ in range(rounds)])
        peer = statistics.median([await momonga_once(dialect) for _ in range(rounds)])
        print(
            f"{dialect:8} {first * 1000:15.1f} ms {cached * 1000:14.1f} ms {peer * 1000:7.1f} ms"
            f" {peer / first:13.1f}x"
        )
        metric = f"port open -> PANA session, {dialect}, first start (no radio time)"
        rows.append(Row(metric, "momonga", first * 1000, peer * 1000, "ms"))
    emit("bench_broute_join", rows, rounds=rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
