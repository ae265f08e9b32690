"""The MQTT notifier binding's discovery and message parsing (OpenADR 3.1)."""

import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from custom_components.denki.lib.openadr import Openadr3Client
from custom_components.denki.lib.openadr.notifier import (
    NotificationError,
    mqtt_binding,
    parse_notification,
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
