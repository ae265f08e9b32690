"""An OpenADR 3 VEN client: OAuth2 client credentials, events, reports (REST).

The aiohttp session is the caller's (Home Assistant's shared one), and TLS
is verified unless the caller passes an SSL context of its own. The token
endpoint is the one given, else the one GET /auth/server names (OpenADR 3.1
definition, /auth/server: "an optional endpoint"); a token is reused until a
minute before it expires, and a 401 fetches a new one once before the error
is reported as an authentication failure (which the Home Assistant half
turns into a re-authentication flow).

Client authentication at the token endpoint: the OpenADR 3.1 definition's
clientCredentialRequest puts client_id and client_secret in the form body,
while RFC 6749 section 2.3.1 says a server MUST support HTTP Basic and some
accept only that. The body is tried first (what the definition asks for),
Basic when the server answers 400 or 401 about the client; whichever worked
is remembered and tried first from then on (`token_info` tells which).

A 4xx answer other than 401 is a verdict on that request
(`OpenadrRefusedError`, with the VTN's own reason from its problem object,
RFC 9457 / the definition's `problem` schema); 5xx, 408, 429 and network
errors are `OpenadrConnectionError`, worth retrying later.
"""

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json as jsonlib
import logging
import ssl
import time
from typing import Any, Literal
from urllib.parse import quote_plus

import aiohttp

from ..dr import DrEvent, EventError, event_from_openadr3
from .filters import event_ignored, resolve_program
from .reports import opt_out_record, report_object

_LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 50  # the most /events returns at once
TOKEN_MARGIN = 60.0
REQUEST_TIMEOUT = 30.0


class OpenadrError(Exception):
    """Base of the OpenADR client's errors."""


class OpenadrAuthError(OpenadrError):
    """The VTN refused the client ID and secret (or the token they gave)."""


class OpenadrConnectionError(OpenadrError):
    """The VTN could not be reached, or answered with a server error (worth retrying)."""


class OpenadrRefusedError(OpenadrError):
    """The VTN refused this request with a 4xx (other than 401): retrying it will not help."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        """Keep the status and the VTN's own reason."""
        super().__init__(f"the VTN answered {method} {path} with {status}: {reason}")
        self.status = status
        self.reason = reason


class OpenadrForbiddenError(OpenadrAuthError, OpenadrRefusedError):
    """403: the credentials do not allow this request (an auth error and a verdict)."""


ClientAuth = Literal["form", "basic"]
RETRYABLE_4XX = frozenset({408, 429})
"""Request Timeout (RFC 9110 section 15.5.9) and Too Many Requests (RFC 6585 section 4)."""


def problem_reason(body: Any) -> str:
    """The reason text of an error answer.

    A problem object's title and detail (the definition's `problem`, RFC
    9457), an OAuth 2 error with its description (RFC 6749 section 5.2), or
    the start of a plain text.
    """
    if isinstance(body, dict):
        parts = [
            str(body[key])
            for key in ("title", "detail", "error", "error_description")
            if isinstance(body.get(key), (str, int)) and str(body[key]).strip()
        ]
        if parts:
            return ": ".join(dict.fromkeys(parts))
        return jsonlib.dumps(body)[:300]
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return "no reason given"


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """How the access token was obtained (for diagnostics and the probe; no secrets)."""

    token_url: str
    token_url_from: Literal["configured", "/auth/server"]
    client_auth: ClientAuth
    scope_requested: str | None
    scope_granted: str | list[str] | None
    expires_in: float | None
    token_type: str | None
    attempts: tuple[str, ...]
    obtained_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "token_url": self.token_url,
            "token_url_from": self.token_url_from,
            "client_auth": self.client_auth,
            "scope_requested": self.scope_requested,
            "scope_granted": self.scope_granted,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
            "attempts": list(self.attempts),
            "obtained_at": self.obtained_at.isoformat(),
        }


@dataclass(slots=True)
class EventsResult:
    """Events the VTN returned, those that could not be read, and those not for this VEN.

    `ignored` maps an event id to why it is not acted on (another program,
    targets not granted to this VEN): the VTN sent it, the VEN filters it.
    """

    events: list[DrEvent] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)


