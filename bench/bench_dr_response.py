"""DR event received -> every curtailment command at the devices, on the simulated home.

The issue's target: at most 1 s from the event arriving to every appliance
having received its curtailment. One process runs a real Home Assistant
(the test harness's, `async_test_home_assistant`), Denki's appliances entry
on the ECHONET Lite simulator (real UDP on loopback: an air conditioner and
an EcoCute on one node, a storage battery and a light on another), an amqtt
broker, and Denki's aggregator entry on it with all four appliances in its
plan. The aggregator client publishes an event that has already started;
the clock stops when every simulated device holds its curtailed value
(air conditioner setpoint +2 degC, EcoCute boiling stopped, battery
discharging, light at half brightness), read from the devices themselves.
The event is then cancelled and the restore timed the same way.

Side by side, in the same run: the same four changes made the way a plain
automation with four actions makes them, one blocking service call after
another, timed from the first call to the devices holding the values. That
path has no event to receive (no broker, no parsing, no plan, no store), so
it is the floor of what sending four ECHONET Lite Sets costs here; the ratio
says how much Denki's whole path adds on top of it.

    .venv/bin/python -m bench.bench_dr_response [--runs N]
"""

import argparse
import asyncio
from collections.abc import Callable
from datetime import timedelta
import statistics
import tempfile
import time
from typing import Any

import aiomqtt
from amqtt.broker import Broker
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant

from custom_components.denki import appliances
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
from tests.aggregator.conftest import TOPICS, mqtt_cancel, mqtt_entry, mqtt_event
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


async def until(predicate: Callable[[], bool], seconds: float = 20.0) -> float:
    """Wait until `predicate` holds, checking every millisecond; the time it took."""
    start = time.perf_counter()
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the simulated devices signal nothing
            await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def _home(hass: HomeAssistant) -> Lan:
    appliances.LISTEN_PORT = free_port()
    appliances.MULTICAST_LOOP = True
    appliances.DISCOVERY_WINDOW = 0.5
    appliances.RETRY = RetryPolicy(timeout=1.0, max_timeout=4.0)
    lan = Lan(appliances.LISTEN_PORT)
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


def _plan(hass: HomeAssistant) -> dict[str, list[str]]:
    return plan_options(er.async_get(hass))


async def _sequential(hass: HomeAssistant, plan: dict[str, list[str]], lan: Lan) -> float:
    """Four blocking service calls, one after the other, as a plain automation makes them."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("climate", "set_temperature", {"entity_id": plan[CONF_CLIMATES][0], "temperature": 28}),
        (
            "water_heater",
            "set_operation_mode",
            {"entity_id": plan[CONF_WATER_HEATERS][0], "operation_mode": "manual_stop"},
        ),
        (
            "select",
            "select_option",
            {"entity_id": plan[CONF_BATTERIES][0], "option": "discharging"},
        ),
        ("light", "turn_on", {"entity_id": plan[CONF_LIGHTS][0], "brightness": 102}),
    ]
    start = time.perf_counter()
    for domain, service, data in calls:
        await hass.services.async_call(domain, service, data, blocking=True)
    await until(lambda: devices(lan) == CURTAILED)
    return time.perf_counter() - start


async def _restore_by_hand(
    hass: HomeAssistant, plan: dict[str, list[str]], lan: Lan, before: tuple[bytes, ...]
) -> None:
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": plan[CONF_CLIMATES][0], "temperature": 26},
        blocking=True,
    )
    await hass.services.async_call(
        "water_heater",
        "set_operation_mode",
        {"entity_id": plan[CONF_WATER_HEATERS][0], "operation_mode": "automatic"},
        blocking=True,
    )
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": plan[CONF_BATTERIES][0], "option": "charging"},
        blocking=True,
    )
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": plan[CONF_LIGHTS][0], "brightness": 204}, blocking=True
    )
    await until(lambda: devices(lan) == before)


async def measure(runs: int) -> dict[str, list[float]]:
    """Denki's response and restore times, and the sequential baseline's, `runs` times each."""
    results: dict[str, list[float]] = {"denki": [], "restore": [], "sequential": []}
    port = free_port()
    broker = Broker(amqtt_config(port))
    await broker.start()
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/denki
            lan = await _home(hass)
            plan = _plan(hass)
            before = devices(lan)
            entry: MockConfigEntry = mqtt_entry(port, **plan)
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await until(lambda: entry.runtime_data.source.connected)
            async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as aggregator:
                for n in range(runs):
                    start = dt_util.utcnow() - timedelta(seconds=1)
                    message = mqtt_event(
                        f"bench-{n}", start, timedelta(minutes=10), {"SIMPLE": [2]}
                    )
                    t0 = time.perf_counter()
                    await aggregator.publish(TOPICS.events, message, qos=1)
                    await until(lambda: devices(lan) == CURTAILED)
                    results["denki"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    await aggregator.publish(TOPICS.events, mqtt_cancel(f"bench-{n}"), qos=1)
                    await until(lambda: devices(lan) == before)
                    results["restore"].append(time.perf_counter() - t0)
                    await until(lambda: entry.runtime_data.response is None)
            assert await hass.config_entries.async_unload(entry.entry_id)
            for _ in range(runs):
                results["sequential"].append(await _sequential(hass, plan, lan))
                await _restore_by_hand(hass, plan, lan, before)
            for loaded in hass.config_entries.async_entries():
                await hass.config_entries.async_unload(loaded.entry_id)
            await hass.async_block_till_done()
            lan.close()
    await broker.shutdown()
    return results


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    results = asyncio.run(measure(args.runs))
    print(f"{args.runs} runs; 4 appliances on 2 simulated ECHONET Lite nodes (UDP on loopback)")
    print(f"{'what':52} {'median ms':>9} {'max ms':>7} {'vs 1 s target':>13}")
    rows = (
        ("Denki: event received -> all 4 curtailed", "denki"),
        ("Denki: cancel received -> all 4 put back", "restore"),
        ("floor: 4 sequential service calls -> all 4 changed", "sequential"),
    )
    for label, key in rows:
        values = results[key]
        median = statistics.median(values)
        print(f"{label:52} {median * 1000:9.1f} {max(values) * 1000:7.1f} {median:12.1%}")
    ratio = statistics.median(results["denki"]) / statistics.median(results["sequential"])
    print(f"Denki's whole path / the floor (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
