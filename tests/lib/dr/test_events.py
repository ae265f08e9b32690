"""The DR event model and OpenADR 3 events, by the User Guide's rules and examples."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.denki.lib.dr import (
    INFINITE,
    DrEvent,
    DurationError,
    EventError,
    EventStatus,
    OptState,
    SignalType,
    event_from_openadr3,
    parse_duration,
)

RECEIVED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1D", timedelta(days=1)),
        ("P1W", timedelta(weeks=1)),
        ("PT0.5S", timedelta(seconds=0.5)),
        ("PT15M", timedelta(minutes=15)),
        ("P0D", timedelta(0)),
        ("-PT5M", timedelta(minutes=-5)),
        ("P9999Y", INFINITE),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "1H", "P1M", "P2Y", "PT1H2", "P1DT", "P9999Y1D"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def _event(**fields: Any) -> dict[str, Any]:
    return {"id": "ev-1", "programID": "44", **fields}


def test_user_guide_variable_intervals_example() -> None:
    """User Guide example 7.4-1: a default period, and an interval with its own duration."""
    event = event_from_openadr3(
        _event(
            eventName="variableIntervalsEvent",
            intervalPeriod={"start": "2023-02-10T00:00:00.000Z", "duration": "PT1H"},
            intervals=[
                {"id": 0, "payloads": [{"type": "PRICE", "values": [0.17]}]},
                {
                    "id": 1,
                    "intervalPeriod": {"duration": "PT2H"},
                    "payloads": [{"type": "PRICE", "values": [0.22]}],
                },
            ],
        ),
        RECEIVED,
    )
    first, second = event.intervals
    assert (first.start, first.end) == (
        datetime(2023, 2, 10, 0, tzinfo=UTC),
        datetime(2023, 2, 10, 1, tzinfo=UTC),
    )
    assert (second.start, second.end) == (
        datetime(2023, 2, 10, 1, tzinfo=UTC),
        datetime(2023, 2, 10, 3, tzinfo=UTC),
    )
    assert event.value_at("PRICE", datetime(2023, 2, 10, 2, 59, tzinfo=UTC)) == 0.22
    assert event.value_at("PRICE", datetime(2023, 2, 10, 3, tzinfo=UTC)) is None
    assert event.name == "variableIntervalsEvent"
    assert event.source == "openadr3"


def test_do_it_now_alert() -> None:
    """Start 0001-01-01 and duration P9999Y: from the moment received, for ever."""
    event = event_from_openadr3(
        _event(
            intervalPeriod={"start": "0001-01-01T00:00:00", "duration": "P9999Y"},
            intervals=[
                {"id": 0, "payloads": [{"type": "ALERT_GRID_EMERGENCY", "values": ["Stay safe"]}]}
            ],
        ),
        RECEIVED,
    )
    assert event.start == RECEIVED
    assert event.status_at(RECEIVED - timedelta(seconds=1)) is EventStatus.PENDING
    assert event.status_at(RECEIVED + timedelta(days=3650)) is EventStatus.ACTIVE
    assert event.value_at(SignalType.ALERT_GRID_EMERGENCY, RECEIVED) == "Stay safe"


def test_demand_response_level_and_import_limit() -> None:
    event = event_from_openadr3(
        _event(
            intervalPeriod={"start": "2026-11-22T08:00:00Z", "duration": "PT1H"},
            intervals=[
                {
                    "id": 0,
                    "payloads": [
                        {"type": "SIMPLE", "values": [1]},
                        {"type": "IMPORT_CAPACITY_LIMIT", "values": [3.0]},
                    ],
                },
                {
                    "id": 1,
                    "payloads": [
                        {"type": "SIMPLE", "values": [2]},
                        {"type": "IMPORT_CAPACITY_LIMIT", "values": [2.0]},
                    ],
                },
            ],
        ),
        RECEIVED,
    )
    at = datetime(2026, 11, 22, 9, 15, tzinfo=UTC)
    assert event.value_at(SignalType.SIMPLE, at) == 2
    assert event.value_at(SignalType.IMPORT_CAPACITY_LIMIT, at) == 2.0
    assert event.end == datetime(2026, 11, 22, 10, tzinfo=UTC)
    # A moment in another zone is the same moment.
    assert (
        event.status_at(datetime(2026, 11, 22, 18, 30, tzinfo=ZoneInfo("Asia/Tokyo")))
        is EventStatus.ACTIVE
    )


def test_multi_valued_payload_splits_the_interval() -> None:
    event = event_from_openadr3(
        _event(
            intervals=[
                {
                    "id": 0,
                    "intervalPeriod": {"start": "2025-06-25T00:00:00.000Z", "duration": "PT3H"},
                    "payloads": [{"type": "PRICE", "values": [0.1, 0.2, 0.3]}],
                }
            ]
        ),
        RECEIVED,
    )
    base = datetime(2025, 6, 25, tzinfo=UTC)
    assert [
        event.value_at("PRICE", base + timedelta(minutes=m)) for m in (0, 59, 60, 150, 179)
    ] == [0.1, 0.1, 0.2, 0.3, 0.3]


def test_event_duration_cuts_intervals() -> None:
    event = event_from_openadr3(
        _event(
            duration="PT90M",
            intervalPeriod={"start": "2026-11-22T08:00:00Z", "duration": "PT1H"},
            intervals=[
                {"id": i, "payloads": [{"type": "SIMPLE", "values": [i]}]} for i in range(3)
            ],
        ),
        RECEIVED,
    )
    assert [i.duration for i in event.intervals] == [timedelta(hours=1), timedelta(minutes=30)]
    assert event.end == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_intervals_with_gaps_keep_their_own_starts() -> None:
    event = event_from_openadr3(
        _event(
            intervals=[
                {
                    "id": 1,
                    "intervalPeriod": {"start": "2026-11-22T12:00:00Z", "duration": "PT1H"},
                    "payloads": [],
                },
                {
                    "id": 0,
                    "intervalPeriod": {"start": "2026-11-22T08:00:00Z", "duration": "PT1H"},
                    "payloads": [],
                },
            ],
            modificationDateTime="2026-11-21T10:00:00Z",
        ),
        RECEIVED,
    )
    assert [i.interval_id for i in event.intervals] == [0, 1]  # in time order
    assert event.interval_at(datetime(2026, 11, 22, 10, tzinfo=UTC)) is None
    assert event.status_at(datetime(2026, 11, 22, 10, tzinfo=UTC)) is EventStatus.ACTIVE
    assert event.modified == datetime(2026, 11, 21, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"programID": "44", "intervals": []}, "event without id"),
        ({"id": "x", "intervals": []}, "event without programID"),
        (_event(intervals=[]), "has no intervals"),
        (_event(intervals=[{"id": 0, "payloads": []}]), "has no duration"),
        (
            _event(
                intervalPeriod={"duration": "PT1H"},
                intervals=[{"id": 0, "payloads": [{"values": [1]}]}],
            ),
            "without a type",
        ),
        (
            _event(
                intervalPeriod={"duration": "PT1H"},
                intervals=[{"id": 0, "payloads": [{"type": "SIMPLE", "values": 1}]}],
            ),
            "no list of plain values",
        ),
        (
            _event(
                intervalPeriod={"start": "yesterday", "duration": "PT1H"},
                intervals=[{"id": 0, "payloads": []}],
            ),
            "not an ISO 8601 date-time",
        ),
        (
            _event(intervalPeriod={"duration": "P1M"}, intervals=[{"id": 0, "payloads": []}]),
            "years are only|ISO 8601 duration",
        ),
    ],
)
def test_malformed_events_are_refused_clearly(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError, match=message):
        event_from_openadr3(obj, RECEIVED)


def _simple_event() -> DrEvent:
    return event_from_openadr3(
        _event(
            intervalPeriod={"start": "2026-11-22T08:00:00Z", "duration": "PT2H"},
            intervals=[{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}],
        ),
        RECEIVED,
    )


def test_status_and_opt_state() -> None:
    event = _simple_event()
    assert event.status_at(datetime(2026, 11, 22, 7, tzinfo=UTC)) is EventStatus.PENDING
    assert event.status_at(datetime(2026, 11, 22, 8, tzinfo=UTC)) is EventStatus.ACTIVE
    assert event.status_at(datetime(2026, 11, 22, 10, tzinfo=UTC)) is EventStatus.COMPLETED
    assert event.opt is OptState.AUTOMATIC
    assert event.participating
    opted_out = event.with_opt(OptState.OPT_OUT)
    assert not opted_out.participating
    assert event.participating  # the original is unchanged
    assert (
        replace(event, cancelled=True).status_at(datetime(2026, 11, 22, 9, tzinfo=UTC))
        is EventStatus.CANCELLED
    )
    with pytest.raises(EventError, match="no time zone"):
        event.status_at(datetime(2026, 11, 22, 9))  # noqa: DTZ001 - the point of the test


def test_persisted_form_round_trips_through_json() -> None:
    alert = event_from_openadr3(
        _event(
            intervalPeriod={"start": "0001-01-01", "duration": "P9999Y"},
            intervals=[{"id": 0, "payloads": [{"type": "SIMPLE", "values": [3]}]}],
        ),
        RECEIVED,
    ).with_opt(OptState.OPT_IN)
    for event in (_simple_event(), alert):
        stored = json.loads(json.dumps(event.as_dict()))
        assert DrEvent.from_dict(stored) == event
    with pytest.raises(EventError, match="not readable"):
        DrEvent.from_dict({"event_id": "x"})
