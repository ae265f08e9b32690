"""The VEN's requests and the simulated VTN's answers, checked against the OpenADR 3.1 OpenAPI definition.

Every exchange between `Openadr3Client` and `simulators.openadr3_vtn` (with
its notifier routes) is captured by a middleware on the simulator's side,
over real HTTP on loopback, and validated with openapi-core against
tests/specs/openadr3/openadr3.yaml (a copy of the 3.1.0 definition): the
request (path, query, body) and the answer (status, body). A report missing a required field is shown
to be refused, so the check can fail.

The definition has two defects, worked around here and nowhere else:
- its own validator rejects it (line 2009, `default: null          -` in
  BlVenRequest.targets), so it is loaded without the definition check;
- a ven (allOf objectMetadata and BlVenRequest) must have objectType both in
  [PROGRAM, EVENT, REPORT, SUBSCRIPTION, VEN, RESOURCE] and equal to
  BL_VEN_REQUEST, which nothing can; VEN is added to BlVenRequest's values.
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

from custom_components.denki.lib.openadr import Openadr3Client
from custom_components.denki.lib.openadr.notifier import mqtt_binding
from custom_components.denki.lib.openadr.reports import report_object
from simulators.openadr3_notifier import add_notifier_routes
from simulators.openadr3_vtn import VtnState, make_app

SPEC_FILE = Path(__file__).parents[2] / "specs" / "openadr3" / "openadr3.yaml"
"""OpenADR 3.1.0's OpenAPI definition, copied into the repository (Apache 2.0: LICENSE, NOTICE)."""


@dataclass
class Exchange:
    """One request and its answer, as they crossed the wire."""

    method: str
    path: str
    query: dict[str, str]
    request_type: str
    request_body: bytes
    status: int
    response_type: str
    response_body: bytes


def _api() -> OpenAPI:
    spec = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "http://vtn.test"}]
    schemas = spec["components"]["schemas"]
    schemas["BlVenRequest"]["properties"]["objectType"]["enum"].append("VEN")
    return OpenAPI(SchemaPath.from_dict(spec), config=Config(spec_validator_cls=None))


API = _api()

EVENT = {
    "id": "ev-1",
    "programID": "kanto-dr",
    "eventName": "evening peak",
    "createdDateTime": "2026-11-23T06:00:00Z",
    "modificationDateTime": "2026-11-23T06:00:00Z",
    "objectType": "EVENT",
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
PROGRAM = {
    "id": "kanto-dr",
    "createdDateTime": "2026-11-01T00:00:00Z",
    "modificationDateTime": "2026-11-01T00:00:00Z",
    "objectType": "PROGRAM",
    "programName": "Kanto DR",
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
                "intervalPeriod": {"start": "2026-11-23T08:05:00Z"},
                "intervals": [{"id": 0, "payloads": [{"type": "DEMAND", "values": [1.2]}]}],
            }
        ],
    }
    report.update(overrides)
    return report


@pytest.fixture
async def exchanges(socket_enabled: None) -> AsyncIterator[tuple[list[Exchange], str]]:
    """The simulator on loopback, recording every exchange."""
    recorded: list[Exchange] = []

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        body = await request.read()
        response = await handler(request)
        assert isinstance(response, web.Response)
        recorded.append(
            Exchange(
                request.method,
                request.path,
                dict(request.query),
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
    yield recorded, str(server.make_url("")).rstrip("/")
    await server.close()


def _validate(exchange: Exchange) -> None:
    request = MockRequest(
        "http://vtn.test",
        exchange.method.lower(),
        exchange.path,
        args=exchange.query,
        data=exchange.request_body or None,
        content_type=exchange.request_type or "application/json",
    )
    API.validate_request(request)
    response = MockResponse(
        exchange.response_body, status_code=exchange.status, content_type=exchange.response_type
    )
    API.validate_response(request, response)


async def test_every_exchange_of_a_ven_session_follows_the_definition(
    exchanges: tuple[list[Exchange], str],
) -> None:
    recorded, base = exchanges
    async with aiohttp.ClientSession() as session:
        client = Openadr3Client(session, base, "ven-client", "ven-secret")
        assert [p["id"] for p in await client.programs()] == ["kanto-dr"]
        events = await client.events(datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "kanto-dr")
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
    for exchange in recorded:
        _validate(exchange)


async def test_errors_are_problem_objects(exchanges: tuple[list[Exchange], str]) -> None:
    recorded, base = exchanges
    async with aiohttp.ClientSession() as session, session.get(f"{base}/events") as response:
        assert response.status == 401  # no token
    (exchange,) = recorded
    _validate(exchange)


def test_the_check_can_fail() -> None:
    """A report without its required eventID, and an event payload that is not a list, are refused."""
    bad = MockRequest(
        "http://vtn.test",
        "post",
        "/reports",
        data=json.dumps(_report(eventID=None)).encode(),
        content_type="application/json",
    )
    with pytest.raises(OpenAPIError):
        API.validate_request(bad)
    missing = {k: v for k, v in _report().items() if k != "clientName"}
    with pytest.raises(OpenAPIError):
        API.validate_request(
            MockRequest(
                "http://vtn.test",
                "post",
                "/reports",
                data=json.dumps(missing).encode(),
                content_type="application/json",
            )
        )
    broken_event = {
        **EVENT,
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": 2}]}],
    }
    request = MockRequest("http://vtn.test", "get", "/events")
    with pytest.raises(OpenAPIError):
        API.validate_response(
            request,
            MockResponse(
                json.dumps([broken_event]).encode(),
                status_code=200,
                content_type="application/json",
            ),
        )
