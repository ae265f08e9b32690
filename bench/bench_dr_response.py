"""DR event received -> every curtailment command at the devices, on the simulated home.

The issue's target: at most 1 s from the event arriving to every appliance
having received its curtailment. One process runs a real Home Assistant
(the test harness's, `async_test_home_assistant`), Denki's appliances entry
on the ECHONET Lite simulator (real UDP on loopback: an air conditioner and
an EcoCute on one node, a storage battery and a light on another), an amqtt
broker, and Denki's aggregator entry on it with all four appliances in its
plan. The aggregator client publishes an event that started a second ago
(10 minutes, SIMPLE 2); the clock starts just before the publish and stops
at the instant the last simulated device applies its Set and all four hold
their curtailed values (air conditioner setpoint +2 degC, EcoCute boiling
stopped, battery discharging, light at half brightness): the nodes are
hooked where they apply a request, nothing is polled. The event is then
cancelled and the restore timed the same way, until all four hold their
prior values again. Each run has an event of its own, and the next starts
only once the hub is idle again (the restore's store write done).

Then an interval change: an event whose first interval is SIMPLE 1 (the
air conditioner at half its offset, the light untouched) and whose second,
a few seconds later, is SIMPLE 2. The clock starts at the boundary itself
(its wall-clock instant taken onto the performance counter) and stops when
the air conditioner holds +2 degC and the light half its brightness: the
timer, the new demand, the re-plan and the two Sets. Its baseline is the
same two changes as two blocking service calls.

Side by side, in the same run: the same four changes made the way a plain
automation with four actions makes them, one blocking service call after
another, timed from the first call to the devices holding the values, and
put back by hand between runs. That path has no event to receive (no
broker, no parsing, no plan, no store write), so it is the floor of what
sending four ECHONET Lite Sets costs here; the ratios say how the two
compare and how far each is under the 1 s target.

    .venv/bin/python -m bench.bench_dr_response [--runs N]
"""

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
import statistics
import tempfile
import time
from typing import Any
from unittest.mock import patch

import aiomqtt
from amqtt.broker import Broker
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

from bench.result import Row, emit
from custom_components.denki import lan as denki_lan
from custom_components.denki.appliances import hub as appliances
from custom_components.denki.const import (
    CONF_BATTERIES,
    CONF_CLIMATES,
    CONF_LIGHTS,
    CONF_WATER_HEATERS,
)
from custom_components.denki.lib.echonet import RetryPolicy
from simulators.echonet_devices import (
    air_conditioner,
    general_lighting,
    storage_battery,
    water_heater,
)
from tests.aggregator.conftest import (
    TOPICS,
    mqtt_cancel,
    mqtt_entry,
    mqtt_event,
    mqtt_intervals_event,
)
from tests.aggregator.test_response import CURTAILED, devices, plan_options
from tests.appliances.conftest import (
    AIRCON,
    BATTERY,
    HEATER,
    LIGHT,
    LIVING,
    OUTSIDE,
    Lan,
    appliances_entry,
)
from tests.net import amqtt_config, free_port

TARGET = 1.0
"""The issue's bound, s."""
WAIT = 20.0
"""How long a phase may take before the run fails, s."""

Values = dict[tuple[str, Any, int], bytes]


class Arrival:
    """The instant the simulated devices come to hold given values, from inside the nodes.

    Each node's `_answer_from` (where it applies a Set) is wrapped: right after a
    request is applied, the watched values are compared with the target.
    """

    def __init__(self, lan: Lan) -> None:
        self._lan = lan
        self._target: Values | None = None
        self._reached = asyncio.Event()
        self.at = 0.0
        for node in lan.nodes.values():
            answer_from = node._answer_from  # noqa: SLF001

            def hooked(
                eoj: Any, request: Any, answer_from: Callable[..., Any] = answer_from
            ) -> Any:
                answer = answer_from(eoj, request)
                self._check()
                return answer

            node._answer_from = hooked  # type: ignore[method-assign] # noqa: SLF001

    def _check(self) -> None:
        if self._target is not None and devices(self._lan) == self._target:
            self.at = time.perf_counter()
            self._target = None
            self._reached.set()

    def arm(self, target: Values) -> None:
        """Watch for `target` from now on (the devices must not hold it yet)."""
        assert devices(self._lan) != target, "already there: nothing to time"
        self._reached.clear()
        self._target = target

    async def since(self, t0: float) -> float:
        """Wait for the armed target; seconds from `t0` to the instant it was reached."""
        async with asyncio.timeout(WAIT):
            await self._reached.wait()
        return self.at - t0


