"""Adding, re-configuring and setting options of an aggregator entry, each tried against a real peer."""

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import DOMAIN
from custom_components.denki.diagnostics import async_get_config_entry_diagnostics
from simulators.openadr3_vtn import VtnState

from .conftest import PREFIX, VEN, mqtt_entry, oa3_entry, oa3_event, set_up, until

OA3 = {"client_id": "ven-client", "client_secret": "ven-secret", "verify_ssl": True}


async def _start(hass: HomeAssistant, protocol: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "aggregator_openadr3",
        "aggregator_openadr2b",
        "aggregator_mqtt",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": f"aggregator_{protocol}"}
    )
    assert result["type"] is FlowResultType.FORM
    return str(result["flow_id"])


@pytest.mark.parametrize(
    ("url", "secret", "error"),
    [
        ("ftp://vtn.example", "ven-secret", {"url": "invalid_url"}),
        ("{base}", "wrong", {"base": "aggregator_invalid_auth"}),
        ("http://127.0.0.1:9", "ven-secret", {"base": "cannot_connect"}),
    ],
)
async def test_openadr3_errors_then_success(
    hass: HomeAssistant, vtn: tuple[VtnState, str], url: str, secret: str, error: dict[str, str]
) -> None:
    _, base = vtn
    flow_id = await _start(hass, "openadr3")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**OA3, "url": url.format(base=base), "client_secret": secret}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    result = await hass.config_entries.flow.async_configure(flow_id, {**OA3, "url": base})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "OpenADR 3 (127.0.0.1)"
    assert result["data"]["client_secret"] == "ven-secret"
    assert result["options"]["auto_response"] is True
    await hass.async_block_till_done()

    # The same VTN and client again is refused.
    flow_id = await _start(hass, "openadr3")
    result = await hass.config_entries.flow.async_configure(flow_id, {**OA3, "url": base})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_public_vtn_needs_no_credentials(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    """Issue 20 item 7: client ID and secret left empty; no token is asked for."""
    state, base = vtn
    flow_id = await _start(hass, "openadr3")
    # A VTN that does need credentials says so when none are given.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"url": base, "verify_ssl": True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    state.public = True
    state.events.append(
        oa3_event(
            "ev-open", dt_util.utcnow() + timedelta(hours=1), timedelta(hours=1), {"SIMPLE": [1]}
        )
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"url": base, "verify_ssl": True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "client_id" not in result["data"]
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    await until(lambda: entry.runtime_data.store.get("ev-open") is not None)
    assert state.token_requests == 0
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["source"]["token"] is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_mqtt_flow(hass: HomeAssistant, broker_port: int) -> None:
    flow_id = await _start(hass, "mqtt")
    form: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": broker_port,
        "tls": False,
        "prefix": PREFIX,
        "ven": "bad/ven",
    }
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"ven": "invalid_topic"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, "ven": VEN, "port": 9}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(flow_id, {**form, "ven": VEN})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["port"] == broker_port
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    # aiomqtt 2.5.1 raises from a callback when a connect it was cancelled in
    # answers later: unload once connected, as a person would.
    await until(lambda: entry.runtime_data.source.connected)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reconfigure_is_tried_before_it_is_kept(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_aggregator"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**OA3, "url": base, "client_secret": "nope"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**OA3, "url": base + "/", "program": "kanto-dr"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["program"] == "kanto-dr"


async def test_options_hold_the_plan_and_the_limits(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "aggregator"
    options = {
        "auto_response": True,
        "climates": ["climate.living"],
        "climate_offset": 1.5,
        "cooling_max": 24,
        "heating_min": 25,
        "battery_option": "discharging",
        "light_percent": 60,
        "min_level": 2,
        "report_minutes": 10,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["errors"] == {"heating_min": "heating_above_cooling"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**options, "cooling_max": 27, "heating_min": 19}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    hub = entry.runtime_data
    assert hub.limits.cooling_max == 27
    assert hub.limits.min_level == 2
    assert hub.entry.options["climates"] == ["climate.living"]


async def test_no_options_for_a_meter_entry(hass: HomeAssistant) -> None:
    # Whether an entry has options is asked of the flow handler: load Denki first, as a
    # running Home Assistant has (alone, this test ran before anything had loaded it).
    assert await async_setup_component(hass, DOMAIN, {})
    meter = MockConfigEntry(domain=DOMAIN, data={"kind": "meter"})
    meter.add_to_hass(hass)
    assert not meter.supports_options
    savings = MockConfigEntry(domain=DOMAIN, data={"kind": "savings"})
    savings.add_to_hass(hass)
    assert savings.supports_options


async def test_diagnostics_redact_the_secrets(
    hass: HomeAssistant, vtn: tuple[VtnState, str], broker_port: int
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    data = await async_get_config_entry_diagnostics(hass, entry)
    text = repr(data)
    assert "ven-secret" not in text
    assert "ven-client" not in text
    assert data["connected"] is True
    assert data["events"] == []
    mqtt = mqtt_entry(broker_port)
    await set_up(hass, mqtt)
    data = await async_get_config_entry_diagnostics(hass, mqtt)
    assert VEN not in repr(data["entry"])
    await hass.config_entries.async_unload(mqtt.entry_id)
