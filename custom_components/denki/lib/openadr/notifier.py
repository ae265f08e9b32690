"""OpenADR 3.1 notifications over MQTT: events pushed by the VTN's broker, REST as the fallback.

Following "OpenADR 3 Object Operation Notifications via Additional
Protocols" (MQTT binding): GET /notifiers says whether the VTN has an MQTT
broker, where (URIS) and how to log in (ANONYMOUS, or OAUTH2_BEARER_TOKEN:
the access token as the password, the username fixed or "{clientID}";
section 12). The topics are the VTN's to name (section 22.2), asked in this
order (section 8.2), every one that answers with a topic map being used:
- GET /notifiers/mqtt/topics/vens/{venID}/events, this VEN's own topics
  (section 9.2);
- GET /notifiers/mqtt/topics/programs/{programID}/events for the configured
  program (program-scoped, open to VENs, section 9.3);
- GET /notifiers/mqtt/topics/events, all events (BL-only per section 9.3, so
  usually refused to a VEN; used when the VTN grants it).
`select_topics` keeps an "ALL" topic alone when it is a wildcard covering the
operations (section 8.1), and subscribes to CREATE, UPDATE and DELETE as well
otherwise (the reference VTN names "…/all", where it never publishes).
Events from the wider topics are filtered by program and targets
(`filters.event_ignored`, section 22.5).

Each message is a notification object (objectType, operation, object), the
object being the event as GET /events returns it (section 16); keys in
snake_case, as the reference VTN publishes them, are read as the camelCase
of the definition (`camel_keys`).

Notifications are a speed-up, not the source of truth: the binding's own
advice (section 16.2) is to GET the objects on (re)connection, which the
caller does by polling REST, less often while the broker is connected.
CERTIFICATE (mutual TLS) brokers are not supported yet: `mqtt_binding`
returns None for them and the caller keeps polling.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
import json
import logging
import ssl
import time
from typing import Any
from urllib.parse import urlparse

import aiomqtt

from .client import Openadr3Client, OpenadrError
from .filters import event_ignored, ven_targets

_LOGGER = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 300.0
MAX_MESSAGE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class MqttBinding:
    """Where the VTN's broker is, how to log in, and this VEN's event topics."""

    host: str
    port: int
    tls: bool
    method: str
    username: str | None
    topics: tuple[str, ...]
    program_id: str | None = None
    """Events of other programs pushed on these topics are dropped."""
    ven_targets: tuple[str, ...] | None = None
    """This VEN's targets; pushed events targeted elsewhere are dropped (None: not checked)."""
    sources: tuple[str, ...] = ()
    """Which topic endpoints the topics came from ("vens/1/events", "programs/0/events", …)."""


class NotificationError(ValueError):
    """A message on the broker that is not an event notification Denki can use."""


