"""The MQTT notifier binding's discovery and message parsing (OpenADR 3.1)."""

import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.denki.lib.openadr import Openadr3Client
from custom_components.denki.lib.openadr.filters import event_ignored, events_for, resolve_program
from custom_components.denki.lib.openadr.notifier import (
    NotificationError,
    camel_keys,
    mqtt_binding,
    notification_for_ven,
    parse_notification,
    select_topics,
    topic_matches,
)
from simulators.openadr3_notifier import add_notifier_routes
from simulators.openadr3_vtn import VtnState, make_app


async def _binding_for(uri: str, auth: dict[str, Any] | None) -> Any:
    app = make_app(VtnState())
    add_notifier_routes(app, uri, authentication=auth)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            client = Openadr3Client(
                session, str(server.make_url("")).rstrip("/"), "ven-client", "ven-secret"
            )
            return await mqtt_binding(client)
    finally:
        await server.close()


@pytest.fixture
def sockets(socket_enabled: None) -> None:
    """The simulator listens on loopback."""


@pytest.mark.usefixtures("sockets")
@pytest.mark.parametrize(
    ("uri", "auth", "expected"),
    [
        ("mqtt://127.0.0.1:1884", None, ("127.0.0.1", 1884, False, "ANONYMOUS", None)),
        ("mqtts://vtn.example", None, ("vtn.example", 8883, True, "ANONYMOUS", None)),
        (
            "mqtts://vtn.example:8884",
            {"method": "OAUTH2_BEARER_TOKEN", "username": "{clientID}"},
            ("vtn.example", 8884, True, "OAUTH2_BEARER_TOKEN", "ven-client"),
        ),
        (
            "mqtt://vtn.example",
            {"method": "OAUTH2_BEARER_TOKEN", "username": "oauth2"},
            ("vtn.example", 1883, False, "OAUTH2_BEARER_TOKEN", "oauth2"),
        ),
    ],
)
async def test_binding_is_read_from_the_vtn(
    uri: str, auth: dict[str, Any] | None, expected: tuple[Any, ...]
) -> None:
    binding = await _binding_for(uri, auth)
    assert binding is not None
    assert (binding.host, binding.port, binding.tls, binding.method, binding.username) == expected
    assert binding.topics == ("events/vens/ven-1/+",)  # VEN-scoped, one wildcard subscription


@pytest.mark.usefixtures("sockets")
@pytest.mark.parametrize(
    ("uri", "auth"),
    [
        ("mqtts://vtn.example", {"method": "CERTIFICATE", "caCert": "x"}),  # mTLS: not yet
        ("https://vtn.example", None),  # not a broker URI
    ],
)
async def test_unusable_bindings_mean_polling(uri: str, auth: dict[str, Any] | None) -> None:
    assert await _binding_for(uri, auth) is None


def _message(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def test_a_notification_gives_operation_and_event() -> None:
    event = {"id": "ev-1", "programID": "p"}
    assert parse_notification(_message(objectType="EVENT", operation="UPDATE", object=event)) == (
        "UPDATE",
        event,
    )


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"\xff", "not JSON"),
        (b"[]", "not a JSON object"),
        (_message(objectType="PROGRAM", operation="CREATE", object={"id": 1}), "PROGRAM"),
        (_message(objectType="EVENT", operation="READ", object={"id": 1}), "READ"),
        (_message(objectType="EVENT", operation="CREATE", object=[]), "without an event"),
        (b" " * (256 * 1024 + 1), "too large"),
    ],
)
def test_what_is_not_an_event_notification_is_refused_with_why(payload: bytes, why: str) -> None:
    with pytest.raises(NotificationError, match=why):
        parse_notification(payload)


def test_a_snake_case_notification_reads_as_camel_case() -> None:
    """As the reference VTN publishes: snake_case keys, unset fields as null."""
    payload = _message(
        object_type="EVENT",
        operation="CREATE",
        object={
            "program_id": "0",
            "event_name": "peak",
            "duration": None,
            "interval_period": {"start": "2026-12-07T10:00:00Z", "randomize_start": None},
            "intervals": [{"id": 0, "interval_period": None, "payloads": [{"type": "SIMPLE"}]}],
            "id": "3",
            "created_date_time": "2026-12-07 02:36:59",
        },
        targets=None,
    )
    operation, obj = parse_notification(payload)
    assert operation == "CREATE"
    assert obj == {
        "programID": "0",
        "eventName": "peak",
        "intervalPeriod": {"start": "2026-12-07T10:00:00Z"},
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE"}]}],
        "id": "3",
        "createdDateTime": "2026-12-07 02:36:59",
    }


