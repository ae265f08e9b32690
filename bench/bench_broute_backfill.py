"""Meter round trips (and time) to back-fill N days of 30-minute history: Denki vs momonga.

The issue's target: back-filling N days should cost about N meter round
trips. The meter gives one day of 30-minute counts (0xE2 import, 0xE4
export) per Get, for the day last written to 0xE5, so a day is one Get
after one SetC: 2 round trips a day, as SetC waits for its Set_Res like a
Get. The target column reads "N Gets (+N SetC, +fixed)", and the reachable
minimum is 2N + fixed. Fixed: what each client reads once when it opens
(Denki: the identification 0x83 and the scale 0xD3/0xE1/0xD7; momonga: the
unit 0xE1 and the coefficient 0xD3, which this meter lacks, one Get each).

Both clients talk to the same simulated dongle (simulators.wisun_dongle) on
a real pseudo-terminal, in both dialects, in one process run, with the same
simulated next-generation meter behind it (simulators.smart_meter, fed by
45 days of minute-by-minute history from simulators.meter_history). The
round trips are the meter's own counters (SimulatedMeter.frames): what
reached the meter, whoever sent it. Each row is a fresh join; the wall
time covers only the reads that follow the join and the fixed reads, so the
time ratio compares those reads alone while the round-trip ratio includes
the fixed ones.

- Denki, "history --days N": the CLI's own reader (cli._history: N days,
  today included, oldest first), after MeterLink.ensure().
- Denki's integration back-fill (second table): what the back-fill in
  meter/statistics.py asks the meter for a window of the last N x 24 hours
  ending SETTLE before the hour: the meter's clock, then read_boundaries.
  momonga has no counterpart.
- momonga 0.7: it can read a chosen day, get_historical_cumulative_energy_1
  (day, reverse), which sets 0xE5 and then gets 0xE2 (or 0xE4 with
  reverse=True). Import and export therefore cost it two SetC and two Get a
  day; a caller who knows ECHONET can do 2 a day with
  set_day_for_historical_data_1 and request_to_get({0xE2, 0xE4}), which is
  not measured here. Its timestamps come from the host's calendar, not the
  meter's, so only the counts are compared (they must agree with Denki's).
  momonga's pacing sleeps in open() (internal_xmit_interval, 5 s three
  times) are set to 0: they fall before the timed reads anyway.
- The 1-minute history (0xEF then 0xEE, at most 10 points a read) of a
  next-generation meter: the last 60 minutes, from the meter's clock (one
  Get for both clients), 10 points a read: 6 reads, each a SetC and a Get.

Radio time: the simulator's only delay option, PtyDongle(step_delay), waits
before every chunk of the dongle's output, echoes included; Denki turns the
echo off (SKSREG SFE 0) and momonga does not, so it would charge momonga 3
delays a round trip and Denki 2. Instead the meter's answer is held back:
the bench's responder gives the dongle no answer, and writes the meter's
ERXUDP (DongleModel.erxudp, PtyDongle.write) `--radio-delay` seconds
later, once per request, the same for both clients. The default, 50 ms,
is scaled down to keep the run under two minutes: a real B-route round
trip takes several hundred ms to a few seconds, so on a real radio the
wall time is about round trips x that, and the round trip count is the
figure that matters.

    .venv/bin/python -m bench.bench_broute_backfill [--radio-delay S]
"""

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time as clock_time, timedelta
import time

from momonga import Momonga
from momonga.momonga_echonet_enum import EchonetPropertyCode

from bench.result import Row, emit
from custom_components.denki.const import BACKFILL_DAYS
from custom_components.denki.lib.broute.cli import _history as cli_history
from custom_components.denki.lib.broute.history import hour_ends, read_boundaries
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.meter_values import HISTORY_3_MAX_POINTS, JST
from custom_components.denki.lib.broute.session import PanInfo
from custom_components.denki.lib.echonet import ESV
from custom_components.denki.meter.statistics import SETTLE
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

DAYS = (1, 7, 45)
MINUTES = 60  # what a next-generation meter keeps at 1-minute resolution
DIALECTS = ("bp35a1", "bp35c")
NOW = datetime(2026, 11, 21, 14, 37, 30, tzinfo=JST)  # the meter's clock, mid-afternoon
HISTORY = MeterHistory(origin=NOW - timedelta(days=46), clock=lambda: NOW)


