"""The DR event store: updates in, changes out, the same after a restart.

Protocols hand every event they receive to `EventStore.apply`; the clock
moves it on with `EventStore.advance`. Each returns the changes a household
should hear about, exactly once: announced, modified, cancelled, started,
ended. The store's state, including which transitions were already told,
is a JSON-friendly dict, so a restart neither repeats nor loses one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from .model import DrEvent, EventError, EventStatus, OptState

STORE_VERSION = 1
KEEP_ENDED = timedelta(days=7)
"""How long an ended or cancelled event stays, for the calendar and for savings."""


class ChangeKind(StrEnum):
    """What happened to an event."""

    ANNOUNCED = "announced"
    MODIFIED = "modified"
    CANCELLED = "cancelled"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Change:
    """One thing to tell: an event and what happened to it."""

    kind: ChangeKind
    event: DrEvent


class EventStore:
    """The events a home knows of, by id."""

    def __init__(self) -> None:
        """Start empty."""
        self._events: dict[str, DrEvent] = {}
        self._told: dict[str, EventStatus] = {}

    @property
    def events(self) -> list[DrEvent]:
        """Every event, earliest start first."""
        return sorted(self._events.values(), key=lambda event: (event.start, event.event_id))

    def get(self, event_id: str) -> DrEvent | None:
        """One event, if known."""
        return self._events.get(event_id)

    def active(self, moment: datetime) -> list[DrEvent]:
        """Events in force at that moment."""
        return [e for e in self.events if e.status_at(moment) is EventStatus.ACTIVE]

    def next_pending(self, moment: datetime) -> DrEvent | None:
        """The next event still to start."""
        pending = [e for e in self.events if e.status_at(moment) is EventStatus.PENDING]
        return pending[0] if pending else None

    def apply(self, event: DrEvent, moment: datetime) -> list[Change]:
        """Take an event as received; return what changed (nothing for a repeat)."""
        known = self._events.get(event.event_id)
        if known is not None:
            # The household's choice survives the aggregator's updates.
            event = replace(event, opt=known.opt)
            if known == event:
                return self.advance(moment)
        self._events[event.event_id] = event
        if known is None:
            if event.status_at(moment) is EventStatus.COMPLETED:
                # Learnt of only after it ended: kept for the calendar and for
                # savings, but there is nothing to start or to put back.
                self._told[event.event_id] = EventStatus.COMPLETED
            changes = [Change(ChangeKind.ANNOUNCED, event)]
        elif event.cancelled and not known.cancelled:
            changes = [Change(ChangeKind.CANCELLED, event)]
        else:
            changes = [Change(ChangeKind.MODIFIED, event)]
        return changes + self.advance(moment)

    def cancel(self, event_id: str, moment: datetime) -> list[Change]:
        """The aggregator withdrew an event (deleted it, or sent a cancellation)."""
        known = self._events.get(event_id)
        if known is None or known.cancelled:
            return []
        return self.apply(replace(known, cancelled=True), moment)

    def set_opt(self, event_id: str, opt: OptState) -> DrEvent:
        """Record the household's choice for an event."""
        known = self._events.get(event_id)
        if known is None:
            raise KeyError(event_id)
        self._events[event_id] = known.with_opt(opt)
        return self._events[event_id]

    def advance(self, moment: datetime) -> list[Change]:
        """Tell the starts and ends the clock has reached, once each; forget old events."""
        changes: list[Change] = []
        for event in self.events:
            told = self._told.get(event.event_id, EventStatus.PENDING)
            now = event.status_at(moment)
            if told is EventStatus.CANCELLED and now is not EventStatus.CANCELLED:
                told = EventStatus.PENDING  # the aggregator reinstated it
            if now is EventStatus.CANCELLED:
                if told is EventStatus.ACTIVE:
                    changes.append(Change(ChangeKind.ENDED, event))
                self._told[event.event_id] = now
                continue
            if now is EventStatus.PENDING or now is told:
                continue
            if told is EventStatus.PENDING:
                changes.append(Change(ChangeKind.STARTED, event))
                if now is EventStatus.COMPLETED:
                    changes.append(Change(ChangeKind.ENDED, event))
            elif told is EventStatus.ACTIVE and now is EventStatus.COMPLETED:
                changes.append(Change(ChangeKind.ENDED, event))
            self._told[event.event_id] = now
        self._forget(moment)
        return changes

    def _forget(self, moment: datetime) -> None:
        for event in list(self._events.values()):
            if event.end < moment - KEEP_ENDED and self._told.get(event.event_id) in (
                EventStatus.COMPLETED,
                EventStatus.CANCELLED,
            ):
                del self._events[event.event_id]
                del self._told[event.event_id]

    def as_dict(self) -> dict[str, Any]:
        """The store's state, JSON-friendly."""
        return {
            "version": STORE_VERSION,
            "events": [event.as_dict() for event in self.events],
            "told": {event_id: status.value for event_id, status in self._told.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote; raise EventError if it is not readable."""
        if data.get("version") != STORE_VERSION:
            raise EventError(f"stored events of version {data.get('version')!r}")
        store = cls()
        for raw in data.get("events", ()):
            event = DrEvent.from_dict(raw)
            store._events[event.event_id] = event
        try:
            store._told = {
                event_id: EventStatus(status)
                for event_id, status in data.get("told", {}).items()
                if event_id in store._events
            }
        except ValueError as err:
            raise EventError(f"stored events are not readable: {err}") from err
        return store

    def replace_all(self, events: Iterable[DrEvent], moment: datetime) -> list[Change]:
        """Reconcile with a full list from the aggregator: absent pending or active events are cancelled."""
        received = {event.event_id: event for event in events}
        changes: list[Change] = []
        for event in received.values():
            changes += self.apply(event, moment)
        for event_id, known in list(self._events.items()):
            if event_id not in received and known.status_at(moment) in (
                EventStatus.PENDING,
                EventStatus.ACTIVE,
            ):
                changes += self.cancel(event_id, moment)
        return changes
