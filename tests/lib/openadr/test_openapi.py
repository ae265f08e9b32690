"""The VEN's requests and the simulated VTN's answers, checked against the OpenADR 3.1 OpenAPI definition.

Every exchange between `Openadr3Client` and `simulators.openadr3_vtn` (with
its notifier routes) is captured by a middleware on the simulator's side,
over real HTTP on loopback, and validated with openapi-core against
tests/specs/openadr3/openadr3.yaml (a copy of the 3.1.0 definition): the
request (path, query parameters, bearer header, JSON or form body) and the
answer (status, content type, body). Errors are checked as problem objects,
and a set of wrong shapes is shown to be refused, so the check can fail.

The definition has three defects, worked around here and nowhere else:
- its own validator rejects it (line 2009, `default: null          -` in
  BlVenRequest.targets), so it is loaded without the definition check;
- a ven (allOf objectMetadata and BlVenRequest) must have objectType both in
  [PROGRAM, EVENT, REPORT, SUBSCRIPTION, VEN, RESOURCE] and equal to
  BL_VEN_REQUEST, which nothing can; VEN is added to BlVenRequest's values;
- a program's payloadDescriptors discriminate on objectType without a
  mapping, so EVENT_PAYLOAD_DESCRIPTOR is looked up as a schema of that name
  and any program with descriptors is refused; the mapping to
  eventPayloadDescriptor and reportPayloadDescriptor is added.
And openapi-core does not check oauth2 schemes (it waves them through with
a warning), so each operation's security is checked through its bearerAuth
alternative alone: an OAuth 2 access token is sent as a bearer token.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
import pytest
import yaml

from custom_components.denki.lib.openadr import (
    Openadr3Client,
    OpenadrAuthError,
    OpenadrConnectionError,
    OpenadrError,
)
from custom_components.denki.lib.openadr.notifier import mqtt_binding
from custom_components.denki.lib.openadr.reports import report_object
from simulators.openadr3_notifier import add_notifier_routes
from simulators.openadr3_vtn import VtnState, make_app

SPEC_FILE = Path(__file__).parents[2] / "specs" / "openadr3" / "openadr3.yaml"
"""OpenADR 3.1.0's OpenAPI definition, copied into the repository (Apache 2.0: LICENSE, NOTICE)."""

