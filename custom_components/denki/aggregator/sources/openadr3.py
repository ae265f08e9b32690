"""OpenADR 3: the VEN over REST, with the VTN's MQTT notifier; reports through the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.ssl import get_default_no_verify_context

from ...const import (
    CONF_CLIENT_AUTH,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_PROGRAM,
    CONF_SCOPE,
    CONF_TOKEN_URL,
    CONF_URL,
    CONF_VERIFY_SSL,
    DOMAIN,
    LOGGER,
    OPENADR3_POLL_SECONDS,
)
from ...lib.dr import DrEvent, EventError, OptState
from ...lib.dr.openadr3 import event_from_openadr3
from ...lib.dr.reports import Outbox
from ...lib.openadr.client import (
    Openadr3Client,
    OpenadrAuthError,
    OpenadrError,
    OpenadrRefusedError,
)
from ...lib.openadr.filters import event_ignored, ven_targets
from ...lib.openadr.notifier import NotificationListener, mqtt_binding
from ...lib.openadr.reports import opt_out_record
from ...lib.openadr.sender import ReportSender
from ..source import Hub, outbox_folder, setup_error

NOTIFIED_POLL = timedelta(minutes=10)
"""While the VTN's broker demonstrably delivers events, REST is asked only this often."""
NOTIFIED_RECENTLY = 30 * 60.0
"""Seconds since the last notification the broker delivered for it to count as working.

A connected broker alone proves nothing (the VTN may publish on topics this
VEN did not subscribe to, and the reference VTN announces an "all" topic it
never publishes on): polling slows down only after a notification actually
arrived, and returns to its normal rate after half an hour of silence, so a
subscription that broke quietly costs at most one normal poll interval.
"""
VANISH_GRACE_POLLS = 2
"""How many poll intervals an event may be missing from the VTN's list before it is cancelled.

Two: a VTN that deletes and re-posts its events (a new id, the same
program, intervals and values) is seen doing so within one poll, and one
poll answered while the VTN rewrites its events does not end a response; a
real cancellation is acted on at most two minutes late. A DELETE pushed by
the VTN's broker starts the same grace, so a delete-and-re-post pushed as
two notifications does not end the response either.
"""
REFUSED_ROUNDS_FOR_ISSUE = 3
"""Sending rounds in a row in which every report tried was refused, before a repair issue.

A deleted event's reports are refused in at most two rounds (the backlog,
and the next report before the poll sees the deletion, the vanishing grace being
shorter than any report interval); three rounds with nothing accepted mean
the VTN refuses this VEN's reports in general (program, client, payloads),
which only the household or its aggregator can fix.
"""
CONSUMING_KW = 0.1
"""Above this draw, an opt-out is reported as RUNNING_OPTED_OUT (else IDLE_OPTED_OUT)."""
REFUSALS_SHOWN = 10
ANONYMOUS_CLIENT_NAME = "denki"
"""The clientName of reports to a public VTN, where the VEN has no client ID."""
"""How many of the latest refused reports the diagnostics show."""