class Openadr3Client:
    """A VEN's view of one VTN."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        scope: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        client_auth: ClientAuth | None = None,
    ) -> None:
        """Prepare; nothing is sent until the first request. The secret is never logged.

        An empty `client_id` is a public VTN that needs no credentials: no
        token is asked for and requests carry no Authorization header (a 401
        then means the VTN does need them).

        `token_url`: the OAuth 2 token endpoint; None to ask GET /auth/server.
        `scope`: sent as the token request's scope when given.
        `client_auth`: "form" or "basic" to try that first (one remembered earlier).
        """
        self._session = session
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url or None
        self._token_url_from: Literal["configured", "/auth/server"] = "configured"  # noqa: S105
        self._scope = scope or None
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()
        self._client_auth: ClientAuth | None = client_auth
        self.token_info: TokenInfo | None = None
        """How the current token was obtained; None before the first one."""

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Status and body (parsed JSON; the text of an error answer that is not JSON)."""
        try:
            async with self._session.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json,
                data=data,
                ssl=self._ssl,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                if response.status >= 500 or response.status in RETRYABLE_4XX:
                    raise OpenadrConnectionError(
                        f"the VTN answered {method} {url} with {response.status}"
                    )
                text = await response.text(errors="replace")
                if not text.strip():
                    return response.status, None
                try:
                    return response.status, jsonlib.loads(text)
                except ValueError:
                    if 200 <= response.status < 300:
                        raise OpenadrConnectionError(
                            f"the VTN's answer to {method} {url} is not JSON"
                        ) from None
                    return response.status, text
        except (aiohttp.ClientError, TimeoutError) as err:
            raise OpenadrConnectionError(f"cannot reach the VTN at {url}: {err}") from err

    async def _find_token_url(self) -> str:
        if self._token_url is not None:
            return self._token_url
        status, body = await self._send("GET", f"{self._base}/auth/server")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("tokenURL"), str):
            raise OpenadrConnectionError(
                "the VTN does not say where its token endpoint is (GET /auth/server answered "
                f"{status}); configure the token URL"
            )
        self._token_url = str(body["tokenURL"])
        self._token_url_from = "/auth/server"  # noqa: S105
        return self._token_url

    def _token_request(self, how: ClientAuth) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and form of a client-credentials request (RFC 6749 section 4.4.2)."""
        form = {"grant_type": "client_credentials"}
        headers: dict[str, str] = {}
        if how == "basic":
            # RFC 6749 section 2.3.1: both form-urlencoded, then HTTP Basic (RFC 7617).
            pair = f"{quote_plus(self._client_id)}:{quote_plus(self._client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
        if self._scope:
            form["scope"] = self._scope
        return headers, form

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token.expires_at - TOKEN_MARGIN > time.monotonic():
                return self._token.value
            token_url = await self._find_token_url()
            first: ClientAuth = self._client_auth or "form"
            order: tuple[ClientAuth, ...] = (first, "basic" if first == "form" else "form")
            attempts: list[str] = []
            for how in order:
                headers, form = self._token_request(how)
                status, body = await self._send("POST", token_url, headers=headers, data=form)
                attempts.append(f"{how}: {status}")
                if status == 200:
                    break
                error = body.get("error") if isinstance(body, dict) else None
                # 400/401 about the client (invalid_client, or a body without client_id that
                # the server reads as invalid_request): the other way may be the one it takes.
                if status in (400, 401) and error in (None, "invalid_client", "invalid_request"):
                    continue
                break
            if status in (400, 401, 403):
                raise OpenadrAuthError(
                    f"the token endpoint refused the client ID and secret ({status}: "
                    f"{problem_reason(body)}; tried {', '.join(attempts)})"
                )
            if (
                status != 200
                or not isinstance(body, dict)
                or not isinstance(body.get("access_token"), str)
            ):
                raise OpenadrConnectionError(
                    f"the token endpoint answered {status} without a token"
                )
            self._client_auth = how
            lifetime = body.get("expires_in")
            seconds = float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0
            self._token = _Token(body["access_token"], time.monotonic() + seconds)
            granted = body.get("scope")
            self.token_info = TokenInfo(
                token_url=token_url,
                token_url_from=self._token_url_from,
                client_auth=how,
                scope_requested=self._scope,
                scope_granted=granted if isinstance(granted, (str, list)) else None,
                expires_in=float(lifetime) if isinstance(lifetime, (int, float)) else None,
                token_type=body.get("token_type")
                if isinstance(body.get("token_type"), str)
                else None,
                attempts=tuple(attempts),
                obtained_at=datetime.now(UTC),
            )
            _LOGGER.debug("Token from %s by %s (%s)", token_url, how, ", ".join(attempts))
            return self._token.value

    @property
    def client_auth(self) -> ClientAuth | None:
        """How the token endpoint took the credentials ("form" or "basic"), once known."""
        return self._client_auth

    async def _api(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> Any:
        for attempt in (1, 2):
            headers = {}
            if not self.anonymous:
                headers["Authorization"] = f"Bearer {await self._access_token()}"
            status, body = await self._send(
                method, f"{self._base}{path}", headers=headers, params=params, json=json
            )
            if status == 401 and attempt == 1 and not self.anonymous:
                self._token = None  # expired or revoked early: fetch a new one once
                continue
            if status == 401:
                needs = " without credentials: it needs a client ID and secret" * self.anonymous
                raise OpenadrAuthError(f"the VTN refused {method} {path} (401){needs}")
            if status == 403:
                raise OpenadrForbiddenError(method, path, status, problem_reason(body))
            if 400 <= status < 500:
                raise OpenadrRefusedError(method, path, status, problem_reason(body))
            if not 200 <= status < 300:
                raise OpenadrError(f"the VTN answered {method} {path} with {status}")
            return body
        raise OpenadrAuthError("the VTN refused a fresh token")  # pragma: no cover

    async def programs(self) -> list[dict[str, Any]]:
        """Every program the VEN may see."""
        return await self._paged("/programs", {})

    async def program_id(self, wanted: str) -> str | None:
        """The id of the program `wanted` names (by id, else by programName), if the VEN sees it."""
        return resolve_program(await self.programs(), wanted)

    async def _paged(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = await self._api(
                "GET", path, params={**params, "skip": str(len(items)), "limit": str(PAGE_SIZE)}
            )
            if not isinstance(page, list):
                raise OpenadrError(f"the VTN's answer to GET {path} is not a list")
            items.extend(item for item in page if isinstance(item, dict))
            if len(page) < PAGE_SIZE:
                return items

    async def events(
        self,
        received: datetime,
        program_id: str | None = None,
        *,
        ven_targets: list[str] | None = None,
    ) -> EventsResult:
        """Every current event for this VEN, as DrEvents; unreadable ones set aside with why.

        The program filter is sent as programID and enforced here too (a VTN
        may answer with every program's events, as the reference VTN does):
        events of another program land in `ignored`. With `ven_targets`
        (this VEN's targets, `ven()["targets"]`), an event whose targets
        none of them match is ignored as well (see `filters.event_ignored`).
        """
        raw = await self._paged("/events", {"programID": program_id} if program_id else {})
        result = EventsResult()
        for obj in raw:
            why = event_ignored(obj, program_id, ven_targets)
            if why is not None:
                result.ignored[str(obj.get("id"))] = why
                continue
            try:
                result.events.append(event_from_openadr3(obj, received))
            except EventError as err:
                result.refused[str(obj.get("id"))] = str(err)
        if result.refused:
            _LOGGER.warning(
                "Set aside %s event(s) the VTN sent: %s", len(result.refused), result.refused
            )
        if result.ignored:
            _LOGGER.debug(
                "Ignored %s event(s) not for this VEN: %s", len(result.ignored), result.ignored
            )
        return result

    async def ven(self) -> dict[str, Any] | None:
        """This VEN's ven object on the VTN (a VEN sees its own only), if it has one."""
        vens = await self._paged("/vens", {})
        own = [ven for ven in vens if ven.get("clientID") in (None, self._client_id)]
        return (own or vens)[0] if own or vens else None

    async def ven_id(self) -> str | None:
        """This VEN's id on the VTN, if it has one."""
        ven = await self.ven()
        return None if ven is None or ven.get("id") is None else str(ven["id"])

    async def notifiers(self) -> dict[str, Any]:
        """The notifier bindings the VTN offers (GET /notifiers); {} if it has no such endpoint."""
        try:
            body = await self._api("GET", "/notifiers")
        except OpenadrAuthError:
            raise
        except OpenadrConnectionError:
            raise
        except OpenadrError:
            return {}  # a 3.0 VTN: webhooks only, so REST polling it is
        return body if isinstance(body, dict) else {}

    async def mqtt_topics(self, path: str) -> dict[str, str] | None:
        """A topic-name endpoint's topics (operation -> topic), binding section 8.

        `path` follows /notifiers/mqtt/topics/, e.g. "vens/{venID}/events" or
        "programs/{programID}/events". None when the VTN refuses it (a VEN may
        not read BL-only topics, section 9.3) or answers with something that is
        not a topic map (section 8.1 / notifierOperationsTopics).
        """
        try:
            body = await self._api("GET", f"/notifiers/mqtt/topics/{path}")
        except OpenadrRefusedError as err:
            _LOGGER.debug("No MQTT topics at %s: %s", path, err)
            return None
        topics = body.get("topics") if isinstance(body, dict) else None
        if not isinstance(topics, dict):
            _LOGGER.debug("The VTN's MQTT topics at %s are not a topic map: %r", path, body)
            return None
        valid = {
            str(op).upper(): topic
            for op, topic in topics.items()
            if isinstance(topic, str) and topic and str(op).upper() in _OPERATIONS
        }
        return valid or None

    async def mqtt_event_topics(self, ven_id: str) -> dict[str, str]:
        """The VEN-scoped MQTT topics of events (operation -> topic)."""
        topics = await self.mqtt_topics(f"vens/{ven_id}/events")
        if topics is None:
            raise OpenadrError("the VTN's MQTT event topics are not a map of names")
        return topics

    async def access_token(self) -> str:
        """A valid token (for a broker that takes it as its password); "" without credentials."""
        return "" if self.anonymous else await self._access_token()

    @property
    def anonymous(self) -> bool:
        """Whether this VEN talks to a public VTN without credentials (no client ID)."""
        return not self._client_id

    @property
    def client_id(self) -> str:
        """The OAuth 2 client ID."""
        return self._client_id

    async def post_report(self, report: Mapping[str, Any]) -> dict[str, Any]:
        """Create a report on the VTN; return it as stored.

        `OpenadrRefusedError` (with the VTN's reason) when the VTN refuses
        this report; `OpenadrConnectionError` when it may be sent later.
        """
        body = await self._api("POST", "/reports", json=dict(report))
        if not isinstance(body, dict):
            raise OpenadrConnectionError("the VTN's answer to POST /reports is not an object")
        return body

    async def opt_out(
        self,
        event: DrEvent,
        client_name: str,
        *,
        at: datetime | None = None,
        consuming: bool = True,
        resource_name: str = "home",
    ) -> dict[str, Any]:
        """Tell the VTN this VEN opted out of `event`, by an OPERATING_STATE report.

        The report says RUNNING_OPTED_OUT (IDLE_OPTED_OUT when the home draws
        nothing significant), on the event's eventID and programID.

        Why a report: OpenADR 3.1 has no opt message (2.0b's oadrCreatedEvent
        optOut/oadrCreateOpt are gone). The User Guide's event and report
        scenarios (sections 6.5, 6.6, 7.5) have the VEN answer an event only
        through reports tied to its eventID, and the one state a VEN can
        report for "the household left" is the OPERATING_STATE report payload
        (enumerations/report-payloads.schema.yaml: IDLE_OPTED_OUT /
        RUNNING_OPTED_OUT, from CTA-2045, which section 8.11 maps onto
        OpenADR 3). A ven or resource attribute would be standing, not per
        event (section 6.7 and ven-resource-attributes has no opt entry), and a
        subscription only changes what the VEN hears. So: one report on the
        event, then no more reports for it (the caller stops queuing them).
        For a durable send, queue `reports.opt_out_record(...)` in the outbox
        instead; this method posts at once and raises like `post_report`.
        """
        record = opt_out_record(
            event.event_id, event.program_id, at or datetime.now(UTC), consuming
        )
        return await self.post_report(
            report_object(
                f"opt-out-{event.event_id}", 0, record, client_name, resource_name=resource_name
            )
        )


_OPERATIONS = frozenset({"CREATE", "UPDATE", "DELETE", "ALL"})
