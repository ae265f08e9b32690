"""Fault drill of the aggregator entry: its MQTT broker goes down for an hour of reports.

The broker is amqtt on loopback, stopped and started again on the same port;
the aggregator is played by an aiomqtt client that acknowledges each report,
as the profile asks, and counts what arrives. The report timer's callback is called
for each report time (the hour passes in twelve ticks); the MQTT clients and
the broker keep real time, so their keep-alives hold.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import functools
import json
import logging

import aiomqtt
from amqtt.broker import Broker
from freezegun.api import TickingDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.aggregator.sources import mqtt as mqtt_source
from custom_components.denki.const import CONF_POWER_ENTITY
from custom_components.denki.lib.dr.mqtt_link import MqttLink
from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, decode_report
from tests.aggregator.conftest import TOPICS, mqtt_entry, mqtt_event, set_up, until
from tests.aggregator.test_response import CURTAILED, devices, plan_options
from tests.appliances.conftest import Lan
from tests.net import amqtt_config, free_port

from .conftest import DrillLog, Figure, advance

POWER = "sensor.home_power"
REPORT = timedelta(minutes=5)
OUTAGE_REPORTS = 12
"""An hour of the report timer."""


class Aggregator:
    """The aggregator's side: acknowledges every report and keeps each copy's (outbox, seq)."""

    def __init__(self, port: int) -> None:
        """Nothing is connected until `connect`."""
        self.port = port
        self.arrivals: list[tuple[str, int]] = []
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Subscribe (again, after the broker came back) and start acknowledging."""
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._session(ready))
        async with asyncio.timeout(10):
            await ready.wait()

    async def _session(self, ready: asyncio.Event) -> None:
        try:
            async with aiomqtt.Client("127.0.0.1", self.port, identifier="aggregator") as client:
                await client.subscribe(TOPICS.reports, qos=1)
                ready.set()
                async for message in client.messages:
                    assert isinstance(message.payload, bytes)
                    report = decode_report(message.payload)
                    self.arrivals.append((report.outbox, report.seq))
                    ack = {"schema": SCHEMA, "type": "ack", "outbox": report.outbox}
                    await client.publish(TOPICS.acks, json.dumps({**ack, "seq": report.seq}), qos=1)
        except aiomqtt.MqttError:
            return  # the broker went down

    async def close(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class Broker_:  # noqa: N801 - the test's handle on amqtt's Broker
    """An amqtt broker that can be stopped and started again on its port."""

    def __init__(self, port: int) -> None:
        """Not started yet."""
        self.port = port
        self.broker: Broker | None = None

    async def start(self) -> None:
        """Listen on 127.0.0.1:port."""
        self.broker = Broker(amqtt_config(self.port))
        await self.broker.start()

    async def stop(self) -> None:
        """Shut down: every client's connection drops."""
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None


@pytest.fixture
async def broker(socket_enabled: None) -> AsyncIterator[Broker_]:
    """A broker the drill can take down."""
    handle = Broker_(free_port())
    await handle.start()
    yield handle
    await handle.stop()


@pytest.fixture
def quick_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """The link's back-off from 1 s up to 5 min, shortened to 0.05 s up to 0.2 s."""
    quick = functools.partial(MqttLink, backoff_start=0.05, backoff_max=0.2)
    monkeypatch.setattr(mqtt_source, "MqttLink", quick)


async def test_the_aggregators_broker_down_for_an_hour(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    broker: Broker_,
    quick_reconnect: None,
    entity_registry: er.EntityRegistry,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """Twelve reports made while the broker is down each reach the aggregator once, in order."""
    kw = 1.0
    hass.states.async_set(POWER, str(kw * 1000), {"unit_of_measurement": "W"})
    entry = mqtt_entry(broker.port, **{CONF_POWER_ENTITY: POWER})
    aggregator = Aggregator(broker.port)
    await aggregator.connect()
    await set_up(hass, entry)
    link_sensor = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.unique_id.endswith("aggregator_link")
    )
    hub = entry.runtime_data
    source = hub.source
    began = dt_util.utcnow()
    ticks = 0
    made = 0

    async def report_time() -> None:
        """The power moves 0.2 kW (past the deadband), then the report timer fires."""
        nonlocal kw, ticks, made
        kw = 1.0 if kw > 1.5 else kw + 0.2
        hass.states.async_set(POWER, str(round(kw * 1000)), {"unit_of_measurement": "W"})
        ticks += 1
        queued = source.link.queued
        sent = source.link.sent
        # What the entry's report timer calls. Not async_fire_time_changed: it runs every
        # timer handle due by then, the MQTT clients' own timeouts among them.
        hub._on_report_time(began + REPORT * ticks)
        await hass.async_block_till_done()
        await until(lambda: source.link.queued > queued or source.link.sent > sent)
        made += 1

    for _ in range(2):
        await report_time()
    await until(lambda: len(aggregator.arrivals) == made and source.pending_reports() == 0)
    states = [hass.states.get(link_sensor).state]  # type: ignore[union-attr]

    drill_log.mark("fault")
    await broker.stop()
    await aggregator.close()
    await until(lambda: not source.connected)
    states.append(hass.states.get(link_sensor).state)  # type: ignore[union-attr]
    for _ in range(OUTAGE_REPORTS):
        await report_time()
        states.append(hass.states.get(link_sensor).state)  # type: ignore[union-attr]
    waiting = source.pending_reports()
    drill_log.mark("recover")
    await broker.start()
    await aggregator.connect()
    await until(lambda: source.connected)
    await until(lambda: len(aggregator.arrivals) >= made and source.pending_reports() == 0)
    states.append(hass.states.get(link_sensor).state)  # type: ignore[union-attr]
    await report_time()
    states.append(hass.states.get(link_sensor).state)  # type: ignore[union-attr]
    await until(lambda: len(aggregator.arrivals) >= made and source.pending_reports() == 0)
    await asyncio.sleep(0.2)  # a repeat, if one were coming, would come now
    await aggregator.close()

    started = drill_log.lines("fault", "recover", logging.INFO)
    recovered = drill_log.lines("recover", None, logging.INFO)
    seqs = [seq for _, seq in aggregator.arrivals]
    outboxes = {outbox for outbox, _ in aggregator.arrivals}
    transitions = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    # Report ticks after the loss (and after the return) before the link sensor said so.
    off_after = states.index("off") - 1 if "off" in states else None
    on_after = 0 if states[-2] == "on" else 1
    figure(
        f"DRILL broker-down-1h: {waiting} reports queued during the outage, {len(seqs)}/{made} "
        f"delivered, {len(seqs) - len(set(seqs))} duplicates, in order {seqs == sorted(seqs)}, "
        f"link sensor {'/'.join(transitions)} (off {off_after} report tick after the loss, on "
        f"{on_after} after the return), log lines {len(started)} start / "
        f"{len(recovered)} recover"
    )
    assert drill_log.crashes() == []
    assert waiting == OUTAGE_REPORTS
    assert len(outboxes) == 1
    assert seqs == list(range(1, made + 1))  # every report once, in order, none missing
    assert transitions == ["on", "off", "on"]
    drill_log.check_once_each_way(started, recovered)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_the_link_sensor_follows_the_broker_at_once(
    hass: HomeAssistant,
    broker: Broker_,
    quick_reconnect: None,
    entity_registry: er.EntityRegistry,
) -> None:
    """Off as soon as the link knows the broker is gone; on as soon as it is back."""
    entry = mqtt_entry(broker.port)
    await set_up(hass, entry)
    link_sensor = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.unique_id.endswith("aggregator_link")
    )
    source = entry.runtime_data.source
    assert hass.states.get(link_sensor).state == "on"  # type: ignore[union-attr]
    try:
        await broker.stop()
        await until(lambda: not source.connected)
        await asyncio.sleep(0.5)
        await hass.async_block_till_done()
        assert hass.states.get(link_sensor).state == "off"  # type: ignore[union-attr]
        await broker.start()
        await until(lambda: source.connected)
        await asyncio.sleep(0.5)
        await hass.async_block_till_done()
        assert hass.states.get(link_sensor).state == "on"  # type: ignore[union-attr]
    finally:
        await hass.config_entries.async_unload(entry.entry_id)


