"""An OpenADR 3 VEN client: OAuth2 client credentials, events, reports (REST).

The aiohttp session is the caller's (Home Assistant's shared one), and TLS
is verified unless the caller passes an SSL context of its own. The token
endpoint is found through GET /auth/server unless given; a token is reused
until a minute before it expires, and a 401 fetches a new one once before
the error is reported as an authentication failure (which the Home
Assistant half turns into a re-authentication flow).
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import logging
import ssl
import time
from typing import Any

import aiohttp

from ..dr import DrEvent, EventError, event_from_openadr3

_LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 50  # the most /events returns at once
TOKEN_MARGIN = 60.0
REQUEST_TIMEOUT = 30.0


class OpenadrError(Exception):
    """Base of the OpenADR client's errors."""


class OpenadrAuthError(OpenadrError):
    """The VTN refused the client ID and secret (or the token they gave)."""


class OpenadrConnectionError(OpenadrError):
    """The VTN could not be reached, or answered with a server error."""


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float


@dataclass(slots=True)
class EventsResult:
    """Events the VTN returned, and those that could not be read, with why."""

    events: list[DrEvent] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


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
    ) -> None:
        """Prepare; nothing is sent until the first request. The secret is never logged."""
        self._session = session
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._scope = scope
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

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
                if response.status >= 500:
                    raise OpenadrConnectionError(
                        f"the VTN answered {method} {url} with {response.status}"
                    )
                body = (
                    await response.json(content_type=None) if response.content_length != 0 else None
                )
                return response.status, body
        except (aiohttp.ClientError, TimeoutError) as err:
            raise OpenadrConnectionError(f"cannot reach the VTN at {url}: {err}") from err
        except ValueError as err:
            raise OpenadrConnectionError(f"the VTN's answer to {method} {url} is not JSON") from err

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token.expires_at - TOKEN_MARGIN > time.monotonic():
                return self._token.value
            if self._token_url is None:
                status, body = await self._send("GET", f"{self._base}/auth/server")
                if (
                    status != 200
                    or not isinstance(body, dict)
                    or not isinstance(body.get("tokenURL"), str)
                ):
                    raise OpenadrConnectionError("the VTN does not say where its token endpoint is")
                self._token_url = body["tokenURL"]
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }
            if self._scope:
                form["scope"] = self._scope
            status, body = await self._send("POST", self._token_url, data=form)
            if status in (400, 401, 403):
                raise OpenadrAuthError("the VTN refused the client ID and secret")
            if (
                status != 200
                or not isinstance(body, dict)
                or not isinstance(body.get("access_token"), str)
            ):
                raise OpenadrConnectionError(
                    f"the token endpoint answered {status} without a token"
                )
            lifetime = body.get("expires_in")
            seconds = float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0
            self._token = _Token(body["access_token"], time.monotonic() + seconds)
            return self._token.value

    async def _api(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> Any:
        for attempt in (1, 2):
            token = await self._access_token()
            status, body = await self._send(
                method,
                f"{self._base}{path}",
                headers={"Authorization": f"Bearer {token}"},
                params=params,
                json=json,
            )
            if status == 401 and attempt == 1:
                self._token = None  # expired or revoked early: fetch a new one once
                continue
            if status in (401, 403):
                raise OpenadrAuthError(f"the VTN refused {method} {path} ({status})")
            if not 200 <= status < 300:
                raise OpenadrError(f"the VTN answered {method} {path} with {status}")
            return body
        raise OpenadrAuthError("the VTN refused a fresh token")  # pragma: no cover

    async def programs(self) -> list[dict[str, Any]]:
        """Every program the VEN may see."""
        return await self._paged("/programs", {})

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

    async def events(self, received: datetime, program_id: str | None = None) -> EventsResult:
        """Every current event, as DrEvents; unreadable ones are set aside with why."""
        raw = await self._paged("/events", {"programID": program_id} if program_id else {})
        result = EventsResult()
        for obj in raw:
            try:
                result.events.append(event_from_openadr3(obj, received))
            except EventError as err:
                result.refused[str(obj.get("id"))] = str(err)
        if result.refused:
            _LOGGER.warning(
                "Set aside %s event(s) the VTN sent: %s", len(result.refused), result.refused
            )
        return result

    async def ven_id(self) -> str | None:
        """This VEN's id on the VTN (a VEN sees its own ven object only), if it has one."""
        vens = await self._paged("/vens", {})
        ids = [str(ven["id"]) for ven in vens if ven.get("id") is not None]
        return ids[0] if ids else None

    async def notifiers(self) -> dict[str, Any]:
        """The notifier bindings the VTN offers (GET /notifiers); {} if it has no such endpoint."""
        try:
            body = await self._api("GET", "/notifiers")
        except OpenadrAuthError:
            raise
        except OpenadrError:
            return {}  # a 3.0 VTN: webhooks only, so REST polling it is
        return body if isinstance(body, dict) else {}

    async def mqtt_event_topics(self, ven_id: str) -> dict[str, str]:
        """The VEN-scoped MQTT topics of events (operation -> topic)."""
        body = await self._api("GET", f"/notifiers/mqtt/topics/vens/{ven_id}/events")
        topics = body.get("topics") if isinstance(body, dict) else None
        if not isinstance(topics, dict) or not all(isinstance(t, str) for t in topics.values()):
            raise OpenadrError("the VTN's MQTT event topics are not a map of names")
        return {str(op): str(topic) for op, topic in topics.items()}

    async def access_token(self) -> str:
        """A valid token (for a broker that takes it as its password)."""
        return await self._access_token()

    @property
    def client_id(self) -> str:
        """The OAuth 2 client ID."""
        return self._client_id

    async def post_report(self, report: Mapping[str, Any]) -> dict[str, Any]:
        """Create a report on the VTN; return it as stored."""
        body = await self._api("POST", "/reports", json=dict(report))
        if not isinstance(body, dict):
            raise OpenadrError("the VTN's answer to POST /reports is not an object")
        return body
