"""Issue 20 on the Home Assistant side, against the simulated VTN.

Token URL and scope, the client authentication remembered; refused reports
set aside (diagnostics, a repair issue when they persist) while the link
stays up; the program enforced; polling that slows only when notifications
arrive; opting out told to the VTN and its reports stopped; the next event's
values as attributes; an event deleted and re-posted does not restart the
response.
"""

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.aggregator.entry import async_aggregator_diagnostics
from custom_components.denki.aggregator.sources import Openadr3Source
from custom_components.denki.aggregator.sources.openadr3 import REFUSED_ROUNDS_FOR_ISSUE
from custom_components.denki.const import (
    CONF_CLIENT_AUTH,
    CONF_PROGRAM,
    CONF_SCOPE,
    CONF_TOKEN_URL,
    DOMAIN,
)
from custom_components.denki.lib.dr import DrEvent
from simulators.openadr3_notifier import VtnPublisher, add_notifier_routes
from simulators.openadr3_vtn import VtnState, make_app

from .conftest import oa3_entry, oa3_event, set_up, until
from .test_openadr3 import entity

pytestmark = pytest.mark.usefixtures("fast_poll")

DELETED = "event_id does not refer to an existing event"


@dataclass
class Behaviour:
    """How the test's VTN bends the simulator: refusals, outages, what it was asked."""

    deleted: set[str] = field(default_factory=set)
    reports_down: bool = False
    basic_only: bool = False
    event_gets: int = 0
    token_forms: list[dict[str, str]] = field(default_factory=list)
    token_headers: list[str | None] = field(default_factory=list)


def _app(state: VtnState, behaviour: Behaviour) -> web.Application:
    @web.middleware
    async def bend(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/events":
            behaviour.event_gets += 1
        if request.path == "/auth/token":
            behaviour.token_forms.append(dict((await request.post()).items()))  # type: ignore[arg-type]
            header = request.headers.get("Authorization")
            behaviour.token_headers.append(header)
            if behaviour.basic_only:
                pair = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode())
                if header != f"Basic {pair.decode()}":
                    return web.json_response({"error": "invalid_client"}, status=401)
                token = f"basic-{len(state.tokens)}"
                state.tokens.add(token)
                return web.json_response({"access_token": token, "token_type": "Bearer"})
        if request.method == "POST" and request.path == "/reports":
            if behaviour.reports_down:
                return web.json_response({"title": "down for maintenance"}, status=503)
            body = await request.json()
            if body.get("eventID") in behaviour.deleted:
                return web.json_response({"title": "Bad Request", "detail": DELETED}, status=400)
        return await handler(request)

    app = make_app(state)
    app.middlewares.insert(0, bend)
    return app


