"""The MQTT aggregator profile: JSON messages for aggregators that use MQTT only.

Documented in docs/mqtt-aggregator-profile.md. Topics, under a prefix the
aggregator chooses, for one household (its VEN id):

    {prefix}/{ven}/events   aggregator -> home   event, cancel, events (QoS 1)
    {prefix}/{ven}/acks     aggregator -> home   ack (QoS 1)
    {prefix}/{ven}/reports  home -> aggregator   report (QoS 1)
    {prefix}/{ven}/opt      home -> aggregator   opt (QoS 1)
    {prefix}/{ven}/status   home -> aggregator   "online" / "offline" (retained, last will)

Every message is a JSON object with "schema": "denki.dr/1" and a "type",
except reports, which are compact (see `encode_report`): they are the one
message sent all day long.
Parsing is strict: anything else raises ProfileError, which says what is
wrong, and the message is dropped (and counted) by the caller.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from typing import Any

from .duration import DurationError, parse_duration
from .model import DrEvent, EventError, Interval, OptState, PayloadValue

SCHEMA = "denki.dr/1"
SOURCE = "mqtt"
MAX_MESSAGE_BYTES = 256 * 1024


class ProfileError(ValueError):
    """A message that does not follow the profile."""


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one household."""

    prefix: str
    ven: str

    def __post_init__(self) -> None:
        """Refuse names that would escape the household's subtree."""
        for name, value in (("prefix", self.prefix), ("VEN id", self.ven)):
            if (
                not value
                or any(c in value for c in "+#\x00")
                or (name == "VEN id" and "/" in value)
            ):
                raise ProfileError(f"the {name} {value!r} cannot be used in a topic")

    def _topic(self, leaf: str) -> str:
        return f"{self.prefix.rstrip('/')}/{self.ven}/{leaf}"

    @property
    def events(self) -> str:
        """Where the aggregator publishes events."""
        return self._topic("events")

    @property
    def acks(self) -> str:
        """Where the aggregator acknowledges reports."""
        return self._topic("acks")

    @property
    def reports(self) -> str:
        """Where the home publishes reports."""
        return self._topic("reports")

    @property
    def opt(self) -> str:
        """Where the home publishes the household's choices."""
        return self._topic("opt")

    @property
    def status(self) -> str:
        """The home's online/offline status (retained; the last will says offline)."""
        return self._topic("status")


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One event, new or updated."""

    event: DrEvent


@dataclass(frozen=True, slots=True)
class CancelMessage:
    """The aggregator withdrew an event."""

    event_id: str


@dataclass(frozen=True, slots=True)
class EventListMessage:
    """Every current event: what is absent is cancelled."""

    events: tuple[DrEvent, ...]


@dataclass(frozen=True, slots=True)
class AckMessage:
    """The aggregator has every report of the outbox up to `seq`."""

    outbox: str
    seq: int


type DownMessage = EventMessage | CancelMessage | EventListMessage | AckMessage


def _field(obj: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ProfileError(f"{where}: {name!r} must be a {kind.__name__}")
    return value


def _time(text: Any, where: str) -> datetime:
    if not isinstance(text, str):
        raise ProfileError(f"{where}: a time must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProfileError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ProfileError(f"{where}: {text!r} has no offset")
    return moment.astimezone(UTC)


def _event(obj: Any) -> DrEvent:
    if not isinstance(obj, Mapping):
        raise ProfileError("an event must be an object")
    event_id = _field(obj, "id", str, "event")
    where = f"event {event_id}"
    intervals = []
    for raw in _field(obj, "intervals", list, where):
        if not isinstance(raw, Mapping):
            raise ProfileError(f"{where}: an interval must be an object")
        try:
            duration = parse_duration(_field(raw, "duration", str, where))
        except DurationError as err:
            raise ProfileError(f"{where}: {err}") from None
        payloads: dict[str, tuple[PayloadValue, ...]] = {}
        for kind, values in _field(raw, "payloads", dict, where).items():
            if not isinstance(values, list) or not all(
                isinstance(v, (int, float, str, bool)) for v in values
            ):
                raise ProfileError(f"{where}: payload {kind} must be a list of plain values")
            payloads[str(kind)] = tuple(values)
        intervals.append(
            Interval(
                _field(raw, "id", int, where), _time(raw.get("start"), where), duration, payloads
            )
        )
    priority = obj.get("priority")
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise ProfileError(f"{where}: 'priority' must be an integer")
    try:
        return DrEvent(
            event_id=event_id,
            program_id=_field(obj, "program", str, where),
            intervals=tuple(intervals),
            source=SOURCE,
            name=obj.get("name") if isinstance(obj.get("name"), str) else None,
            priority=priority,
            modified=_time(obj["modified"], where) if obj.get("modified") is not None else None,
            cancelled=obj.get("cancelled") is True,
        )
    except EventError as err:
        raise ProfileError(str(err)) from None


def parse_down(payload: bytes) -> DownMessage:
    """Parse a message from the aggregator; raise ProfileError if it is not one."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise ProfileError(f"message of {len(payload)} bytes is larger than {MAX_MESSAGE_BYTES}")
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as err:
        raise ProfileError(f"message is not JSON: {err}") from None
    if not isinstance(obj, dict):
        raise ProfileError("message is not a JSON object")
    if obj.get("schema") != SCHEMA:
        raise ProfileError(f"message schema {obj.get('schema')!r} is not {SCHEMA!r}")
    kind = obj.get("type")
    if kind == "event":
        return EventMessage(_event(obj.get("event")))
    if kind == "cancel":
        return CancelMessage(_field(obj, "id", str, "cancel"))
    if kind == "events":
        return EventListMessage(
            tuple(_event(item) for item in _field(obj, "events", list, "events"))
        )
    if kind == "ack":
        seq = _field(obj, "seq", int, "ack")
        if seq < 1:
            raise ProfileError("ack: 'seq' must be at least 1")
        return AckMessage(_field(obj, "outbox", str, "ack"), seq)
    raise ProfileError(f"message type {kind!r} is not one of event, cancel, events, ack")