class Openadr3Source:
    """OpenADR 3 over REST: events polled (and pushed), reports posted from the disk outbox.

    Reports go through `ReportSender`: a report the VTN refuses (4xx) is set
    aside with the VTN's reason and the next one goes; only network errors
    and 5xx wait, with back-off. `connected` is the VTN answering the event
    poll, whatever happens to reports.
    """

    changes_only = False  # a report is a whole interval: DEMAND and BASELINE together

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare the client on Home Assistant's shared session."""
        data = entry.data
        self.hass = hass
        self.entry = entry
        self.client = openadr3_client(hass, dict(data))
        self.program: str | None = data.get(CONF_PROGRAM) or None
        """The program as configured (an id, or a programName)."""
        self.program_id: str | None = self.program
        """The configured program's id on the VTN (resolved at start)."""
        self.ven_targets: list[str] | None = None
        self.connected = False
        self.outbox: Outbox | None = None
        self.sender: ReportSender | None = None
        self.refused_rounds = 0
        """Sending rounds in a row in which every report tried was refused."""
        self._hub: Hub | None = None
        self._unsub: Callable[[], None] | None = None
        self._outage_logged = False
        self.listener: NotificationListener | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._last_poll = dt_util.utcnow()

    @property
    def vanish_grace(self) -> timedelta:
        """How long an event may be missing from the polled list (see VANISH_GRACE_POLLS)."""
        return timedelta(seconds=VANISH_GRACE_POLLS * OPENADR3_POLL_SECONDS)

    async def async_start(self, hub: Hub) -> None:
        """Fetch the events once (auth and reachability checked), then poll."""
        self._hub = hub
        self.outbox = await self.hass.async_add_executor_job(
            Outbox, outbox_folder(self.hass, self.entry)
        )
        self.sender = ReportSender(self.client, self.outbox, self.ven)
        try:
            await self._learn_vtn()
            await self._poll()
        except OpenadrError as err:
            raise setup_error(err) from err
        self._unsub = async_track_time_interval(
            self.hass, self._on_poll_time, timedelta(seconds=OPENADR3_POLL_SECONDS)
        )
        try:
            binding = await mqtt_binding(self.client, self.program_id)
        except OpenadrError as err:
            LOGGER.debug("The VTN's notifiers could not be read (%s); polling", err)
            binding = None
        if binding is not None:
            self.listener = NotificationListener(
                self.client,
                binding,
                self._on_notification,
                on_connected=self._on_listener_connected,
            )
            self._listen_task = self.entry.async_create_background_task(
                self.hass, self.listener.run(), "denki openadr3 notifications"
            )

    async def _learn_vtn(self) -> None:
        """The configured program's id (it may be given by name) and this VEN's targets.

        A VTN that does not list programs or vens (a 4xx) leaves the program
        as configured and the targets to the VTN's own filtering.
        """
        if self.program:
            try:
                self.program_id = await self.client.program_id(self.program) or self.program
            except OpenadrRefusedError as err:
                LOGGER.debug("The VTN does not list programs (%s)", err)
        try:
            self.ven_targets = ven_targets(await self.client.ven())
        except OpenadrRefusedError as err:
            LOGGER.debug("The VTN does not show this VEN's ven object (%s)", err)

    async def async_stop(self) -> None:
        """Stop polling and listening."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        if self._listen_task is not None:
            self._listen_task.cancel()
            await asyncio.gather(self._listen_task, return_exceptions=True)
            self._listen_task = None

    @callback
    def _on_notification(self, operation: str, obj: dict[str, Any]) -> None:
        """An event pushed by the VTN's broker: as good as a poll, at once."""
        hub = self._hub
        if hub is None:
            return
        event_id = str(obj.get("id"))
        if operation == "DELETE":
            hub.vanish(event_id)  # a re-post within the grace keeps the response going
            return
        if (why := event_ignored(obj, self.program_id, self.ven_targets)) is not None:
            LOGGER.debug("Pushed event %s ignored: it %s", event_id, why)
            return
        try:
            event = event_from_openadr3(obj, dt_util.utcnow())
        except EventError as err:
            hub.refuse(event_id, str(err))
            return
        hub.receive(event)

    @callback
    def _on_listener_connected(self) -> None:
        self.entry.async_create_background_task(
            self.hass, self._safe_poll(), "denki openadr3 catch-up poll"
        )

    async def _poll(self) -> None:
        if self._hub is None:
            return
        self._last_poll = dt_util.utcnow()
        result = await self.client.events(
            self._last_poll, self.program_id, ven_targets=self.ven_targets
        )
        self.connected = True
        self._remember_client_auth()
        for event_id, reason in result.refused.items():
            self._hub.refuse(event_id, reason)
        self._hub.receive_all(result.events)
        await self._send_pending(force=True)

    def _remember_client_auth(self) -> None:
        """Keep how the token endpoint took the credentials, so the next start tries it first.

        The form body is what the client tries first anyway: only HTTP Basic
        is written (and removed again when the form body works once more).
        """
        data = remembered_client_auth(dict(self.entry.data), self.client.client_auth)
        if data != self.entry.data:
            self.hass.config_entries.async_update_entry(self.entry, data=data)

    def notifications_flowing(self) -> bool:
        """Whether the VTN's broker delivered a notification recently (see NOTIFIED_RECENTLY)."""
        listener = self.listener
        if listener is None or not listener.connected.is_set() or listener.last_received is None:
            return False
        return time.monotonic() - listener.last_received < NOTIFIED_RECENTLY

    @callback
    def _on_poll_time(self, now: datetime) -> None:
        if self.notifications_flowing() and now - self._last_poll < NOTIFIED_POLL:
            return  # events are pushed, and demonstrably arrive: a slow poll double-checks
        self.entry.async_create_background_task(self.hass, self._safe_poll(), "denki openadr3 poll")

    async def _safe_poll(self) -> None:
        try:
            await self._poll()
        except OpenadrAuthError:
            self.connected = False
            LOGGER.warning("The OpenADR 3 VTN refused the client ID and secret")
            await self.async_stop()
            self.entry.async_start_reauth(self.hass)
        except OpenadrError as err:
            self.connected = False
            if not self._outage_logged:
                self._outage_logged = True
                # INFO, once each way (quality scale: log-when-unavailable).
                LOGGER.info("The OpenADR 3 VTN is unreachable (%s); retrying", err)
        else:
            if self._outage_logged:
                self._outage_logged = False
                LOGGER.info("The OpenADR 3 VTN answers again")
        if self._hub is not None:
            self._hub.source_changed()  # connectivity shown by the entities

    async def report(self, values: dict[str, float], at: datetime, event: DrEvent | None) -> None:
        """Queue a report for the event in force; OpenADR 3 reports belong to an event.

        None for an event the household opted out of: the VTN was told so
        once (`send_opt`), and hears nothing more of it.
        """
        if event is None or self.outbox is None or event.opt is OptState.OPT_OUT:
            return
        record = {
            "at": at.isoformat(),
            "values": values,
            "event": event.event_id,
            "program": event.program_id,
        }
        await self.hass.async_add_executor_job(self.outbox.append, record)
        await self._send_pending()

    async def _send_pending(self, *, force: bool = False) -> None:
        """One sending round; a 401 waits for the poll, which starts the re-authentication."""
        if self.sender is None:
            return
        try:
            result = await self.sender.send_pending(force=force)
        except OpenadrAuthError as err:
            LOGGER.debug("Reports wait for valid credentials: %s", err)
            return
        if result.sent:
            self.refused_rounds = 0
            self._clear_refusal_issue()
        elif result.refused:
            self.refused_rounds += 1
            if self.refused_rounds >= REFUSED_ROUNDS_FOR_ISSUE:
                self._raise_refusal_issue(result.refused[-1][1], result.refused[-1][2])
        if (result.sent or result.refused) and self._hub is not None:
            self._hub.source_changed()  # the pending count moved

    @property
    def _issue_id(self) -> str:
        return f"dr_reports_refused_{self.entry.entry_id}"

    def _raise_refusal_issue(self, status: int, reason: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="dr_reports_refused",
            translation_placeholders={
                "title": self.entry.title,
                "rounds": str(self.refused_rounds),
                "status": str(status),
                "reason": reason,
            },
        )

    def _clear_refusal_issue(self) -> None:
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    @property
    def ven(self) -> str:
        """The client name reports carry."""
        return str(self.entry.data.get(CONF_CLIENT_ID) or ANONYMOUS_CLIENT_NAME)

    def send_opt(self, event: DrEvent) -> None:
        """Opting out: the event's waiting reports are set aside and the VTN is told, durably.

        OpenADR 3.1 has no opt message; the one way it gives a VEN to answer
        an event is a report on it, here an OPERATING_STATE report saying
        RUNNING_OPTED_OUT (IDLE_OPTED_OUT when the home draws next to
        nothing), see `Openadr3Client.opt_out`. It is queued in the outbox
        like any report, so a restart or an outage does not lose it. An
        opt-in sends nothing: the reports that resume say it.
        """
        if event.opt is not OptState.OPT_OUT or self.outbox is None:
            return
        self.entry.async_create_background_task(
            self.hass, self._send_opt_out(event), "denki openadr3 opt-out"
        )

    async def _send_opt_out(self, event: DrEvent) -> None:
        outbox = self.outbox
        if outbox is None:
            return
        power = None if self._hub is None else self._hub.power_kw
        record = opt_out_record(
            event.event_id,
            event.program_id,
            dt_util.utcnow(),
            consuming=power is None or power > CONSUMING_KW,
        )

        def queue() -> int:
            waiting = [
                seq
                for seq, queued in outbox.pending()
                if queued.get("event") == event.event_id and "operating_state" not in queued
            ]
            for seq in waiting:
                outbox.set_aside(seq, "the household opted out of the event")
            outbox.append(record)
            return len(waiting)

        set_aside = await self.hass.async_add_executor_job(queue)
        LOGGER.info(
            "Opted out of event %s: the VTN is told, %s waiting report(s) set aside",
            event.event_id,
            set_aside,
        )
        await self._send_pending(force=True)

    def pending_reports(self) -> int:
        """Reports not yet accepted by the VTN."""
        return 0 if self.outbox is None else len(self.outbox)

    def diagnostics(self) -> dict[str, Any]:
        """How the token was obtained, the program, the notifier and the refused reports."""
        info = self.client.token_info
        listener = self.listener
        outbox = self.outbox
        return {
            "token": None if info is None else info.as_dict(),
            "program": {"configured": self.program, "id": self.program_id},
            "ven_targets": self.ven_targets,
            "notifier": None
            if listener is None
            else {
                "topics": list(listener.binding.topics),
                "connected": listener.connected.is_set(),
                "received": listener.received,
                "ignored": listener.ignored,
                "dropped": listener.dropped,
                "delivering": self.notifications_flowing(),
            },
            "reports_retry_in": None if self.sender is None else round(self.sender.retry_in),
            "reports_last_error": None if self.sender is None else self.sender.last_error,
            "refused_rounds_in_a_row": self.refused_rounds,
            "refused_total": 0 if outbox is None else outbox.refused_total,
            "refused_latest": [] if outbox is None else outbox.refused(REFUSALS_SHOWN),
        }