def test_camel_case_wins_over_snake_case_and_values_are_kept() -> None:
    assert camel_keys({"programID": "a", "program_id": "b", "x": [{"token_url": "u"}]}) == {
        "programID": "a",
        "x": [{"tokenURL": "u"}],
    }


EXAMPLE_VEN = {
    "CREATE": "events/vens/v1/create",
    "UPDATE": "events/vens/v1/update",
    "DELETE": "events/vens/v1/delete",
    "ALL": "events/vens/v1/+",
}


@pytest.mark.parametrize(
    ("maps", "expected"),
    [
        # The binding's examples: an ALL wildcard stands alone.
        ([EXAMPLE_VEN], ("events/vens/v1/+",)),
        # The reference VTN's: "…/all" is no wildcard, so each operation too.
        (
            [
                {
                    op: f"events/programs/0/{op.lower()}"
                    for op in ("CREATE", "UPDATE", "DELETE", "ALL")
                }
            ],
            (
                "events/programs/0/all",
                "events/programs/0/create",
                "events/programs/0/update",
                "events/programs/0/delete",
            ),
        ),
        # Kafka-like, no ALL; and a VEN-scoped map beside a program-scoped one.
        (
            [None, {"CREATE": "c", "UPDATE": "u", "DELETE": "d"}, EXAMPLE_VEN],
            ("c", "u", "d", "events/vens/v1/+"),
        ),
        ([{"ALL": "#", "CREATE": "events/create"}], ("#",)),
        ([], ()),
    ],
)
def test_topics_are_selected_from_what_the_vtn_names(
    maps: list[dict[str, str] | None], expected: tuple[str, ...]
) -> None:
    assert select_topics(*maps) == expected


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("events/+", "events/create", True),
        ("events/+", "events/programs/0/create", False),
        ("events/#", "events/programs/0/create", True),
        ("events/programs/0/all", "events/programs/0/create", False),
        ("a/+/c", "a/b/c", True),
    ],
)
def test_topic_matching(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches


@pytest.mark.parametrize(
    ("operation", "obj", "program", "targets", "expected"),
    [
        ("CREATE", {"id": "1", "programID": "p"}, "p", None, True),
        ("CREATE", {"id": "1", "programID": "q"}, "p", None, False),
        ("UPDATE", {"id": "1", "program_id": "q"}, "p", None, False),
        ("DELETE", {"id": "1", "programID": "q"}, "p", None, True),
        ("CREATE", {"id": "1", "programID": "p", "targets": ["osaka"]}, "p", ["tokyo"], False),
        ("CREATE", {"id": "1", "programID": "p", "targets": ["tokyo"]}, None, ["tokyo"], True),
        ("CREATE", {"id": "1", "programID": "p", "targets": ["osaka"]}, None, None, True),
    ],
)
def test_pushed_events_are_filtered_by_program_and_targets(
    operation: str,
    obj: dict[str, Any],
    program: str | None,
    targets: list[str] | None,
    expected: bool,
) -> None:
    assert notification_for_ven(operation, obj, program, targets) is expected


def test_program_filter_and_resolution_are_pure() -> None:
    objs = [{"id": "1", "programID": "0"}, {"id": "2", "programID": "1"}, {"id": "3"}]
    assert [o["id"] for o in events_for(objs, "0")] == ["1"]
    assert [o["id"] for o in events_for(objs, None)] == ["1", "2", "3"]
    assert event_ignored(objs[1], "0") == "belongs to program '1', not '0'"
    programs = [{"id": "0", "programName": "kanto-dr"}, {"id": "1", "programName": "0x"}]
    assert resolve_program(programs, "kanto-dr") == "0"
    assert resolve_program(programs, "1") == "1"
    assert resolve_program(programs, "kansai") is None
