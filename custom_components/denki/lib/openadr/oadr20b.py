"""An OpenADR 2.0b VEN, through openleadr's client (simple HTTP pull).

`event_from_oadr20b` turns an event as openleadr parses it (event
descriptor, active period, signals with intervals) into a `DrEvent`;
`Oadr20bVen` registers with the VTN, polls it at the frequency the VTN
asks for, answers every event with the household's choice (optIn unless it
opted out), tells the caller of new, changed and cancelled events, sends a
telemetry report of the household's real power when the VTN asks for one,
and sends an opt when the household changes its mind.

Message signing (the VEN's certificate and key, and the VTN's certificate
fingerprint) and a CA file for the VTN's TLS certificate are passed to
openleadr as given. openleadr opens its own aiohttp session.
"""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
import logging
from typing import Any

from openleadr import OpenADRClient, enums  # type: ignore[import-untyped]

from ..dr import INFINITE, DrEvent, EventError, Interval, OptState, SignalType
from ..dr.model import PayloadValue
from .client import OpenadrConnectionError

_LOGGER = logging.getLogger(__name__)

SOURCE = "openadr2b"
SIGNALS: dict[tuple[str, str | None], str] = {
    ("SIMPLE", None): SignalType.SIMPLE,
    ("ELECTRICITY_PRICE", None): SignalType.PRICE,
    ("ENERGY_PRICE", None): SignalType.PRICE,
    ("LOAD_DISPATCH", "setpoint"): SignalType.DISPATCH_SETPOINT,
    ("LOAD_DISPATCH", "delta"): SignalType.DISPATCH_SETPOINT_RELATIVE,
}
"""2.0b signal names (and types, where they decide) to Denki's payload types; others keep theirs."""
DEFAULT_REPORT_SECONDS = 300


def _signal(name: Any, kind: Any) -> str:
    upper = str(name).upper()
    return SIGNALS.get((upper, str(kind)), SIGNALS.get((upper, None), upper))


def _payload(value: Any, where: str) -> PayloadValue:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise EventError(f"{where}: signal payload {value!r} is not a plain value")
    return value