@dataclass
class Run:
    """What one client did for one row: frames that reached the meter, and time."""

    fixed: int  # requests while opening (after the join)
    frames: Counter[ESV]  # requests during the timed reads, by service
    seconds: float
    values: list[float | None]  # what was read, in kWh, to check the clients agree

    @property
    def total(self) -> int:
        """Every request the meter received, the fixed ones included."""
        return self.fixed + self.frames.total()

    def describe(self) -> str:
        """Total, then its parts."""
        return (
            f"{self.total} = {self.fixed} fixed + {self.frames[ESV.SETC]} SetC"
            f" + {self.frames[ESV.GET]} Get"
        )


async def with_dongle(
    dialect: str, radio_delay: float, work: Callable[[PtyDongle, SimulatedMeter], Awaitable[Run]]
) -> Run:
    """Run `work(pty, meter)` against a fresh meter behind a fresh simulated dongle.

    The meter answers each datagram `radio_delay` seconds after the dongle
    took it (EVENT 21 and OK come at once, as the dongle's own).
    """
    loop = asyncio.get_running_loop()
    meter = SimulatedMeter(history=HISTORY, next_generation=True)
    model = DongleModel(dialect=dialect, meter=MeterRadio())
    pty = PtyDongle(model)

    def answer_later(payload: bytes) -> None:
        answer = meter.answer(payload)
        if answer is not None:
            loop.call_later(radio_delay, pty.write, model.erxudp(answer))

    model.meter.responder = answer_later
    await pty.start()
    try:
        return await work(pty, meter)
    finally:
        await pty.stop()


def frames_since(meter: SimulatedMeter, start: int) -> Counter[ESV]:
    """The meter's requests from index `start` on, counted by service."""
    return Counter(meter.frames[start:])


def minutes_wanted(newest: datetime) -> list[datetime]:
    """The newest point of each 10-point read covering the last MINUTES minutes."""
    return [newest - timedelta(minutes=i) for i in range(0, MINUTES, HISTORY_3_MAX_POINTS)]


async def denki(dialect: str, radio_delay: float, workload: str, days: int) -> Run:
    """Denki: join, then `workload` ("cli", "backfill" or "minutes") for `days`."""

    async def work(pty: PtyDongle, meter: SimulatedMeter) -> Run:
        radio = pty.model.meter
        pan = PanInfo(radio.channel, radio.pan_id, radio.mac)
        link = MeterLink(pty.path, radio.rbid, radio.password, pan=pan, scan_durations=(6,))
        try:
            client = await link.ensure()
            fixed = len(meter.frames)
            values: list[float | None] = []
            started = time.perf_counter()
            if workload == "cli":
                rows = await cli_history(link, days)
                values = [row["import_kwh"] for row in rows]
            elif workload == "backfill":
                # The meter side of meter/statistics.py' back-fill of the last `days` days.
                end = (NOW - SETTLE).replace(minute=0, second=0, microsecond=0)
                today = (await client.clock()).date()
                found = await read_boundaries(
                    client, hour_ends(end - timedelta(days=days), end), today
                )
                scale = link.scale
                assert scale is not None
                values = [
                    None if c.imported is None else scale.kwh(c.imported)
                    for _, c in sorted(found.items())
                ]
            else:
                scale = link.scale
                assert scale is not None
                newest = await client.clock()
                for at in minutes_wanted(newest):
                    pairs = await client.history_3(at, HISTORY_3_MAX_POINTS)
                    values += [None if p.normal is None else scale.kwh(p.normal) for p in pairs]
            seconds = time.perf_counter() - started
            return Run(fixed, frames_since(meter, fixed), seconds, values)
        finally:
            await link.close()

    return await with_dongle(dialect, radio_delay, work)


async def momonga(dialect: str, radio_delay: float, workload: str, days: int) -> Run:
    """momonga in a thread of its own: open, then `workload` ("cli" or "minutes")."""

    def work_in_thread(pty: PtyDongle, meter: SimulatedMeter) -> Run:
        radio = pty.model.meter
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=1, join_retries=1)
        client.internal_xmit_interval = 0
        client.open()
        try:
            fixed = len(meter.frames)
            values: list[float | None] = []
            started = time.perf_counter()
            if workload == "cli":
                for days_ago in range(days - 1, -1, -1):
                    imports = client.get_historical_cumulative_energy_1(days_ago)
                    client.get_historical_cumulative_energy_1(days_ago, reverse=True)
                    values += [slot["cumulative energy"] for slot in imports]  # type: ignore[misc]
            else:
                at = client.request_to_get(
                    {
                        EchonetPropertyCode.current_date_setting,
                        EchonetPropertyCode.current_time_setting,
                    }
                )
                day: date = at[EchonetPropertyCode.current_date_setting]
                hour: clock_time = at[EchonetPropertyCode.current_time_setting]
                # momonga takes the meter's local time as a naive datetime.
                for newest in minutes_wanted(datetime.combine(day, hour)):
                    points = client.get_historical_cumulative_energy_3(newest, HISTORY_3_MAX_POINTS)
                    values += [p["cumulative energy"]["normal direction"] for p in points]  # type: ignore[index]
            seconds = time.perf_counter() - started
            return Run(fixed, frames_since(meter, fixed), seconds, values)
        finally:
            client.close()

    async def work(pty: PtyDongle, meter: SimulatedMeter) -> Run:
        return await asyncio.to_thread(work_in_thread, pty, meter)

    return await with_dongle(dialect, radio_delay, work)


