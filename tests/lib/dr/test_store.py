"""The DR event store: every change told once, across restarts."""

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.denki.lib.dr import (
    Change,
    ChangeKind,
    DrEvent,
    EventError,
    EventStore,
    Interval,
    OptState,
)

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def event(
    event_id: str = "ev-1", start: datetime = T0, hours: float = 2, level: int = 1
) -> DrEvent:
    return DrEvent(
        event_id=event_id,
        program_id="44",
        source="openadr3",
        intervals=(Interval(0, start, timedelta(hours=hours), {"SIMPLE": (level,)}),),
    )


def kinds(changes: list[Change]) -> list[ChangeKind]:
    return [change.kind for change in changes]


def test_lifecycle_told_once_each() -> None:
    store = EventStore()
    before = T0 - timedelta(hours=1)
    assert kinds(store.apply(event(), before)) == [ChangeKind.ANNOUNCED]
    assert store.apply(event(), before) == []  # a repeat is nothing
    assert store.next_pending(before) == event()
    assert kinds(store.advance(T0)) == [ChangeKind.STARTED]
    assert store.advance(T0 + timedelta(minutes=5)) == []
    assert store.active(T0) == [event()]
    assert kinds(store.advance(T0 + timedelta(hours=2))) == [ChangeKind.ENDED]
    assert store.advance(T0 + timedelta(hours=3)) == []


def test_modified_and_cancelled_while_active() -> None:
    store = EventStore()
    store.apply(event(), T0 - timedelta(hours=1))
    store.advance(T0)
    assert kinds(store.apply(event(level=2), T0 + timedelta(minutes=1))) == [ChangeKind.MODIFIED]
    assert kinds(store.cancel("ev-1", T0 + timedelta(minutes=2))) == [
        ChangeKind.CANCELLED,
        ChangeKind.ENDED,  # an active event that is cancelled must be put back
    ]
    assert store.cancel("ev-1", T0 + timedelta(minutes=3)) == []
    assert store.cancel("unknown", T0) == []
    assert store.active(T0 + timedelta(minutes=3)) == []


def test_reinstated_event_starts_again() -> None:
    store = EventStore()
    store.apply(event(), T0 - timedelta(hours=1))
    store.cancel("ev-1", T0 - timedelta(minutes=30))
    assert kinds(store.apply(event(), T0 + timedelta(minutes=1))) == [
        ChangeKind.MODIFIED,
        ChangeKind.STARTED,
    ]


def test_event_received_late() -> None:
    store = EventStore()
    assert kinds(store.apply(event(), T0 + timedelta(minutes=30))) == [
        ChangeKind.ANNOUNCED,
        ChangeKind.STARTED,
    ]
    past = event("ev-old", T0 - timedelta(days=1))
    # Already over when first heard of: stored, but nothing to start or undo.
    assert kinds(store.apply(past, T0)) == [ChangeKind.ANNOUNCED]
    assert store.get("ev-old") == past


def test_household_choice_survives_updates() -> None:
    store = EventStore()
    store.apply(event(), T0 - timedelta(hours=1))
    store.set_opt("ev-1", OptState.OPT_OUT)
    store.apply(event(level=3), T0 - timedelta(minutes=30))
    stored = store.get("ev-1")
    assert stored is not None
    assert stored.opt is OptState.OPT_OUT
    with pytest.raises(KeyError):
        store.set_opt("nope", OptState.OPT_IN)


def test_restart_neither_repeats_nor_loses_a_change() -> None:
    store = EventStore()
    store.apply(event(), T0 - timedelta(hours=1))
    store.apply(event("ev-2", T0 + timedelta(hours=4)), T0 - timedelta(hours=1))
    assert kinds(store.advance(T0 + timedelta(minutes=1))) == [ChangeKind.STARTED]
    restored = EventStore.from_dict(json.loads(json.dumps(store.as_dict())))
    assert restored.advance(T0 + timedelta(minutes=2)) == []  # not started twice
    # Home Assistant was down across the end of ev-1: the end is still told.
    assert kinds(restored.advance(T0 + timedelta(hours=3))) == [ChangeKind.ENDED]
    assert [e.event_id for e in restored.events] == ["ev-1", "ev-2"]


def test_stored_state_that_is_not_readable() -> None:
    with pytest.raises(EventError, match="version"):
        EventStore.from_dict({"version": 99})
    good = EventStore()
    good.apply(event(), T0)
    data = good.as_dict()
    data["told"] = {"ev-1": "exploded"}
    with pytest.raises(EventError, match="not readable"):
        EventStore.from_dict(data)


def test_full_list_cancels_what_the_aggregator_dropped() -> None:
    store = EventStore()
    store.apply(event("a"), T0 - timedelta(hours=1))
    store.apply(event("b", T0 + timedelta(hours=5)), T0 - timedelta(hours=1))
    changes = store.replace_all([event("a")], T0 - timedelta(minutes=30))
    assert [(c.kind, c.event.event_id) for c in changes] == [(ChangeKind.CANCELLED, "b")]


def test_old_events_are_forgotten_after_a_week() -> None:
    store = EventStore()
    store.apply(event(), T0 - timedelta(hours=1))
    store.advance(T0 + timedelta(hours=3))
    store.advance(T0 + timedelta(days=6))
    assert store.get("ev-1") is not None
    store.advance(T0 + timedelta(days=8))
    assert store.get("ev-1") is None
