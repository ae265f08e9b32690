"""An OpenADR 2.0b aggregator entry against openleadr's VTN: the flow, events to the entities, opt answers."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.denki.const import DOMAIN
from tests.net import free_port
from tests.oadr20b_vtn import VEN_ID, Vtn, openleadr_vtn

from .conftest import until


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[Vtn]:
    """openleadr's VTN on loopback."""
    async with openleadr_vtn() as started:
        yield started


async def test_flow_events_opt_and_cancel(hass: HomeAssistant, vtn: Vtn) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator_openadr2b"}
    )
    unreachable = f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b"
    form = {"url": unreachable, "ven_name": "denki-home"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "cert_file": "/nonexistent/ven.pem"}
    )
    assert result["errors"] == {"cert_file": "file_not_found"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "url": vtn.url}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "OpenADR 2.0b (127.0.0.1)"
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    hub = entry.runtime_data
    assert hub.source.connected
    told: list[tuple[str, str]] = []
    hub.add_change_listener(lambda kind, event, data: told.append((kind, event.event_id)))

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    vtn.add("ev-1", start, [1.0, 3.0])
    await until(lambda: ("announced", "ev-1") in told)
    await until(lambda: (VEN_ID, "ev-1", "optIn") in vtn.opts)
    assert hass.states.get("sensor.aggregator_next_event_start").state == start.isoformat()

    # Opted out before the VTN sends the next event: the VEN answers optOut itself.
    vtn.add("ev-2", start + timedelta(hours=2), [2.0])
    await until(lambda: ("announced", "ev-2") in told)
    await hass.services.async_call(DOMAIN, "opt_out", {"event_id": "ev-2"}, blocking=True)
    vtn.server.cancel_event(VEN_ID, "ev-1")
    await until(lambda: ("cancelled", "ev-1") in told)
    assert hub.store.get("ev-2").opt == "opt_out"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_refused_ven_is_invalid_auth_in_the_flow_and_a_reauth_once_set_up(
    hass: HomeAssistant, vtn: Vtn
) -> None:
    vtn.accept = False
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator_openadr2b"}
    )
    form = {"url": vtn.url, "ven_name": "denki-home"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**form, "ca_file": "/nonexistent/ca.pem"}
    )
    assert result["errors"] == {"ca_file": "file_not_found"}
    vtn.accept = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)

    # The VTN no longer knows this VEN: not a retry loop, but a reauth asking for the name.
    vtn.accept = False
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress()
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_aggregator"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"ven_name": "denki-home-2"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    vtn.accept = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"ven_name": "denki-home-2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["ven_name"] == "denki-home-2"
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)
