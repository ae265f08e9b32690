"""The link to an aggregator's MQTT broker (the MQTT aggregator profile).

`MqttLink.run()` keeps a connection to the aggregator's broker: it announces
the home online (retained, with a last will saying offline), receives events
and acknowledgements, and sends the outbox's reports in order. When the
broker goes away it logs once, retries with back-off, logs once when it is
back, and sends what queued up meanwhile: nothing lost, and, with the
outbox's sequence numbers, nothing counted twice.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime
import json
import logging
import ssl

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from .model import OptState
from .mqtt_profile import (
    AckMessage,
    DownMessage,
    ProfileError,
    Topics,
    encode_opt,
    encode_report,
    parse_down,
    short_outbox,
)
from .reports import Outbox

_LOGGER = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 300.0
RESEND_AFTER = 60.0  # resend unacknowledged reports after this long connected
AUTH_REFUSALS = frozenset({4, 5, 134, 135})
"""CONNACK codes that mean the credentials are wrong (MQTT 3.1.1: 4, 5; MQTT 5: 0x86, 0x87)."""


def is_auth_refusal(err: aiomqtt.MqttError) -> bool:
    """Whether the broker refused the connection for its username or password."""
    if not isinstance(err, MqttConnectError):
        return False
    code = getattr(err.rc, "value", err.rc)
    return code in AUTH_REFUSALS


def event_id_of(payload: bytes) -> str | None:
    """The id of the event a message that failed to parse was about, if it says."""
    try:
        obj = json.loads(payload)
    except UnicodeDecodeError, ValueError:
        return None
    event = obj.get("event") if isinstance(obj, dict) else None
    event_id = event.get("id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


class MqttAuthError(aiomqtt.MqttError):
    """The aggregator's broker refused the username or password: retrying will not help."""


