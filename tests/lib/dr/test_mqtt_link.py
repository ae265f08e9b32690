"""The aggregator link against a real MQTT broker (amqtt, in-process on loopback).

The test plays the aggregator with its own aiomqtt client: it publishes
events and acknowledgements and reads the reports. The broker is stopped
and started again on the same port to drill an outage.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
import json
import logging
from pathlib import Path
from typing import Any

import aiomqtt
from amqtt.broker import Broker
import pytest

from custom_components.denki.lib.dr.mqtt_link import MqttLink
from custom_components.denki.lib.dr.mqtt_profile import (
    DownMessage,
    EventMessage,
    ReportMessage,
    Topics,
    decode_report,
)
from custom_components.denki.lib.dr.reports import Outbox
from tests.net import amqtt_config, free_port

TOPICS = Topics("aggregator/jp", "ven-1")
AT = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
EVENT = {
    "id": "ev-1",
    "program": "kanto-dr",
    "intervals": [
        {
            "id": 0,
            "start": "2026-11-23T17:00:00+09:00",
            "duration": "PT1H",
            "payloads": {"SIMPLE": [1]},
        }
    ],
}


def _broker(port: int) -> Broker:
    return Broker(amqtt_config(port))


@pytest.fixture
def port(socket_enabled: None) -> int:
    """A free loopback port; the harness blocks sockets, this test needs them."""
    return free_port()


@pytest.fixture
async def broker(port: int) -> AsyncIterator[Broker]:
    broker = _broker(port)
    await broker.start()
    yield broker
    await broker.shutdown()


class Home:
    def __init__(self, port: int, folder: Path) -> None:
        self.received: list[DownMessage] = []
        self.outbox = Outbox(folder)
        self.link = MqttLink(
            host="127.0.0.1",
            port=port,
            topics=TOPICS,
            outbox=self.outbox,
            on_message=self.received.append,
            client_id="denki-home",
            backoff_start=0.2,
            backoff_max=0.5,
        )
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Home:
        self.task = asyncio.create_task(self.link.run())
        await asyncio.wait_for(self.link.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def _reports(aggregator: aiomqtt.Client, count: int) -> list[ReportMessage]:
    got: list[ReportMessage] = []
    async with asyncio.timeout(10):
        async for message in aggregator.messages:
            assert isinstance(message.payload, bytes)
            got.append(decode_report(message.payload))
            if len({r.seq for r in got}) >= count:
                return got
    return got  # pragma: no cover


async def test_events_down_reports_up_and_acks(broker: Broker, port: int, tmp_path: Path) -> None:
    async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as aggregator:
        await aggregator.subscribe(TOPICS.reports, qos=1)
        async with Home(port, tmp_path) as home:
            await aggregator.publish(
                TOPICS.events,
                json.dumps({"schema": "denki.dr/1", "type": "event", "event": EVENT}),
                qos=1,
            )
            await aggregator.publish(TOPICS.events, b"not json", qos=1)
            for watts in (800.0, 650.0, 900.0):
                await home.link.report({"power_w": watts}, AT)
            reports = await _reports(aggregator, 3)
            assert [r.seq for r in reports] == [1, 2, 3]
            assert [r.values for r in reports] == [
                {"power_w": 800.0},
                {"power_w": 650.0},
                {"power_w": 900.0},
            ]
            assert {r.outbox for r in reports} == {home.outbox.outbox_id[:8]}
            ack = {"schema": "denki.dr/1", "type": "ack", "outbox": reports[0].outbox, "seq": 3}
            await aggregator.publish(TOPICS.acks, json.dumps(ack), qos=1)
            async with asyncio.timeout(5):
                while len(home.outbox):  # noqa: ASYNC110 - the outbox has no event to wait on
                    await asyncio.sleep(0.05)
            assert [type(m) for m in home.received] == [EventMessage]
            assert home.link.dropped == 1


async def test_broker_outage_loses_nothing(
    port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # The return is good news: logged at info, by the link's own logger.
    caplog.set_level(logging.INFO, logger="custom_components.denki.lib.dr.mqtt_link")
    broker = _broker(port)
    await broker.start()
    async with Home(port, tmp_path) as home:
        await broker.shutdown()
        async with asyncio.timeout(10):
            while home.link.connected.is_set():  # noqa: ASYNC110 - no event for "disconnected"
                await asyncio.sleep(0.05)
        # Reports made while the broker is away wait in the outbox.
        for watts in (100.0, 200.0):
            await home.link.report({"power_w": watts}, AT)
        await asyncio.sleep(1.0)  # several reconnection attempts fail meanwhile
        broker = _broker(port)
        await broker.start()
        try:
            async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as aggregator:
                await aggregator.subscribe(TOPICS.reports, qos=1)
                await asyncio.wait_for(home.link.connected.wait(), 10)
                await home.link.report({"power_w": 300.0}, AT)
                reports = await _reports(aggregator, 3)
                log = caplog.text  # before the test's own teardown stops the broker again
        finally:
            await broker.shutdown()
    first_seen: dict[int, dict[str, float]] = {}
    for report in reports:
        first_seen.setdefault(report.seq, report.values)
    assert first_seen == {1: {"power_w": 100.0}, 2: {"power_w": 200.0}, 3: {"power_w": 300.0}}
    # One line when the outage starts and one when it ends, however many retries.
    assert log.count("Lost the aggregator's broker") == 1
    assert log.count("The aggregator's broker is back") == 1


async def test_a_report_publish_that_times_out_reconnects_and_sends_again(
    broker: Broker, port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PUBACK that never comes (aiomqtt: "Operation timed out") ends the session, not the sender.

    Found by the season benchmark: the sender task died alone, the link still
    showed connected, and every later report stayed in the outbox.
    """
    publish = aiomqtt.Client.publish
    failed: list[str] = []

    async def flaky(self: aiomqtt.Client, topic: str, *args: Any, **kwargs: Any) -> None:
        if str(topic) == TOPICS.reports and not failed:
            failed.append(str(topic))
            raise aiomqtt.MqttError("Operation timed out")
        await publish(self, topic, *args, **kwargs)

    monkeypatch.setattr(aiomqtt.Client, "publish", flaky)
    async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as aggregator:
        await aggregator.subscribe(TOPICS.reports, qos=1)
        async with Home(port, tmp_path) as home:
            await home.link.report({"power_w": 700.0}, AT)
            await home.link.report({"power_w": 710.0}, AT)
            reports = await _reports(aggregator, 2)
    assert failed == [TOPICS.reports]
    assert sorted({r.seq for r in reports}) == [1, 2]
