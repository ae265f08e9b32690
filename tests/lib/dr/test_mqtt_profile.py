"""The MQTT aggregator profile's messages (docs/mqtt-aggregator-profile.md)."""

from datetime import UTC, datetime
import json
from pathlib import Path
import re

import pytest

from custom_components.denki.lib.dr import ChangeKind, EventStore, OptState
from custom_components.denki.lib.dr.mqtt_profile import (
    MAX_MESSAGE_BYTES,
    AckMessage,
    CancelMessage,
    EventListMessage,
    EventMessage,
    ProfileError,
    Topics,
    decode_report,
    encode_opt,
    encode_report,
    parse_down,
)

DOC = Path(__file__).parents[3] / "docs" / "mqtt-aggregator-profile.md"
EVENT = {
    "id": "2026-11-23-evening",
    "program": "kanto-dr",
    "name": "Evening peak",
    "priority": 0,
    "modified": "2026-11-22T09:00:00Z",
    "intervals": [
        {
            "id": 0,
            "start": "2026-11-23T17:00:00+09:00",
            "duration": "PT1H",
            "payloads": {"SIMPLE": [1], "IMPORT_CAPACITY_LIMIT": [2.0]},
        },
        {
            "id": 1,
            "start": "2026-11-23T18:00:00+09:00",
            "duration": "PT1H",
            "payloads": {"SIMPLE": [2], "IMPORT_CAPACITY_LIMIT": [1.5]},
        },
    ],
}


def message(kind: str, **fields: object) -> bytes:
    return json.dumps({"schema": "denki.dr/1", "type": kind, **fields}).encode()


def test_documented_examples_parse() -> None:
    """Every JSON example in the profile's documentation parses: down messages and the report."""
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    reports = [block for block in blocks if block.startswith('{"o":')]
    parsed = [
        parse_down(block.encode())
        for block in blocks
        if '"type": "events"' not in block and '"type":"opt"' not in block and block not in reports
    ]
    assert [type(m) for m in parsed] == [EventMessage, CancelMessage, AckMessage]
    (report,) = reports
    assert decode_report(report.strip().encode()).values == {"power_kw": 0.81, "curtailed_kw": 0.4}


def test_event_message() -> None:
    parsed = parse_down(message("event", event=EVENT))
    assert isinstance(parsed, EventMessage)
    event = parsed.event
    assert event.start == datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert event.value_at("IMPORT_CAPACITY_LIMIT", datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) == 1.5
    assert (event.program_id, event.source, event.name, event.priority) == (
        "kanto-dr",
        "mqtt",
        "Evening peak",
        0,
    )


def test_messages_drive_the_event_store() -> None:
    store = EventStore()
    now = datetime(2026, 11, 23, 7, tzinfo=UTC)
    first = parse_down(message("event", event=EVENT))
    assert isinstance(first, EventMessage)
    assert [c.kind for c in store.apply(first.event, now)] == [ChangeKind.ANNOUNCED]
    listing = parse_down(message("events", events=[]))
    assert isinstance(listing, EventListMessage)
    assert [c.kind for c in store.replace_all(listing.events, now)] == [ChangeKind.CANCELLED]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"type": "event"}).encode(), "schema None"),
        (message("shout"), "'shout' is not one of"),
        (message("cancel"), "'id' must be a str"),
        (message("ack", outbox="x", seq=0), "at least 1"),
        (message("ack", outbox="x", seq=True), "'seq' must be a int"),
        (message("event", event=[]), "an event must be an object"),
        (message("event", event={**EVENT, "program": 5}), "'program' must be a str"),
        (message("event", event={**EVENT, "intervals": []}), "has no intervals"),
        (message("event", event={**EVENT, "priority": "high"}), "'priority' must be an integer"),
        (
            message(
                "event",
                event={
                    **EVENT,
                    "intervals": [{**EVENT["intervals"][0], "start": "2026-11-23T17:00:00"}],
                },
            ),
            "has no offset",
        ),
        (
            message(
                "event",
                event={**EVENT, "intervals": [{**EVENT["intervals"][0], "duration": "P1M"}]},
            ),
            "ISO 8601 duration",
        ),
        (
            message(
                "event",
                event={
                    **EVENT,
                    "intervals": [{**EVENT["intervals"][0], "payloads": {"SIMPLE": 1}}],
                },
            ),
            "list of plain values",
        ),
        (message("event", event={**EVENT, "intervals": ["x"]}), "an interval must be an object"),
        (b" " * (MAX_MESSAGE_BYTES + 1), "larger than"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ProfileError, match=reason):
        parse_down(payload)


def test_topics() -> None:
    topics = Topics("aggregator/jp/", "ven-123")
    assert topics.events == "aggregator/jp/ven-123/events"
    assert (topics.acks, topics.reports, topics.opt, topics.status) == (
        "aggregator/jp/ven-123/acks",
        "aggregator/jp/ven-123/reports",
        "aggregator/jp/ven-123/opt",
        "aggregator/jp/ven-123/status",
    )
    for prefix, ven in (("a/#", "v"), ("a", "v/w"), ("a", "+"), ("", "v")):
        with pytest.raises(ProfileError, match="cannot be used in a topic"):
            Topics(prefix, ven)


def test_report_and_opt_are_small() -> None:
    at = datetime(2026, 11, 23, 17, 5, tzinfo=UTC)
    report = encode_report(
        "5f0c6e3a9d2b4c1e8f7a6b5c4d3e2f10", 1043, at, {"power_kw": 0.81, "curtailed_kw": 0.4}
    )
    assert report == b'{"o":"5f0c6e3a","n":1043,"t":1795453500,"v":{"p":0.81,"c":0.4}}'
    assert len(report) == 63  # the figure docs/mqtt-aggregator-profile.md quotes
    decoded = decode_report(report)
    assert (decoded.outbox, decoded.seq, decoded.at) == ("5f0c6e3a", 1043, at)
    assert decoded.values == {"power_kw": 0.81, "curtailed_kw": 0.4}
    other = decode_report(encode_report("ab", 1, at, {"power_w": 812.0}))
    assert other.values == {"power_w": 812.0}  # a reading without a short name keeps its own
    for bad in (b"[]", b"{", b'{"o":"a","n":1,"t":1,"v":{"p":"x"}}', b'{"o":"a","n":1,"t":1}'):
        with pytest.raises(ProfileError):
            decode_report(bad)
    opt = json.loads(encode_opt("ev", OptState.OPT_OUT, at))
    assert (opt["type"], opt["opt"], opt["id"]) == ("opt", "opt_out", "ev")
