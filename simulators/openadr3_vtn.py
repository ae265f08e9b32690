"""A small OpenADR 3 VTN on aiohttp, for tests and for scripts/develop (not shipped).

It serves the parts of the 3.1.1 API a VEN uses: /auth/server, /auth/token
(client credentials), /programs and /events (with skip/limit paging and a
programID filter) and POST /reports. Faults on command: revoke every token
(the next request gets 401), answer the next request with 500.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
import secrets
from typing import Any

from aiohttp import web

PAGE_LIMIT = 50


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
    if not request.path.startswith("/auth/"):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in state.tokens:
            return _problem(401, "unauthorized")
    response: web.StreamResponse = await handler(request)
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


def _page(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    skip = int(request.query.get("skip", "0"))
    limit = min(int(request.query.get("limit", str(PAGE_LIMIT))), PAGE_LIMIT)
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
    body = await request.json()
    if not isinstance(body, dict) or not {"eventID", "clientName", "resources"} <= body.keys():
        return _problem(400, "a report needs eventID, clientName and resources")
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
