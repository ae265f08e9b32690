"""The demand-response event model shared by every aggregator protocol.

OpenADR 3, OpenADR 2.0b and the MQTT aggregator profile all become a
`DrEvent`: intervals with absolute starts and durations (aware datetimes,
UTC), typed payloads, and the household's opt state. Status is derived from
the clock, never stored, so a restart cannot leave an event "active" that
has ended.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from .duration import INFINITE

type PayloadValue = float | int | str | bool

_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


class SignalType(StrEnum):
    """The payload types Denki acts on (OpenADR 3 event interval payloads)."""

    SIMPLE = "SIMPLE"
    """A level: 0 normal, 1 moderate, 2 high, 3 emergency."""
    PRICE = "PRICE"
    IMPORT_CAPACITY_LIMIT = "IMPORT_CAPACITY_LIMIT"
    """The most the home may draw, in kW."""
    EXPORT_CAPACITY_LIMIT = "EXPORT_CAPACITY_LIMIT"
    DISPATCH_SETPOINT = "DISPATCH_SETPOINT"
    DISPATCH_SETPOINT_RELATIVE = "DISPATCH_SETPOINT_RELATIVE"
    ALERT_GRID_EMERGENCY = "ALERT_GRID_EMERGENCY"


class EventStatus(StrEnum):
    """Where an event stands at a given moment."""

    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OptState(StrEnum):
    """The household's choice for one event."""

    AUTOMATIC = "automatic"
    """No choice made: the automatic response takes part (the default)."""
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class EventError(ValueError):
    """An event that cannot be understood (missing times, bad payloads)."""


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise EventError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval of an event: when, and its payloads by type."""

    interval_id: int
    start: datetime
    duration: timedelta
    payloads: Mapping[str, tuple[PayloadValue, ...]] = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        """When the interval ends (datetime.max, in UTC, for an infinite one)."""
        if self.duration == INFINITE:
            return _END_OF_TIME
        try:
            return self.start + self.duration
        except OverflowError:
            return _END_OF_TIME

    def contains(self, moment: datetime) -> bool:
        """Whether the moment falls in [start, end)."""
        return self.start <= moment < self.end

    def value_at(self, signal: str, moment: datetime) -> PayloadValue | None:
        """The payload of that type at that moment.

        A payload with several values splits the interval into equal
        sub-intervals, one per value (User Guide, multi-valued payloads).
        """
        values = self.payloads.get(signal)
        if not values or not self.contains(moment):
            return None
        if len(values) == 1 or self.duration == INFINITE:
            return values[0]
        index = int((moment - self.start) / (self.duration / len(values)))
        return values[min(index, len(values) - 1)]


@dataclass(frozen=True, slots=True)
class DrEvent:
    """A demand-response event as the household sees it."""

    event_id: str
    program_id: str
    intervals: tuple[Interval, ...]
    source: str
    name: str | None = None
    priority: int | None = None
    modified: datetime | None = None
    cancelled: bool = False
    opt: OptState = OptState.AUTOMATIC

    def __post_init__(self) -> None:
        """Refuse an event with nothing to do, and keep intervals in time order."""
        if not self.intervals:
            raise EventError(f"event {self.event_id} has no intervals")
        ordered = tuple(sorted(self.intervals, key=lambda interval: interval.start))
        object.__setattr__(self, "intervals", ordered)

    @property
    def start(self) -> datetime:
        """When the first interval starts."""
        return self.intervals[0].start

    @property
    def end(self) -> datetime:
        """When the last interval ends."""
        return max(interval.end for interval in self.intervals)

    def status_at(self, moment: datetime) -> EventStatus:
        """Pending, active, completed or cancelled at that moment."""
        if self.cancelled:
            return EventStatus.CANCELLED
        moment = _aware(moment)
        if moment < self.start:
            return EventStatus.PENDING
        if moment < self.end:
            return EventStatus.ACTIVE
        return EventStatus.COMPLETED

    def interval_at(self, moment: datetime) -> Interval | None:
        """The interval in force at that moment (the latest-starting one if they overlap)."""
        moment = _aware(moment)
        current = [interval for interval in self.intervals if interval.contains(moment)]
        return current[-1] if current else None

    def boundaries(self) -> list[datetime]:
        """Every moment its values may change: interval starts and ends, and each split.

        A payload with several values splits its interval into equal parts
        (User Guide, multi-valued payloads); each part's start is a boundary.
        """
        moments: set[datetime] = set()
        for interval in self.intervals:
            moments.add(interval.start)
            if interval.duration == INFINITE:
                continue
            moments.add(interval.end)
            for parts in {len(values) for values in interval.payloads.values()}:
                for index in range(1, parts):
                    moments.add(interval.start + interval.duration * index / parts)
        return sorted(moments)

    def value_at(self, signal: str, moment: datetime) -> PayloadValue | None:
        """The payload of that type in force at that moment, if any."""
        interval = self.interval_at(moment)
        return None if interval is None else interval.value_at(signal, _aware(moment))

    @property
    def participating(self) -> bool:
        """Whether the household takes part (automatically or by opting in)."""
        return self.opt is not OptState.OPT_OUT

    def with_opt(self, opt: OptState) -> Self:
        """The same event with the household's new choice."""
        return replace(self, opt=opt)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for persistence."""
        return {
            "event_id": self.event_id,
            "program_id": self.program_id,
            "source": self.source,
            "name": self.name,
            "priority": self.priority,
            "modified": self.modified.isoformat() if self.modified else None,
            "cancelled": self.cancelled,
            "opt": self.opt.value,
            "intervals": [
                {
                    "id": interval.interval_id,
                    "start": interval.start.isoformat(),
                    "seconds": None
                    if interval.duration == INFINITE
                    else interval.duration.total_seconds(),
                    "payloads": {key: list(values) for key, values in interval.payloads.items()},
                }
                for interval in self.intervals
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        try:
            return cls(
                event_id=str(data["event_id"]),
                program_id=str(data["program_id"]),
                source=str(data["source"]),
                name=data.get("name"),
                priority=data.get("priority"),
                modified=datetime.fromisoformat(data["modified"]) if data.get("modified") else None,
                cancelled=bool(data.get("cancelled", False)),
                opt=OptState(data.get("opt", OptState.AUTOMATIC)),
                intervals=tuple(
                    Interval(
                        interval_id=int(item["id"]),
                        start=_aware(datetime.fromisoformat(item["start"])),
                        duration=INFINITE
                        if item["seconds"] is None
                        else timedelta(seconds=item["seconds"]),
                        payloads={key: tuple(values) for key, values in item["payloads"].items()},
                    )
                    for item in data["intervals"]
                ),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise EventError(f"stored event is not readable: {err}") from err