@dataclass
class Results:
    """Seconds per run for each path, and the devices' values seen along the way."""

    denki: list[float] = field(default_factory=list)
    restore: list[float] = field(default_factory=list)
    interval: list[float] = field(default_factory=list)
    """From an interval's boundary (SIMPLE 1 -> 2) to the two deeper Sets held."""
    sequential: list[float] = field(default_factory=list)
    sequential_two: list[float] = field(default_factory=list)
    """The interval change's two Sets as two blocking service calls."""
    before: Values = field(default_factory=dict)
    curtailed: list[Values] = field(default_factory=list)
    """The devices' values once each Denki response was complete."""
    after: Values = field(default_factory=dict)
    """The devices' values at the end, everything put back."""


async def until(predicate: Callable[[], bool], seconds: float = WAIT) -> None:
    """Wait until `predicate` holds (set-up only; nothing timed)."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - what is awaited signals nothing
            await asyncio.sleep(0.01)


async def _home(hass: HomeAssistant) -> Lan:
    lan = Lan(denki_lan.LISTEN_PORT)
    await lan.start(LIVING, b"LIVING-NODE-1", {AIRCON: air_conditioner(), HEATER: water_heater()})
    await lan.start(
        OUTSIDE, b"OUTSIDE-NODE1", {BATTERY: storage_battery(), LIGHT: general_lighting()}
    )
    entry = appliances_entry(lan)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    ours = ("-013001", "-026b01", "-027d01", "-029001")

    def polled() -> bool:
        found = {key: c for key, c in entry.runtime_data.coordinators.items() if key.endswith(ours)}
        return len(found) == len(ours) and all(c.data for c in found.values())

    # Only the four appliances: the harness's made-up adapter may show other nodes.
    await until(polled)
    await hass.async_block_till_done()
    return lan


def _calls(plan: dict[str, list[str]], *, curtail: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """The four service calls of a plain automation: curtail, or put the prior values back."""
    return [
        (
            "climate",
            "set_temperature",
            {"entity_id": plan[CONF_CLIMATES][0], "temperature": 28 if curtail else 26},
        ),
        (
            "water_heater",
            "set_operation_mode",
            {
                "entity_id": plan[CONF_WATER_HEATERS][0],
                "operation_mode": "manual_stop" if curtail else "automatic",
            },
        ),
        (
            "select",
            "select_option",
            {
                "entity_id": plan[CONF_BATTERIES][0],
                "option": "discharging" if curtail else "charging",
            },
        ),
        (
            "light",
            "turn_on",
            {"entity_id": plan[CONF_LIGHTS][0], "brightness": 102 if curtail else 204},
        ),
    ]


async def _sequential(
    hass: HomeAssistant, plan: dict[str, list[str]], arrival: Arrival, before: Values
) -> float:
    """Four blocking service calls, one after the other, as a plain automation makes them."""
    arrival.arm(CURTAILED)
    t0 = time.perf_counter()
    for domain, service, data in _calls(plan, curtail=True):
        await hass.services.async_call(domain, service, data, blocking=True)
    elapsed = await arrival.since(t0)
    arrival.arm(before)
    for domain, service, data in _calls(plan, curtail=False):
        await hass.services.async_call(domain, service, data, blocking=True)
    await arrival.since(t0)
    await hass.async_block_till_done()
    return elapsed


async def _denki(
    hass: HomeAssistant,
    aggregator: aiomqtt.Client,
    arrival: Arrival,
    results: Results,
    event_id: str,
) -> None:
    """One event: published, every appliance curtailed; cancelled, every one put back."""
    start = dt_util.utcnow() - timedelta(seconds=1)
    message = mqtt_event(event_id, start, timedelta(minutes=10), {"SIMPLE": [2]})
    arrival.arm(CURTAILED)
    t0 = time.perf_counter()
    await aggregator.publish(TOPICS.events, message, qos=1)
    results.denki.append(await arrival.since(t0))
    results.curtailed.append(devices(arrival._lan))  # noqa: SLF001
    await hass.async_block_till_done()  # the response's own bookkeeping done
    arrival.arm(results.before)
    t0 = time.perf_counter()
    await aggregator.publish(TOPICS.events, mqtt_cancel(event_id), qos=1)
    results.restore.append(await arrival.since(t0))
    await hass.async_block_till_done()  # the restore's store write done: the hub is idle


def moderate(before: Values) -> Values:
    """SIMPLE 1: the air conditioner at +1 degC, the light as it was; the rest as at SIMPLE 2."""
    return {
        **CURTAILED,
        (LIVING, AIRCON, 0xB3): bytes((27,)),
        (OUTSIDE, LIGHT, 0xB0): before[(OUTSIDE, LIGHT, 0xB0)],
    }


BOUNDARY_AFTER = 1.5
"""Seconds from the publish to the interval boundary: time enough for SIMPLE 1's plan."""


