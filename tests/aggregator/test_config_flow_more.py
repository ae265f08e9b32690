"""The rest of the aggregator's flow: OpenADR 2.0b, refused credentials, reauth, the default plan.

Each error is shown on the form and then corrected, and the flow ends in an
entry (or a successful re-authentication): against openleadr's 2.0b VTN, the
OpenADR 3 simulator and amqtt with a password file, all on loopback.
"""

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import (
    CONF_KIND,
    CONF_PROTOCOL,
    CONF_URL,
    CONF_VEN_NAME,
    DOMAIN,
    PROTOCOL_OPENADR2B,
    EntryKind,
)
from simulators.openadr3_vtn import VtnState
from tests.net import free_port
from tests.oadr20b_vtn import Vtn, openleadr_vtn

from .conftest import PREFIX, VEN, oa3_entry, until
from .test_mqtt_auth import PASSWORD, USER, locked_broker  # noqa: F401 - the locked broker

OA3 = {"client_id": "ven-client", "client_secret": "ven-secret", "verify_ssl": True}


@pytest.fixture
async def vtn20b(socket_enabled: None) -> AsyncIterator[Vtn]:
    """openleadr's OpenADR 2.0b VTN on loopback."""
    async with openleadr_vtn() as started:
        yield started


async def _form(hass: HomeAssistant, protocol: str) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "aggregator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": f"aggregator_{protocol}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"aggregator_{protocol}"
    return str(result["flow_id"])


async def test_openadr2b_every_error_then_the_entry_once(hass: HomeAssistant, vtn20b: Vtn) -> None:
    flow_id = await _form(hass, "openadr2b")
    form = {"url": vtn20b.url, "ven_name": " denki-home "}
    steps: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({**form, "url": "ftp://vtn.example"}, {"url": "invalid_url"}),
        ({**form, "url": "https://"}, {"url": "invalid_url"}),
        ({**form, "key_file": "/nonexistent/ven.key"}, {"key_file": "file_not_found"}),
        (
            {**form, "url": f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b"},
            {"base": "cannot_connect"},
        ),
    ]
    for data, errors in steps:
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors
    vtn20b.accept = False
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    # The key's passphrase is never offered back on the form.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, "key_password": "secret"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested["key_password"] is None
    assert suggested["ven_name"] == form["ven_name"]

    vtn20b.accept = True
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "OpenADR 2.0b (127.0.0.1)"
    assert result["data"][CONF_VEN_NAME] == "denki-home"
    entry = result["result"]
    assert entry.unique_id == f"aggregator-openadr2b-{vtn20b.url}-denki-home"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The same VTN and VEN name again is refused.
    flow_id = await _form(hass, "openadr2b")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, "url": vtn20b.url + "/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_openadr2b_reauth_asks_for_the_ven_name_again(
    hass: HomeAssistant, vtn20b: Vtn
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="OpenADR 2.0b (127.0.0.1)",
        unique_id=f"aggregator-openadr2b-{vtn20b.url}-denki-home",
        data={
            CONF_KIND: EntryKind.AGGREGATOR,
            CONF_PROTOCOL: PROTOCOL_OPENADR2B,
            CONF_URL: vtn20b.url,
            CONF_VEN_NAME: "denki-home",
        },
    )
    entry.add_to_hass(hass)
    vtn20b.accept = False
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["step_id"] == "reauth_aggregator"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"ven_name": "denki-home-2"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    vtn20b.accept = True
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"ven_name": "denki-home-2"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_VEN_NAME] == "denki-home-2"
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)


async def test_openadr3_reauth_after_a_refused_secret(
    hass: HomeAssistant, vtn: tuple[VtnState, str]
) -> None:
    _, base = vtn
    entry = oa3_entry(base, secret="wrong")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
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


async def test_mqtt_refused_password_then_the_right_one(
    hass: HomeAssistant,
    locked_broker: int,  # noqa: F811 - the fixture imported above
) -> None:
    flow_id = await _form(hass, "mqtt")
    form = {
        "host": "127.0.0.1",
        "port": locked_broker,
        "tls": False,
        "username": USER,
        "password": "wrong",
        "prefix": PREFIX,
        "ven": VEN,
    }
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {**form, "password": PASSWORD})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"MQTT (127.0.0.1, {VEN})"
    entry = result["result"]
    assert entry.unique_id == f"aggregator-mqtt-127.0.0.1:{locked_broker}-{PREFIX}-{VEN}"
    await hass.async_block_till_done()
    await until(lambda: entry.runtime_data.source.connected)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_new_entry_answers_with_denkis_air_conditioners_and_water_heaters(
    hass: HomeAssistant, vtn: tuple[VtnState, str], entity_registry: er.EntityRegistry
) -> None:
    """The default plan: enabled climates and EcoCutes of Denki, and a meter's power."""
    _, base = vtn
    appliances = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.APPLIANCES})
    appliances.add_to_hass(hass)
    meter = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.METER})
    meter.add_to_hass(hass)

    def add(domain: str, key: str, entry: MockConfigEntry, **kwargs: Any) -> str:
        return entity_registry.async_get_or_create(
            domain, DOMAIN, key, config_entry=entry, suggested_object_id=key, **kwargs
        ).entity_id

    living = add("climate", "living", appliances)
    add("climate", "attic", appliances, disabled_by=er.RegistryEntryDisabler.USER)
    eco_cute = add("water_heater", "eco_cute", appliances, translation_key="eco_cute")
    add("water_heater", "gas", appliances, translation_key="instantaneous")
    power = add("sensor", "power", meter, translation_key="power")

    flow_id = await _form(hass, "openadr3")
    result = await hass.config_entries.flow.async_configure(flow_id, {**OA3, "url": base})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    options = result["options"]
    assert options["climates"] == [living]
    assert options["water_heaters"] == [eco_cute]
    assert options["power_entity"] == power
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)
