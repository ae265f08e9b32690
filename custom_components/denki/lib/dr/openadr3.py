"""OpenADR 3 event objects (JSON) to `DrEvent`s, following the 3.1.1 User Guide.

Timing rules applied (User Guide, "intervalPeriod"):
- event.intervalPeriod gives every interval its default start and duration;
  an interval's own intervalPeriod overrides either;
- with no start of its own, an interval follows the previous one
  immediately; the first one starts at the event's start;
- a start of "0001-01-01" means "now" (the moment the event was received)
  for the event or the first interval, and "right after the previous one"
  for a later interval;
- "P9999Y" is infinity;
- event.duration, when present, bounds the event's lifespan: intervals
  past it are cut. (Repeating intervals to fill a longer duration, used for
  standing tariffs, is not supported yet: such an event ends with its last
  interval.)
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .duration import INFINITE, DurationError, parse_duration
from .model import DrEvent, EventError, Interval, PayloadValue

SOURCE = "openadr3"
_BEGINNING_OF_TIME = ("0001-01-01", "0001-01-01T00:00:00")


def _start(text: str | None) -> datetime | None:
    """An absolute start, or None for "not given / now"."""
    if text is None:
        return None
    if text.rstrip("Z").split(".")[0] in _BEGINNING_OF_TIME:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise EventError(f"start {text!r} is not an ISO 8601 date-time") from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # OpenADR 3 date-times are UTC unless offset
    return moment.astimezone(UTC)


def _duration(text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except DurationError as err:
        raise EventError(str(err)) from err


def _payloads(raw: Any) -> dict[str, tuple[PayloadValue, ...]]:
    payloads: dict[str, tuple[PayloadValue, ...]] = {}
    for item in raw or ():
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            raise EventError("a payload without a type")
        values = item.get("values")
        if not isinstance(values, list) or not all(
            isinstance(value, (int, float, str, bool)) for value in values
        ):
            raise EventError(f"payload {item['type']} has no list of plain values")
        payloads[item["type"]] = tuple(values)
    return payloads


def event_from_openadr3(obj: Mapping[str, Any], received: datetime) -> DrEvent:
    """Build a DrEvent from an OpenADR 3 event object received at `received`."""
    try:
        event_id = str(obj["id"])
        program_id = str(obj["programID"])
    except KeyError as err:
        raise EventError(f"event without {err.args[0]}") from None
    default = obj.get("intervalPeriod") or {}
    default_start = _start(default.get("start"))
    default_duration = _duration(default.get("duration"))
    received = received.astimezone(UTC)

    intervals: list[Interval] = []
    previous_end: datetime | None = None
    for raw in obj.get("intervals") or ():
        period = raw.get("intervalPeriod") or {}
        duration = _duration(period.get("duration")) or default_duration
        if duration is None:
            raise EventError(f"interval {raw.get('id')} of event {event_id} has no duration")
        # No start of its own: right after the previous interval, or, for the
        # first one, the event's start ("now" when that is not given either).
        start = _start(period.get("start")) or previous_end or default_start or received
        interval = Interval(
            int(raw.get("id", len(intervals))), start, duration, _payloads(raw.get("payloads"))
        )
        intervals.append(interval)
        previous_end = interval.end

    if not intervals:
        raise EventError(f"event {event_id} has no intervals")
    lifespan = _duration(obj.get("duration"))
    if lifespan is not None and lifespan != INFINITE:
        limit = intervals[0].start + lifespan
        intervals = [
            Interval(i.interval_id, i.start, min(i.end, limit) - i.start, i.payloads)
            for i in intervals
            if i.start < limit
        ]
    metadata_modified = obj.get("modificationDateTime")
    return DrEvent(
        event_id=event_id,
        program_id=program_id,
        intervals=tuple(intervals),
        source=SOURCE,
        name=obj.get("eventName"),
        priority=obj.get("priority"),
        modified=_start(metadata_modified) if metadata_modified else None,
    )
