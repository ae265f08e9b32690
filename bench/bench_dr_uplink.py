"""Uplink bytes a day for aggregator reports at 5-minute intervals: Denki vs naive full JSON.

The issue's target: at 5-minute reporting, Denki's uplink is at most 20 %
of sending the full JSON every 5 minutes, with the delivered series the
same. Both run in one process against one real MQTT broker (amqtt, on
loopback), with an aggregator client (aiomqtt) that receives what is sent:

- naive: what a homemade integration does, `json.dumps` of every value with
  readable names, a timestamp and the household's id, every 5 minutes,
  QoS 1 on one topic (288 messages a day);
- Denki: `lib.dr.reports.ReportThrottle` (a value is sent when it moved
  more than its deadband, everything on a 30-minute keep-alive), the
  disk `Outbox` (in a temporary folder), and `lib.dr.mqtt_link.MqttLink`
  with the profile's compact JSON (`mqtt_profile.encode_report`); the
  aggregator acknowledges each report with the profile's "ack" (downlink).

Time is compressed: the throttle and the reports get the simulated time of
each reading, and the readings follow each other as fast as the link takes
them, so a day runs in seconds (the bytes do not depend on the pace: the
aggregator acknowledges every report either way).

The day is synthetic and seeded: a household's draw (night base, morning
and evening peaks, appliances switching on and off, noise) read every 5
minutes, rounded to 10 W, and a 2-hour DR event (17:00-19:00) during which
it curtails 0.5 to 1.5 kW. Deadbands: 0.1 kW for the power and for the
curtailment (DEADBANDS), a tenth of a kettle, well under the event's
0.5-1.5 kW.

"Delivered series": the aggregator rebuilds Denki's series by holding each
value until the next report carries it (sample and hold at each 5-minute
slot) and compares it with the series the naive sender delivered: every
rebuilt value is within its deadband of the delivered one (the table gives
the largest error), and with deadband 0 the rebuilt series is the delivered
one exactly. `main` asserts both.

Bytes are counted twice: the application payloads, and an estimate of MQTT
3.1.1 on the wire (PUBLISH fixed header, remaining length, topic, packet id
and payload, and the 4-byte PUBACK that QoS 1 costs the other way), for
every report that reached the aggregator, repeats included. The ratio is
Denki / naive. The acks Denki's aggregator sends down are shown apart, and
in a "both ways" total. TCP, TLS, keep-alive pings and what each connection
costs once (CONNECT, SUBSCRIBE, the home's "online" status) are left out.

The last runs drill an outage: the broker stops for an hour of the day
(12:00-13:00, 12 readings) and starts again. It stops just after the last
report before noon reached the aggregator, before its ack got back, so
that report is sent again; reports made during the hour wait in the
outbox. The aggregator keeps the first copy of each (outbox, seq) and drops
repeats; the table shows how many reports waited when the broker came back
(the unacknowledged one included), that every report arrived exactly once
after dropping repeats (the sequence numbers 1..N, none missing), in
order, and how many repeats were dropped.

    .venv/bin/python -m bench.bench_dr_uplink
"""

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import math
from pathlib import Path
import random
import tempfile
import time

import aiomqtt
from amqtt.broker import Broker

from bench.result import Row, emit
from custom_components.denki.lib.dr.mqtt_link import MqttLink
from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, Topics, decode_report
from custom_components.denki.lib.dr.reports import Outbox, ReportThrottle
from tests.net import amqtt_config, free_port

DAY = datetime(2026, 8, 3, 0, 0, tzinfo=UTC) - timedelta(hours=9)  # midnight in Japan
STEP = timedelta(minutes=5)
READINGS = 288
KEYS = ("power_kw", "curtailed_kw")
DEADBANDS = {"power_kw": 0.1, "curtailed_kw": 0.1}
LOSSLESS = dict.fromkeys(KEYS, 0.0)
TOPICS = Topics("aggregator/jp", "home-1")
NAIVE_TOPIC = "aggregator/jp/home-1/telemetry"
OUTAGE = range(144, 156)  # 12:00-13:00
TARGET = 0.20

