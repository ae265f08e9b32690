"""OpenADR 3.1 notifications over MQTT: events pushed by the VTN's broker, REST as the fallback.

Following "OpenADR 3 Object Operation Notifications via Additional
Protocols" (MQTT binding): GET /notifiers says whether the VTN has an MQTT
broker, where (URIS) and how to log in (ANONYMOUS, or OAUTH2_BEARER_TOKEN:
the access token as the password, the username fixed or "{clientID}");
GET /notifiers/mqtt/topics/vens/{venID}/events gives this VEN's own topics,
so it never sees another household's events. Each message is a
notification object (objectType, operation, object), the object being the
event as GET /events returns it.

Notifications are a speed-up, not the source of truth: the binding's own
advice (section 16.2) is to GET the objects on (re)connection, which the
caller does by polling REST, less often while the broker is connected.
CERTIFICATE (mutual TLS) brokers are not supported yet: `mqtt_binding`
returns None for them and the caller keeps polling.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
import logging
import ssl
from typing import Any
from urllib.parse import urlparse

import aiomqtt

from .client import Openadr3Client, OpenadrError

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


async def mqtt_binding(client: Openadr3Client) -> MqttBinding | None:
    """The VTN's MQTT binding for this VEN, or None when there is none Denki can use."""
    notifiers = await client.notifiers()
    mqtt = notifiers.get("MQTT")
    if not isinstance(mqtt, dict) or mqtt.get("serialization", "JSON") != "JSON":
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
    ven_id = await client.ven_id()
    if ven_id is None:
        return None
    topics = await client.mqtt_event_topics(ven_id)
    # One subscription to ALL where offered (it may be a wildcard), else each operation.
    wanted = (
        (topics["ALL"],)
        if "ALL" in topics
        else tuple(topics[op] for op in ("CREATE", "UPDATE", "DELETE") if op in topics)
    )
    if not wanted:
        return None
    host, port, tls = broker
    return MqttBinding(host, port, tls, method, username, wanted)


def parse_notification(payload: bytes) -> tuple[str, dict[str, Any]]:
    """An event notification's operation and event object; NotificationError otherwise."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise NotificationError(f"notification of {len(payload)} bytes is too large")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as err:
        raise NotificationError(f"notification is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise NotificationError("notification is not a JSON object")
    if data.get("objectType") != "EVENT":
        raise NotificationError(f"notification of a {data.get('objectType')!r}, not an EVENT")
    operation = data.get("operation")
    if operation not in ("CREATE", "UPDATE", "DELETE"):
        raise NotificationError(f"notification operation {operation!r} is not understood")
    obj = data.get("object")
    if not isinstance(obj, dict) or "id" not in obj:
        raise NotificationError("notification without an event object")
    return str(operation), obj


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
                    _LOGGER.warning(
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
                _LOGGER.warning("The VTN's MQTT broker is back")
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
        self.received += 1
        self._on_notification(operation, obj)