async def _interval_change(
    hass: HomeAssistant,
    aggregator: aiomqtt.Client,
    arrival: Arrival,
    results: Results,
    event_id: str,
) -> None:
    """SIMPLE 1 then SIMPLE 2: timed from the boundary to the deeper plan held."""
    now = dt_util.utcnow()
    boundary = now + timedelta(seconds=BOUNDARY_AFTER)
    perf_at_now = time.perf_counter()
    start = now - timedelta(seconds=1)
    message = mqtt_intervals_event(
        event_id,
        [
            (start, boundary - start, {"SIMPLE": [1]}),
            (boundary, timedelta(minutes=10), {"SIMPLE": [2]}),
        ],
    )
    arrival.arm(moderate(results.before))
    await aggregator.publish(TOPICS.events, message, qos=1)
    await arrival.since(perf_at_now)
    arrival.arm(CURTAILED)
    t0 = perf_at_now + (boundary - now).total_seconds()
    results.interval.append(await arrival.since(t0))
    await hass.async_block_till_done()
    arrival.arm(results.before)
    await aggregator.publish(TOPICS.events, mqtt_cancel(event_id), qos=1)
    await arrival.since(time.perf_counter())
    await hass.async_block_till_done()


async def _sequential_two(
    hass: HomeAssistant, plan: dict[str, list[str]], arrival: Arrival, before: Values
) -> float:
    """The interval change's two Sets as two blocking calls, from SIMPLE 1's values."""
    climate, light = plan[CONF_CLIMATES][0], plan[CONF_LIGHTS][0]
    arrival.arm(moderate(before))
    t0 = time.perf_counter()
    for domain, service, data in _calls(plan, curtail=True):
        if domain != "light":
            half = {"temperature": 27} if domain == "climate" else {}
            await hass.services.async_call(domain, service, {**data, **half}, blocking=True)
    await arrival.since(t0)
    arrival.arm(CURTAILED)
    t0 = time.perf_counter()
    await hass.services.async_call(
        "climate", "set_temperature", {"entity_id": climate, "temperature": 28}, blocking=True
    )
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": light, "brightness": 102}, blocking=True
    )
    elapsed = await arrival.since(t0)
    arrival.arm(before)
    for domain, service, data in _calls(plan, curtail=False):
        await hass.services.async_call(domain, service, data, blocking=True)
    await arrival.since(t0)
    await hass.async_block_till_done()
    return elapsed


