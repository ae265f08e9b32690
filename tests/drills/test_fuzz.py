"""Hostile input against the running integration: fuzzed ECHONET Lite and dongle output, spoofing, secrets.

Unlike tests/lib/echonet/test_fuzz.py (the codec and a bare client), these
drills aim at config entries loaded in Home Assistant, over the same real
UDP sockets and pseudo-terminals as the other tests:

- 10^5 fuzzed ECHONET Lite datagrams at the appliances entry's socket, from
  strangers and from the home's own nodes (notifications with garbage data
  reach the entities);
- 10^5 fuzzed lines of Wi-SUN dongle output at the meter entry;
- answers with the right TID from the wrong address, on both links;
- no B-route ID or password, MQTT password, OpenADR client secret or
  access token in a DEBUG log or in diagnostics.

Each fuzz drill prints its seed, its counts and its time; DENKI_FUZZ_SEED
replays a run and DENKI_FUZZ_COUNT changes its length.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
from datetime import timedelta
import json
import logging
from pathlib import Path
import random
import socket
import time
from typing import Any

from amqtt.broker import Broker
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.appliances.hub import AppliancesHub, ObjectCoordinator
from custom_components.denki.const import CONF_PASSWORD, CONF_USERNAME, DOMAIN
from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    EchonetCounters,
    Frame,
    Property,
    decode_frame,
    encode_frame,
)
from simulators.meter_history import MeterHistory
from simulators.openadr3_vtn import VtnState, make_app
from simulators.smart_meter import METER_EOJ, SimulatedMeter
from simulators.wisun_dongle import MeterRadio
from tests.aggregator import conftest as aggregator_home
from tests.aggregator.conftest import mqtt_entry, oa3_entry, set_up as set_up_aggregator
from tests.appliances import conftest as appliances_home
from tests.appliances.conftest import AIRCON, INTERFACE, LIVING, Lan, entity_id_of, until
from tests.meter import conftest as meter_home
from tests.meter.conftest import Home
from tests.net import amqtt_config, free_port

from .fuzz_support import EchonetFuzzer, SkFuzzer, Talker, check_logs, fuzz_count, fuzz_seed

BATCH = 100
"""Datagrams sent before waiting for the entry to take them: well within a socket's buffer."""
SK_BATCH = 200
"""Lines of dongle output written before waiting for the driver to read them."""
STRANGERS = ["127.0.11.66", "127.0.12.7", "127.0.11.200"]
"""Other addresses of the home LAN: a neighbour's device, a compromised gadget."""
SPOOFER = "127.0.12.34"
POWER = "sensor.smart_meter_power"
OTHER_METER = "FE80:0000:0000:0000:0211:2233:4455:6677"

# The simulated homes of the appliances, meter and aggregator tests.
lan = appliances_home.lan
loaded = appliances_home.loaded
home = meter_home.home
meter_entry = meter_home.meter_entry
fast_poll = aggregator_home.fast_poll
entity_registry_enabled_by_default = appliances_home.entity_registry_enabled_by_default


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return diagnostics


def _coordinator(entry: MockConfigEntry, eoj: EOJ) -> ObjectCoordinator:
    hub: AppliancesHub = entry.runtime_data
    return next(c for c in hub.coordinators.values() if c.info.eoj == eoj)


def _sockets(addresses: list[str]) -> dict[str, socket.socket]:
    """One UDP socket per source address, on an ephemeral port (not the ECHONET port)."""
    sockets = {}
    for address in addresses:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 0))
        sock.setblocking(False)
        sockets[address] = sock
    return sockets


@dataclass
class _Delivery:
    sent: int = 0
    late: int = 0
    """Batches the entry had not taken within the wait (none on a sane machine)."""
    seconds: float = 0.0