@pytest.fixture
async def bent_vtn(
    socket_enabled: None,
) -> AsyncIterator[tuple[VtnState, str, Behaviour]]:
    """The simulated VTN, with refusals and outages the test switches on."""
    state = VtnState(programs=[{"id": "kanto-dr", "programName": "Kanto DR"}])
    behaviour = Behaviour()
    server = TestServer(_app(state, behaviour), host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/"), behaviour
    await server.close()


def _entry(base: str, **data: Any) -> MockConfigEntry:
    """An OpenADR 3 entry on the test's VTN, with more in its data."""
    plain = oa3_entry(base)
    return MockConfigEntry(
        domain=DOMAIN, title=plain.title, unique_id=plain.unique_id, data={**plain.data, **data}
    )


def _source(entry: Any) -> Openadr3Source:
    source = entry.runtime_data.source
    assert isinstance(source, Openadr3Source)
    return source


def _event(entry: Any, event_id: str) -> DrEvent:
    event = entry.runtime_data.store.get(event_id)
    assert event is not None
    return event


async def test_token_url_and_scope_are_used_and_the_client_auth_remembered(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, behaviour = bent_vtn
    entry = _entry(
        base,
        **{
            CONF_TOKEN_URL: f"{base}/auth/token",
            CONF_SCOPE: "read_all write_reports",
            # Remembered wrongly: the simulator takes the form body only.
            CONF_CLIENT_AUTH: "basic",
        },
    )
    await set_up(hass, entry)
    source = _source(entry)
    info = source.client.token_info
    assert info is not None
    assert info.token_url_from == "configured"
    assert info.attempts == ("basic: 401", "form: 200")
    assert behaviour.token_headers[0] is not None
    assert behaviour.token_headers[0].startswith("Basic ")
    assert behaviour.token_forms[-1]["scope"] == "read_all write_reports"
    assert CONF_CLIENT_AUTH not in entry.data  # the form body: the first try anyway
    # The next start goes the remembered way at once.
    behaviour.token_forms.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(behaviour.token_forms) == 1
    info = _source(entry).client.token_info
    assert info is not None
    assert info.attempts == ("form: 200",)
    diagnostics = await async_aggregator_diagnostics(hass, entry)
    assert diagnostics["source"]["token"]["client_auth"] == "form"
    assert state.token_requests >= 2


async def test_a_token_endpoint_that_takes_only_basic_is_remembered_and_the_flow_stores_it(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    _, base, behaviour = bent_vtn
    behaviour.basic_only = True
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator_openadr3"}
    )
    form = {"url": base, "client_id": "ven-client", "client_secret": "ven-secret"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "token_url": "ftp://nowhere", "verify_ssl": True}
    )
    assert result["errors"] == {"token_url": "invalid_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**form, "token_url": f"{base}/auth/token", "scope": "read_all", "verify_ssl": True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert (data[CONF_TOKEN_URL], data[CONF_SCOPE]) == (f"{base}/auth/token", "read_all")
    assert data[CONF_CLIENT_AUTH] == "basic"
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    info = _source(entry).client.token_info
    assert info is not None
    assert info.attempts == ("basic: 200",)  # the remembered way, at once

    # Reconfigured without a token URL: /auth/server again, and the way found again.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "reconfigure_aggregator"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "verify_ssl": True}
    )
    assert result["reason"] == "reconfigure_successful"
    assert CONF_TOKEN_URL not in entry.data
    assert entry.data[CONF_CLIENT_AUTH] == "basic"
    await hass.async_block_till_done()
    info = _source(entry).client.token_info
    assert info is not None
    assert info.token_url_from == "/auth/server"


async def test_a_refused_report_is_set_aside_and_the_next_goes_and_the_link_stays_up(
    hass: HomeAssistant,
    bent_vtn: tuple[VtnState, str, Behaviour],
    caplog: pytest.LogCaptureFixture,
) -> None:
    state, base, behaviour = bent_vtn
    now = dt_util.utcnow()
    for event_id in ("gone", "kept"):
        state.events.append(oa3_event(event_id, now, timedelta(hours=1), {"SIMPLE": [1]}))
    entry = oa3_entry(base)
    await set_up(hass, entry)
    source = _source(entry)
    gone, kept = _event(entry, "gone"), _event(entry, "kept")
    link = entity(hass, "binary_sensor", "aggregator_link")
    issue_id = f"dr_reports_refused_{entry.entry_id}"
    issues = ir.async_get(hass)

    behaviour.deleted.add("gone")
    for _ in range(REFUSED_ROUNDS_FOR_ISSUE - 1):
        await source.report({"power_kw": 1.0}, dt_util.utcnow(), gone)
    assert issues.async_get_issue(DOMAIN, issue_id) is None  # not yet: it may be one deletion
    await source.report({"power_kw": 1.0}, dt_util.utcnow(), gone)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "dr_reports_refused"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["reason"] == f"Bad Request: {DELETED}"
    # Logged once with the VTN's reason, however often it refuses for it.
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING and DELETED in r.message]
    assert len(warned) == 1
    assert source.connected
    assert hass.states.get(link).state == "on"

    await source.report({"power_kw": 2.0}, dt_util.utcnow(), kept)
    assert [r["eventID"] for r in state.reports] == ["kept"]
    assert source.pending_reports() == 0
    assert issues.async_get_issue(DOMAIN, issue_id) is None  # accepted again: gone by itself
    diagnostics = await async_aggregator_diagnostics(hass, entry)
    refused = diagnostics["source"]["refused_latest"]
    assert diagnostics["source"]["refused_total"] == REFUSED_ROUNDS_FOR_ISSUE
    assert [(r["status"], r["reason"], r["record"]["event"]) for r in refused] == [
        (400, f"Bad Request: {DELETED}", "gone")
    ] * REFUSED_ROUNDS_FOR_ISSUE