class MqttLink:
    """One household's connection to its aggregator's broker."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        topics: Topics,
        outbox: Outbox,
        on_message: Callable[[DownMessage], None],
        client_id: str,
        on_auth_error: Callable[[], None] | None = None,
        on_refused: Callable[[str, str], None] | None = None,
        on_connection: Callable[[bool], None] | None = None,
        username: str | None = None,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
        keepalive: int = 60,
        backoff_start: float = BACKOFF_START,
        backoff_max: float = BACKOFF_MAX,
    ) -> None:
        """Prepare; `run()` connects. The password is never logged."""
        self._host = host
        self._port = port
        self.topics = topics
        self._outbox = outbox
        self._on_message = on_message
        self._on_auth_error = on_auth_error
        self._on_refused = on_refused
        self._on_connection = on_connection
        # An ack names the outbox by the short id reports carry (or, as before, the whole id).
        self._outbox_ids = {outbox.outbox_id, short_outbox(outbox.outbox_id)}
        self._opts: list[bytes] = []
        self._client_id = client_id
        self._username = username
        self._password = password
        self._tls_context = tls_context
        self._keepalive = keepalive
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._wake = asyncio.Event()
        self.connected = asyncio.Event()
        self.dropped = 0
        self.sent = 0
        self._outage_logged = False

    async def report(self, values: dict[str, float], at: datetime) -> int:
        """Queue a report durably and have it sent; return its sequence number."""
        seq = await asyncio.to_thread(self._outbox.append, {"at": at.isoformat(), "values": values})
        self._wake.set()
        return seq

    @property
    def queued(self) -> int:
        """Reports the aggregator has not acknowledged yet."""
        return len(self._outbox)

    def send_opt(self, event_id: str, opt: OptState, at: datetime) -> None:
        """Tell the aggregator the household's choice (now, or as soon as connected)."""
        self._opts.append(encode_opt(event_id, opt, at))
        self._wake.set()

    async def run(self) -> None:
        """Stay connected until cancelled, or until the broker refuses the credentials."""
        delay = self._backoff_start
        while True:
            try:
                await self._session()
            except aiomqtt.MqttError as err:
                if self.connected.is_set():
                    self.connected.clear()
                    if self._on_connection is not None:
                        self._on_connection(False)
                if is_auth_refusal(err):
                    _LOGGER.warning(
                        "The aggregator's broker %s:%s refused the username or password",
                        self._host,
                        self._port,
                    )
                    if self._on_auth_error is not None:
                        self._on_auth_error()
                    raise MqttAuthError(str(err)) from err
                if not self._outage_logged:
                    # INFO, once each way (quality scale: log-when-unavailable).
                    _LOGGER.info(
                        "Lost the aggregator's broker %s:%s (%s); retrying",
                        self._host,
                        self._port,
                        err,
                    )
                    self._outage_logged = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_max)
            else:  # pragma: no cover - _session only returns by raising
                delay = self._backoff_start

    async def _session(self) -> None:
        will = aiomqtt.Will(self.topics.status, b"offline", qos=1, retain=True)
        async with aiomqtt.Client(
            self._host,
            self._port,
            identifier=self._client_id,
            username=self._username,
            password=self._password,
            tls_context=self._tls_context,
            keepalive=self._keepalive,
            will=will,
            clean_session=False,
        ) as client:
            await client.publish(self.topics.status, b"online", qos=1, retain=True)
            await client.subscribe(self.topics.events, qos=1)
            await client.subscribe(self.topics.acks, qos=1)
            if self._outage_logged:
                _LOGGER.info("The aggregator's broker is back; sending what queued up")
                self._outage_logged = False
            self.connected.set()
            if self._on_connection is not None:
                self._on_connection(True)
            # Either side failing ends the session: a publish that timed out (no PUBACK
            # within aiomqtt's 10 s) used to end the sender alone, and reports then
            # piled up in the outbox while the link still showed connected.
            tasks = (
                asyncio.create_task(self._receive_loop(client)),
                asyncio.create_task(self._send_loop(client)),
            )
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                task.result()  # its MqttError: reconnect, and send again what is unacknowledged
            raise aiomqtt.MqttError("the session ended")  # pragma: no cover - both loop forever

    async def _receive_loop(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if (ack := self._receive(message.payload)) is not None:
                # The outbox fsyncs: keep that off the event loop.
                await asyncio.to_thread(self._outbox.ack, ack)

    def _receive(self, payload: object) -> int | None:
        """Hand a message on; return the sequence number it acknowledges, if any."""
        if not isinstance(payload, bytes):
            self.dropped += 1
            return None
        try:
            message = parse_down(payload)
        except ProfileError as err:
            if self.dropped == 0:
                _LOGGER.warning("Dropped a message from the aggregator: %s", err)
            self.dropped += 1
            if self._on_refused is not None and (event_id := event_id_of(payload)) is not None:
                self._on_refused(event_id, str(err))  # an event the household should hear of
            return None
        if isinstance(message, AckMessage):
            return message.seq if message.outbox in self._outbox_ids else None
        self._on_message(message)
        return None

    async def _send_loop(self, client: aiomqtt.Client) -> None:
        next_seq = 0
        while True:
            # Clear before reading the outbox: a report queued while this
            # loop publishes sets the event again and is not left waiting.
            self._wake.clear()
            while self._opts:
                await client.publish(self.topics.opt, self._opts[0], qos=1)
                self._opts.pop(0)
            pending = [r for r in self._outbox.pending() if r[0] > next_seq]
            for seq, record in pending:
                at = datetime.fromisoformat(record["at"])
                await client.publish(
                    self.topics.reports,
                    encode_report(self._outbox.outbox_id, seq, at, record["values"]),
                    qos=1,
                )
                self.sent += 1
                next_seq = seq
            try:
                async with asyncio.timeout(RESEND_AFTER):
                    await self._wake.wait()
            except TimeoutError:
                next_seq = 0  # resend whatever is still unacknowledged
