"""Uplink bytes a day for aggregator reports at 5-minute intervals: Denki vs naive full JSON.

The issue's target: at 5-minute reporting, Denki's uplink is at most 20 %
of sending the full JSON every 5 minutes, with the delivered series the
same. Both run in one process against one real MQTT broker (amqtt, on
loopback), with an aggregator client that receives what is sent:

- naive: what a homemade integration does, `json.dumps` of every value with
  readable names, a timestamp and the household's id, every 5 minutes,
  QoS 1 on one topic (288 messages a day);
- Denki: `lib.dr.reports.ReportThrottle` (a value is sent when it moved
  more than its deadband, everything on a 30-minute keep-alive), the
  disk `Outbox`, and `lib.dr.mqtt_link.MqttLink` with the profile's
  compact JSON (`mqtt_profile.encode_report`); the aggregator acknowledges
  each report (downlink).

The day is synthetic and seeded: a household's draw (night base, morning
and evening peaks, appliances switching on and off, noise) read every 5
minutes, and a 2-hour DR event (17:00-19:00) during which it curtails 0.5
to 1.5 kW. "Delivered series": the aggregator rebuilds Denki's series by
holding each value until the next one arrives; every rebuilt value is within
the deadband of the true one (the table gives the largest error), and with
deadband 0 the rebuilt series is the true one exactly.

Bytes are counted twice: the application payloads, and an estimate of MQTT
3.1.1 on the wire (PUBLISH fixed header, remaining length, topic, packet id
and payload, and the 4-byte PUBACK that QoS 1 costs the other way). TCP,
TLS and keep-alive pings are the same for both and left out.

A last run drills an outage: the broker stops for an hour of the day (12
readings) and starts again; the table shows that every report arrived, in
order, and how many duplicates the sequence numbers let the aggregator
drop.

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

import aiomqtt
from amqtt.broker import Broker

from custom_components.denki.lib.dr.mqtt_link import MqttLink
from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, Topics, decode_report
from custom_components.denki.lib.dr.reports import Outbox, ReportThrottle
from tests.net import amqtt_config, free_port

DAY = datetime(2026, 8, 3, 0, 0, tzinfo=UTC) - timedelta(hours=9)  # midnight in Japan
STEP = timedelta(minutes=5)
READINGS = 288
DEADBANDS = {"power_kw": 0.1, "curtailed_kw": 0.1}
TOPICS = Topics("aggregator/jp", "home-1")
NAIVE_TOPIC = "aggregator/jp/home-1/telemetry"
OUTAGE = range(144, 156)  # 12:00-13:00


def household_day(seed: int = 2026, readings: int = READINGS) -> list[dict[str, float]]:
    """Power and curtailment every 5 minutes, kW, rounded as a meter gives them (10 W)."""
    rng = random.Random(seed)
    day: list[dict[str, float]] = []
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


async def _wait(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the broker and link signal nothing to await
            await asyncio.sleep(0.01)


async def run_naive(port: int, day: list[dict[str, float]]) -> Tally:
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
            tally.up(NAIVE_TOPIC, payload)
            await home.publish(NAIVE_TOPIC, payload, qos=1)
        await _wait(lambda: len(tally.received) == len(day))
        collector.cancel()
        with suppress(asyncio.CancelledError):
            await collector
    return tally


@dataclass
class DenkiRun:
    """Denki's reports as the aggregator saw them."""

    tally: Tally
    rebuilt: list[dict[str, float]]
    duplicates: int
    in_order: bool


