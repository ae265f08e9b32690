"""The automatic response on the simulated home: curtail at the start, put back exactly at the end.

The appliances are the ECHONET Lite simulator's (real UDP on loopback,
through the appliances entry's entities); the events come over the MQTT
aggregator profile from a real broker (amqtt). What is checked is the
devices' own property values, before, during and after.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import json
from typing import Any

import aiomqtt
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.denki.const import (
    CONF_BATTERIES,
    CONF_CLIMATES,
    CONF_LIGHTS,
    CONF_POWER_ENTITY,
    CONF_WATER_HEATERS,
    DOMAIN,
)
from custom_components.denki.lib.dr.mqtt_profile import decode_report
from simulators.echonet_node import SimulatedNode
from tests.appliances.conftest import (
    AIRCON,
    BATTERY,
    HEATER,
    LIGHT,
    LIVING,
    OUTSIDE,
    Lan,
    entity_id_of,
)

from .conftest import (
    TOPICS,
    mqtt_cancel,
    mqtt_entry,
    mqtt_event,
    mqtt_intervals_event,
    oa3_entry,
    set_up,
    until,
)

WATCHED = (
    (LIVING, AIRCON, 0xB3),
    (LIVING, HEATER, 0xB0),
    (OUTSIDE, BATTERY, 0xDA),
    (OUTSIDE, LIGHT, 0xB0),
)
CURTAILED = {
    (LIVING, AIRCON, 0xB3): bytes((28,)),  # cooling 26 -> 28 degC
    (LIVING, HEATER, 0xB0): b"\x43",  # boiling: automatic -> manual stop
    (OUTSIDE, BATTERY, 0xDA): b"\x43",  # charging -> discharging
    (OUTSIDE, LIGHT, 0xB0): bytes((40,)),  # 80 % -> 40 %
}


def devices(lan: Lan) -> dict[tuple[str, Any, int], bytes]:
    """The watched properties as the devices hold them."""
    values = {}
    for address, eoj, epc in WATCHED:
        node: SimulatedNode = lan.nodes[address]
        values[(address, eoj, epc)] = bytes(node.objects[eoj][epc])
    return values


def plan_options(entity_registry: er.EntityRegistry) -> dict[str, Any]:
    """Every kind of appliance of the simulated home in the plan."""
    return {
        CONF_CLIMATES: [entity_id_of(entity_registry, "climate", "-climate")],
        CONF_WATER_HEATERS: [entity_id_of(entity_registry, "water_heater", "026b01-water_heater")],
        CONF_BATTERIES: [
            entity_id_of(entity_registry, "select", f"{int.from_bytes(BATTERY.to_bytes()):06x}-da")
        ],
        CONF_LIGHTS: [entity_id_of(entity_registry, "light", "-light")],
    }


@pytest.fixture
async def home(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    broker_port: int,
    aggregator: aiomqtt.Client,
    entity_registry: er.EntityRegistry,
) -> AsyncIterator[MockConfigEntry]:
    """The appliances entry and an MQTT aggregator entry whose plan holds every appliance."""
    entry = mqtt_entry(broker_port, **plan_options(entity_registry))
    await set_up(hass, entry)
    yield entry
    if hass.config_entries.async_get_entry(entry.entry_id) is not None:
        await hass.config_entries.async_unload(entry.entry_id)


async def announce(
    aggregator: aiomqtt.Client, event_id: str, seconds: float, delay: float = 0.5
) -> None:
    start = dt_util.utcnow() + timedelta(seconds=delay)
    await aggregator.publish(
        TOPICS.events,
        mqtt_event(event_id, start, timedelta(seconds=seconds), {"SIMPLE": [2]}),
        qos=1,
    )


async def curtailed(lan: Lan) -> None:
    await until(lambda: devices(lan) == CURTAILED, 15)


async def test_curtailed_at_the_start_and_put_back_exactly_on_cancel(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
) -> None:
    before = devices(lan)
    assert before != CURTAILED
    await announce(aggregator, "ev-1", 600)
    await curtailed(lan)
    hub = home.runtime_data
    assert hub.response is not None
    assert len(hub.response.steps) == 4
    await aggregator.publish(TOPICS.events, mqtt_cancel("ev-1"), qos=1)
    await until(lambda: devices(lan) == before, 15)
    await until(lambda: hub.response is None)
    assert hub.restore_pending == []


async def test_a_person_takes_an_appliance_out_of_the_plan(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
    entity_registry: er.EntityRegistry,
) -> None:
    before = devices(lan)
    results: list[dict[str, Any]] = []
    hub = home.runtime_data
    hub.add_change_listener(lambda kind, event, data: results.append({"kind": kind, **data}))
    await announce(aggregator, "ev-2", 6)
    await curtailed(lan)
    climate = entity_id_of(entity_registry, "climate", "-climate")
    await hass.services.async_call(
        "climate", "set_temperature", {"entity_id": climate, "temperature": 25}, blocking=True
    )
    await until(lambda: climate in hub.response.overridden)
    await until(lambda: any(r["kind"] == "result" for r in results), 15)
    after = {**before, (LIVING, AIRCON, 0xB3): bytes((25,))}
    await until(lambda: devices(lan) == after, 15)
    assert next(r for r in results if r["kind"] == "result")["participated"] is True


async def test_opt_out_mid_event_puts_everything_back_and_tells_the_aggregator(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
) -> None:
    before = devices(lan)
    await announce(aggregator, "ev-3", 600)
    await curtailed(lan)
    await hass.services.async_call(DOMAIN, "opt_out", {}, blocking=True)
    await until(lambda: devices(lan) == before, 15)
    async with asyncio.timeout(10):
        async for message in aggregator.messages:
            if str(message.topic) == TOPICS.opt:
                assert isinstance(message.payload, bytes)
                assert json.loads(message.payload)["opt"] == "opt_out"
                break


async def test_restart_mid_event_keeps_the_plan_and_restores_at_the_end(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
) -> None:
    before = devices(lan)
    await announce(aggregator, "ev-4", 600)
    await curtailed(lan)
    assert await hass.config_entries.async_reload(home.entry_id)
    await hass.async_block_till_done()
    await until(lambda: home.runtime_data.source.connected)
    hub = home.runtime_data
    assert hub.response is not None
    assert len(hub.response.steps) == 4
    # The plan was not run again over its own curtailment: the prior values are the first ones.
    assert {step.prior for step in hub.response.steps} == {26, "automatic", "charging", 204}
    await aggregator.publish(TOPICS.events, mqtt_cancel("ev-4"), qos=1)
    await until(lambda: devices(lan) == before, 15)


async def test_an_event_that_ended_while_stopped_is_put_back_at_the_next_start(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
) -> None:
    before = devices(lan)
    await announce(aggregator, "ev-5", 3)
    await curtailed(lan)
    assert await hass.config_entries.async_unload(home.entry_id)
    await asyncio.sleep(3.5)  # the event ends while the entry is stopped
    assert devices(lan) == CURTAILED
    assert await hass.config_entries.async_setup(home.entry_id)
    await until(lambda: devices(lan) == before, 15)


async def test_automatic_response_off_answers_only_an_opt_in(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
) -> None:
    hass.config_entries.async_update_entry(home, options={**home.options, "auto_response": False})
    await hass.async_block_till_done()
    await until(lambda: home.runtime_data.source.connected)
    before = devices(lan)
    await announce(aggregator, "ev-6", 600)
    await until(lambda: home.runtime_data.current() is not None)
    await asyncio.sleep(0.5)
    assert devices(lan) == before
    await hass.services.async_call(DOMAIN, "opt_in", {"event_id": "ev-6"}, blocking=True)
    await curtailed(lan)


async def test_reports_go_up_with_power_and_curtailment(
    hass: HomeAssistant,
    broker_port: int,
    aggregator: aiomqtt.Client,
) -> None:
    hass.states.async_set("sensor.home_power", "1200", {"unit_of_measurement": "W"})
    entry = mqtt_entry(broker_port, **{CONF_POWER_ENTITY: "sensor.home_power"})
    await set_up(hass, entry)
    hass.states.async_set("sensor.home_power", "1500", {"unit_of_measurement": "W"})
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    async with asyncio.timeout(10):
        async for message in aggregator.messages:
            if str(message.topic) == TOPICS.reports:
                assert isinstance(message.payload, bytes)
                report = decode_report(message.payload)
                break
    assert report.values == {"power_kw": 1.5, "curtailed_kw": 0.0}
    assert report.seq == 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_deleting_the_entry_mid_event_puts_everything_back(
    hass: HomeAssistant, home: MockConfigEntry, lan: Lan, aggregator: aiomqtt.Client
) -> None:
    before = devices(lan)
    await announce(aggregator, "ev-7", 600)
    await curtailed(lan)
    assert await hass.config_entries.async_remove(home.entry_id)
    await until(lambda: devices(lan) == before, 15)


async def test_an_event_announced_before_a_restart_starts_on_time_after_it(
    hass: HomeAssistant, home: MockConfigEntry, lan: Lan, aggregator: aiomqtt.Client
) -> None:
    await announce(aggregator, "ev-8", 600, delay=3)
    await until(lambda: home.runtime_data.store.get("ev-8") is not None)
    assert await hass.config_entries.async_reload(home.entry_id)
    await hass.async_block_till_done()
    # Nothing arrives after the restart and the clock's backstop is a minute away: the
    # timer set at start-up for the event's start is what curtails.
    await curtailed(lan)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            {
                "id": "bad-1",
                "program": "p",
                "intervals": [
                    {
                        "id": 0,
                        "start": "2026-08-03T17:00:00+09:00",
                        "duration": "PT1X",
                        "payloads": {"SIMPLE": [1]},
                    }
                ],
            },
            "duration",
        ),
        (
            {
                "id": "bad-2",
                "program": "p",
                "intervals": [
                    {"id": 0, "start": "tomorrow", "duration": "PT1H", "payloads": {"SIMPLE": [1]}}
                ],
            },
            "ISO 8601",
        ),
        ({"id": "bad-3", "program": "p", "intervals": []}, "no intervals"),
    ],
)
async def test_an_unreadable_event_over_mqtt_raises_a_repair_issue_and_nothing_moves(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
    event: dict[str, Any],
    reason: str,
) -> None:
    before = devices(lan)
    message = {"schema": "denki.dr/1", "type": "event", "event": event}
    await aggregator.publish(TOPICS.events, json.dumps(message), qos=1)
    await aggregator.publish(TOPICS.events, b"{truncated", qos=1)  # no id: a log line only
    registry = ir.async_get(hass)
    issue_id = f"dr_event_refused_{home.entry_id}_{event['id']}"
    await until(lambda: registry.async_get_issue(DOMAIN, issue_id) is not None)
    assert reason in registry.async_get_issue(DOMAIN, issue_id).translation_placeholders["reason"]
    await until(lambda: home.runtime_data.source.link.dropped == 2)
    assert devices(lan) == before
    assert home.runtime_data.store.events == []


async def test_every_interval_re_plans_deeper_shallower_and_by_the_import_limit(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    broker_port: int,
    lan: Lan,
    aggregator: aiomqtt.Client,
    entity_registry: er.EntityRegistry,
) -> None:
    """Issue 20 item 5: level 1, then 2, then 0, then an import limit that shrinks."""
    hass.states.async_set("sensor.home_power", "3000", {"unit_of_measurement": "W"})
    entry = mqtt_entry(
        broker_port, **plan_options(entity_registry), **{CONF_POWER_ENTITY: "sensor.home_power"}
    )
    await set_up(hass, entry)
    hub = entry.runtime_data
    before = devices(lan)
    start = dt_util.utcnow() + timedelta(seconds=1)
    seconds = 5
    await aggregator.publish(
        TOPICS.events,
        mqtt_intervals_event(
            "ev-levels",
            [
                (start + timedelta(seconds=seconds * index), timedelta(seconds=seconds), payloads)
                for index, payloads in enumerate(
                    [
                        {"SIMPLE": [1]},
                        {"SIMPLE": [2]},
                        {"SIMPLE": [0]},
                        {"IMPORT_CAPACITY_LIMIT": [1.5]},  # 3 kW drawn: 1.5 kW to find
                        {"IMPORT_CAPACITY_LIMIT": [0.1]},
                    ]
                )
            ],
        ),
        qos=1,
    )
    # Level 1: no comfort cost, and half the offset: 26 -> 27 degC; the light stays at 80 %.
    moderate = {
        **CURTAILED,
        (LIVING, AIRCON, 0xB3): bytes((27,)),
        (OUTSIDE, LIGHT, 0xB0): before[(OUTSIDE, LIGHT, 0xB0)],
    }
    await until(lambda: devices(lan) == moderate, seconds + 3)
    # Level 2: deeper (28 degC) and the light dimmed.
    await until(lambda: devices(lan) == CURTAILED, seconds + 3)
    response = hub.response
    assert response is not None
    assert {step.prior for step in response.steps} == {26, "automatic", "charging", 204}
    # Level 0: everything given back mid-event; the event goes on.
    await until(lambda: devices(lan) == before, seconds + 3)
    assert hub.response is not None
    assert hub.current() is not None
    # 1.5 kW to find: the battery alone (2 kW estimated), nothing that costs comfort.
    battery_only = {**before, (OUTSIDE, BATTERY, 0xDA): b"\x43"}
    await until(lambda: devices(lan) == battery_only, seconds + 3)
    # The limit shrinks to 0.1 kW: 4.9 kW to find with the battery's 2 kW in force: more join.
    await until(
        lambda: (
            devices(lan)[(LIVING, HEATER, 0xB0)] == b"\x43"
            and devices(lan)[(LIVING, AIRCON, 0xB3)] == bytes((28,))
        ),
        seconds + 3,
    )
    assert devices(lan)[(OUTSIDE, BATTERY, 0xDA)] == b"\x43"
    # The event ends: every appliance back as it was before the event.
    await until(lambda: devices(lan) == before, seconds + 5)
    await until(lambda: hub.response is None)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_an_import_limit_holds_when_the_draw_rises_mid_interval(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    broker_port: int,
    lan: Lan,
    aggregator: aiomqtt.Client,
    entity_registry: er.EntityRegistry,
) -> None:
    """Under the limit at the start, nothing moves; the draw rises over it: the plan adds."""
    hass.states.async_set("sensor.home_power", "2000", {"unit_of_measurement": "W"})
    entry = mqtt_entry(
        broker_port, **plan_options(entity_registry), **{CONF_POWER_ENTITY: "sensor.home_power"}
    )
    await set_up(hass, entry)
    hub = entry.runtime_data
    before = devices(lan)
    start = dt_util.utcnow() + timedelta(seconds=1)
    await aggregator.publish(
        TOPICS.events,
        mqtt_event("ev-cap", start, timedelta(seconds=30), {"IMPORT_CAPACITY_LIMIT": [2.5]}),
        qos=1,
    )
    await until(lambda: hub.response is not None, 5)
    await asyncio.sleep(1)
    assert devices(lan) == before  # 2.0 kW under 2.5 kW: nothing to give up
    # Cooking starts: 3.2 kW, 0.7 kW over the limit; the battery (2 kW estimated) covers it.
    hass.states.async_set("sensor.home_power", "3200", {"unit_of_measurement": "W"})
    battery_only = {**before, (OUTSIDE, BATTERY, 0xDA): b"\x43"}
    await until(lambda: devices(lan) == battery_only, 5)
    # The draw falls with the battery discharging; a reading under the limit changes nothing.
    hass.states.async_set("sensor.home_power", "1200", {"unit_of_measurement": "W"})
    await asyncio.sleep(0.5)
    assert devices(lan) == battery_only
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_next_event_tells_what_the_home_will_do(
    hass: HomeAssistant,
    home: MockConfigEntry,
    lan: Lan,
    aggregator: aiomqtt.Client,
    entity_registry: er.EntityRegistry,
) -> None:
    """The next-event sensor's `planned`: each appliance, from what to what; nothing is sent."""
    before = devices(lan)
    start = dt_util.utcnow() + timedelta(hours=1)
    await aggregator.publish(
        TOPICS.events,
        mqtt_event("ev-next", start, timedelta(hours=1), {"SIMPLE": [1]}),
        qos=1,
    )
    sensor = "sensor.aggregator_next_event_start"
    await until(
        lambda: (
            (hass.states.get(sensor) or None) is not None
            and "planned" in hass.states.get(sensor).attributes
        )
    )
    planned = {item["entity_id"]: item for item in hass.states.get(sensor).attributes["planned"]}
    options = plan_options(entity_registry)
    climate = options[CONF_CLIMATES][0]
    assert planned[climate] == {
        "entity_id": climate,
        "role": "climate",
        "watch": "temperature",
        "from": 26,
        "to": 27,
    }
    assert planned[options[CONF_WATER_HEATERS][0]]["to"] == "manual_stop"
    assert planned[options[CONF_BATTERIES][0]]["to"] == "discharging"
    assert options[CONF_LIGHTS][0] not in planned  # level 1 leaves the lights
    assert devices(lan) == before
    # Opted out: nothing is planned.
    await hass.services.async_call(DOMAIN, "opt_out", {"event_id": "ev-next"}, blocking=True)
    await until(lambda: hass.states.get(sensor).attributes["planned"] == [])


