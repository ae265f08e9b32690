"""The aggregator entry on an OpenADR 3 VTN (the simulator, real HTTP on loopback).

Events go through the whole path: VTN -> REST poll -> event store -> the
calendar, sensors, binary sensor and event entity, in real time (events a
few seconds long).
"""

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.denki.const import DOMAIN
from simulators.openadr3_vtn import VtnState

from .conftest import oa3_entry, oa3_event, set_up, until

pytestmark = pytest.mark.usefixtures("fast_poll")


def entity(hass: HomeAssistant, platform: str, key: str) -> str:
    """The entity id of the aggregator's `key` entity."""
    registry = er.async_get(hass)
    for entry in registry.entities.values():
        if entry.domain == platform and entry.unique_id.endswith(f"_{key}"):
            return entry.entity_id
    raise AssertionError(f"no {platform} {key}")


def record_events(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every event the DR event entity fires, in order."""
    fired: list[dict[str, Any]] = []
    event_entity = entity(hass, "event", "dr_event")

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == event_entity and (new := event.data["new_state"]):
            fired.append(dict(new.attributes))

    hass.bus.async_listen("state_changed", _changed)
    return fired


async def test_event_lifecycle_reaches_every_entity(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    """Announced, modified, started, ended and result; a second event cancelled."""
    state, base = vtn
    start = dt_util.utcnow() + timedelta(seconds=3)
    state.events.append(
        oa3_event(
            "ev-1", start, timedelta(seconds=2), {"SIMPLE": [2], "IMPORT_CAPACITY_LIMIT": [3.0]}
        )
    )
    entry = oa3_entry(base)
    await set_up(hass, entry)
    fired = record_events(hass)

    active = entity(hass, "binary_sensor", "event_active")
    calendar = entity(hass, "calendar", "events")
    next_start = entity(hass, "sensor", "next_event_start")
    level = entity(hass, "sensor", "dr_level")
    limit = entity(hass, "sensor", "import_limit")
    assert hass.states.get(active).state == "off"
    assert hass.states.get(entity(hass, "binary_sensor", "aggregator_link")).state == "on"
    assert dt_util.parse_datetime(hass.states.get(next_start).state) == start.replace(microsecond=0)
    assert hass.states.get(calendar).attributes["message"] == "Peak ev-1"
    assert hass.states.get(level).state == "unknown"

    # The aggregator raises the level before the start.
    state.events[0]["intervals"][0]["payloads"][0]["values"] = [3]
    await until(lambda: any(f.get("event_type") == "modified" for f in fired))
    # And announces a second event, then withdraws it.
    later = dt_util.utcnow() + timedelta(hours=2)
    state.events.append(oa3_event("ev-2", later, timedelta(hours=1), {"SIMPLE": [1]}))
    await until(lambda: any(f.get("event_id") == "ev-2" for f in fired))
    del state.events[1]
    await until(lambda: any(f.get("event_type") == "cancelled" for f in fired))

    await until(lambda: hass.states.get(active).state == "on")
    assert hass.states.get(level).state == "3.0"
    assert hass.states.get(limit).state == "3.0"
    assert hass.states.get(active).attributes["event_id"] == "ev-1"
    assert hass.states.get(calendar).state == "on"
    await until(lambda: hass.states.get(active).state == "off")
    await until(lambda: any(f.get("event_type") == "result" for f in fired))

    kinds = [(f["event_type"], f["event_id"]) for f in fired if f.get("event_type")]
    assert kinds == [
        ("modified", "ev-1"),
        ("announced", "ev-2"),
        ("cancelled", "ev-2"),
        ("started", "ev-1"),
        ("ended", "ev-1"),
        ("result", "ev-1"),
    ]
    assert fired[-1]["participated"] is True
    assert hass.states.get(level).state == "unknown"
    # The calendar keeps the ended event and drops the cancelled one.
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": calendar,
            "duration": {"hours": 24},
            "start_date_time": dt_util.now() - timedelta(hours=1),
        },
        blocking=True,
        return_response=True,
    )
    assert [e["summary"] for e in events[calendar]["events"]] == ["Peak ev-1"]
    assert "SIMPLE 3" in events[calendar]["events"][0]["description"]


async def test_restart_keeps_events_and_does_not_announce_them_again(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    state, base = vtn
    start = dt_util.utcnow() + timedelta(hours=1)
    state.events.append(oa3_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [1]}))
    entry = oa3_entry(base)
    await set_up(hass, entry)
    fired = record_events(hass)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.store.get("ev-1") is not None
    assert [f for f in fired if f.get("event_type")] == []


async def test_wrong_secret_starts_reauth_and_new_secret_fixes_it(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    _, base = vtn
    entry = oa3_entry(base, secret="wrong")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    flow = flows[0]
    assert flow["step_id"] == "reauth_aggregator"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"client_id": "ven-client", "client_secret": "still-wrong"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"client_id": "ven-client", "client_secret": "ven-secret"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["client_secret"] == "ven-secret"


async def test_revoked_credentials_while_running_start_reauth(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    state, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    state.client_secret = "rotated"
    state.revoke_tokens()
    await until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    assert hass.states.get(entity(hass, "binary_sensor", "aggregator_link")).state == "off"


async def test_unreachable_vtn_retries_and_an_outage_is_logged_once(
    hass: HomeAssistant, vtn: tuple[VtnState, str], caplog: pytest.LogCaptureFixture
) -> None:
    state, base = vtn
    entry = oa3_entry("http://127.0.0.1:9")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    running = oa3_entry(base)
    await set_up(hass, running)
    link = entity(hass, "binary_sensor", "aggregator_link")
    state.fail_next = 10**6
    await until(lambda: hass.states.get(link).state == "off")
    await until(lambda: caplog.text.count("VTN is unreachable") == 1)
    state.fail_next = 0
    await until(lambda: hass.states.get(link).state == "on")
    assert caplog.text.count("VTN is unreachable") == 1
    assert "VTN answers again" in caplog.text


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"intervalPeriod": {"start": "2026-11-23T08:00:00Z", "duration": "PT1X"}}, "duration"),
        ({"intervalPeriod": {"start": "yesterday", "duration": "PT1H"}}, "ISO 8601"),
        ({"intervals": []}, "no intervals"),
    ],
)
async def test_an_unreadable_event_is_set_aside_with_a_repair_issue(
    hass: HomeAssistant, vtn: tuple[VtnState, str], broken: dict[str, Any], reason: str
) -> None:
    state, base = vtn
    good = oa3_event(
        "ok", dt_util.utcnow() + timedelta(hours=1), timedelta(hours=1), {"SIMPLE": [1]}
    )
    bad = {**oa3_event("bad", dt_util.utcnow(), timedelta(hours=1), {"SIMPLE": [1]}), **broken}
    state.events.extend([good, bad])
    entry = oa3_entry(base)
    await set_up(hass, entry)
    assert entry.runtime_data.store.get("ok") is not None
    assert entry.runtime_data.store.get("bad") is None
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"dr_event_refused_{entry.entry_id}_bad")
    assert issue is not None
    assert reason in issue.translation_placeholders["reason"]


async def test_an_event_in_the_past_is_kept_but_not_answered(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    state, base = vtn
    past = dt_util.utcnow() - timedelta(hours=3)
    state.events.append(oa3_event("old", past, timedelta(hours=1), {"SIMPLE": [3]}))
    entry = oa3_entry(base)
    await set_up(hass, entry)
    assert entry.runtime_data.store.get("old") is not None
    assert entry.runtime_data.response is None
    assert hass.states.get(entity(hass, "binary_sensor", "event_active")).state == "off"


async def test_opt_in_and_out_actions(hass: HomeAssistant, vtn: tuple[VtnState, str]) -> None:
    state, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "opt_out", {}, blocking=True)
    assert err.value.translation_key == "no_event"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "opt_in", {"event_id": "nope"}, blocking=True)
    assert err.value.translation_key == "event_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "opt_in", {"config_entry_id": "other"}, blocking=True
        )
    assert err.value.translation_key == "aggregator_not_found"

    state.events.append(
        oa3_event(
            "ev-1", dt_util.utcnow() + timedelta(hours=1), timedelta(hours=1), {"SIMPLE": [1]}
        )
    )
    await until(lambda: entry.runtime_data.store.get("ev-1") is not None)
    response = await hass.services.async_call(
        DOMAIN, "opt_out", {}, blocking=True, return_response=True
    )
    assert response == {"event_id": "ev-1", "opt": "opt_out"}
    # The household's choice survives the aggregator's next poll and a restart.
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert str(entry.runtime_data.store.get("ev-1").opt) == "opt_out"
    active = entity(hass, "binary_sensor", "event_active")
    assert hass.states.get(active).state == "off"
