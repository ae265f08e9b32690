"""An OpenADR 2.0b VEN, through openleadr's client (simple HTTP pull).

openleadr's client is vendored in `openleadr/` beside this module (its
README.md says why: the PyPI release pins xmltodict==0.13.0, which fights
Home Assistant's core integrations).

`event_from_oadr20b` turns an event as openleadr parses it (event
descriptor, active period, signals with intervals) into a `DrEvent`;
`Oadr20bVen` registers with the VTN, polls it at the frequency the VTN
asks for, answers every event with the household's choice (optIn unless it
opted out), tells the caller of new, changed and cancelled events
(including an event the VTN silently drops from its list before it ends:
an implied cancellation), sends a telemetry report of the household's real
power when the VTN asks for one, and sends an opt when the household
changes its mind.

Security. The VEN's certificate and key sign every message (XML signature)
and are the TLS client certificate (mutual TLS); the VTN's certificate
fingerprint, when given, is checked on every message the VTN signs; the
VTN's TLS certificate is checked against `ca_file` (or the system's
certificate authorities). openleadr reads the files and builds its TLS
context in the event loop, can only trust `ca_file` when a client
certificate is given too, and fails without one: so this module reads them
in an executor and hands openleadr a session of its own. Key paths are not
secret; the key's passphrase is never logged.

openleadr reports a failed registration only by logging it; `start()`
watches the exchange (HTTP status, transport errors, the VTN's answer) to
raise `OpenadrAuthError` when the VTN refused this VEN and
`OpenadrConnectionError` when it could not be reached or understood.
"""

import asyncio
from collections.abc import Callable, Mapping
import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
import logging
import math
import ssl
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..dr import INFINITE, DrEvent, EventError, Interval, OptState, SignalType
from ..dr.model import PayloadValue
from .client import OpenadrAuthError, OpenadrConnectionError, OpenadrError
from .openleadr import OpenADRClient, enums, objects, validate_xml_schema

_LOGGER = logging.getLogger(__name__)

SOURCE = "openadr2b"
SIGNALS: dict[tuple[str, str | None], str] = {
    ("SIMPLE", None): SignalType.SIMPLE,
    ("ELECTRICITY_PRICE", "price"): SignalType.PRICE,
    ("ENERGY_PRICE", "price"): SignalType.PRICE,
    ("LOAD_DISPATCH", "setpoint"): SignalType.DISPATCH_SETPOINT,
    ("LOAD_DISPATCH", "delta"): SignalType.DISPATCH_SETPOINT_RELATIVE,
}
"""2.0b signal names (and types, where they decide) to Denki's payload types.

Any other signal keeps its name, in capitals: a relative price or a price
multiplier is not a price, and LOAD_CONTROL's x-loadControlCapacity is a
fraction of the load's capacity, not the kW an IMPORT_CAPACITY_LIMIT is.
"""
OPT_IN = "optIn"
OPT_OUT = "optOut"
DEFAULT_REPORT_SECONDS = 300
REPORT_BUFFER = timedelta(hours=1)
"""How much telemetry the VEN offers to hold before it reports (openleadr's report duration)."""
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=5, sock_read=10)
# TLS alerts that mean the VTN refused the VEN's client certificate (TLS 1.2 reports
# them during the handshake; TLS 1.3 servers close the connection instead).
_REFUSED_CERTIFICATE = {
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "TLSV1_ALERT_UNKNOWN_CA",
    "TLSV1_ALERT_ACCESS_DENIED",
}


def _signal(name: Any, kind: Any) -> str:
    if not isinstance(name, str) or not name:
        raise EventError(f"signal name {name!r} is not a name")
    upper = name.upper()
    return SIGNALS.get((upper, str(kind)), SIGNALS.get((upper, None), upper))


def _payload(value: Any, where: str) -> PayloadValue:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise EventError(f"{where}: signal payload {value!r} is not a plain value")
    if isinstance(value, float) and not math.isfinite(value):
        raise EventError(f"{where}: signal payload {value!r} is not a finite number")
    return value