HOST = "http://vtn.test"
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@dataclass
class Exchange:
    """One request and its answer, as they crossed the wire."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    request_type: str
    request_body: bytes
    status: int
    response_type: str
    response_body: bytes


def _api() -> OpenAPI:
    spec = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": HOST}]
    schemas = spec["components"]["schemas"]
    schemas["BlVenRequest"]["properties"]["objectType"]["enum"].append("VEN")
    descriptors = schemas["programRequest"]["properties"]["payloadDescriptors"]["items"]
    descriptors["discriminator"]["mapping"] = {
        "EVENT_PAYLOAD_DESCRIPTOR": "#/components/schemas/eventPayloadDescriptor",
        "REPORT_PAYLOAD_DESCRIPTOR": "#/components/schemas/reportPayloadDescriptor",
    }
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [
                    alternative
                    for alternative in operation["security"]
                    if "oAuth2ClientCredentials" not in alternative
                ]
    return OpenAPI(SchemaPath.from_dict(spec), config=Config(spec_validator_cls=None))


API = _api()


def _event(event_id: str, program: str = "kanto-dr") -> dict[str, Any]:
    """A 3.1 event: a SIMPLE level and an import capacity limit over two hours."""
    return {
        "id": event_id,
        "programID": program,
        "eventName": "evening peak",
        "createdDateTime": "2026-11-23T06:00:00Z",
        "modificationDateTime": "2026-11-23T06:00:00Z",
        "objectType": "EVENT",
        "priority": 0,
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "IMPORT_CAPACITY_LIMIT",
                "units": "KW",
            }
        ],
        "intervalPeriod": {"start": "2026-11-23T08:00:00Z", "duration": "PT2H"},
        "intervals": [
            {
                "id": 0,
                "payloads": [
                    {"type": "SIMPLE", "values": [2]},
                    {"type": "IMPORT_CAPACITY_LIMIT", "values": [3.0]},
                ],
            }
        ],
    }


EVENT = _event("ev-1")
PROGRAM = {
    "id": "kanto-dr",
    "createdDateTime": "2026-11-01T00:00:00Z",
    "modificationDateTime": "2026-11-01T00:00:00Z",
    "objectType": "PROGRAM",
    "programName": "Kanto DR",
    "intervalPeriod": {"start": "2026-11-01T00:00:00Z", "duration": "P1Y"},
    "payloadDescriptors": [
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "SIMPLE"},
        {
            "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
            "payloadType": "IMPORT_CAPACITY_LIMIT",
            "units": "KW",
        },
    ],
}


def _report(**overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "programID": "kanto-dr",
        "eventID": "ev-1",
        "clientName": "ven-client",
        "reportName": "outbox-1",
        "resources": [
            {
                "resourceName": "home",
                "intervalPeriod": {"start": "2026-11-23T08:05:00Z", "duration": "PT5M"},
                "intervals": [{"id": 0, "payloads": [{"type": "DEMAND", "values": [1.2]}]}],
            }
        ],
    }
    report.update(overrides)
    return report


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[tuple[VtnState, list[Exchange], str]]:
    """The simulator on loopback, recording every exchange."""
    recorded: list[Exchange] = []

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()
        response = await handler(request)
        assert isinstance(response, web.Response)
        headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
        recorded.append(
            Exchange(
                request.method,
                request.path,
                list(request.query.items()),
                headers,
                request.content_type,
                body,
                response.status,
                response.content_type,
                bytes(response.body or b""),  # type: ignore[arg-type]
            )
        )
        return response

    state = VtnState(programs=[PROGRAM], events=[EVENT])
    app = make_app(state)
    app.middlewares.insert(0, record)
    add_notifier_routes(app, "mqtt://127.0.0.1:1883")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield state, recorded, str(server.make_url("")).rstrip("/")
    await server.close()


def _request(exchange: Exchange) -> MockRequest:
    names = [name for name, _ in exchange.query]
    assert len(names) == len(set(names)), f"repeated query parameters: {exchange.query}"
    return MockRequest(
        HOST,
        exchange.method.lower(),
        exchange.path,
        args=dict(exchange.query),
        headers=exchange.headers,
        data=exchange.request_body or None,
        content_type=exchange.request_type or "application/json",
    )


def _validate_response(exchange: Exchange) -> None:
    response = MockResponse(
        exchange.response_body, status_code=exchange.status, content_type=exchange.response_type
    )
    API.validate_response(_request(exchange), response)


def _validate(exchange: Exchange) -> None:
    API.validate_request(_request(exchange))
    _validate_response(exchange)


async def test_every_exchange_of_a_ven_session_follows_the_definition(
    vtn: tuple[VtnState, list[Exchange], str],
) -> None:
    _, recorded, base = vtn
    async with aiohttp.ClientSession() as session:
        client = Openadr3Client(session, base, "ven-client", "ven-secret", scope="read_all")
        assert [p["id"] for p in await client.programs()] == ["kanto-dr"]
        events = await client.events(NOW, "kanto-dr")
        assert [e.event_id for e in events.events] == ["ev-1"]
        assert await mqtt_binding(client) is not None  # /notifiers, /vens and the topics
        stored = await client.post_report(_report())
        assert stored["clientID"] == "ven-client"
        # And the report the aggregator entry builds from its outbox.
        record = {
            "at": "2026-11-23T17:05:00+09:00",
            "values": {"power_kw": 0.8, "curtailed_kw": 0.6},
            "event": "ev-1",
            "program": "kanto-dr",
        }
        built = report_object("0f1e", 7, record, "ven-client")
        assert built["resources"][0]["intervals"][0]["payloads"] == [
            {"type": "DEMAND", "values": [0.8]},
            {"type": "BASELINE", "values": [1.4]},
        ]
        assert built["reportName"] == "0f1e-7"
        await client.post_report(built)
    paths = {(e.method, e.path) for e in recorded}
    assert paths >= {
        ("GET", "/auth/server"),
        ("POST", "/auth/token"),
        ("GET", "/programs"),
        ("GET", "/events"),
        ("GET", "/notifiers"),
        ("GET", "/vens"),
        ("GET", "/notifiers/mqtt/topics/vens/ven-1/events"),
        ("POST", "/reports"),
    }
    (token,) = [e for e in recorded if e.path == "/auth/token"]
    assert token.request_type == "application/x-www-form-urlencoded"
    assert b"scope=read_all" in token.request_body
    events_query = next(dict(e.query) for e in recorded if e.path == "/events")
    assert events_query == {"programID": "kanto-dr", "skip": "0", "limit": "50"}
    for exchange in recorded:
        _validate(exchange)


async def test_paging_and_program_filter_follow_the_definition(
    vtn: tuple[VtnState, list[Exchange], str],
) -> None:
    """More events than one page: skip/limit/programID as sent, and every page as answered."""
    state, recorded, base = vtn
    state.events = [_event(f"ev-{n}") for n in range(75)] + [_event("ev-x", program="other")]
    async with aiohttp.ClientSession() as session:
        client = Openadr3Client(session, base, "ven-client", "ven-secret")
        assert len((await client.events(NOW, "kanto-dr")).events) == 75
        assert len((await client.events(NOW)).events) == 76
    queries = [dict(e.query) for e in recorded if e.path == "/events"]
    assert queries == [
        {"programID": "kanto-dr", "skip": "0", "limit": "50"},
        {"programID": "kanto-dr", "skip": "50", "limit": "50"},
        {"skip": "0", "limit": "50"},
        {"skip": "50", "limit": "50"},
    ]
    assert [len(json.loads(e.response_body)) for e in recorded if e.path == "/events"] == [
        50,
        25,
        50,
        26,
    ]
    for exchange in recorded:
        _validate(exchange)


async def test_errors_are_problem_objects(vtn: tuple[VtnState, list[Exchange], str]) -> None:
    """401, 400 and 500 answers are problem objects; requests the VEN sent stay valid."""
    state, recorded, base = vtn
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/events") as response:
            assert response.status == 401  # no token
        with pytest.raises(OpenadrAuthError):
            await Openadr3Client(session, base, "ven-client", "wrong").programs()
        client = Openadr3Client(session, base, "ven-client", "ven-secret")
        await client.programs()
        state.fail_next = 1
        with pytest.raises(OpenadrConnectionError, match="500"):
            await client.programs()
        with pytest.raises(OpenadrError, match="400"):
            await client.post_report({"eventID": "ev-1", "clientName": "ven-client"})
        bearer = {"Authorization": f"Bearer {await client.access_token()}"}
        for bad in ("limit=51", "skip=-1", "limit=many"):
            async with session.get(f"{base}/events?{bad}", headers=bearer) as response:
                assert response.status == 400, bad
        json_type = {**bearer, "Content-Type": "application/json"}
        async with session.post(f"{base}/reports", data=b"{", headers=json_type) as response:
            assert response.status == 400
        async with session.delete(f"{base}/events", headers=bearer) as response:
            assert response.status == 405
    statuses = [e.status for e in recorded]
    assert {401, 400, 500, 405} <= set(statuses)
    for exchange in recorded:
        assert exchange.response_type == "application/json", exchange
        body = json.loads(exchange.response_body)
        if exchange.status >= 400:
            assert body["status"] == exchange.status
        if exchange.method == "DELETE":
            continue  # DELETE /events is not in the definition; its problem body is checked above
        _validate_response(exchange)
        # A refused form-body token request is retried with HTTP Basic (RFC 6749 section
        # 2.3.1), which the definition's clientCredentialRequest (a form with client_id and
        # client_secret) does not describe: invalid per the definition, as expected.
        basic = exchange.headers.get("Authorization", "").startswith("Basic ")
        if (
            exchange.status == 400
            or basic
            or not (exchange.headers or exchange.path.startswith("/auth/"))
        ):
            with pytest.raises(OpenAPIError):  # what was refused is invalid per the definition too
                API.validate_request(_request(exchange))
        else:
            API.validate_request(_request(exchange))


def _post(path: str, body: Any, content_type: str = "application/json") -> MockRequest:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return MockRequest(
        HOST,
        "post",
        path,
        headers={"Authorization": "Bearer t"},
        data=data,
        content_type=content_type,
    )


def _get(path: str, **args: str) -> MockRequest:
    return MockRequest(HOST, "get", path, args=args, headers={"Authorization": "Bearer t"})


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


FORM = "application/x-www-form-urlencoded"
SCALAR_VALUES = {"id": 0, "payloads": [{"type": "DEMAND", "values": 1.2}]}
BAD_REQUESTS = {
    "report without eventID": _post("/reports", _without(_report(), "eventID")),
    "report with a null eventID": _post("/reports", _report(eventID=None)),
    "report without clientName": _post("/reports", _without(_report(), "clientName")),
    "report resource without intervals": _post(
        "/reports", _report(resources=[{"resourceName": "home"}])
    ),
    "report payload values not a list": _post(
        "/reports", _report(resources=[{"resourceName": "home", "intervals": [SCALAR_VALUES]}])
    ),
    "token form without client_secret": _post(
        "/auth/token", b"grant_type=client_credentials&client_id=ven-client", FORM
    ),
    "token form with another grant": _post(
        "/auth/token", b"grant_type=password&client_id=ven-client&client_secret=s", FORM
    ),
    "token request as JSON": _post(
        "/auth/token",
        {"grant_type": "client_credentials", "client_id": "ven-client", "client_secret": "s"},
    ),
    "limit over 50": _get("/events", limit="51"),
    "negative skip": _get("/events", skip="-1"),
    "limit not a number": _get("/programs", limit="all"),
    "no bearer token": MockRequest(HOST, "get", "/events"),
}


@pytest.mark.parametrize("request_", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_the_request_check_can_fail(request_: MockRequest) -> None:
    with pytest.raises(OpenAPIError):
        API.validate_request(request_)


def _answer(path: str, body: Any, status: int = 200, content_type: str = "application/json") -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return path, MockResponse(data, status_code=status, content_type=content_type)


BAD_ANSWERS = {
    "event payload values not a list": _answer(
        "/events",
        [{**EVENT, "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": 2}]}]}],
    ),
    "event without programID": _answer("/events", [_without(EVENT, "programID")]),
    "event duration not ISO 8601": _answer(
        "/events",
        [{**EVENT, "intervalPeriod": {"start": "2026-11-23T08:00:00Z", "duration": "2h"}}],
    ),
    "event without its metadata": _answer("/events", [{"programID": "kanto-dr"}]),
    "events not a list": _answer("/events", {"events": [EVENT]}),
    "program without programName": _answer("/programs", [_without(PROGRAM, "programName")]),
    "stored report without clientID": _answer(
        "/reports",
        {
            **_report(),
            "id": "r-1",
            "objectType": "REPORT",
            "createdDateTime": "2026-11-23T08:06:00Z",
            "modificationDateTime": "2026-11-23T08:06:00Z",
        },
        201,
    ),
    "token_type in lower case": _answer(
        "/auth/token", {"access_token": "t", "token_type": "bearer"}
    ),
    "token without access_token": _answer("/auth/token", {"token_type": "Bearer"}),
    "auth server without tokenURL": _answer("/auth/server", {}),
    "problem status out of range": _answer("/events", {"title": "x", "status": 700}, 500),
    "error as plain text": _answer("/events", b"500 Internal Server Error", 500, "text/plain"),
    "status the definition does not list": _answer("/events", {"title": "x"}, 418),
}


@pytest.mark.parametrize(("path", "response"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_the_answer_check_can_fail(path: str, response: MockResponse) -> None:
    method = "post" if path in ("/reports", "/auth/token") else "get"
    with pytest.raises(OpenAPIError):
        API.validate_response(MockRequest(HOST, method, path), response)


def test_the_good_shapes_pass() -> None:
    """The same objects, unbroken, are accepted: the refusals above are the breakage's doing."""
    API.validate_request(_post("/reports", _report()))
    API.validate_request(
        _post(
            "/auth/token",
            b"grant_type=client_credentials&client_id=ven-client&client_secret=s",
            FORM,
        )
    )
    API.validate_request(_get("/events", programID="kanto-dr", skip="50", limit="50"))
    for path, body in (("/events", [EVENT]), ("/programs", [PROGRAM])):
        API.validate_response(MockRequest(HOST, "get", path), _answer(path, body)[1])
