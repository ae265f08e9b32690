"""The MQTT aggregator profile (docs/mqtt-aggregator-profile.md): events in, reports out."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
import ssl
from typing import Any

import aiomqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.util import dt as dt_util
from homeassistant.util.ssl import get_default_context

from ...const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_PREFIX,
    CONF_TLS,
    CONF_USERNAME,
    CONF_VEN,
    DOMAIN,
)
from ...lib.dr import DrEvent
from ...lib.dr.mqtt_link import MqttLink, is_auth_refusal
from ...lib.dr.mqtt_profile import (
    CancelMessage,
    DownMessage,
    EventListMessage,
    EventMessage,
    Topics,
)
from ...lib.dr.reports import Outbox
from ..source import Hub, outbox_folder

MQTT_SETUP_CHECK_SECONDS = 10
"""How long the MQTT aggregator's broker has to accept a connection when the entry is set up."""


async def connect_once(data: Mapping[str, Any], tls: ssl.SSLContext | None, within: float) -> None:
    """Connect to the aggregator's broker with an entry's settings, and leave.

    Raises aiomqtt.MqttError when the broker is out of reach or refuses.
    """
    async with aiomqtt.Client(
        data[CONF_HOST],
        int(data[CONF_PORT]),
        identifier=f"denki-{data[CONF_VEN]}-check",
        username=data.get(CONF_USERNAME) or None,
        password=data.get(CONF_PASSWORD) or None,
        tls_context=tls,
        timeout=within,
    ):
        pass


class MqttSource:
    """The MQTT aggregator profile on the aggregator's own broker."""

    changes_only = True  # the profile's receiver holds the last value of each
    vanish_grace = timedelta(0)  # its event list is the aggregator's own word

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare the link; `async_start` connects."""
        self.hass = hass
        self.entry = entry
        self.link: MqttLink | None = None
        self._task: asyncio.Task[None] | None = None
        self._hub: Hub | None = None

    @property
    def connected(self) -> bool:
        """Whether the broker is connected now."""
        return self.link is not None and self.link.connected.is_set()

    async def async_start(self, hub: Hub) -> None:
        """Check the broker answers, then stay connected in the background.

        ConfigEntryNotReady while the broker cannot be reached, so Home
        Assistant retries the setup. A broker that answers but refuses the
        username or password is left to the link: its first connect starts
        the re-authentication.
        """
        self._hub = hub
        data = self.entry.data
        outbox = await self.hass.async_add_executor_job(
            Outbox, outbox_folder(self.hass, self.entry)
        )
        tls = (
            await self.hass.async_add_executor_job(get_default_context)
            if data.get(CONF_TLS)
            else None
        )
        await self._check_broker(tls)
        self.link = MqttLink(
            host=data[CONF_HOST],
            port=int(data[CONF_PORT]),
            topics=Topics(data[CONF_PREFIX], data[CONF_VEN]),
            outbox=outbox,
            on_message=self._on_message,
            client_id=f"denki-{data[CONF_VEN]}",
            on_auth_error=self._on_auth_error,
            on_refused=self._on_refused,
            on_connection=self._on_connection,
            username=data.get(CONF_USERNAME) or None,
            password=data.get(CONF_PASSWORD) or None,
            tls_context=tls,
        )
        self._task = self.entry.async_create_background_task(
            self.hass, self._run(), "denki aggregator mqtt"
        )

    async def _check_broker(self, tls: ssl.SSLContext | None) -> None:
        """Connect once and leave (test-before-setup); raise if the broker is out of reach."""
        data = self.entry.data
        try:
            await connect_once(data, tls, MQTT_SETUP_CHECK_SECONDS)
        except aiomqtt.MqttError as err:
            if is_auth_refusal(err):
                return  # the link's first connect hears it too, and starts the reauth
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="aggregator_unreachable",
                translation_placeholders={"error": f"{data[CONF_HOST]}:{data[CONF_PORT]}: {err}"},
            ) from err

    async def _run(self) -> None:
        if self.link is None:
            return
        try:
            await self.link.run()
        except aiomqtt.MqttError:
            return  # refused credentials: reauth was started

    @callback
    def _on_auth_error(self) -> None:
        self.entry.async_start_reauth(self.hass)

    @callback
    def _on_refused(self, event_id: str, reason: str) -> None:
        if self._hub is not None:
            self._hub.refuse(event_id, reason)

    @callback
    def _on_connection(self, connected: bool) -> None:
        """The broker came or went: the link sensor says so at once."""
        if self._hub is not None:
            self._hub.source_changed()

    @callback
    def _on_message(self, message: DownMessage) -> None:
        hub = self._hub
        if hub is None:
            return
        if isinstance(message, EventMessage):
            hub.receive(message.event)
        elif isinstance(message, CancelMessage):
            hub.cancel(message.event_id)
        elif isinstance(message, EventListMessage):
            hub.receive_all(list(message.events))
        hub.source_changed()  # a message also means the link is up

    async def async_stop(self) -> None:
        """Disconnect."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def report(self, values: dict[str, float], at: datetime, event: DrEvent | None) -> None:
        """Queue durably; the link sends in order when connected."""
        if self.link is not None:
            await self.link.report(values, at)

    def send_opt(self, event: DrEvent) -> None:
        """Publish the household's choice."""
        if self.link is not None:
            self.link.send_opt(event.event_id, event.opt, dt_util.utcnow())

    def pending_reports(self) -> int:
        """Reports the broker has not acknowledged yet."""
        return 0 if self.link is None else self.link.queued

    def diagnostics(self) -> dict[str, Any]:
        """Nothing beyond the connection and the queue."""
        return {}
