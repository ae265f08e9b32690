"""An aggregator for the aggregator entry: the OpenADR 3 VTN simulator and an MQTT broker, on loopback.

The VTN is `simulators.openadr3_vtn` over real HTTP; the broker is amqtt,
in-process, and the test plays the aggregator on it with its own aiomqtt
client. Both bind 127.0.0.1 only.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
import json
from typing import Any

from aiohttp.test_utils import TestServer
import aiomqtt
from amqtt.broker import Broker
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.aggregator.sources import openadr3 as openadr3_source
from custom_components.denki.const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_HOST,
    CONF_KIND,
    CONF_PORT,
    CONF_PREFIX,
    CONF_PROGRAM,
    CONF_PROTOCOL,
    CONF_TLS,
    CONF_URL,
    CONF_VEN,
    CONF_VERIFY_SSL,
    DOMAIN,
    PROTOCOL_MQTT,
    PROTOCOL_OPENADR3,
    EntryKind,
)
from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, Topics
from simulators.openadr3_vtn import VtnState, make_app
from tests.appliances.conftest import lan, loaded  # noqa: F401 - the simulated home's fixtures
from tests.net import amqtt_config, free_port

PREFIX = "aggregator/jp"
VEN = "home-1"
TOPICS = Topics(PREFIX, VEN)


def iso(moment: datetime) -> str:
    """UTC, with a Z, as OpenADR 3 writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def oa3_event(
    event_id: str, start: datetime, duration: timedelta, payloads: dict[str, list[Any]]
) -> dict[str, Any]:
    """An OpenADR 3 event object of one interval."""
    return {
        "id": event_id,
        "programID": "kanto-dr",
        "eventName": f"Peak {event_id}",
        "intervalPeriod": {"start": iso(start), "duration": f"PT{int(duration.total_seconds())}S"},
        "intervals": [
            {"id": 0, "payloads": [{"type": k, "values": v} for k, v in payloads.items()]}
        ],
    }


def mqtt_event(
    event_id: str, start: datetime, duration: timedelta, payloads: dict[str, list[Any]]
) -> bytes:
    """An event message of the MQTT aggregator profile, of one interval."""
    return mqtt_intervals_event(event_id, [(start, duration, payloads)])


def mqtt_intervals_event(
    event_id: str, intervals: list[tuple[datetime, timedelta, dict[str, list[Any]]]]
) -> bytes:
    """An event message of the MQTT aggregator profile: (start, duration, payloads) each."""
    return json.dumps(
        {
            "schema": SCHEMA,
            "type": "event",
            "event": {
                "id": event_id,
                "program": "kanto-dr",
                "name": f"Peak {event_id}",
                "intervals": [
                    {
                        "id": index,
                        "start": start.isoformat(),
                        "duration": _iso_seconds(duration),
                        "payloads": payloads,
                    }
                    for index, (start, duration, payloads) in enumerate(intervals)
                ],
            },
        }
    ).encode()


def _iso_seconds(duration: timedelta) -> str:
    """PT<seconds>S: whole seconds as they are, a fraction to the millisecond."""
    seconds = duration.total_seconds()
    return f"PT{int(seconds)}S" if seconds.is_integer() else f"PT{seconds:.3f}S"


def mqtt_cancel(event_id: str) -> bytes:
    """A cancellation of the MQTT aggregator profile."""
    return json.dumps({"schema": SCHEMA, "type": "cancel", "id": event_id}).encode()


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait, in real time, until `predicate` holds."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - nothing here signals what a test awaits
            await asyncio.sleep(0.05)


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[tuple[VtnState, str]]:
    """The simulated VTN on loopback, with no events yet."""
    state = VtnState(programs=[{"id": "kanto-dr", "programName": "Kanto DR"}])
    server = TestServer(make_app(state), host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask the VTN every 0.2 s instead of every minute."""
    monkeypatch.setattr(openadr3_source, "OPENADR3_POLL_SECONDS", 0.2)


def oa3_entry(base: str, secret: str = "ven-secret", **options: Any) -> MockConfigEntry:
    """An OpenADR 3 aggregator entry on the simulated VTN."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="OpenADR 3 (127.0.0.1)",
        unique_id=f"aggregator-openadr3-{base}-ven-client",
        data={
            CONF_KIND: EntryKind.AGGREGATOR,
            CONF_PROTOCOL: PROTOCOL_OPENADR3,
            CONF_URL: base,
            CONF_CLIENT_ID: "ven-client",
            CONF_CLIENT_SECRET: secret,
            CONF_PROGRAM: "",
            CONF_VERIFY_SSL: True,
        },
        options=options,
    )


def _broker(port: int) -> Broker:
    return Broker(amqtt_config(port))


@pytest.fixture
async def broker_port(socket_enabled: None) -> AsyncIterator[int]:
    """An amqtt broker on a free loopback port."""
    port = free_port()
    broker = _broker(port)
    await broker.start()
    yield port
    await broker.shutdown()


@pytest.fixture
async def aggregator(broker_port: int) -> AsyncIterator[aiomqtt.Client]:
    """The aggregator's own client on the broker, subscribed to what the home sends."""
    async with aiomqtt.Client("127.0.0.1", broker_port, identifier="aggregator") as client:
        await client.subscribe(f"{PREFIX}/{VEN}/#", qos=1)
        yield client


def mqtt_entry(port: int, **options: Any) -> MockConfigEntry:
    """An MQTT aggregator entry on the test broker (no TLS, no credentials)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"MQTT (127.0.0.1, {VEN})",
        unique_id=f"aggregator-mqtt-127.0.0.1:{port}-{PREFIX}-{VEN}",
        data={
            CONF_KIND: EntryKind.AGGREGATOR,
            CONF_PROTOCOL: PROTOCOL_MQTT,
            CONF_HOST: "127.0.0.1",
            CONF_PORT: port,
            CONF_TLS: False,
            CONF_PREFIX: PREFIX,
            CONF_VEN: VEN,
        },
        options=options,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set the entry up; for MQTT, wait until the broker is connected."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if entry.data[CONF_PROTOCOL] == PROTOCOL_MQTT:
        await until(lambda: entry.runtime_data.source.connected)