async def test_reports_wait_through_an_outage_and_a_restart(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, behaviour = bent_vtn
    state.events.append(oa3_event("ev", dt_util.utcnow(), timedelta(hours=1), {"SIMPLE": [1]}))
    entry = oa3_entry(base)
    await set_up(hass, entry)
    behaviour.reports_down = True
    for kw in (1.0, 2.0):
        await _source(entry).report({"power_kw": kw}, dt_util.utcnow(), _event(entry, "ev"))
    assert _source(entry).pending_reports() == 2
    assert _source(entry).connected  # reports waiting are not the link going down
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _source(entry).pending_reports() == 2
    behaviour.reports_down = False
    await until(lambda: len(state.reports) == 2)  # the next poll sends them, in order
    values = [r["resources"][0]["intervals"][0]["payloads"][0]["values"] for r in state.reports]
    assert values == [[1.0], [2.0]]


async def test_the_program_is_found_by_name_and_enforced(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, _ = bent_vtn
    start = dt_util.utcnow() + timedelta(hours=1)
    ours = oa3_event("ours", start, timedelta(hours=1), {"SIMPLE": [1]})
    theirs = {**oa3_event("theirs", start, timedelta(hours=1), {"SIMPLE": [3]})}
    theirs["programID"] = "kansai-dr"
    state.events += [ours, theirs]
    entry = _entry(base, **{CONF_PROGRAM: "Kanto DR"})
    await set_up(hass, entry)
    assert _source(entry).program_id == "kanto-dr"
    assert [e.event_id for e in entry.runtime_data.store.events] == ["ours"]


async def test_the_next_events_values_are_attributes(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, _ = bent_vtn
    start = dt_util.utcnow() + timedelta(hours=1)
    event = oa3_event("ev", start, timedelta(hours=1), {"SIMPLE": [1], "PRICE": [30.5]})
    second = start + timedelta(hours=1)
    event["intervals"].append(
        {
            "id": 1,
            "intervalPeriod": {"start": second.isoformat(), "duration": "PT1H"},
            "payloads": [
                {"type": "SIMPLE", "values": [2]},
                {"type": "IMPORT_CAPACITY_LIMIT", "values": [2.5, 1.5]},
            ],
        }
    )
    state.events.append(event)
    entry = oa3_entry(base)
    await set_up(hass, entry)
    sensor = hass.states.get(entity(hass, "sensor", "next_event_start"))
    assert sensor is not None
    attributes = sensor.attributes
    assert attributes["event_id"] == "ev"
    assert (attributes["level_max"], attributes["price_max"]) == (2.0, 30.5)
    assert attributes["import_limit_min"] == 1.5
    first, later = attributes["intervals"]
    assert (first["level"], first["price"]) == (1, 30.5)
    assert (later["level"], later["import_limit"]) == (2, [2.5, 1.5])
    assert later["start"] == first["end"]


async def test_an_event_deleted_and_reposted_does_not_restart_the_response(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, _ = bent_vtn
    now = dt_util.utcnow()
    original = oa3_event("first-id", now, timedelta(hours=1), {"SIMPLE": [2]})
    state.events.append(original)
    entry = oa3_entry(base)
    await set_up(hass, entry)
    hub = entry.runtime_data
    told: list[tuple[str, str]] = []
    hub.add_change_listener(lambda kind, event, data: told.append((str(kind), event.event_id)))
    # The VTN deletes the event and posts it again: a new id, the same program and intervals.
    state.events[:] = [{**json.loads(json.dumps(original)), "id": "second-id"}]
    grace = _source(entry).vanish_grace
    await until(lambda: "second-id" in hub._aliases)
    before = dt_util.utcnow()
    await until(lambda: dt_util.utcnow() - before > 2 * grace)
    assert not [t for t in told if t[0] in ("cancelled", "ended", "started", "announced")]
    assert [e.event_id for e in hub.store.events] == ["first-id"]
    assert not hub.store.get("first-id").cancelled
    # Its reports go to the id the VTN knows now.
    await hub._report({"power_kw": 1.0}, dt_util.utcnow(), hub.current())
    assert [r["eventID"] for r in state.reports] == ["second-id"]
    # Gone for good: cancelled once the grace has passed.
    state.events.clear()
    await until(lambda: hub.store.get("first-id").cancelled)
    assert ("cancelled", "first-id") in told


async def test_an_event_missing_for_less_than_the_grace_is_not_cancelled(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, _ = bent_vtn
    event = oa3_event("ev", dt_util.utcnow(), timedelta(hours=1), {"SIMPLE": [1]})
    state.events.append(event)
    entry = oa3_entry(base)
    await set_up(hass, entry)
    hub = entry.runtime_data
    hub.receive_all([])  # one answer without it
    assert not hub.store.get("ev").cancelled
    await until(lambda: "ev" not in hub._missing)  # the next poll has it again
    assert not hub.store.get("ev").cancelled


async def test_opting_out_tells_the_vtn_and_stops_the_events_reports(
    hass: HomeAssistant, bent_vtn: tuple[VtnState, str, Behaviour]
) -> None:
    state, base, behaviour = bent_vtn
    state.events.append(oa3_event("ev", dt_util.utcnow(), timedelta(hours=1), {"SIMPLE": [1]}))
    entry = oa3_entry(base)
    await set_up(hass, entry)
    behaviour.reports_down = True
    await _source(entry).report({"power_kw": 1.0}, dt_util.utcnow(), _event(entry, "ev"))
    assert _source(entry).pending_reports() == 1
    await hass.services.async_call(DOMAIN, "opt_out", {"event_id": "ev"}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    # The waiting report is set aside; the opt-out waits in its place, on disk.
    assert _source(entry).pending_reports() == 1
    await _source(entry).report({"power_kw": 2.0}, dt_util.utcnow(), _event(entry, "ev"))
    assert _source(entry).pending_reports() == 1  # none queued for an event opted out of
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _source(entry).pending_reports() == 1
    behaviour.reports_down = False
    await until(lambda: len(state.reports) == 1)
    (report,) = state.reports
    assert report["eventID"] == "ev"
    payloads = report["resources"][0]["intervals"][0]["payloads"]
    assert payloads == [{"type": "OPERATING_STATE", "values": ["RUNNING_OPTED_OUT"]}]
    diagnostics = await async_aggregator_diagnostics(hass, entry)
    (aside,) = diagnostics["source"]["refused_latest"]
    assert aside["reason"] == "the household opted out of the event"


@pytest.fixture
async def notifying_vtn(
    broker_port: int,
) -> AsyncIterator[tuple[VtnState, str, VtnPublisher, Behaviour]]:
    """The simulated VTN offering its MQTT broker, counting its GET /events."""
    state = VtnState(programs=[{"id": "kanto-dr"}])
    behaviour = Behaviour()
    app = _app(state, behaviour)
    add_notifier_routes(app, f"mqtt://127.0.0.1:{broker_port}")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with VtnPublisher("127.0.0.1", broker_port) as publisher:
        yield state, str(server.make_url("")).rstrip("/"), publisher, behaviour
    await server.close()


async def test_polling_slows_only_once_notifications_arrive_and_pushes_are_filtered(
    hass: HomeAssistant, notifying_vtn: tuple[VtnState, str, VtnPublisher, Behaviour]
) -> None:
    _, base, publisher, behaviour = notifying_vtn
    entry = _entry(base, **{CONF_PROGRAM: "kanto-dr"})
    await set_up(hass, entry)
    source = _source(entry)
    await until(lambda: source.listener is not None and source.listener.connected.is_set())
    # Connected but silent: the normal rate goes on (every 0.2 s here).
    gets = behaviour.event_gets
    await until(lambda: behaviour.event_gets >= gets + 3, 5)
    assert not source.notifications_flowing()

    start = dt_util.utcnow() + timedelta(hours=1)
    theirs = oa3_event("theirs", start, timedelta(hours=1), {"SIMPLE": [3]})
    theirs["programID"] = "kansai-dr"
    await publisher.publish("CREATE", theirs)
    await publisher.publish("CREATE", oa3_event("ours", start, timedelta(hours=1), {"SIMPLE": [1]}))
    store = entry.runtime_data.store
    await until(lambda: store.get("ours") is not None, 5)
    assert store.get("theirs") is None  # another program's event, pushed: ignored
    assert source.notifications_flowing()
    gets = behaviour.event_gets
    before = dt_util.utcnow()
    await until(lambda: dt_util.utcnow() - before > timedelta(seconds=1))
    assert behaviour.event_gets == gets  # delivered recently: the slow rate
