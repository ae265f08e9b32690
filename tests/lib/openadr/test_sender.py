"""The report sender: refusals set aside, outages backed off, 401 raised; token fallbacks."""

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.denki.lib.dr.reports import Outbox
from custom_components.denki.lib.openadr.client import (
    Openadr3Client,
    OpenadrAuthError,
    OpenadrConnectionError,
    OpenadrForbiddenError,
    OpenadrRefusedError,
    problem_reason,
)
from custom_components.denki.lib.openadr.sender import ReportSender

AT = "2026-12-07T10:00:00+09:00"


class FakeClient:
    """Answers each report by script: "ok", or an exception to raise."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.posted: list[str] = []

    async def post_report(self, report: dict[str, Any]) -> dict[str, Any]:
        self.posted.append(report["eventID"])
        outcome = self.script.pop(0) if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        return {"id": str(len(self.posted))}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _outbox(folder: Path, events: list[str]) -> Outbox:
    outbox = Outbox(folder)
    for event in events:
        outbox.append({"at": AT, "values": {"power_kw": 1.0}, "event": event, "program": "p"})
    return outbox


def _sender(client: FakeClient, outbox: Outbox, clock: Clock) -> ReportSender:
    return ReportSender(
        client,  # type: ignore[arg-type]
        outbox,
        "ven",
        backoff_start=10,
        backoff_max=40,
        clock=clock,
    )


async def test_refusals_go_aside_and_the_rest_goes_on(tmp_path: Path) -> None:
    outbox = _outbox(tmp_path, ["gone", "a", "bad", "b"])
    client = FakeClient(
        [
            OpenadrRefusedError("POST", "/reports", 400, "event_id does not refer"),
            "ok",
            OpenadrForbiddenError("POST", "/reports", 403, "not your event"),
        ]
    )
    result = await _sender(client, outbox, Clock()).send_pending()
    assert result.sent == [2, 4]
    assert result.refused == [(1, 400, "event_id does not refer"), (3, 403, "not your event")]
    assert (result.error, result.pending, outbox.refused_total) == (None, 0, 2)


async def test_outages_back_off_and_keep_the_order(tmp_path: Path) -> None:
    outbox = _outbox(tmp_path, ["a", "b"])
    clock = Clock()
    client = FakeClient([OpenadrConnectionError("503"), OpenadrConnectionError("down")])
    sender = _sender(client, outbox, clock)
    first = await sender.send_pending()
    assert (first.sent, first.error, first.pending) == ([], "503", 2)
    assert sender.retry_in == 10
    assert (await sender.send_pending()).deferred  # not before the back-off
    clock.now += 10
    second = await sender.send_pending()
    assert second.error == "down"
    assert sender.retry_in == 20  # doubled
    clock.now += 5
    third = await sender.send_pending(force=True)  # e.g. a poll just succeeded
    assert (third.sent, third.pending, sender.retry_in) == ([1, 2], 0, 0)
    assert client.posted == ["a", "a", "a", "b"]


async def test_a_401_waits_for_new_credentials(tmp_path: Path) -> None:
    outbox = _outbox(tmp_path, ["a"])
    client = FakeClient([OpenadrAuthError("401")])
    with pytest.raises(OpenadrAuthError):
        await _sender(client, outbox, Clock()).send_pending()
    assert len(outbox) == 1
    assert outbox.refused_total == 0


async def test_a_record_that_cannot_be_a_report_is_set_aside(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append({"values": {}})  # no time, no event: an MQTT-profile record in the wrong outbox
    outbox.append({"at": AT, "values": {}, "event": "a", "program": "p"})
    result = await _sender(FakeClient([]), outbox, Clock()).send_pending()
    assert result.sent == [2]
    assert [seq for seq, _, _ in result.refused] == [1]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"title": "Bad Request", "detail": "limit too big", "status": 400},
            "Bad Request: limit too big",
        ),
        ({"error": "invalid_client", "error_description": "who?"}, "invalid_client: who?"),
        ("<html>nope</html>", "<html>nope</html>"),
        (None, "no reason given"),
    ],
)
def test_the_vtns_reason_is_read(body: Any, reason: str) -> None:
    assert problem_reason(body) == reason


@pytest.fixture
async def basic_only(socket_enabled: None) -> AsyncIterator[tuple[str, list[str]]]:
    """A token endpoint that takes HTTP Basic only (RFC 6749 section 2.3.1), and one API path."""
    seen: list[str] = []

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        header = request.headers.get("Authorization", "")
        seen.append(f"{'basic' if header else 'form'} scope={form.get('scope')}")
        expected = "Basic " + base64.b64encode(b"ven%2F1:s%3Acret").decode()
        if header != expected or "client_secret" in form:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": "t", "token_type": "Bearer", "expires_in": 60})

    async def programs(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer t":
            return web.json_response({"title": "no"}, status=401)
        return web.json_response([{"id": "p", "programName": "kanto"}])

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    app.router.add_get("/programs", programs)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), seen
    await server.close()


async def test_a_basic_only_token_endpoint_without_auth_server(
    basic_only: tuple[str, list[str]],
) -> None:
    base, seen = basic_only
    async with aiohttp.ClientSession() as session:
        client = Openadr3Client(
            session, base, "ven/1", "s:cret", token_url=f"{base}/oauth/token", scope="read_all"
        )
        assert await client.program_id("kanto") == "p"
        assert client.token_info is not None
        assert client.token_info.as_dict()["attempts"] == ["form: 401", "basic: 200"]
        assert client.token_info.token_url_from == "configured"
        client._token = None
        await client.programs()
        assert seen == ["form scope=read_all", "basic scope=read_all", "basic scope=read_all"]
        wrong = Openadr3Client(session, base, "ven/1", "nope", token_url=f"{base}/oauth/token")
        with pytest.raises(OpenadrAuthError, match="invalid_client"):
            await wrong.programs()
