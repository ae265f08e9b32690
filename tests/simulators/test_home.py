"""`python -m simulators`' home: every part answers, and the control API drives it."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import signal
import sys

import aiohttp
import aiomqtt
import pytest

from custom_components.denki.appliances import hub as appliances
from custom_components.denki.lib.broute.hv_meter import HighVoltageMeter
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.dr.mqtt_profile import EventMessage, Topics, parse_down
from custom_components.denki.lib.echonet import (
    EchonetClient,
    EchonetTimeoutError,
    EchonetTransport,
    RetryPolicy,
)
from custom_components.denki.lib.openadr import Openadr3Client
from simulators.home import HV_INTERFACE, HV_METER, HvMeterKind, SimulatedHome
from simulators.hv_meter import IMPORT_BASE
from tests.net import free_port

FAST = RetryPolicy(timeout=0.2, attempts=2, max_timeout=0.4)
HV_KEYS = {"hv_meter_host", "hv_meter_interface"}
ROOT = Path(__file__).parents[2]


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
    """By default (a household) there is no high-voltage meter: nothing of it, anywhere."""
    assert home.endpoints is not None
    assert home.high_voltage_meter is None
    assert not HV_KEYS & set(home.endpoints.as_dict())
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


@pytest.mark.parametrize("kind", ["028a", "028f"])
async def test_the_high_voltage_meter_on_request(
    socket_enabled: None, tmp_path: Path, kind: HvMeterKind
) -> None:
    """`hv_meter`: the meter answers on its own address, as Denki's library reads it."""
    home = SimulatedHome(tmp_path, echonet_port=free_port(), broker_port=free_port(), hv_meter=kind)
    endpoints = await home.start()
    try:
        assert (endpoints.hv_meter_host, endpoints.hv_meter_interface) == (HV_METER, HV_INTERFACE)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{endpoints.control_url}/") as response,
        ):
            listed = await response.json()
        assert listed["hv_meter_host"] == HV_METER
        assert listed["hv_meter_interface"] == HV_INTERFACE
        assert listed["echonet_port"] == endpoints.echonet_port

        transport = EchonetTransport(
            endpoints.hv_meter_interface, port=endpoints.echonet_port, multicast_group=None
        )
        async with EchonetClient(transport, retry=FAST) as client:
            meter = HighVoltageMeter(client, endpoints.hv_meter_host)
            scales = await meter.connect()
            assert meter.identification == "fe000016" + b"HV-METER-0001".hex()
            assert meter.bidirectional is (kind == "028f")
            assert scales.energy.kwh(IMPORT_BASE) == 12_345.678
            reading = await meter.read()
            assert reading.import_kwh is not None
            assert reading.import_kwh > 0
            assert (reading.export_kwh is not None) is (kind == "028f")

            # Silenced through the control API like an appliance, and back.
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    f"{endpoints.control_url}/devices/{HV_METER}/silence"
                ) as response:
                    assert response.status == 200
                with pytest.raises(EchonetTimeoutError):
                    await meter.read()
                async with session.post(
                    f"{endpoints.control_url}/devices/{HV_METER}/answer"
                ) as response:
                    assert response.status == 200
            assert (await meter.read()).import_kwh is not None

        # The appliances entry still finds its three nodes: the meter is asked by its address.
        found = await appliances.discover_once(
            endpoints.echonet_interface, endpoints.echonet_port, list(home.nodes), window=0.5
        )
        assert len(found) == 3
    finally:
        await home.stop()


async def test_the_command_line_option(socket_enabled: None, tmp_path: Path) -> None:
    """`python -m simulators --hv-meter 028f` prints the meter's host and interface."""
    endpoints_file = tmp_path / "endpoints.json"
    ports = [free_port() for _ in range(4)]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators",
        *("--folder", str(tmp_path / "home"), "--endpoints-file", str(endpoints_file)),
        *("--echonet-port", str(ports[0]), "--broker-port", str(ports[1])),
        *("--vtn-port", str(ports[2]), "--control-port", str(ports[3])),
        *("--hv-meter", "028f"),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            while not await asyncio.to_thread(endpoints_file.exists):
                assert process.returncode is None
                await asyncio.sleep(0.1)
        written = json.loads(await asyncio.to_thread(endpoints_file.read_text))
        assert written["hv_meter_host"] == HV_METER
        assert written["hv_meter_interface"] == HV_INTERFACE
        assert written["echonet_port"] == ports[0]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, errors.decode()