async def run_denki(
    port: int,
    day: list[dict[str, float]],
    deadbands: dict[str, float],
    folder: Path,
    outage: range | None = None,
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
    throttle = ReportThrottle(deadbands)
    arrivals: list[int] = []
    by_seq: dict[int, bytes] = {}
    broker: Broker | None = None

    async def aggregator_session() -> None:
        async with aiomqtt.Client("127.0.0.1", port, identifier="denki-aggregator") as agg:
            await agg.subscribe(TOPICS.reports, qos=1)
            ready.set()
            async for message in agg.messages:
                assert isinstance(message.payload, bytes)
                report = decode_report(message.payload)
                arrivals.append(report.seq)
                by_seq.setdefault(report.seq, message.payload)
                ack = json.dumps(
                    {"schema": SCHEMA, "type": "ack", "outbox": report.outbox, "seq": report.seq},
                    separators=(",", ":"),
                ).encode()
                tally.down(TOPICS.acks, ack)
                await agg.publish(TOPICS.acks, ack, qos=1)

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
    sent = 0
    for n, values in enumerate(day):
        if outage is not None and n == outage.start:
            aggregator.cancel()
            await asyncio.gather(aggregator, return_exceptions=True)
            await broker.shutdown()
            await _wait(lambda: not link.connected.is_set())
        if outage is not None and n == outage.stop:
            broker = await start_broker()
            ready = asyncio.Event()
            aggregator = asyncio.create_task(aggregator_session())
            await ready.wait()
            await asyncio.wait_for(link.connected.wait(), 10)
        chosen = throttle.select(values, DAY + n * STEP)
        if chosen:
            await link.report(chosen, DAY + n * STEP)
            sent += 1
    await _wait(lambda: len(by_seq) == sent and len(outbox) == 0)
    runner.cancel()
    aggregator.cancel()
    await asyncio.gather(runner, aggregator, return_exceptions=True)
    await broker.shutdown()
    for seq in sorted(by_seq):
        tally.up(TOPICS.reports, by_seq[seq])
    # Rebuild: each value held until the next report carries it.
    decoded = [decode_report(payload) for payload in by_seq.values()]
    at_of = {report.at: report for report in decoded}
    held: dict[str, float] = {}
    rebuilt: list[dict[str, float]] = []
    for n in range(len(day)):
        found = at_of.get(DAY + n * STEP)
        if found is not None:
            held.update(found.values)
        rebuilt.append(dict(held))
    first = [seq for i, seq in enumerate(arrivals) if seq not in arrivals[:i]]
    return DenkiRun(tally, rebuilt, len(arrivals) - len(by_seq), first == sorted(first))


def max_error(day: list[dict[str, float]], rebuilt: list[dict[str, float]]) -> float:
    """The largest gap between a true value and the aggregator's rebuilt one."""
    return max(
        abs(truth[key] - got.get(key, math.inf))
        for truth, got in zip(day, rebuilt, strict=True)
        for key in truth
    )


async def measure(readings: int = READINGS) -> dict[str, object]:
    """Every run of the bench on a day of `readings` 5-minute readings."""
    day = household_day(readings=readings)
    port = free_port()
    broker = Broker(amqtt_config(port))
    await broker.start()
    try:
        naive = await run_naive(port, day)
    finally:
        await broker.shutdown()
    with tempfile.TemporaryDirectory() as folder:
        denki = await run_denki(free_port(), day, DEADBANDS, Path(folder) / "a")
        lossless = await run_denki(
            free_port(), day, dict.fromkeys(DEADBANDS, 0.0), Path(folder) / "b"
        )
        outage = None
        if readings > OUTAGE.stop:
            outage = await run_denki(free_port(), day, DEADBANDS, Path(folder) / "c", OUTAGE)
    return {"day": day, "naive": naive, "denki": denki, "lossless": lossless, "outage": outage}


def main() -> None:
    """Run and print the table."""
    results = asyncio.run(measure())
    day = results["day"]
    naive: Tally = results["naive"]  # type: ignore[assignment]
    rows: list[tuple[str, Tally, DenkiRun | None]] = [("naive full JSON", naive, None)]
    for label, key in (
        ("Denki, deadband 0.1 kW", "denki"),
        ("Denki, deadband 0 (lossless)", "lossless"),
        ("Denki, 1 h broker outage", "outage"),
    ):
        measured = results[key]
        assert isinstance(measured, DenkiRun)
        rows.append((label, measured.tally, measured))
    print(f"{READINGS} readings (5 min), DR event 17:00-19:00; deadbands {DEADBANDS}")
    print(
        f"{'client':30} {'reports':>7} {'payload B':>9} {'wire B':>7} {'ratio':>6} "
        f"{'acks B (down)':>13} {'max error kW':>12} {'dup':>4} {'order':>5}"
    )
    for label, tally, run in rows:
        ratio = tally.wire / naive.wire
        error = "-" if run is None else f"{max_error(day, run.rebuilt):.3f}"  # type: ignore[arg-type]
        dup = "-" if run is None else str(run.duplicates)
        order = "-" if run is None else ("yes" if run.in_order else "NO")
        print(
            f"{label:30} {tally.messages:7d} {tally.payload:9d} {tally.wire:7d} {ratio:6.1%} "
            f"{tally.downlink_wire:13d} {error:>12} {dup:>4} {order:>5}"
        )


if __name__ == "__main__":
    main()
