"""A small OpenADR 3 VTN on aiohttp, for tests and for scripts/develop (not shipped).

It serves the parts of the 3.1.0 API a VEN uses: /auth/server, /auth/token
(client credentials), /programs and /events (with skip/limit paging and a
programID filter) and POST /reports. Faults on command: revoke every token
(the next request gets 401), answer the next request with 500.

Every error is a problem object (application/json), as the OpenAPI
definition has it: a bad query parameter or report body is a 400, not an
unhandled exception's text/plain 500, and an unknown path or method is a
404 or 405 problem too.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import secrets
from typing import Any

from aiohttp import web

PAGE_LIMIT = 50  # the definition's maximum for `limit`


@dataclass
class VtnState:
    """What the VTN knows and how it should misbehave."""

    client_id: str = "ven-client"
    client_secret: str = "ven-secret"  # noqa: S105 - the simulator's test secret
    token_lifetime: int = 3600
    programs: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    fail_next: int = 0
    public: bool = False
    """Answer without a token: a public VTN that needs no credentials (issue 20, item 7)."""

    def revoke_tokens(self) -> None:
        """Every issued token stops working."""
        self.tokens.clear()


STATE: web.AppKey[VtnState] = web.AppKey("state", VtnState)


def _problem(status: int, title: str) -> web.Response:
    return web.json_response({"title": title, "status": status}, status=status)


@web.middleware
async def _faults(request: web.Request, handler: Any) -> web.StreamResponse:
    state = request.app[STATE]
    if state.fail_next:
        state.fail_next -= 1
        return _problem(500, "simulated failure")
    if not request.path.startswith("/auth/") and not state.public:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in state.tokens:
            return _problem(401, "unauthorized")
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as err:  # aiohttp's own 404/405 are text/plain
        if err.status < 400:
            raise
        return _problem(err.status, err.reason)
    return response


async def _auth_server(request: web.Request) -> web.Response:
    return web.json_response(
        {"tokenURL": str(request.url.with_path("/auth/token").with_query(None))}
    )


async def _auth_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.token_requests += 1
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return _problem(400, "unsupported grant type")
    if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
        return _problem(401, "bad client credentials")
    token = secrets.token_hex(16)
    state.tokens.add(token)
    return web.json_response(
        {"access_token": token, "token_type": "Bearer", "expires_in": state.token_lifetime}
    )


def _count(request: web.Request, name: str, default: int, maximum: int | None) -> int | None:
    """A query parameter that must be an integer in [0, maximum]; None if it is not."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    if value < 0 or (maximum is not None and value > maximum):
        return None
    return value


def _page(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    skip = _count(request, "skip", 0, None)
    limit = _count(request, "limit", PAGE_LIMIT, PAGE_LIMIT)
    if skip is None or limit is None:
        return _problem(400, f"skip must be an integer >= 0, limit one in 0..{PAGE_LIMIT}")
    return web.json_response(items[skip : skip + limit])


async def _programs(request: web.Request) -> web.Response:
    return _page(request, request.app[STATE].programs)


async def _events(request: web.Request) -> web.Response:
    events = request.app[STATE].events
    if program := request.query.get("programID"):
        events = [e for e in events if e.get("programID") == program]
    return _page(request, events)


async def _post_report(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return _problem(400, "a report is a JSON object")
    if (
        not isinstance(body, dict)
        or not {"eventID", "clientName", "resources"} <= body.keys()
        or not isinstance(body["resources"], list)
    ):
        return _problem(400, "a report needs eventID, clientName and a list of resources")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    # The server's own fields (objectMetadata and clientID): the one client it knows.
    stored = {
        **body,
        "id": f"report-{len(state.reports) + 1}",
        "objectType": "REPORT",
        "createdDateTime": now,
        "modificationDateTime": now,
        "clientID": state.client_id,
    }
    state.reports.append(stored)
    return web.json_response(stored, status=201)


def make_app(state: VtnState) -> web.Application:
    """The VTN as an aiohttp application."""
    app = web.Application(middlewares=[_faults])
    app[STATE] = state
    app.router.add_get("/auth/server", _auth_server)
    app.router.add_post("/auth/token", _auth_token)
    app.router.add_get("/programs", _programs)
    app.router.add_get("/events", _events)
    app.router.add_post("/reports", _post_report)
    return app