def remembered_client_auth(data: dict[str, Any], how: str | None) -> dict[str, Any]:
    """Entry data that remembers `how` the token endpoint took the credentials.

    CONF_CLIENT_AUTH is "basic" when HTTP Basic worked; absent when the form
    body did (the client's first try without it), or when nothing is known.
    """
    if how == "basic":
        return {**data, CONF_CLIENT_AUTH: "basic"}
    if how == "form":
        return {k: v for k, v in data.items() if k != CONF_CLIENT_AUTH}
    return data


def openadr3_client(hass: HomeAssistant, data: dict[str, Any]) -> Openadr3Client:
    """A VEN client of the entry's (or the flow's) VTN, on Home Assistant's shared session.

    TLS is verified unless the user turned it off for a test VTN. The token
    URL and scope are optional; the client authentication that worked last
    (form body or HTTP Basic) is tried first.
    """
    verify = bool(data.get(CONF_VERIFY_SSL, True))
    client_auth = data.get(CONF_CLIENT_AUTH)
    return Openadr3Client(
        async_get_clientsession(hass, verify_ssl=verify),
        data[CONF_URL],
        data.get(CONF_CLIENT_ID) or "",
        data.get(CONF_CLIENT_SECRET) or "",
        token_url=data.get(CONF_TOKEN_URL) or None,
        scope=data.get(CONF_SCOPE) or None,
        client_auth=client_auth if client_auth in ("form", "basic") else None,
        # Home Assistant's cached context: making one reads the CA files, which blocks.
        ssl_context=None if verify else get_default_no_verify_context(),
    )