type Series = list[dict[str, float]]


def household_day(seed: int = 2026, readings: int = READINGS) -> Series:
    """Power and curtailment every 5 minutes, kW, rounded as a meter gives them (10 W)."""
    rng = random.Random(seed)
    day: Series = []
    appliances = 0.0
    for n in range(readings):
        hour = n * 5 / 60
        base = (
            0.25
            + 0.9 * math.exp(-((hour - 7.5) ** 2) / 2)
            + 1.4 * math.exp(-((hour - 19.5) ** 2) / 3)
        )
        if rng.random() < 0.08:  # a kettle, a washing machine, the rice cooker...
            appliances = rng.choice([0.0, 0.0, 0.6, 1.2, 0.3])
        curtailed = round(rng.uniform(0.5, 1.5), 2) if 17 <= hour < 19 else 0.0
        power = max(0.05, base + appliances + rng.gauss(0, 0.03) - curtailed)
        day.append({"power_kw": round(power, 2), "curtailed_kw": curtailed})
    return day


def wire_bytes(topic: str, payload: bytes) -> int:
    """A QoS 1 PUBLISH on the wire and its PUBACK (MQTT 3.1.1)."""
    remaining = 2 + len(topic.encode()) + 2 + len(payload)
    length_bytes = 1 if remaining < 128 else 2 if remaining < 16384 else 3
    return 1 + length_bytes + remaining + 4