async def test_a_dr_event_that_ended_while_home_assistant_was_stopped(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    lan: Lan,
    broker_port: int,
    entity_registry: er.EntityRegistry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """Curtailed by an event, stopped for six hours: the start puts every appliance back."""
    entry = mqtt_entry(broker_port, **plan_options(entity_registry))
    await set_up(hass, entry)
    before = devices(lan)
    async with aiomqtt.Client("127.0.0.1", broker_port, identifier="aggregator") as aggregator:
        start = dt_util.utcnow() + timedelta(seconds=0.5)
        event = mqtt_event("ev-stop", start, timedelta(minutes=30), {"SIMPLE": [2]})
        await aggregator.publish(TOPICS.events, event, qos=1)
    await until(lambda: devices(lan) == CURTAILED, 15)

    drill_log.mark("fault")
    assert await hass.config_entries.async_unload(entry.entry_id)  # Home Assistant stops
    await hass.async_block_till_done()
    advance(clock, timedelta(hours=6))  # the event ends while it is stopped
    await hass.async_block_till_done()
    still_curtailed = devices(lan) == CURTAILED
    drill_log.mark("recover")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: devices(lan) == before, 15)
    await hass.async_block_till_done()
    hub = entry.runtime_data
    await until(lambda: hub.response is None and hub.restore_pending == [])

    stop_lines = drill_log.lines("fault", "recover", logging.WARNING)
    start_lines = drill_log.lines("recover", None, logging.WARNING)
    restored = sum(devices(lan)[key] == value for key, value in before.items())
    figure(
        f"DRILL dr-event-ended-while-stopped-6h: {len(CURTAILED)} appliances curtailed at the "
        f"stop, {restored}/{len(before)} put back at the start, warnings {len(stop_lines)} "
        f"at the stop / {len(start_lines)} at the start"
    )
    assert drill_log.crashes() == []
    assert still_curtailed  # nothing put them back while stopped
    assert devices(lan) == before
    assert stop_lines == []
    assert start_lines == []
    await hass.config_entries.async_unload(entry.entry_id)
