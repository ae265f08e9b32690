"""`python -m simulators`' home: every part answers, and the control API drives it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import aiomqtt
import pytest

from custom_components.denki import appliances
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.dr.mqtt_profile import EventMessage, Topics, parse_down
from custom_components.denki.lib.openadr import Openadr3Client
from simulators.home import SimulatedHome
from tests.net import free_port


@pytest.fixture
async def home(socket_enabled: None, tmp_path: Path) -> AsyncIterator[SimulatedHome]:
    started = SimulatedHome(tmp_path, echonet_port=free_port(), broker_port=free_port())
    await started.start()
    yield started
    await started.stop()


async def test_the_meter_answers_through_the_dongle(home: SimulatedHome) -> None:
    assert home.endpoints is not None
    link = MeterLink(home.endpoints.dongle, home.endpoints.rbid, home.endpoints.password)
    try:
        reading = await link.read_live(lambda: datetime.now(UTC))
    finally:
        await link.close()
    assert reading.power_w is not None
    assert reading.import_kwh is not None
    assert reading.import_kwh > 0  # from the meter's 45 days of history


async def test_the_appliances_answer_on_their_port(home: SimulatedHome) -> None:
    assert home.endpoints is not None
    found = await appliances.discover_once(
        home.endpoints.echonet_interface, home.endpoints.echonet_port, list(home.nodes), window=0.5
    )
    assert len(found) == 3
    classes = sorted(f"{obj.eoj.class_id:04x}" for info in found for obj in info.objects)
    assert classes == ["0130", "026b", "0279", "027d", "0287", "0290"]


async def test_an_event_reaches_the_vtn_and_the_mqtt_profile_and_is_cancelled(
    home: SimulatedHome,
) -> None:
    endpoints = home.endpoints
    assert endpoints is not None
    topics = Topics(endpoints.mqtt_prefix, endpoints.mqtt_ven)
    async with (
        aiomqtt.Client(
            "127.0.0.1", endpoints.broker_port, identifier="test-aggregator-side"
        ) as mqtt,
        aiohttp.ClientSession() as session,
    ):
        await mqtt.subscribe(topics.events, qos=1)
        async with session.post(
            f"{endpoints.control_url}/events", json={"start_in": 120, "minutes": 30, "level": 3}
        ) as response:
            assert response.status == 201
            event_id = (await response.json())["id"]
        async for message in mqtt.messages:
            assert isinstance(message.payload, bytes)
            parsed = parse_down(message.payload)
            assert isinstance(parsed, EventMessage)
            assert parsed.event.event_id == event_id
            break
        client = Openadr3Client(
            session, endpoints.vtn_url, endpoints.client_id, endpoints.client_secret
        )
        events = await client.events(datetime.now(UTC))
        assert [e.event_id for e in events.events] == [event_id]
        assert events.events[0].value_at("SIMPLE", events.events[0].start) == 3
        async with session.delete(f"{endpoints.control_url}/events/{event_id}") as response:
            assert response.status == 200
        assert (await client.events(datetime.now(UTC))).events == []
        async with session.delete(f"{endpoints.control_url}/events/nope") as response:
            assert response.status == 404


async def test_an_event_can_be_made_to_end_on_a_given_moment(home: SimulatedHome) -> None:
    """An end on the half hour, as the end-to-end test's savings check needs."""
    endpoints = home.endpoints
    assert endpoints is not None
    ends_at = (datetime.now(UTC) + timedelta(minutes=45)).replace(microsecond=0)
    async with aiohttp.ClientSession() as session:
        body = {"start_in": 90.7, "ends_at": ends_at.isoformat(), "level": 2}
        async with session.post(f"{endpoints.control_url}/events", json=body) as response:
            assert response.status == 201
        client = Openadr3Client(
            session, endpoints.vtn_url, endpoints.client_id, endpoints.client_secret
        )
        (event,) = (await client.events(datetime.now(UTC))).events
        assert event.end == ends_at
        assert event.start.microsecond == 0
        late = {"start_in": 60, "ends_at": datetime.now(UTC).isoformat()}
        async with session.post(f"{endpoints.control_url}/events", json=late) as response:
            assert response.status == 400
            assert "before it starts" in (await response.json())["error"]


async def test_faults_on_command(home: SimulatedHome) -> None:
    endpoints = home.endpoints
    assert endpoints is not None
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{endpoints.control_url}/dongle/unplug") as response:
            assert response.status == 200
        assert not await asyncio.to_thread(Path(endpoints.dongle).exists)
        async with session.post(f"{endpoints.control_url}/dongle/plug") as response:
            assert response.status == 200
        assert await asyncio.to_thread(Path(endpoints.dongle).exists)
        async with session.post(f"{endpoints.control_url}/devices/127.0.11.21/silence") as response:
            assert response.status == 200
        assert home.nodes["127.0.11.21"].drop > 0
        async with session.post(f"{endpoints.control_url}/devices/127.0.11.21/answer") as response:
            assert response.status == 200
        assert home.nodes["127.0.11.21"].drop == 0
        async with session.post(f"{endpoints.control_url}/devices/10.0.0.1/silence") as response:
            assert response.status == 404
        async with session.post(f"{endpoints.control_url}/broker/stop") as response:
            assert response.status == 200
        with pytest.raises(aiomqtt.MqttError):
            async with aiomqtt.Client("127.0.0.1", endpoints.broker_port, timeout=2):
                pass
        async with session.post(f"{endpoints.control_url}/broker/start") as response:
            assert response.status == 200
        async with aiomqtt.Client("127.0.0.1", endpoints.broker_port, timeout=5):
            pass