def same(a: list[float | None], b: list[float | None]) -> bool:
    """Whether two lists of kWh readings agree, to a millionth of a kWh."""
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and abs(x - y) < 1e-6)
        for x, y in zip(a, b, strict=True)
    )


def target(reads: int, extra: str, fixed: int) -> str:
    """The target column: reads Gets, plus a SetC each, plus what every client reads once."""
    return f"{reads} Get (+{reads} SetC{extra}, +{fixed} fixed) = {2 * reads + fixed + (1 if extra else 0)}"


async def main(radio_delay: float) -> None:
    print(
        f"B-route history back-fill, simulated dongle on a pty, meter clock {NOW.isoformat()},"
        f" the meter answering {radio_delay * 1000:.0f} ms after each request"
    )
    print()
    print(
        "| N days | dialect | Denki round trips | target N (+fixed) | Denki wall time"
        " | momonga round trips | momonga wall time | ratio momonga/Denki (trips, time) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    disagreements: list[str] = []
    headline: list[Row] = []
    for dialect in DIALECTS:
        rows: list[tuple[str, str, int]] = [(f"{n}", "cli", n) for n in DAYS]
        rows.append((f"{MINUTES} min at 1 min (0xEE)", "minutes", MINUTES))
        for label, workload, days in rows:
            ours = await denki(dialect, radio_delay, workload, days)
            peer = await momonga(dialect, radio_delay, workload, days)
            if not same(ours.values, peer.values):
                disagreements.append(f"{label} {dialect}")
            if workload == "cli":
                goal = target(days, "", ours.fixed)
            else:
                goal = target(MINUTES // HISTORY_3_MAX_POINTS, ", +1 clock", ours.fixed)
            print(
                f"| {label} | {dialect} | {ours.describe()} | {goal} | {ours.seconds:.2f} s"
                f" | {peer.describe()} | {peer.seconds:.2f} s"
                f" | {peer.total / ours.total:.2f}x, {peer.seconds / ours.seconds:.2f}x |"
            )
            if dialect == DIALECTS[0] and days == max(DAYS) and workload == "cli":
                what = f"{days} days of 30-minute history, {dialect}"
                headline += [
                    Row(f"{what}: meter round trips", "momonga", ours.total, peer.total, "trips"),
                    Row(f"{what}: wall time", "momonga", ours.seconds, peer.seconds, "s"),
                ]
    print()
    if disagreements:
        print(f"The clients read different counts: {', '.join(disagreements)}")
    else:
        print("Both clients read the same counts in every row.")
    print()
    print(
        f"Denki's integration back-fill of the last N x 24 h, ending {SETTLE} before the hour"
        f" (the integration's own first run covers {BACKFILL_DAYS} days); no momonga counterpart:"
    )
    print()
    print(
        "| N days | dialect | meter days read | Denki round trips | target N (+fixed)"
        " | Denki wall time | hours found |"
    )
    print("|---|---|---|---|---|---|---|")
    for dialect in DIALECTS:
        for days in DAYS:
            run = await denki(dialect, radio_delay, "backfill", days)
            read = run.frames[ESV.SETC]
            print(
                f"| {days} | {dialect} | {read} | {run.describe()} | {target(days, ', +1 clock', run.fixed)}"
                f" | {run.seconds:.2f} s | {len(run.values)} of {24 * days} |"
            )
    emit(
        "bench_broute_backfill",
        headline,
        radio_delay=radio_delay,
        counts_agree=not disagreements,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--radio-delay",
        type=float,
        default=0.05,
        help="seconds the meter takes to answer each request",
    )
    asyncio.run(main(parser.parse_args().radio_delay))