async def measure(runs: int) -> Results:
    """Denki's response and restore times, and the sequential baseline's, `runs` times each."""
    results = Results()
    port = free_port()
    broker = Broker(amqtt_config(port))
    await broker.start()
    try:
        with (
            tempfile.TemporaryDirectory() as config_dir,
            patch.multiple(
                denki_lan,
                LISTEN_PORT=free_port(),
                MULTICAST_LOOP=True,
                RETRY=RetryPolicy(timeout=1.0, max_timeout=4.0),
            ),
            patch.object(appliances, "DISCOVERY_WINDOW", 0.5),
        ):
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/denki
                lan = await _home(hass)
                try:
                    await _measure(hass, port, lan, runs, results)
                finally:
                    for loaded in hass.config_entries.async_entries():
                        await hass.config_entries.async_unload(loaded.entry_id)
                    await hass.async_block_till_done()
                    # The harness's context does not stop what it started: its `hass`
                    # fixture does, as here (final writes, timers, executor).
                    await hass.async_stop(force=True)
                    lan.close()
    finally:
        await broker.shutdown()
    return results


async def _measure(hass: HomeAssistant, port: int, lan: Lan, runs: int, results: Results) -> None:
    arrival = Arrival(lan)
    plan = plan_options(er.async_get(hass))
    results.before = devices(lan)
    entry: MockConfigEntry = mqtt_entry(port, **plan)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: entry.runtime_data.source.connected)
    async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as aggregator:
        for n in range(runs):
            await _denki(hass, aggregator, arrival, results, f"bench-{n}")
            assert entry.runtime_data.response is None
            assert entry.runtime_data.restore_pending == []
            await _interval_change(hass, aggregator, arrival, results, f"bench-interval-{n}")
            assert entry.runtime_data.response is None
            assert entry.runtime_data.restore_pending == []
    # The aggregator entry out of the way: nothing but the four calls moves the devices.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(runs):
        results.sequential.append(await _sequential(hass, plan, arrival, results.before))
        results.sequential_two.append(await _sequential_two(hass, plan, arrival, results.before))
    results.after = devices(lan)


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    results = asyncio.run(measure(args.runs))
    assert all(values == CURTAILED for values in results.curtailed)
    assert results.after == results.before
    print(
        f"{args.runs} runs; 4 appliances on 2 simulated ECHONET Lite nodes (UDP on loopback),"
        f" target {TARGET:g} s"
    )
    print()
    print("| path | median | max | target / median | target / max |")
    print("|---|---|---|---|---|")
    rows = (
        ("Denki: event received -> all 4 curtailed", results.denki),
        ("Denki: cancel received -> all 4 put back", results.restore),
        ("Denki: interval boundary (SIMPLE 1 -> 2) -> re-planned, 2 deeper", results.interval),
        ("4 sequential blocking service calls -> all 4 changed", results.sequential),
        ("2 sequential blocking service calls -> the 2 changed", results.sequential_two),
    )
    for label, values in rows:
        median, worst = statistics.median(values), max(values)
        print(
            f"| {label} | {median * 1000:.1f} ms | {worst * 1000:.1f} ms"
            f" | {TARGET / median:.0f}x | {TARGET / worst:.0f}x |"
        )
    denki, sequential = statistics.median(results.denki), statistics.median(results.sequential)
    print()
    print(
        f"sequential / Denki (medians): {sequential / denki:.2f}"
        f" (below 1: Denki's whole path, broker and store write included,"
        f" takes {denki / sequential:.1f}x the four bare calls)"
    )
    calls = "4 sequential service calls"
    emit(
        "bench_dr_response",
        [
            Row(
                "DR event -> 4 appliances curtailed, median",
                calls,
                denki * 1000,
                sequential * 1000,
                "ms",
            ),
            Row(
                "DR event -> 4 appliances curtailed, max",
                f"target {TARGET:g} s",
                max(results.denki) * 1000,
                TARGET * 1000,
                "ms",
            ),
            Row(
                "interval change -> appliances re-planned, median",
                "2 sequential service calls",
                statistics.median(results.interval) * 1000,
                statistics.median(results.sequential_two) * 1000,
                "ms",
            ),
            Row(
                "cancel -> 4 appliances put back, median",
                "-",
                statistics.median(results.restore) * 1000,
                None,
                "ms",
            ),
        ],
        runs=args.runs,
    )


if __name__ == "__main__":
    main()