def _broker(uris: Any) -> tuple[str, int, bool] | None:
    """The first mqtt:// or mqtts:// URI (TLS preferred) as host, port and TLS."""
    if not isinstance(uris, list):
        return None
    parsed = [urlparse(uri) for uri in uris if isinstance(uri, str)]
    usable = [uri for uri in parsed if uri.scheme in ("mqtt", "mqtts") and uri.hostname]
    usable.sort(key=lambda uri: uri.scheme != "mqtts")
    if not usable:
        return None
    uri = usable[0]
    tls = uri.scheme == "mqtts"
    return str(uri.hostname), uri.port or (8883 if tls else 1883), tls


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Whether an MQTT topic filter (with + and # wildcards) matches a topic name (MQTT 4.7)."""
    filter_levels = topic_filter.split("/")
    levels = topic.split("/")
    for index, part in enumerate(filter_levels):
        if part == "#":
            return True
        if index >= len(levels) or (part != "+" and part != levels[index]):
            return False
    return len(filter_levels) == len(levels)


def select_topics(*topic_maps: Mapping[str, str] | None) -> tuple[str, ...]:
    """The topic filters to subscribe to, from topic maps (operation -> topic; section 8.1).

    Every CREATE, UPDATE, DELETE and ALL topic of every map, minus those
    another chosen filter already matches: an ALL wildcard ("events/+")
    stands alone, an ALL without a wildcard is taken beside the others.
    """
    chosen: list[str] = []
    for topics in topic_maps:
        for op in ("ALL", "CREATE", "UPDATE", "DELETE"):
            topic = (topics or {}).get(op)
            if isinstance(topic, str) and topic and topic not in chosen:
                chosen.append(topic)
    return tuple(
        topic
        for topic in chosen
        if not any(other != topic and topic_matches(other, topic) for other in chosen)
    )


async def mqtt_binding(client: Openadr3Client, program_id: str | None = None) -> MqttBinding | None:
    """The VTN's MQTT binding for this VEN, or None when there is none Denki can use.

    `program_id` (the configured program's id) adds the program's event
    topics and makes the listener drop other programs' events.
    """
    notifiers = await client.notifiers()
    mqtt = notifiers.get("MQTT")
    if not isinstance(mqtt, dict) or (mqtt.get("serialization") or "JSON") != "JSON":
        return None
    broker = _broker(mqtt.get("URIS"))
    auth = mqtt.get("authentication") or {}
    method = auth.get("method") if isinstance(auth, dict) else None
    if broker is None or method not in ("ANONYMOUS", "OAUTH2_BEARER_TOKEN"):
        _LOGGER.info("The VTN's MQTT notifier is not usable here (%s); polling instead", method)
        return None
    username: str | None = None
    if method == "OAUTH2_BEARER_TOKEN":
        fixed = auth.get("username")
        username = client.client_id if fixed in (None, "{clientID}") else str(fixed)
    ven = await client.ven()
    ven_id = None if ven is None or ven.get("id") is None else str(ven["id"])
    paths = [f"vens/{ven_id}/events"] if ven_id is not None else []
    if program_id:
        paths.append(f"programs/{program_id}/events")
    paths.append("events")
    found: list[tuple[str, dict[str, str]]] = []
    for path in paths:
        topics = await client.mqtt_topics(path)
        if topics is not None:
            found.append((path, topics))
    wanted = select_topics(*(topics for _, topics in found))
    if not wanted:
        _LOGGER.info("The VTN names no MQTT event topics this VEN may use; polling instead")
        return None
    host, port, tls = broker
    targets = ven_targets(ven)
    return MqttBinding(
        host,
        port,
        tls,
        method,
        username,
        wanted,
        program_id=program_id or None,
        ven_targets=None if targets is None else tuple(targets),
        sources=tuple(path for path, _ in found),
    )


def _camel(key: str) -> str:
    """program_id -> programID, interval_period -> intervalPeriod, token_url -> tokenURL."""
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    words = [head] + [word[:1].upper() + word[1:] for word in rest]
    if len(words) > 1 and words[-1] in ("Id", "Url"):
        words[-1] = words[-1].upper()
    return "".join(words)


def camel_keys(value: Any) -> Any:
    """An object with snake_case keys read as the definition's camelCase (recursively).

    Keys already in camelCase are kept; where both spellings are present,
    the camelCase one wins. A None value is dropped (the reference VTN
    sends unset fields as null where the definition leaves them out).
    """
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        name = _camel(str(key))
        if name in result and name != key:
            continue
        result[name] = camel_keys(item)
    return result


def parse_notification(payload: bytes) -> tuple[str, dict[str, Any]]:
    """An event notification's operation and event object (camelCase keys).

    NotificationError when the payload is not an event notification.
    """
    if len(payload) > MAX_MESSAGE_BYTES:
        raise NotificationError(f"notification of {len(payload)} bytes is too large")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as err:
        raise NotificationError(f"notification is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise NotificationError("notification is not a JSON object")
    data = camel_keys(data)
    if data.get("objectType") != "EVENT":
        raise NotificationError(f"notification of a {data.get('objectType')!r}, not an EVENT")
    operation = str(data.get("operation", "")).upper()
    if operation not in ("CREATE", "UPDATE", "DELETE"):
        raise NotificationError(
            f"notification operation {data.get('operation')!r} is not understood"
        )
    obj = data.get("object")
    if not isinstance(obj, dict) or "id" not in obj:
        raise NotificationError("notification without an event object")
    return operation, obj


def notification_for_ven(
    operation: str,
    obj: Mapping[str, Any],
    program_id: str | None,
    targets: Iterable[str] | None = None,
) -> bool:
    """Whether a pushed event is for this VEN.

    A DELETE always is (cancelling an event never acted on is harmless, and
    the deleted object may be trimmed); a CREATE or UPDATE when
    `filters.event_ignored` has nothing against it.
    """
    if operation == "DELETE":
        return True
    return event_ignored(obj, program_id, targets) is None


class NotificationListener:
    """Stays subscribed to this VEN's event topics; hands each notification on."""

    def __init__(
        self,
        client: Openadr3Client,
        binding: MqttBinding,
        on_notification: Callable[[str, dict[str, Any]], None],
        *,
        on_connected: Callable[[], None] | None = None,
        tls_context: ssl.SSLContext | None = None,
        backoff_start: float = BACKOFF_START,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        """Prepare; `run()` connects."""
        self._client = client
        self.binding = binding
        self._on_notification = on_notification
        self._on_connected = on_connected
        self._tls_context = tls_context
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self.connected = asyncio.Event()
        self.dropped = 0
        self.received = 0
        self.ignored = 0
        self.last_received: float | None = None
        """time.monotonic() of the last notification handed on (None: none yet): the
        caller keeps polling at its normal rate unless this is recent."""
        self._outage_logged = False

    async def run(self) -> None:
        """Stay connected until cancelled; a lost broker is retried with back-off."""
        delay = self._backoff_start
        while True:
            try:
                await self._session()
            except (aiomqtt.MqttError, OpenadrError) as err:
                self.connected.clear()
                if not self._outage_logged:
                    self._outage_logged = True
                    # Info, once each way: the link sensor shows it, and polling goes on
                    # (Home Assistant's log-when-unavailable rule).
                    _LOGGER.info(
                        "Lost the VTN's MQTT broker %s:%s (%s); polling until it is back",
                        self.binding.host,
                        self.binding.port,
                        err,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_max)

    async def _session(self) -> None:
        binding = self.binding
        password = (
            await self._client.access_token() if binding.method == "OAUTH2_BEARER_TOKEN" else None
        )
        context = self._tls_context
        if binding.tls and context is None:
            context = await asyncio.to_thread(ssl.create_default_context)
        async with aiomqtt.Client(
            binding.host,
            binding.port,
            username=binding.username,
            password=password,
            tls_context=context if binding.tls else None,
        ) as mqtt:
            for topic in binding.topics:
                await mqtt.subscribe(topic, qos=1)
            if self._outage_logged:
                self._outage_logged = False
                _LOGGER.info("The VTN's MQTT broker is back")
            self.connected.set()
            if self._on_connected is not None:
                self._on_connected()  # catch up on what was missed: GET, per section 16.2
            async for message in mqtt.messages:
                self._receive(message.payload)

    def _receive(self, payload: object) -> None:
        if not isinstance(payload, bytes):
            self.dropped += 1
            return
        try:
            operation, obj = parse_notification(payload)
        except NotificationError as err:
            if self.dropped == 0:
                _LOGGER.warning("Dropped a notification from the VTN: %s", err)
            self.dropped += 1
            return
        binding = self.binding
        if not notification_for_ven(operation, obj, binding.program_id, binding.ven_targets):
            self.ignored += 1
            return
        self.received += 1
        self.last_received = time.monotonic()
        self._on_notification(operation, obj)