def event_from_oadr20b(event: Mapping[str, Any], received: datetime) -> DrEvent:
    """A DrEvent from openleadr's parsed event dict."""
    try:
        descriptor = event["event_descriptor"]
        event_id = str(descriptor["event_id"])
        active = event["active_period"]
        start: datetime = active["dtstart"]
        total: timedelta = active["duration"]
    except (KeyError, TypeError) as err:
        raise EventError(f"OpenADR 2.0b event without {err}") from None
    where = f"event {event_id}"
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise EventError(f"{where}: the active period's start is not an aware time")
    if not isinstance(total, timedelta) or total < timedelta(0):
        raise EventError(f"{where}: the active period's duration is not a duration")
    # Intervals of every signal, merged by their time: one Interval per time span.
    spans: dict[tuple[datetime, timedelta], dict[str, tuple[PayloadValue, ...]]] = {}
    signals = event.get("event_signals") or []
    if isinstance(signals, Mapping):
        signals = signals.get("event_signals") or []
    for signal in signals:
        name = _signal(signal.get("signal_name"), signal.get("signal_type"))
        moment = start
        for interval in signal.get("intervals") or []:
            duration = interval.get("duration")
            if not isinstance(duration, timedelta) or duration < timedelta(0):
                raise EventError(f"{where}: an interval of {name} has no duration")
            begins = interval.get("dtstart") or moment
            if not isinstance(begins, datetime) or begins.tzinfo is None:
                raise EventError(f"{where}: an interval of {name} starts at no aware time")
            length = INFINITE if duration == timedelta(0) else duration
            spans.setdefault((begins, length), {})[name] = (
                _payload(interval.get("signal_payload"), where),
            )
            moment = begins + duration
    if not spans:  # an event without signals still has its active period
        spans[(start, INFINITE if total == timedelta(0) else total)] = {}
    intervals = tuple(
        Interval(n, begins, length, payloads)
        for n, ((begins, length), payloads) in enumerate(
            sorted(spans.items(), key=lambda i: i[0][0])
        )
    )
    priority = descriptor.get("priority")
    modified = descriptor.get("modification_date_time")
    return DrEvent(
        event_id=event_id,
        program_id=str(descriptor.get("market_context") or "oadr20b"),
        intervals=intervals,
        source=SOURCE,
        priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else None,
        modified=modified if isinstance(modified, datetime) and modified.tzinfo else None,
        cancelled=descriptor.get("event_status") == "cancelled",
    )


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
        report_seconds: int = DEFAULT_REPORT_SECONDS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Prepare; `start()` registers. Key paths and passphrase are never logged."""
        self._on_event = on_event
        self._on_cancel = on_cancel
        self._opt_for = opt_for
        self._on_refused = on_refused
        self._readings = readings
        self._now = now or (lambda: datetime.now().astimezone())
        self.client = OpenADRClient(
            ven_name=ven_name,
            vtn_url=vtn_url,
            cert=cert,
            key=key,
            passphrase=passphrase,
            vtn_fingerprint=vtn_fingerprint,
            show_fingerprint=False,
            ca_file=ca_file,
            ven_id=ven_id,
            disable_signature=not (cert and key),
        )
        self.client.add_handler("on_event", self._handle)
        self.client.add_handler("on_update_event", self._handle)
        if readings is not None:
            self.client.add_report(
                callback=self._real_power,
                resource_id="home",
                measurement=enums.MEASUREMENTS.REAL_POWER,
                sampling_rate=timedelta(seconds=report_seconds),
                unit="W",
            )
        self.refused = 0

    @property
    def registered(self) -> bool:
        """Whether the VTN accepted this VEN's registration."""
        return self.client.registration_id is not None

    @property
    def ven_id(self) -> str | None:
        """The id the VTN gave this VEN."""
        value = self.client.ven_id
        return None if value is None else str(value)

    async def start(self) -> None:
        """Register, fetch the current events, and poll from then on."""
        await self.client.run()
        if not self.registered:
            await self.stop()
            raise OpenadrConnectionError("the OpenADR 2.0b VTN did not register this VEN")

    async def stop(self) -> None:
        """Stop polling and close openleadr's session."""
        scheduler = self.client.scheduler
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if self.client.report_queue_task:
            self.client.report_queue_task.cancel()
        if self.client.client_session is not None and not self.client.client_session.closed:
            await self.client.client_session.close()

    async def send_opt(self, event_id: str, opt: OptState) -> None:
        """Tell the VTN the household's new choice for an event."""
        opt_type = "optOut" if opt is OptState.OPT_OUT else "optIn"
        await self.client.create_opt(
            opt_type,
            "notParticipating" if opt is OptState.OPT_OUT else "participating",
            targets=[{"ven_id": self.client.ven_id}],
            event_id=event_id,
        )

    def _handle(self, event: Mapping[str, Any]) -> str:
        """Openleadr's on_event / on_update_event: tell the caller, answer with the choice."""
        try:
            converted = event_from_oadr20b(event, self._now())
        except EventError as err:
            self.refused += 1
            event_id = str((event.get("event_descriptor") or {}).get("event_id", "?"))
            _LOGGER.warning("Set aside OpenADR 2.0b event %s: %s", event_id, err)
            if self._on_refused is not None:
                self._on_refused(event_id, str(err))
            return "optOut"
        if converted.cancelled:
            self._on_cancel(converted.event_id)
        else:
            self._on_event(converted)
        return "optOut" if self._opt_for(converted.event_id) is OptState.OPT_OUT else "optIn"

    def _real_power(self) -> float | None:
        """The household's draw for the telemetry report, in W."""
        if self._readings is None:
            return None
        power = self._readings().get("power_kw")
        return None if power is None else round(power * 1000, 1)