async def _flood(
    fuzzer: EchonetFuzzer, count: int, port: int, counters: EchonetCounters
) -> _Delivery:
    """Send `count` datagrams in batches; after each, wait until the entry has decoded them."""
    sockets = _sockets(STRANGERS + sorted({t.address for t in fuzzer.talkers}))
    target = (INTERFACE, port)
    loop = asyncio.get_running_loop()
    delivery = _Delivery()
    malformed0 = counters.malformed
    taken0 = counters.received + counters.malformed
    started = time.perf_counter()
    try:
        while delivery.sent < count:
            for _ in range(min(BATCH, count - delivery.sent)):
                source, data = fuzzer.datagram()
                sockets[source].sendto(data, target)
                delivery.sent += 1
            deadline = loop.time() + 5.0
            # Malformed datagrams come from the fuzz alone: that count is exact.
            while (
                counters.malformed - malformed0 < fuzzer.malformed
                or counters.received + counters.malformed - taken0 < delivery.sent
            ):
                if loop.time() > deadline:
                    delivery.late += 1
                    break
                await asyncio.sleep(0)
    finally:
        for sock in sockets.values():
            sock.close()
    delivery.seconds = time.perf_counter() - started
    return delivery


async def _refresh_all(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A full poll of every object (every property its entities show)."""
    for coordinator in entry.runtime_data.coordinators.values():
        coordinator._cycle = 0
        await coordinator.async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
def entity_set(request: pytest.FixtureRequest) -> str:
    """The entities a new entry enables, or ("all") every entity, as a user may enable them."""
    if request.param == "all":
        request.getfixturevalue("entity_registry_enabled_by_default")
    return str(request.param)


@pytest.mark.parametrize(
    ("entity_set", "default_count"),
    [
        pytest.param("default", fuzz_count(), id="default-entities"),
        # Twice the entities take twice the time: fewer datagrams.
        pytest.param("all", fuzz_count(30_000), id="every-entity-enabled"),
    ],
    indirect=["entity_set"],
)
async def test_fuzzed_echonet_datagrams_at_the_running_appliances_entry(  # noqa: PLR0917
    hass: HomeAssistant,
    entity_set: str,
    loaded: MockConfigEntry,
    lan: Lan,
    entity_registry: er.EntityRegistry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    default_count: int,
) -> None:
    """The entry counts and drops every bad datagram, and keeps polling its real devices."""
    seed, count = fuzz_seed(), default_count
    hub = loaded.runtime_data
    before = (await _diagnostics(hass, hass_client, loaded))["counters"]
    talkers = [
        Talker(c.node.address, c.info.eoj, tuple(sorted(c.info.get_map)))
        for c in hub.coordinators.values()
    ]
    # Node profiles too: an instance list notification with garbage makes the entry probe.
    talkers += [Talker(address, NODE_PROFILE, (0x80, 0xD5, 0xD6)) for address in lan.nodes]
    # The air conditioner answers slowly, and is polled all along: a request of the entry
    # is nearly always waiting, and spoofed answers carry its TID.
    living = lan.nodes[LIVING]
    living.latency = 0.2
    aircon = _coordinator(loaded, AIRCON)

    def pending() -> tuple[int, EOJ] | None:
        requests = living.requests
        if not requests or requests[-1].deoj != AIRCON:
            return None
        return requests[-1].tid, AIRCON

    async def keep_polling() -> None:
        while True:
            await aircon.async_refresh()
            await asyncio.sleep(0.01)

    fuzzer = EchonetFuzzer(random.Random(seed), talkers, STRANGERS, pending)
    poller = asyncio.create_task(keep_polling())
    try:
        delivery = await _flood(fuzzer, count, lan.port, hub.client.counters)
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        living.latency = 0.0
    await hass.async_block_till_done()
    after = (await _diagnostics(hass, hass_client, loaded))["counters"]
    delta = {key: after[key] - before[key] for key in before}
    print(  # noqa: T201 - the figures of the drill, for the log of a CI run
        f"\nECHONET Lite fuzz: seed {seed}, {delivery.sent} datagrams in"
        f" {delivery.seconds:.1f} s ({delivery.sent / delivery.seconds:.0f}/s),"
        f" {fuzzer.malformed} malformed, {fuzzer.spoof_attempts} spoofs of a waiting TID;"
        f" counters {delta}; kinds {dict(sorted(fuzzer.kinds.items()))}"
    )

    assert delivery.late == 0, f"the entry fell behind (seed {seed})"
    assert loaded.state is ConfigEntryState.LOADED
    # Every datagram was counted once, and the kinds of trouble went to their counters.
    assert delta["malformed"] == fuzzer.malformed
    assert delta["received"] >= count - fuzzer.malformed
    assert delta["spoofed"] > 0
    assert delta["unmatched"] > 0
    assert delta["ignored"] > 0  # requests for objects our node does not have
    assert hub.client._transport._unicast is not None
    assert not hub.client._transport._unicast.is_closing()

    # Real devices still answer, and their entities follow what they say.
    climate = entity_id_of(entity_registry, "climate", "-climate")
    living.objects[AIRCON][0xB3] = bytes((27,))
    await _refresh_all(hass, loaded)
    assert all(c.last_update_success for c in hub.coordinators.values())
    state = hass.states.get(climate)
    assert state is not None
    assert state.state != STATE_UNAVAILABLE
    assert state.attributes["temperature"] == 27
    check_logs(caplog, seed)


@contextlib.contextmanager
def _polls_paused(coordinator: DataUpdateCoordinator[Any]) -> Iterator[None]:
    """No timed poll while inside; the test polls explicitly afterwards."""
    interval = coordinator.update_interval
    coordinator.update_interval = None
    coordinator._unschedule_refresh()
    try:
        yield
    finally:
        coordinator.update_interval = interval


@pytest.mark.parametrize(
    ("dialect", "binary", "default_count"),
    [
        pytest.param("bp35a1", False, fuzz_count(), id="bp35a1-hex"),
        pytest.param("bp35c", False, fuzz_count(30_000), id="bp35c-hex"),
        pytest.param("bp35a1", True, fuzz_count(30_000), id="bp35a1-binary"),
    ],
)
async def test_fuzzed_dongle_output_at_the_running_meter_entry(  # noqa: PLR0917
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    dialect: str,
    binary: bool,
    default_count: int,
) -> None:
    """Garbage from the dongle is dropped line by line; the session and the readings go on.

    In hex mode the meter is polled all along, as it would be. In binary mode a wrong
    length may take the lines after it for its payload, so the flood goes in between
    polls: an answer taken that way would be lost on a real dongle too.
    """
    seed, count = fuzz_seed(), default_count
    pty = home.dongle
    if (dialect, binary) != ("bp35a1", False):
        pty = await home.plug_in(dialect)
        pty.model.binary_payload = binary  # as after WOPT 00
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    runtime = meter_entry.runtime_data
    link = runtime.link
    dongle = link._dongle
    assert dongle is not None
    assert dongle.info is not None
    assert (dongle.info.dialect, dongle.info.binary_payload) == (dialect, binary)
    assert link.session is not None
    before = (await _diagnostics(hass, hass_client, meter_entry))["link"]
    assert before["lines_unparsed"] == dongle.unparsed
    rng = random.Random(seed)
    meter = Talker(home.radio.address, METER_EOJ, (0x80, 0xD3, 0xE0, 0xE1, 0xE3, 0xE7, 0xE8))
    fuzzer = SkFuzzer(rng, pty.model, EchonetFuzzer(rng, [meter], [home.radio.address]))

    started = time.perf_counter()
    written = lines = 0
    with _polls_paused(runtime.coordinator) if binary else contextlib.nullcontext():
        while lines < count:
            batch = [fuzzer.line() for _ in range(min(SK_BATCH, count - lines))]
            lines += len(batch)
            chunk = b"".join(batch)
            written += len(chunk)
            pty.write(chunk)
            await pty.drained()
        if binary:  # a last line end, for a payload still waiting for its bytes
            pty.write(b"\r\n" * 8)
            await pty.drained()
    seconds = time.perf_counter() - started
    # A real poll after the flood: its answer comes after every fuzzed line, so once it is
    # read, so is the flood.
    home.meter.extra[0xE7] = (1234).to_bytes(4, signed=True)
    await runtime.coordinator.async_refresh()
    await hass.async_block_till_done()
    after = (await _diagnostics(hass, hass_client, meter_entry))["link"]
    dropped = after["datagrams_dropped"] - before["datagrams_dropped"]
    unparsed = after["lines_unparsed"] - before["lines_unparsed"]
    ignored = after["events_ignored"] - before["events_ignored"]
    print(  # noqa: T201 - the figures of the drill, for the log of a CI run
        f"\nSK fuzz ({dialect}, {'binary' if binary else 'hex'}): seed {seed}, {lines} items"
        f" ({written / 1e6:.1f} MB) in {seconds:.1f} s ({lines / seconds:.0f}/s);"
        f" {unparsed} lines unparsed, {ignored} session events from strangers ignored,"
        f" {dropped} datagrams dropped ({fuzzer.spoofed} spoofed"
        f" sent); kinds {dict(sorted(fuzzer.kinds.items()))}"
    )

    assert meter_entry.state is ConfigEntryState.LOADED
    assert runtime.coordinator.last_update_success
    assert hass.states.get(POWER).state == "1234"  # type: ignore[union-attr]
    assert link._dongle is dongle  # no reopen: the driver never lost the port
    assert dongle._read_task is not None
    assert not dongle._read_task.done()
    assert link.connected
    assert after["joins"] == before["joins"]  # nor the session
    if binary:
        # A wrong length may take a spoofed datagram along with it; a header missing a
        # field may read as a datagram from another sender: a few either way.
        assert abs(dropped - fuzzer.spoofed) <= fuzzer.spoofed // 50
    else:
        assert dropped == fuzzer.spoofed
    assert unparsed > count // 3
    assert ignored > 0  # EVENT 24 and 26-29 from another sender: the session went on
    check_logs(caplog, seed)


# ---------------------------------------------------------------------------
# Spoofed answers. The libraries' own tests cover them on a bare client and session
# (tests/lib/echonet/test_client.py::test_only_the_node_asked_answering_the_tid_and_object_asked_is_accepted,
# tests/lib/echonet/test_discovery.py, tests/lib/broute/test_session.py::test_unsolicited_and_spoofed_datagrams);
# these check that the running entries' entities never show what a spoofer says.


def _history(hass: HomeAssistant, entity_id: str) -> list[Any]:
    """Every state `entity_id` takes from now on."""
    seen: list[Any] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == entity_id and (new := event.data["new_state"]):
            seen.append(new)

    hass.bus.async_listen("state_changed", _changed)
    return seen


def _forge(address: str, frame: Frame, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        sock.sendto(encode_frame(frame), (INTERFACE, port))


async def test_a_spoofed_appliance_answer_does_not_reach_the_entity(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    climate = entity_id_of(entity_registry, "climate", "-climate")
    seen = _history(hass, climate)
    counters = loaded.runtime_data.client.counters
    spoofed0 = counters.spoofed
    living = lan.nodes[LIVING]
    living.objects[AIRCON][0xB3] = bytes((25,))
    aircon = _coordinator(loaded, AIRCON)
    aircon._cycle = 0
    living.hold.clear()
    asked = len(living.requests)
    poll = asyncio.create_task(aircon.async_refresh())
    await until(lambda: len(living.requests) > asked)
    request = living.requests[-1]
    assert request.deoj == AIRCON
    # The right TID, object and service, every property asked, from another address.
    forged = tuple(
        Property(p.epc, bytes((16,)) if p.epc == 0xB3 else living.objects[AIRCON][p.epc])
        for p in request.properties
    )
    _forge(SPOOFER, Frame(request.tid, AIRCON, CONTROLLER, ESV.GET_RES, forged), lan.port)
    await until(lambda: counters.spoofed == spoofed0 + 1)
    # A notification from the spoofer, in the name of the air conditioner: not routed.
    heard: list[str] = []
    stop = loaded.runtime_data.client.add_listener(lambda host, _: heard.append(host))
    inf = Frame(0x4242, AIRCON, CONTROLLER, ESV.INF, (Property(0xB3, bytes((17,))),))
    _forge(SPOOFER, inf, lan.port)
    await until(lambda: SPOOFER in heard)
    stop()
    assert not poll.done()
    living.hold.set()
    await poll
    await hass.async_block_till_done()
    assert hass.states.get(climate).attributes["temperature"] == 25  # type: ignore[union-attr]
    assert [s.attributes.get("temperature") for s in seen if s.attributes.get("temperature")]
    assert all(s.attributes.get("temperature") not in (16, 17) for s in seen)
    assert aircon.data[0xB3] == bytes((25,))


async def test_a_spoofed_meter_answer_does_not_reach_the_power_sensor(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    runtime = meter_entry.runtime_data
    session = runtime.link.session
    assert session is not None
    seen = _history(hass, POWER)
    home.meter.extra[0xE7] = (777).to_bytes(4, signed=True)
    asked: asyncio.Queue[bytes] = asyncio.Queue()

    def hold(payload: bytes) -> bytes | None:
        asked.put_nowait(payload)
        return None

    answer = home.radio.responder
    assert answer is not None
    home.radio.responder = hold
    dropped = session.dropped
    poll = asyncio.create_task(runtime.coordinator.async_refresh())
    payload = await asyncio.wait_for(asked.get(), 5)
    genuine = answer(payload)
    assert genuine is not None
    request, real = decode_frame(payload), decode_frame(genuine)
    forged = Frame(
        request.tid,
        METER_EOJ,
        request.seoj,
        ESV.GET_RES,
        tuple(
            Property(p.epc, (9999).to_bytes(4, signed=True) if p.epc == 0xE7 else p.edt)
            for p in real.properties
        ),
    )
    model = home.dongle.model
    # The right TID from another meter's address, in the dongle's own format.
    home.dongle.write(
        model.erxudp(encode_frame(forged)).replace(
            b" " + model.meter.address.encode(), b" " + OTHER_METER.encode(), 1
        )
    )
    await until(lambda: session.dropped == dropped + 1)
    assert not poll.done()
    home.dongle.write(model.erxudp(genuine))
    await poll
    await hass.async_block_till_done()
    home.radio.responder = answer
    assert hass.states.get(POWER).state == "777"  # type: ignore[union-attr]
    assert all(s.state != "9999" for s in seen)


# ---------------------------------------------------------------------------
# Secrets

BROUTE_ID = "5A1B2C3D4E5F60718293A4B5C6D7E8F9"
BROUTE_PASSWORD = "Kz7Qp9Wm2xRt"
MQTT_USER = "denki-home-7"
MQTT_PASSWORD = "mqtt-Pa55-word-XYZZY"
CLIENT_SECRET = "oa3-client-Secret-QWERTY-1234"


@pytest.fixture
async def secret_home(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Home]:
    """A meter whose B-route ID and password appear nowhere else in the tests."""
    meter = SimulatedMeter()
    radio = MeterRadio(rbid=BROUTE_ID, password=BROUTE_PASSWORD, responder=meter.answer)
    simulated = Home(meter, radio, tmp_path / "usb-ROHM_BP35A1-if00")
    meter.history = MeterHistory(origin=dt_util.utcnow() - timedelta(days=3), clock=dt_util.utcnow)
    dongle = await simulated.plug_in()
    # A dongle that refuses to turn its echo off: SKSETRBID and SKSETPWD come back
    # with the secrets, for the driver to read past without logging them.
    sksreg = dongle.model._cmd_sksreg

    def keep_echo(args: list[str], payload: bytes) -> list[bytes]:
        return [b"FAIL ER04\r\n"] if args[:1] == ["SFE"] else sksreg(args, payload)

    dongle.model._cmd_sksreg = keep_echo  # type: ignore[method-assign]
    yield simulated
    for pty in simulated.dongles:
        await pty.stop()


@pytest.fixture
async def locked_broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[int]:
    """A broker on loopback that admits MQTT_USER with MQTT_PASSWORD only."""
    passwords = tmp_path / "passwd"
    passwords.write_text(f"{MQTT_USER}:{PasswordHash((Argon2Hasher(),)).hash(MQTT_PASSWORD)}\n")
    port = free_port()
    broker = Broker(
        amqtt_config(
            port,
            {"allow-anonymous": False, "password-file": str(passwords), "plugins": ["auth_file"]},
        )
    )
    await broker.start()
    yield port
    await broker.shutdown()


@pytest.fixture
async def secret_vtn(socket_enabled: None) -> AsyncIterator[tuple[VtnState, str]]:
    """The simulated VTN, with a client secret of its own."""
    from aiohttp.test_utils import TestServer

    state = VtnState(
        client_secret=CLIENT_SECRET, programs=[{"id": "kanto-dr", "programName": "Kanto DR"}]
    )
    server = TestServer(make_app(state), host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.mark.usefixtures("fast_poll")
async def test_no_secret_in_debug_logs_or_diagnostics(  # noqa: PLR0917
    hass: HomeAssistant,
    secret_home: Home,
    locked_broker: int,
    secret_vtn: tuple[VtnState, str],
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # The meter: a join (SKSETRBID, SKSETPWD), then a few reads.
    meter = MockConfigEntry(
        domain=DOMAIN,
        title="Smart meter (B-route)",
        data=secret_home.entry_data(rbid=BROUTE_ID, password=BROUTE_PASSWORD),
        unique_id="FE00001653494D30303030303030303031",
    )
    meter.add_to_hass(hass)
    assert await hass.config_entries.async_setup(meter.entry_id)
    await hass.async_block_till_done()
    for _ in range(3):
        await meter.runtime_data.coordinator.async_refresh()
    assert meter.runtime_data.coordinator.last_update_success
    # The secrets did go over the wire: their absence below means something.
    model = secret_home.dongle.model
    assert (model.rbid, model.password) == (BROUTE_ID, BROUTE_PASSWORD)
    assert model.echo  # and came back in the echo

    # MQTT with a username and password.
    mqtt = mqtt_entry(locked_broker)
    mqtt.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mqtt, data={**mqtt.data, CONF_USERNAME: MQTT_USER, CONF_PASSWORD: MQTT_PASSWORD}
    )
    assert await hass.config_entries.async_setup(mqtt.entry_id)
    await hass.async_block_till_done()
    await until(lambda: mqtt.runtime_data.source.connected)

    # OpenADR 3 with client credentials; a few polls, a revoked token and a new one.
    state, base = secret_vtn
    oa3 = oa3_entry(base, secret=CLIENT_SECRET)
    await set_up_aggregator(hass, oa3)
    requests = state.token_requests
    state.revoke_tokens()
    await until(lambda: state.token_requests > requests)
    await asyncio.sleep(0.5)
    tokens = set(state.tokens)
    assert tokens

    secrets = {
        "B-route ID": BROUTE_ID,
        "B-route ID (lower case)": BROUTE_ID.lower(),
        "B-route password": BROUTE_PASSWORD,
        "MQTT password": MQTT_PASSWORD,
        "OpenADR client secret": CLIENT_SECRET,
    } | {f"access token {token[:4]}…": token for token in tokens}
    diagnostics = {
        entry.title: json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
        for entry in (meter, mqtt, oa3)
    }
    assert "Wi-SUN dongle <- SKSETPWD" in caplog.text  # the debug log was on
    # Everything logged on Home Assistant's side. The broker is the aggregator's server,
    # here in-process: its packet logger shows the CONNECT it received, password included.
    ours = [
        (record.name, caplog.handler.format(record))
        for record in caplog.records
        if not record.name.startswith("amqtt")
    ]
    leaks = [
        f"{name} in the log of {logger}"
        for name, value in secrets.items()
        for logger, text in ours
        if value in text
    ] + [
        f"{name} in the diagnostics of {title}"
        for name, value in secrets.items()
        for title, text in diagnostics.items()
        if value in text
    ]
    assert not leaks
    for entry in (meter, mqtt, oa3):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