def _dump(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


REPORT_KEYS: dict[str, str] = {"power_kw": "p", "curtailed_kw": "c"}
"""The short names reports use for Denki's readings; any other reading keeps its name."""
OUTBOX_ID_LENGTH = 8
"""Hex digits of the outbox id a report and its ack carry (32 bits: one household's outboxes)."""


@dataclass(frozen=True, slots=True)
class ReportMessage:
    """A report as the aggregator reads it."""

    outbox: str
    seq: int
    at: datetime
    values: dict[str, float]


def short_outbox(outbox: str) -> str:
    """The outbox id as reports and acks carry it."""
    return outbox[:OUTBOX_ID_LENGTH]


def encode_report(outbox: str, seq: int, at: datetime, values: Mapping[str, float]) -> bytes:
    """A report in the profile's compact form: about 60 bytes.

    Reports are the one message sent every few minutes over a cellular
    link, so they are compact: `o` the outbox, `n` the sequence number,
    `t` the reading's time in Unix seconds, `v` the readings under their
    short names (`REPORT_KEYS`). The topic says it is a report.
    """
    return _dump(
        {
            "o": short_outbox(outbox),
            "n": seq,
            "t": int(at.timestamp()),
            "v": {REPORT_KEYS.get(name, name): value for name, value in values.items()},
        }
    )


def decode_report(payload: bytes) -> ReportMessage:
    """What an aggregator reads from a report; ProfileError when it is not one."""
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as err:
        raise ProfileError(f"report is not JSON: {err}") from None
    if not isinstance(obj, dict):
        raise ProfileError("report is not a JSON object")
    values = _field(obj, "v", dict, "report")
    names = {short: name for name, short in REPORT_KEYS.items()}
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values()):
        raise ProfileError("report: readings must be numbers")
    return ReportMessage(
        _field(obj, "o", str, "report"),
        _field(obj, "n", int, "report"),
        datetime.fromtimestamp(_field(obj, "t", int, "report"), UTC),
        {names.get(key, key): float(value) for key, value in values.items()},
    )


def encode_opt(event_id: str, opt: OptState, at: datetime) -> bytes:
    """The household's choice for an event."""
    return _dump(
        {
            "schema": SCHEMA,
            "type": "opt",
            "id": event_id,
            "opt": opt.value,
            "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
    )