@dataclass
class Tally:
    """What crossed the broker for one client."""

    messages: int = 0
    payload: int = 0
    wire: int = 0
    downlink_payload: int = 0
    downlink_wire: int = 0
    received: list[dict[str, object]] = field(default_factory=list)

    def up(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        self.payload += len(payload)
        self.wire += wire_bytes(topic, payload)

    def down(self, topic: str, payload: bytes) -> None:
        self.downlink_payload += len(payload)
        self.downlink_wire += wire_bytes(topic, payload)

    @property
    def both_ways(self) -> int:
        """Wire bytes up and down."""
        return self.wire + self.downlink_wire


async def _wait(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the broker and link signal nothing to await
            await asyncio.sleep(0.01)


async def run_naive(port: int, day: Series) -> Tally:
    """Full JSON every 5 minutes."""
    tally = Tally()
    async with (
        aiomqtt.Client("127.0.0.1", port, identifier="naive-aggregator") as aggregator,
        aiomqtt.Client("127.0.0.1", port, identifier="naive-home") as home,
    ):
        await aggregator.subscribe(NAIVE_TOPIC, qos=1)

        async def collect() -> None:
            async for message in aggregator.messages:
                assert isinstance(message.payload, bytes)
                tally.up(NAIVE_TOPIC, message.payload)
                tally.received.append(json.loads(message.payload))

        collector = asyncio.create_task(collect())
        for n, values in enumerate(day):
            payload = json.dumps(
                {
                    "timestamp": (DAY + n * STEP).isoformat(),
                    "household_id": TOPICS.ven,
                    "power_kw": values["power_kw"],
                    "curtailed_kw": values["curtailed_kw"],
                    "unit": "kW",
                }
            ).encode()
            await home.publish(NAIVE_TOPIC, payload, qos=1)
        await _wait(lambda: len(tally.received) == len(day))
        collector.cancel()
        with suppress(asyncio.CancelledError):
            await collector
    return tally


def naive_series(naive: Tally) -> Series:
    """The series the naive sender delivered, in time order."""
    ordered = sorted(naive.received, key=lambda item: str(item["timestamp"]))
    return [{key: float(item[key]) for key in KEYS} for item in ordered]  # type: ignore[arg-type]


@dataclass
class DenkiRun:
    """Denki's reports as the aggregator saw them."""

    tally: Tally
    rebuilt: Series
    sent: int  # reports the throttle chose and the home queued
    unique: int  # distinct (outbox, seq) at the aggregator
    complete: bool  # the unique sequence numbers are 1..sent, none missing
    duplicates: int  # repeats the aggregator dropped by (outbox, seq)
    in_order: bool  # first copies arrived in sequence order
    queued_in_outage: int | None = None  # reports waiting in the outbox when the broker came back


async def run_denki(
    port: int, day: Series, deadbands: dict[str, float], folder: Path, outage: range | None = None
) -> DenkiRun:
    """Throttle, outbox and link; the aggregator acknowledges and rebuilds the series."""
    tally = Tally()
    outbox = Outbox(folder)
    link = MqttLink(
        host="127.0.0.1",
        port=port,
        topics=TOPICS,
        outbox=outbox,
        on_message=lambda message: None,
        client_id="denki-home",
        backoff_start=0.05,
        backoff_max=0.2,
    )
    # What to send depends on the readings alone: choose it all first, which
    # also says which report is the last before the outage.
    throttle = ReportThrottle(deadbands)
    plan = [(n, throttle.select(values, DAY + n * STEP)) for n, values in enumerate(day)]
    plan = [(n, chosen) for n, chosen in plan if chosen]
    sent = len(plan)
    withheld = None  # the last report before the outage: it arrives, its ack does not
    if outage is not None:
        withheld = max((n for n, _ in plan if n < outage.start), default=None)
    arrivals: list[tuple[str, int]] = []
    first: dict[tuple[str, int], bytes] = {}  # the first copy of each (outbox, seq)
    queued_in_outage: int | None = None
    acking = True

    async def aggregator_session() -> None:
        async with aiomqtt.Client("127.0.0.1", port, identifier="denki-aggregator") as agg:
            await agg.subscribe(TOPICS.reports, qos=1)
            ready.set()
            async for message in agg.messages:
                assert isinstance(message.payload, bytes)
                tally.up(TOPICS.reports, message.payload)  # repeats cost bytes too
                report = decode_report(message.payload)
                key = (report.outbox, report.seq)
                arrivals.append(key)
                first.setdefault(key, message.payload)
                if not acking:
                    continue
                ack = json.dumps(
                    {"schema": SCHEMA, "type": "ack", "outbox": report.outbox, "seq": report.seq},
                    separators=(",", ":"),
                ).encode()
                tally.down(TOPICS.acks, ack)
                await agg.publish(TOPICS.acks, ack, qos=1)

    def arrived(count: int) -> Callable[[], bool]:
        """Whether the aggregator has `count` distinct reports."""
        return lambda: len(first) >= count

    async def start_broker() -> Broker:
        started = Broker(amqtt_config(port))
        await started.start()
        return started

    broker = await start_broker()
    ready = asyncio.Event()
    aggregator = asyncio.create_task(aggregator_session())
    await ready.wait()
    runner = asyncio.create_task(link.run())
    await asyncio.wait_for(link.connected.wait(), 10)
    reports = iter(plan)
    upcoming = next(reports, None)
    made = 0
    for n in range(len(day)):
        if outage is not None and n == outage.start:
            await _wait(arrived(made))  # the withheld report is there, unacknowledged
            aggregator.cancel()
            await asyncio.gather(aggregator, return_exceptions=True)
            await broker.shutdown()
            await _wait(lambda: not link.connected.is_set())
        if outage is not None and n == outage.stop:
            queued_in_outage = link.queued
            acking = True
            broker = await start_broker()
            ready = asyncio.Event()
            aggregator = asyncio.create_task(aggregator_session())
            await ready.wait()
            await asyncio.wait_for(link.connected.wait(), 10)
        if upcoming is None or upcoming[0] != n:
            continue
        if n == withheld:
            await _wait(lambda: len(outbox) == 0)  # every earlier report acknowledged
            acking = False
        await link.report(upcoming[1], DAY + n * STEP)
        made += 1
        upcoming = next(reports, None)
    await _wait(lambda: len(first) >= sent and len(outbox) == 0)
    runner.cancel()
    aggregator.cancel()
    await asyncio.gather(runner, aggregator, return_exceptions=True)
    await broker.shutdown()
    # Rebuild: at each 5-minute slot, each value held until the next report carries it.
    at_of = {report.at: report for report in map(decode_report, first.values())}
    held: dict[str, float] = {}
    rebuilt: Series = []
    for n in range(len(day)):
        found = at_of.get(DAY + n * STEP)
        if found is not None:
            held.update(found.values)
        rebuilt.append(dict(held))
    seqs = [seq for _, seq in dict.fromkeys(arrivals)]  # in order of first arrival
    return DenkiRun(
        tally=tally,
        rebuilt=rebuilt,
        sent=sent,
        unique=len(first),
        complete=sorted(seqs) == list(range(1, sent + 1)) and len({name for name, _ in first}) == 1,
        duplicates=len(arrivals) - len(first),
        in_order=seqs == sorted(seqs),
        queued_in_outage=queued_in_outage,
    )


def max_errors(delivered: Series, rebuilt: Series) -> dict[str, float]:
    """For each key, the largest gap between a delivered value and the aggregator's rebuilt one."""
    return {
        key: max(
            abs(truth[key] - got.get(key, math.inf))
            for truth, got in zip(delivered, rebuilt, strict=True)
        )
        for key in KEYS
    }


def max_error(delivered: Series, rebuilt: Series) -> float:
    """The largest gap over every key."""
    return max(max_errors(delivered, rebuilt).values())


def within_deadbands(delivered: Series, rebuilt: Series, deadbands: dict[str, float]) -> bool:
    """Whether every rebuilt value is within its key's deadband of the delivered one."""
    errors = max_errors(delivered, rebuilt)
    return all(errors[key] <= deadbands[key] + 1e-9 for key in KEYS)


@dataclass
class Results:
    """Every run of the bench on one day."""

    day: Series
    naive: Tally
    delivered: Series  # what the naive sender delivered
    denki: DenkiRun
    lossless: DenkiRun
    outage: DenkiRun | None
    lossless_outage: DenkiRun | None
    seconds: float


async def measure(readings: int = READINGS) -> Results:
    """Every run of the bench on a day of `readings` 5-minute readings.

    The outage runs need the day to reach past OUTAGE; on a shorter day they are None.
    """
    started = time.perf_counter()
    day = household_day(readings=readings)
    port = free_port()
    broker = Broker(amqtt_config(port))
    await broker.start()
    try:
        naive = await run_naive(port, day)
    finally:
        await broker.shutdown()
    # A link's last outbox write can land as the folder goes: never fail the run for it.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        base = Path(folder)
        denki = await run_denki(free_port(), day, DEADBANDS, base / "a")
        lossless = await run_denki(free_port(), day, LOSSLESS, base / "b")
        outage = lossless_outage = None
        if readings > OUTAGE.stop:
            outage = await run_denki(free_port(), day, DEADBANDS, base / "c", OUTAGE)
            lossless_outage = await run_denki(free_port(), day, LOSSLESS, base / "d", OUTAGE)
    return Results(
        day,
        naive,
        naive_series(naive),
        denki,
        lossless,
        outage,
        lossless_outage,
        time.perf_counter() - started,
    )


def check(results: Results) -> None:
    """What the bench promises; AssertionError when it does not hold."""
    assert results.delivered == results.day, "the naive sender lost or changed a reading"
    for run, deadbands in (
        (results.denki, DEADBANDS),
        (results.lossless, LOSSLESS),
        (results.outage, DEADBANDS),
        (results.lossless_outage, LOSSLESS),
    ):
        if run is None:
            continue
        assert within_deadbands(results.delivered, run.rebuilt, deadbands)
        assert run.complete, "a report was lost"
        assert run.unique == run.sent, "a report was lost"
        assert run.in_order, "reports arrived out of order"
    assert results.lossless.rebuilt == results.delivered  # deadband 0: the very series
    if results.lossless_outage is not None:
        assert results.lossless_outage.rebuilt == results.delivered


def main() -> None:
    """Run, check and print the table."""
    results = asyncio.run(measure())
    check(results)
    naive = results.naive
    print(
        f"{READINGS} readings (5 min), DR event 17:00-19:00; deadbands (kW) {DEADBANDS};"
        f" keep-alive 30 min; MQTT QoS 1; {results.seconds:.1f} s"
    )
    print("bytes a day; ratio = Denki / naive; wire = MQTT 3.1.1 PUBLISH + PUBACK estimate")
    print(
        f"{'client':32} {'reports':>7} {'payload B':>9} {'ratio':>6} {'wire B':>7} {'ratio':>6}"
        f" {'acks down B':>11} {'both ways B':>11} {'ratio':>6} {'max error kW':>12}"
    )
    rows: list[tuple[str, DenkiRun | None]] = [
        ("naive full JSON", None),
        ("Denki, deadband 0.1 kW", results.denki),
        ("Denki, deadband 0 (lossless)", results.lossless),
    ]
    for label, run in rows:
        tally = naive if run is None else run.tally
        error = "-" if run is None else f"{max_error(results.delivered, run.rebuilt):.3f}"
        print(
            f"{label:32} {tally.messages:7d} {tally.payload:9d} {tally.payload / naive.payload:6.1%}"
            f" {tally.wire:7d} {tally.wire / naive.wire:6.1%} {tally.downlink_wire:11d}"
            f" {tally.both_ways:11d} {tally.both_ways / naive.both_ways:6.1%} {error:>12}"
        )
    ratio = results.denki.tally.wire / naive.wire
    print(
        f"uplink Denki / naive: {results.denki.tally.payload / naive.payload:.1%} payload,"
        f" {ratio:.1%} wire; target <= {TARGET:.0%}: {'met' if ratio <= TARGET else 'MISSED'}"
    )
    print()
    print(
        f"broker down {OUTAGE.start * 5 // 60}:00-{OUTAGE.stop * 5 // 60}:00 ({len(OUTAGE)} readings)"
    )
    print(
        f"{'client':32} {'queued':>6} {'reports':>7} {'delivered once':>14} {'repeats dropped':>15}"
        f" {'in order':>8} {'wire B':>7} {'max error kW':>12}"
    )
    for label, run in (
        ("Denki, deadband 0.1 kW", results.outage),
        ("Denki, deadband 0 (lossless)", results.lossless_outage),
    ):
        assert run is not None
        delivered = f"{run.unique}/{run.sent}" + ("" if run.complete else " LOST")
        print(
            f"{label:32} {run.queued_in_outage:6d} {run.sent:7d} {delivered:>14}"
            f" {run.duplicates:15d} {'yes' if run.in_order else 'NO':>8} {run.tally.wire:7d}"
            f" {max_error(results.delivered, run.rebuilt):12.3f}"
        )
    emit(
        "bench_dr_uplink",
        [
            Row(
                "uplink wire bytes a day, deadband 0.1 kW",
                "naive full JSON",
                results.denki.tally.wire,
                naive.wire,
                "B",
            ),
            Row(
                "uplink wire bytes a day, lossless",
                "naive full JSON",
                results.lossless.tally.wire,
                naive.wire,
                "B",
            ),
            Row(
                "uplink share of naive, deadband 0.1 kW",
                f"target {TARGET:.0%}",
                ratio * 100,
                TARGET * 100,
                "%",
            ),
        ],
        target_met=ratio <= TARGET,
    )


if __name__ == "__main__":
    main()