def _aware(value: Any, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise EventError(f"{what} {value!r} is not a date-time with a time zone")
    return value.astimezone(UTC)


def _length(value: Any, what: str) -> timedelta:
    """A duration; zero is "no end" in OpenADR 2.0b."""
    if not isinstance(value, timedelta) or value < timedelta(0):
        shown = value if isinstance(value, timedelta) else repr(value)
        raise EventError(f"{what} {shown} is not a duration of zero or more")
    return INFINITE if value == timedelta(0) else value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EventError(f"{what} is missing or not a structure")
    return value


def _signals(event: Mapping[str, Any], where: str) -> list[Any]:
    signals = event.get("event_signals") or []
    if isinstance(signals, Mapping):  # openleadr leaves one level of nesting at times
        signals = signals.get("event_signals") or []
    if not isinstance(signals, list):
        raise EventError(f"{where}: event_signals is not a list")
    return signals


def event_from_oadr20b(event: Mapping[str, Any], received: datetime) -> DrEvent:
    """A DrEvent from openleadr's parsed event dict, received at `received`.

    Every signal's intervals are merged by time span: one Interval per span,
    with one payload per signal. An interval without a start of its own
    follows the previous one of its signal (the first one starts with the
    active period). A duration of zero means no end. Priority 0 means "no
    priority" in 2.0b and becomes None. The descriptor's
    modificationDateTime, when given, is `modified`; the modification
    number is not a time, and an update shows anyway as an unequal event.
    """
    del received  # 2.0b events carry absolute times; kept for the protocols' common signature
    event = _mapping(event, "the OpenADR 2.0b event")
    descriptor = _mapping(event.get("event_descriptor"), "the event's event_descriptor")
    if descriptor.get("event_id") in (None, ""):
        raise EventError("OpenADR 2.0b event without an event_id")
    event_id = str(descriptor["event_id"])
    where = f"event {event_id}"
    active = _mapping(event.get("active_period"), f"{where}: the active_period")
    start = _aware(active.get("dtstart"), f"{where}: the active period's start")
    total = _length(active.get("duration"), f"{where}: the active period's duration")

    spans: dict[tuple[datetime, timedelta], dict[str, tuple[PayloadValue, ...]]] = {}
    for raw_signal in _signals(event, where):
        signal = _mapping(raw_signal, f"{where}: a signal")
        name = _signal(signal.get("signal_name"), signal.get("signal_type"))
        intervals = signal.get("intervals") or []
        if not isinstance(intervals, list):
            raise EventError(f"{where}: the intervals of {name} are not a list")
        moment = start
        for raw_interval in intervals:
            interval = _mapping(raw_interval, f"{where}: an interval of {name}")
            if interval.get("duration") is None:
                raise EventError(f"{where}: an interval of {name} has no duration")
            length = _length(interval["duration"], f"{where}: an interval of {name} has duration")
            begins = (
                _aware(interval["dtstart"], f"{where}: an interval of {name} starts at")
                if interval.get("dtstart") is not None
                else moment
            )
            spans.setdefault((begins, length), {})[name] = (
                _payload(interval.get("signal_payload"), where),
            )
            moment = begins if length == INFINITE else begins + length
    if not spans:  # an event without signals still has its active period
        spans[(start, total)] = {}
    intervals_out = tuple(
        Interval(number, begins, length, payloads)
        for number, ((begins, length), payloads) in enumerate(
            sorted(spans.items(), key=lambda item: item[0][0])
        )
    )
    priority = descriptor.get("priority")
    modified = descriptor.get("modification_date_time")
    comment = descriptor.get("vtn_comment")
    return DrEvent(
        event_id=event_id,
        program_id=str(descriptor.get("market_context") or "oadr20b"),
        intervals=intervals_out,
        source=SOURCE,
        name=comment if isinstance(comment, str) and comment else None,
        priority=priority
        if isinstance(priority, int) and not isinstance(priority, bool) and priority > 0
        else None,
        modified=modified.astimezone(UTC)
        if isinstance(modified, datetime) and modified.tzinfo
        else None,
        cancelled=descriptor.get("event_status") == enums.EVENT_STATUS.CANCELLED,
    )


def _tls_alert(err: BaseException) -> str | None:
    """The reason of the SSL error behind a transport error, if any."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return str(current.reason)
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return None


class _ReportsWithValues(asyncio.Queue[Any]):
    """openleadr's queue of reports to send, refusing a report without values.

    openleadr sends a report even when the callback had no reading; a VTN
    refuses one without intervals (openleadr's own answers HTTP 500).
    """

    async def put(self, item: Any) -> None:
        """Queue the report if it has a value."""
        if getattr(item, "intervals", None):
            await super().put(item)


@dataclasses.dataclass(slots=True)
class _Registration:
    """What the VTN did while this VEN registered (openleadr only logs it)."""

    transport: BaseException | None = None
    status: int | None = None
    invalid: str | None = None
    unverified: bool = False
    verifying: bool = False
    answer: Mapping[str, Any] | None = None
    creating: bool = False


class Oadr20bVen:
    """One household's VEN on an OpenADR 2.0b VTN."""

    def __init__(
        self,
        vtn_url: str,
        ven_name: str,
        *,
        on_event: Callable[[DrEvent], None],
        on_cancel: Callable[[str], None],
        opt_for: Callable[[str], OptState],
        on_refused: Callable[[str, str], None] | None = None,
        readings: Callable[[], Mapping[str, float]] | None = None,
        ven_id: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        passphrase: str | None = None,
        vtn_fingerprint: str | None = None,
        ca_file: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        report_seconds: int = DEFAULT_REPORT_SECONDS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Prepare; nothing is read or sent until `start()`.

        `cert` and `key` (PEM paths, `passphrase` for an encrypted key) sign
        messages and are the TLS client certificate; `vtn_fingerprint` is the
        VTN's signing certificate's fingerprint; `ca_file` the CA bundle for
        the VTN's TLS certificate. An `ssl_context` of the caller's replaces
        the TLS context built from `ca_file`, `cert` and `key`.
        """
        self._url = vtn_url
        self._ven_name = ven_name
        self._ven_id = ven_id
        self._on_event = on_event
        self._on_cancel = on_cancel
        self._opt_for = opt_for
        self._on_refused = on_refused
        self._readings = readings
        self._cert = cert
        self._key = key
        self._passphrase = passphrase
        self._vtn_fingerprint = vtn_fingerprint
        self._ca_file = ca_file
        self._ssl_context = ssl_context
        self._report_seconds = report_seconds
        self._now = now or (lambda: datetime.now(UTC))
        parts = urlsplit(vtn_url)
        self._where = f"{parts.scheme}://{parts.hostname}" + (
            f":{parts.port}" if parts.port else ""
        )
        self.client: Any = None
        """openleadr's OpenADRClient, once `start()` made it."""
        self.refused = 0
        """Events set aside because they could not be read."""
        self._known: dict[str, DrEvent] = {}
        self._modification: dict[str, int] = {}
        self._registration: _Registration | None = None

    @property
    def registered(self) -> bool:
        """Whether the VTN accepted this VEN's registration."""
        return self.client is not None and self.client.registration_id is not None

    @property
    def ven_id(self) -> str | None:
        """The id the VTN gave this VEN (or the one configured, before it did)."""
        value = self._ven_id if self.client is None else self.client.ven_id
        return None if value is None else str(value)

    async def start(self) -> None:
        """Register, fetch the current events, and poll from then on.

        Raises OpenadrAuthError when the VTN refused this VEN (its answer,
        HTTP 401/403, a refused client certificate, an answer not signed by
        the expected certificate), OpenadrConnectionError otherwise.
        """
        await self.stop()  # a second start replaces the first
        loop = asyncio.get_running_loop()
        self.client, tls = await loop.run_in_executor(None, self._prepare)
        self.client.client_session = aiohttp.ClientSession(
            headers={"content-type": "application/xml"},
            timeout=REQUEST_TIMEOUT,
            connector=aiohttp.TCPConnector(ssl=tls) if tls is not None else None,
            trace_configs=[self._trace()],
        )
        self._registration = _Registration()
        try:
            await self.client.run()
        except Exception as err:
            # openleadr catches request errors; what escapes is a message it could not make
            # (a key it cannot sign with) or an answer it choked on.
            await self.stop()
            raise OpenadrConnectionError(
                f"the OpenADR 2.0b exchange with {self._where} failed: {type(err).__name__}: {err}"
            ) from err
        finally:
            registration, self._registration = self._registration, None
        if not self.registered:
            await self.stop()
            raise self._refusal(registration)

    def _prepare(self) -> tuple[Any, ssl.SSLContext | None]:
        """Make the openleadr client and the TLS context: file reads, so in an executor."""
        tls = self._ssl_context
        try:
            if tls is None and urlsplit(self._url).scheme == "https":
                tls = ssl.create_default_context(cafile=self._ca_file)
                if self._cert and self._key:
                    tls.load_cert_chain(self._cert, self._key, self._passphrase)
            client = OpenADRClient(
                ven_name=self._ven_name,
                vtn_url=self._url,
                cert=self._cert,
                key=self._key,
                passphrase=self._passphrase,
                vtn_fingerprint=self._vtn_fingerprint,
                show_fingerprint=False,
                ca_file=self._ca_file,
                ven_id=self._ven_id,
                disable_signature=not (self._cert and self._key),
            )
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            raise OpenadrAuthError(
                f"cannot load the VEN's certificate, key or CA file: {err}"
            ) from None
        client.pending_reports = _ReportsWithValues()
        client.add_handler("on_event", self._handle)
        client.add_handler("on_update_event", self._handle)
        client.add_hook("before_send_xml", self._sending)
        client.add_hook("before_schema_validation", self._validating)
        client.add_hook("before_parse_xml", self._verified)
        client.add_hook("after_parse_xml", self._parsed)
        if self._readings is not None:
            # A copy: openleadr writes the scale into the measurement it is given.
            measurement = dataclasses.replace(enums.MEASUREMENTS.REAL_POWER, scale="k")
            rate = timedelta(seconds=self._report_seconds)
            client.add_report(
                callback=self._real_power,
                resource_id="home",
                measurement=measurement,
                unit="W",
                scale="k",
                sampling_rate=objects.SamplingRate(
                    min_period=rate, max_period=max(rate, REPORT_BUFFER), on_change=False
                ),
                report_duration=REPORT_BUFFER,
            )
        return client, tls

    async def stop(self) -> None:
        """Stop polling and reporting, and close the session."""
        client = self.client
        if client is None:
            return
        if client.scheduler.running:
            client.scheduler.shutdown(wait=False)
        task = client.report_queue_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if client.client_session is not None and not client.client_session.closed:
            await client.client_session.close()

    async def send_opt(self, event_id: str, opt: OptState) -> None:
        """Tell the VTN the household's new choice for an event (oadrCreateOpt).

        The choice also becomes the answer openleadr repeats when the VTN
        sends the event again unchanged. Raises OpenadrConnectionError when
        the VTN does not acknowledge it.
        """
        if self.client is None or not self.registered:
            raise OpenadrConnectionError("the OpenADR 2.0b VEN is not registered")
        opt_type = OPT_OUT if opt is OptState.OPT_OUT else OPT_IN
        if event_id in self.client.responded_events:
            self.client.responded_events[event_id] = opt_type
        known = self._known.get(event_id)
        acknowledged = await self.client.create_opt(
            opt_type,
            enums.OPT_REASON.NOT_PARTICIPATING
            if opt is OptState.OPT_OUT
            else enums.OPT_REASON.PARTICIPATING,
            targets=[objects.Target(ven_id=self.client.ven_id)],
            event_id=event_id,
            modification_number=self._modification.get(event_id, 0),
            market_context=known.program_id if known is not None else None,
        )
        if not acknowledged:
            raise OpenadrConnectionError(f"the VTN did not acknowledge the opt for {event_id}")

    def _handle(self, event: Mapping[str, Any]) -> str:
        """Handle openleadr's on_event / on_update_event: tell the caller, answer the choice.

        A cancellation is acknowledged with optIn (2.0b), even when the rest
        of the event cannot be read.
        """
        descriptor = event.get("event_descriptor") if isinstance(event, Mapping) else None
        if not isinstance(descriptor, Mapping):
            descriptor = {}
        event_id = str(descriptor.get("event_id", "?"))
        if isinstance(modification := descriptor.get("modification_number"), int):
            self._modification[event_id] = modification
        try:
            if descriptor.get("event_status") == enums.EVENT_STATUS.CANCELLED:
                self._known.pop(event_id, None)
                self._on_cancel(event_id)
                return OPT_IN
            try:
                converted = event_from_oadr20b(event, self._now())
            except EventError as err:
                self.refused += 1
                _LOGGER.warning("Set aside OpenADR 2.0b event %s: %s", event_id, err)
                if self._on_refused is not None:
                    self._on_refused(event_id, str(err))
                return OPT_OUT
            self._known[event_id] = converted
            self._on_event(converted)
            opt = self._opt_for(event_id)
        except Exception:
            # The caller's code failed: openleadr would opt out of every event in the message.
            _LOGGER.exception("Handling OpenADR 2.0b event %s failed", event_id)
            opt = OptState.AUTOMATIC
        return OPT_OUT if opt is OptState.OPT_OUT else OPT_IN

    def _real_power(self) -> float | list[Any]:
        """The household's draw for the telemetry report, in kW (nothing while unknown)."""
        if self._readings is None:
            return []
        power = self._readings().get("power_kw")
        if isinstance(power, bool) or not isinstance(power, (int, float)):
            return []
        return float(power)

    # What the VTN does, seen through openleadr's hooks and aiohttp's tracing.

    def _implied_cancellations(self, payload: Mapping[str, Any]) -> None:
        """An event the VTN no longer lists, before it ended, was cancelled (2.0b)."""
        listed: set[str] = set()
        for event in payload.get("events") or []:
            descriptor = event.get("event_descriptor") if isinstance(event, Mapping) else None
            if isinstance(descriptor, Mapping) and descriptor.get("event_id") is not None:
                listed.add(str(descriptor["event_id"]))
        now = self._now()
        for event_id, known in list(self._known.items()):
            if event_id in listed:
                continue
            del self._known[event_id]
            if known.end > now:
                _LOGGER.debug("OpenADR 2.0b event %s withdrawn: cancelled", event_id)
                try:
                    self._on_cancel(event_id)
                except Exception:
                    _LOGGER.exception("Handling the cancellation of %s failed", event_id)

    def _sending(self, message: str) -> None:
        if self._registration is not None and "oadrCreatePartyRegistration" in message:
            self._registration.creating = True

    def _validating(self, content: str) -> None:
        registration = self._registration
        if registration is None:
            return
        if registration.verifying:  # the previous answer never reached parsing
            registration.unverified = True
        try:
            validate_xml_schema(content)
        except Exception as err:  # noqa: BLE001 - lxml's errors; only the reason matters
            registration.invalid = registration.invalid or str(err)
        else:
            registration.verifying = bool(self._vtn_fingerprint)

    def _verified(self, content: str) -> None:
        if self._registration is not None:
            self._registration.verifying = False

    def _parsed(self, message_type: str, payload: Any) -> None:
        if not isinstance(payload, Mapping):
            return
        registration = self._registration
        if (
            registration is not None
            and registration.creating
            and message_type == "oadrCreatedPartyRegistration"
        ):
            registration.answer = payload
        if message_type == "oadrDistributeEvent":
            self._implied_cancellations(payload)

    def _trace(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()

        async def answered(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            registration = self._registration
            if registration is not None and params.response.status != 200:
                registration.status = registration.status or params.response.status

        async def failed(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestExceptionParams,
        ) -> None:
            registration = self._registration
            if registration is not None and registration.transport is None:
                registration.transport = params.exception

        trace.on_request_end.append(answered)
        trace.on_request_exception.append(failed)
        return trace

    def _refusal(self, registration: _Registration | None) -> OpenadrError:
        """Why the VTN did not register this VEN, as the error to raise."""
        where = self._where
        if registration is None:
            return OpenadrConnectionError(f"the VTN at {where} did not register this VEN")
        if registration.verifying:
            registration.unverified = True
        if (err := registration.transport) is not None:
            if isinstance(err, aiohttp.ClientConnectorCertificateError):
                return OpenadrConnectionError(
                    f"the TLS certificate of the VTN at {where} is not trusted "
                    f"({err.certificate_error}); give the CA file that issued it"
                )
            if _tls_alert(err) in _REFUSED_CERTIFICATE:
                return OpenadrAuthError(
                    f"the VTN at {where} refused this VEN's TLS client certificate"
                )
            if isinstance(err, aiohttp.ServerDisconnectedError) and where.startswith("https"):
                hint = "it" if self._cert else "one, and none was given"
                return OpenadrConnectionError(
                    f"the VTN at {where} closed the connection without answering: "
                    f"a VTN that requires a TLS client certificate does so when it refuses {hint}"
                )
            return OpenadrConnectionError(f"cannot reach the VTN at {where}: {err}")
        if registration.status in (401, 403):
            return OpenadrAuthError(
                f"the VTN at {where} refused this VEN (HTTP {registration.status})"
            )
        if registration.status is not None:
            return OpenadrConnectionError(f"the VTN at {where} answered HTTP {registration.status}")
        if registration.invalid is not None:
            return OpenadrConnectionError(
                f"the VTN at {where} did not answer in OpenADR 2.0b: {registration.invalid}"
            )
        if registration.unverified:
            return OpenadrAuthError(
                f"the answers of the VTN at {where} are not signed by the certificate "
                "with the VTN fingerprint given"
            )
        if (answer := registration.answer) is not None:
            response = answer.get("response")
            code = response.get("response_code") if isinstance(response, Mapping) else None
            if code != 200:
                description = response.get("response_description") if response else None
                return OpenadrAuthError(
                    f"the VTN at {where} refused to register VEN {self._ven_name!r}: "
                    f"{code} {description or ''}".rstrip()
                )
            return OpenadrAuthError(
                f"the VTN at {where} did not register VEN {self._ven_name!r} "
                "(its answer has no registration ID)"
            )
        return OpenadrConnectionError(f"the VTN at {where} did not register this VEN")
