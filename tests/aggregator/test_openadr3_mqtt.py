"""OpenADR 3.1's MQTT notifier binding: events pushed by the VTN's broker reach the entities at once.

The VTN is the simulator with its notifier routes (GET /notifiers, /vens and
the VEN-scoped topics); its broker is amqtt on loopback. REST polling is
left at its usual minute, so anything that arrives within the test's few
seconds came through MQTT.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import json

from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.denki.aggregator.sources import openadr3 as openadr3_source
from custom_components.denki.const import DOMAIN
from simulators.openadr3_notifier import VtnPublisher, add_notifier_routes
from simulators.openadr3_vtn import VtnState, make_app

from .conftest import oa3_entry, oa3_event, set_up, until


@pytest.fixture
async def notifying_vtn(broker_port: int) -> AsyncIterator[tuple[VtnState, str, VtnPublisher]]:
    """The simulated VTN offering its MQTT broker, and the VTN's publisher on it."""
    state = VtnState(programs=[{"id": "kanto-dr"}])
    app = make_app(state)
    add_notifier_routes(app, f"mqtt://127.0.0.1:{broker_port}")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with VtnPublisher("127.0.0.1", broker_port) as publisher:
        yield state, str(server.make_url("")).rstrip("/"), publisher
    await server.close()


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deleted event's grace of 1.2 s instead of two poll intervals (2 minutes)."""
    monkeypatch.setattr(openadr3_source, "VANISH_GRACE_POLLS", 0.02)


@pytest.mark.usefixtures("short_grace")
async def test_events_are_pushed_created_updated_and_deleted(
    hass: HomeAssistant,
    notifying_vtn: tuple[VtnState, str, VtnPublisher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, base, publisher = notifying_vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    source = entry.runtime_data.source
    await until(lambda: source.listener is not None and source.listener.connected.is_set())
    store = entry.runtime_data.store
    requests_before = state.token_requests

    start = dt_util.utcnow() + timedelta(hours=1)
    event = oa3_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [1]})
    await publisher.publish("CREATE", event)
    await until(lambda: store.get("ev-1") is not None, 5)

    event["intervals"][0]["payloads"][0]["values"] = [3]
    await publisher.publish("UPDATE", event)
    await until(lambda: store.get("ev-1").intervals[0].payloads["SIMPLE"] == (3,), 5)

    await publisher.publish_raw("UPDATE", b"{not json")
    await publisher.publish_raw("UPDATE", json.dumps({"objectType": "PROGRAM"}).encode())
    await publisher.publish("DELETE", event)
    await until(lambda: "ev-1" in entry.runtime_data._missing, 5)
    assert not store.get("ev-1").cancelled  # the grace first
    await until(lambda: store.get("ev-1").cancelled, 5)
    assert source.listener.dropped == 2
    assert caplog.text.count("Dropped a notification from the VTN") == 1
    assert state.token_requests == requests_before  # no REST round trip was needed


@pytest.mark.usefixtures("short_grace")
async def test_a_pushed_delete_and_re_post_does_not_end_the_response(
    hass: HomeAssistant, notifying_vtn: tuple[VtnState, str, VtnPublisher]
) -> None:
    """Issue 20 item 7, pushed: DELETE then CREATE of the same event under a new id."""
    _, base, publisher = notifying_vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    hub = entry.runtime_data
    source = hub.source
    await until(lambda: source.listener is not None and source.listener.connected.is_set())
    changes: list[tuple[str, str]] = []
    hub.add_change_listener(lambda kind, event, data: changes.append((kind, event.event_id)))
    event = oa3_event(
        "ev-1", dt_util.utcnow() - timedelta(minutes=1), timedelta(hours=1), {"SIMPLE": [2]}
    )
    await publisher.publish("CREATE", event)
    await until(lambda: hub.current() is not None, 5)
    await publisher.publish("DELETE", event)
    await publisher.publish("CREATE", {**event, "id": "ev-1-again"})
    await until(lambda: "ev-1-again" in hub._aliases, 5)
    await asyncio.sleep(1.5)  # past the grace
    assert not hub.store.get("ev-1").cancelled
    assert ("cancelled", "ev-1") not in changes
    assert hub.current() is not None
    assert hub.aggregator_event(hub.store.get("ev-1")).event_id == "ev-1-again"


async def test_an_unreadable_pushed_event_raises_a_repair_issue(
    hass: HomeAssistant, notifying_vtn: tuple[VtnState, str, VtnPublisher]
) -> None:
    _, base, publisher = notifying_vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    source = entry.runtime_data.source
    await until(lambda: source.listener is not None and source.listener.connected.is_set())
    bad = oa3_event("bad", dt_util.utcnow(), timedelta(hours=1), {"SIMPLE": [1]})
    bad["intervalPeriod"]["duration"] = "PT1X"
    await publisher.publish("CREATE", bad)
    registry = ir.async_get(hass)
    await until(
        lambda: (
            registry.async_get_issue(DOMAIN, f"dr_event_refused_{entry.entry_id}_bad") is not None
        ),
        5,
    )


async def test_without_a_notifier_the_vtn_is_polled(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    assert entry.runtime_data.source.listener is None