async def test_with_two_aggregators_an_event_id_finds_its_own(
    hass: HomeAssistant,
    broker_port: int,
    aggregator: aiomqtt.Client,
    vtn: tuple[Any, str],
) -> None:
    """The card sends only an event's id: the aggregator that holds it answers."""
    _, base = vtn
    openadr = oa3_entry(base)
    await set_up(hass, openadr)
    mqtt = mqtt_entry(broker_port)
    await set_up(hass, mqtt)
    start = dt_util.utcnow() + timedelta(hours=1)
    await aggregator.publish(
        TOPICS.events, mqtt_event("ev-mqtt", start, timedelta(hours=1), {"SIMPLE": [1]}), qos=1
    )
    await until(lambda: mqtt.runtime_data.store.get("ev-mqtt") is not None)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "opt_out", {}, blocking=True)
    assert err.value.translation_key == "aggregator_ambiguous"
    response = await hass.services.async_call(
        DOMAIN, "opt_out", {"event_id": "ev-mqtt"}, blocking=True, return_response=True
    )
    assert response == {"event_id": "ev-mqtt", "opt": "opt_out"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "opt_out", {"event_id": "nope"}, blocking=True)
    assert err.value.translation_key == "aggregator_ambiguous"
    for entry in (openadr, mqtt):
        await hass.config_entries.async_unload(entry.entry_id)
