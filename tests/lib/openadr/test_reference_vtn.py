"""Denki's OpenADR 3 VEN library against the OpenADR Alliance's reference VTN.

The VTN (../shared/peers/openadr3-vtn-ri, see its NOTICE-denki.md) runs as a
subprocess on a free loopback port; its first start builds a venv from the
machine's local wheels (about 15-40 s), later ones take about 2 s. Where it
cannot start (no Python 3.10-3.12), these tests are skipped and say why.
The business logic's part (programs, the ven object, events, deletions) is
played with plain HTTP as `bl_client`; the VEN is Denki's library.

The MQTT test needs 127.0.0.1:1883: the reference VTN announces its broker as
mqtt://127.0.0.1 with no port, and cannot announce another (see mqtt.py,
binding()). It is skipped when that port is taken.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import fcntl
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.request

import aiohttp
from amqtt.broker import Broker
import pytest

from custom_components.denki.lib.dr.reports import Outbox
from custom_components.denki.lib.openadr.client import Openadr3Client, OpenadrAuthError
from custom_components.denki.lib.openadr.notifier import NotificationListener, mqtt_binding
from custom_components.denki.lib.openadr.reports import OPTED_OUT_RUNNING
from custom_components.denki.lib.openadr.sender import ReportSender
from tests.net import amqtt_config, free_port

ROOT = Path(__file__).parents[3]
PEER = ROOT.parent / "shared" / "peers" / "openadr3-vtn-ri"
START = PEER / "start"
API = "/openadr3/3.1.0"
VEN_ID, VEN_SECRET = "ven_client", "999"
BL_ID, BL_SECRET = "bl_client", "1001"
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
FIRST_START_TIMEOUT = 240.0

pytestmark = pytest.mark.skipif(not START.exists(), reason=f"no reference VTN at {PEER}")


@dataclass
class Vtn:
    """A running reference VTN."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/auth/server", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _start_vtn(tmp: Path, env: dict[str, str] | None = None) -> Iterator[Vtn]:
    port = free_port()
    base = f"http://127.0.0.1:{port}{API}"
    log = tmp / f"vtn-{port}.log"
    lock = Path.home() / ".cache" / "denki" / "openadr3-vtn-ri.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        # Two xdist workers must not build the VTN's venv at once.
        fcntl.flock(held, fcntl.LOCK_EX)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(START), str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        deadline = time.monotonic() + FIRST_START_TIMEOUT
        while not _answers(base):
            if process.poll() is not None:
                text = log.read_text(errors="replace")[-2000:]
                pytest.skip(f"the reference VTN cannot start here: {text}")
            if time.monotonic() > deadline:  # pragma: no cover
                os.killpg(process.pid, signal.SIGTERM)
                pytest.fail(f"the reference VTN did not answer in {FIRST_START_TIMEOUT} s")
            time.sleep(0.2)
    try:
        yield Vtn(base, process, log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


@pytest.fixture
def vtn(socket_enabled: None, tmp_path: Path) -> Iterator[Vtn]:
    """A reference VTN of its own for the test (in-memory storage, REST notifiers only)."""
    yield from _start_vtn(tmp_path)


class Bl:
    """The business logic's side, by plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = self._token(BL_ID, BL_SECRET)

    def _token(self, client_id: str, secret: str) -> str:
        form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
        with urllib.request.urlopen(f"{self.base}/auth/token", form.encode()) as response:
            return str(json.load(response)["access_token"])

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def program(self, name: str) -> str:
        return str(self.call("POST", "/programs", {"programName": name})["id"])

    def ven(self, targets: list[str]) -> str:
        body = {
            "objectType": "BL_VEN_REQUEST",
            "venName": "denki-home",
            "clientID": VEN_ID,
            "targets": targets,
        }
        return str(self.call("POST", "/vens", body)["id"])

    def event(self, program_id: str, name: str, **extra: Any) -> str:
        body = {
            "programID": program_id,
            "eventName": name,
            "intervalPeriod": {"start": "2026-12-07T08:00:00Z", "duration": "PT1H"},
            "intervals": [
                {"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]},
                {"id": 1, "payloads": [{"type": "SIMPLE", "values": [2]}]},
            ],
            **extra,
        }
        return str(self.call("POST", "/events", body)["id"])


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_token_through_auth_server_by_form_body(
    vtn: Vtn, session: aiohttp.ClientSession
) -> None:
    client = Openadr3Client(session, vtn.base, VEN_ID, VEN_SECRET)
    await client.programs()
    info = client.token_info
    assert info is not None
    assert info.token_url == f"{vtn.base}/auth/token"
    assert info.token_url_from == "/auth/server"
    assert (info.client_auth, info.attempts) == ("form", ("form: 200",))
    assert info.expires_in is None  # the reference VTN's token has no expires_in
    assert "write_reports" in (info.scope_granted or [])


async def test_token_url_given_basic_refused_then_form_remembered(
    vtn: Vtn, session: aiohttp.ClientSession
) -> None:
    client = Openadr3Client(
        session,
        vtn.base,
        VEN_ID,
        VEN_SECRET,
        token_url=f"{vtn.base}/auth/token",
        scope="read_all",
        client_auth="basic",
    )
    await client.programs()
    info = client.token_info
    assert info is not None
    assert info.token_url_from == "configured"
    # The reference VTN takes credentials only in the form body: 400 to Basic.
    assert info.attempts == ("basic: 400", "form: 200")
    assert client.client_auth == "form"
    client._token = None  # as if expired: the next request goes the remembered way at once
    await client.programs()
    assert client.token_info is not None
    assert client.token_info.attempts == ("form: 200",)


async def test_wrong_secret_is_an_auth_error(vtn: Vtn, session: aiohttp.ClientSession) -> None:
    with pytest.raises(OpenadrAuthError, match="403"):
        await Openadr3Client(session, vtn.base, VEN_ID, "998").programs()


async def test_only_this_programs_and_this_vens_events_are_acted_on(
    vtn: Vtn, session: aiohttp.ClientSession
) -> None:
    bl = Bl(vtn.base)
    ours, other = bl.program("kanto-dr"), bl.program("kansai-dr")
    bl.ven(["tokyo"])
    untargeted = bl.event(ours, "untargeted")
    targeted = bl.event(ours, "targeted", targets=["tokyo"])
    bl.event(ours, "elsewhere", targets=["osaka"])  # the VTN keeps it from this VEN
    foreign = bl.event(other, "kansai")
    client = Openadr3Client(session, vtn.base, VEN_ID, VEN_SECRET)
    assert await client.program_id("kanto-dr") == ours  # by name, as a user may configure it
    ven = await client.ven()
    assert ven is not None
    assert ven["targets"] == ["tokyo"]
    result = await client.events(NOW, ours, ven_targets=["tokyo"])
    assert sorted(e.event_id for e in result.events) == sorted([untargeted, targeted])
    # The reference VTN returned the other program's event to ?programID=: ignored here.
    assert list(result.ignored) == [foreign]
    event = next(e for e in result.events if e.event_id == targeted)
    assert event.name == "targeted"
    assert [(i.interval_id, i.start.hour, i.end.hour) for i in event.intervals] == [
        (0, 8, 9),
        (1, 9, 10),
    ]


async def test_a_refused_report_is_set_aside_and_later_ones_go_through(
    vtn: Vtn, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    bl = Bl(vtn.base)
    program = bl.program("kanto-dr")
    deleted, kept = bl.event(program, "deleted"), bl.event(program, "kept")
    outbox = Outbox(tmp_path / "outbox")
    at = NOW.isoformat()
    for event in (deleted, kept, kept):
        outbox.append({"at": at, "values": {"power_kw": 1.2}, "event": event, "program": program})
    bl.call("DELETE", f"/events/{deleted}")
    client = Openadr3Client(session, vtn.base, VEN_ID, VEN_SECRET)
    sender = ReportSender(client, outbox, VEN_ID)
    result = await sender.send_pending()
    assert result.sent == [2, 3]
    assert result.refused == [(1, 400, "event_id does not refer to an existing event")]
    assert (result.error, result.pending) == (None, 0)
    stored = bl.call("GET", "/reports")
    assert [r["eventID"] for r in stored] == [kept, kept]
    reopened = Outbox(tmp_path / "outbox")  # nothing resent after a restart, the refusal kept
    assert len(reopened) == 0
    assert reopened.refused_total == 1
    (refusal,) = reopened.refused()
    assert (refusal["seq"], refusal["status"]) == (1, 400)
    assert refusal["reason"] == "event_id does not refer to an existing event"
    assert refusal["record"]["event"] == deleted


async def test_opt_out_is_an_operating_state_report(
    vtn: Vtn, session: aiohttp.ClientSession
) -> None:
    bl = Bl(vtn.base)
    program = bl.program("kanto-dr")
    event_id = bl.event(program, "peak")
    client = Openadr3Client(session, vtn.base, VEN_ID, VEN_SECRET)
    (event,) = (await client.events(NOW, program)).events
    stored = await client.opt_out(event, VEN_ID, at=NOW)
    assert stored["eventID"] == event_id
    (report,) = bl.call("GET", "/reports")
    payloads = report["resources"][0]["intervals"][0]["payloads"]
    assert payloads == [{"type": "OPERATING_STATE", "values": [OPTED_OUT_RUNNING]}]


def _probe(vtn: Vtn, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "custom_components.denki.lib.openadr",
            "probe",
            "--url",
            vtn.base,
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_probe_prints_what_this_ven_would_act_on(vtn: Vtn) -> None:
    bl = Bl(vtn.base)
    ours, other = bl.program("kanto-dr"), bl.program("kansai-dr")
    bl.ven(["tokyo"])
    bl.event(ours, "peak")
    foreign = bl.event(other, "kansai")
    done = _probe(
        vtn, "--client-id", VEN_ID, "--secret", VEN_SECRET, "--program", "kanto-dr", "--scope", "x"
    )
    assert done.returncode == 0, done.stderr
    assert VEN_SECRET not in done.stdout.replace(vtn.base, "")
    report = json.loads(done.stdout)
    assert report["client_secret"] == "***"
    assert report["token"]["client_auth"] == "form"
    assert report["token"]["token_url_from"] == "/auth/server"
    assert report["token"]["scope_requested"] == "x"
    assert report["notifiers"] == {"WEBHOOK": True}
    assert report["mqtt"] is None
    assert [p["programName"] for p in report["programs"]] == ["kanto-dr", "kansai-dr"]
    assert report["program"] == {"given": "kanto-dr", "id": ours}
    (event,) = report["events"]
    assert event["name"] == "peak"
    assert [i["payloads"] for i in event["intervals"]] == [{"SIMPLE": [1]}, {"SIMPLE": [2]}]
    assert event["intervals"][0]["start"] == "2026-12-07T08:00:00+00:00"
    assert list(report["ignored_events"]) == [foreign]
    assert report["ven"]["targets"] == ["tokyo"]


def test_probe_fails_clearly(vtn: Vtn) -> None:
    wrong = _probe(vtn, "--client-id", VEN_ID, "--secret", "not-the-secret")
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert wrong.stderr.startswith("error: the VTN refused the credentials")
    assert "not-the-secret" not in wrong.stderr
    unknown = _probe(vtn, "--client-id", VEN_ID, "--secret", VEN_SECRET, "--program", "nope")
    assert unknown.returncode == 1
    assert "program 'nope' is not one this VEN sees" in unknown.stderr
    down = subprocess.run(
        [
            *(sys.executable, "-m", "custom_components.denki.lib.openadr", "probe"),
            *("--url", f"http://127.0.0.1:{free_port()}{API}", "--client-id", "a", "--secret", "b"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert down.returncode == 1
    assert down.stderr.startswith("error: cannot reach the VTN")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
async def broker_1883(socket_enabled: None) -> AsyncIterator[None]:
    if not _port_free(1883):
        pytest.skip("127.0.0.1:1883 is taken; the reference VTN announces only that port")
    broker = Broker(amqtt_config(1883))
    await broker.start()
    yield
    await broker.shutdown()


@pytest.mark.usefixtures("broker_1883")
async def test_mqtt_notifications_of_the_program_reach_the_ven(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    mqtt_vtn = contextlib.contextmanager(_start_vtn)
    with mqtt_vtn(tmp_path, {"VTN_BINDINGS": "MQTT,WEBHOOK", "VTN_MQTT_PORT": "1883"}) as vtn:
        bl = Bl(vtn.base)
        ours, other = bl.program("kanto-dr"), bl.program("kansai-dr")
        bl.ven(["tokyo"])
        client = Openadr3Client(session, vtn.base, VEN_ID, VEN_SECRET)
        binding = await mqtt_binding(client, ours)
        assert binding is not None
        assert (binding.host, binding.port, binding.method) == ("127.0.0.1", 1883, "ANONYMOUS")
        # The VEN-scoped endpoint is a stub and all-events is BL-only (403): the program's
        # topics it is; its "ALL" is no wildcard, so each operation is subscribed as well.
        assert binding.sources == (f"programs/{ours}/events",)
        assert set(binding.topics) == {
            f"events/programs/{ours}/{op}" for op in ("all", "create", "update", "delete")
        }
        got: list[tuple[str, dict[str, Any]]] = []
        two = asyncio.Event()

        def on_notification(op: str, obj: dict[str, Any]) -> None:
            got.append((op, obj))
            if len(got) >= 2:
                two.set()

        listener = NotificationListener(client, binding, on_notification)
        task = asyncio.create_task(listener.run())
        try:
            await asyncio.wait_for(listener.connected.wait(), 10)
            await asyncio.sleep(0.3)
            bl.event(other, "kansai")  # on another program's topic: not subscribed
            bl.event(ours, "elsewhere", targets=["osaka"])  # pushed, but not this VEN's
            peak = bl.event(ours, "peak", targets=["tokyo"])
            bl.call("DELETE", f"/events/{peak}")
            await asyncio.wait_for(two.wait(), 10)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert [(op, obj["id"]) for op, obj in got] == [("CREATE", peak), ("DELETE", peak)]
        created = got[0][1]
        assert created["programID"] == ours  # snake_case program_id read as camelCase
        assert created["intervalPeriod"]["duration"] == "PT1H"
        assert listener.ignored == 1
        assert listener.last_received is not None
