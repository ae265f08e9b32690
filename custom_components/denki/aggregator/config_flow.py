"""The aggregator's part of the config flow: protocol, connection test, reauth, reconfigure, options."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiomqtt
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util.ssl import get_default_context
import probatio

from ..const import (
    CONF_AUTO_RESPONSE,
    CONF_BATTERIES,
    CONF_BATTERY_OPTION,
    CONF_CA_FILE,
    CONF_CERT_FILE,
    CONF_CLIENT_AUTH,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLIMATE_OFFSET,
    CONF_CLIMATES,
    CONF_COOLING_MAX,
    CONF_EV_CHARGERS,
    CONF_HEATING_MIN,
    CONF_HOST,
    CONF_KEY_FILE,
    CONF_KEY_PASSWORD,
    CONF_KIND,
    CONF_LIGHT_PERCENT,
    CONF_LIGHTS,
    CONF_MIN_LEVEL,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_POWER_ENTITY,
    CONF_PREFIX,
    CONF_PROGRAM,
    CONF_PROTOCOL,
    CONF_REPORT_MINUTES,
    CONF_SCOPE,
    CONF_TLS,
    CONF_TOKEN_URL,
    CONF_URL,
    CONF_USERNAME,
    CONF_VEN,
    CONF_VEN_NAME,
    CONF_VERIFY_SSL,
    CONF_VTN_FINGERPRINT,
    CONF_WATER_HEATERS,
    DEFAULT_MQTT_PORT,
    DEFAULT_PREFIX,
    DEFAULT_REPORT_MINUTES,
    DOMAIN,
    LOGGER,
    PROTOCOL_MQTT,
    PROTOCOL_OPENADR2B,
    PROTOCOL_OPENADR3,
    EntryKind,
)
from ..lib.dr.mqtt_link import is_auth_refusal
from ..lib.dr.mqtt_profile import ProfileError, Topics
from ..lib.openadr.client import OpenadrAuthError, OpenadrError
from ..meter.lookup import meter_sensor
from .hub import limits_from
from .sources import oadr20b_ven, openadr3_client, remembered_client_auth
from .sources.mqtt import connect_once

MQTT_CHECK_SECONDS = 15
SECRETS = {
    PROTOCOL_OPENADR3: (CONF_CLIENT_ID, CONF_CLIENT_SECRET),
    PROTOCOL_MQTT: (CONF_USERNAME, CONF_PASSWORD),
    PROTOCOL_OPENADR2B: (CONF_VEN_NAME, CONF_KEY_PASSWORD),
}
"""The fields a re-authentication asks for again."""

EXAMPLES = {
    PROTOCOL_OPENADR3: {"example_url": "https://vtn.example.jp/openadr3/3.1.0"},
    PROTOCOL_OPENADR2B: {"example_url": "https://vtn.example.jp/OpenADR2/Simple/2.0b"},
    PROTOCOL_MQTT: {"example_topic": "denki/ven-1/events"},
}
"""What each protocol's form shows as an example (hassfest keeps URLs out of the strings)."""

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _schema(protocol: str) -> probatio.Schema:
    if protocol == PROTOCOL_OPENADR2B:
        return probatio.Schema(
            {
                probatio.Required(CONF_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                probatio.Required(CONF_VEN_NAME): TextSelector(),
                probatio.Optional(CONF_CERT_FILE): TextSelector(),
                probatio.Optional(CONF_KEY_FILE): TextSelector(),
                probatio.Optional(CONF_KEY_PASSWORD): _PASSWORD,
                probatio.Optional(CONF_VTN_FINGERPRINT): TextSelector(),
                probatio.Optional(CONF_CA_FILE): TextSelector(),
            }
        )
    if protocol == PROTOCOL_OPENADR3:
        return probatio.Schema(
            {
                probatio.Required(CONF_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                # Both empty: a public VTN that needs no credentials.
                probatio.Optional(CONF_CLIENT_ID): TextSelector(),
                probatio.Optional(CONF_CLIENT_SECRET): _PASSWORD,
                probatio.Optional(CONF_PROGRAM): TextSelector(),
                probatio.Optional(CONF_TOKEN_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                probatio.Optional(CONF_SCOPE): TextSelector(),
                probatio.Required(CONF_VERIFY_SSL, default=True): BooleanSelector(),
            }
        )
    return probatio.Schema(
        {
            probatio.Required(CONF_HOST): TextSelector(),
            probatio.Required(CONF_PORT, default=DEFAULT_MQTT_PORT): NumberSelector(
                NumberSelectorConfig(min=1, max=65535, mode=NumberSelectorMode.BOX)
            ),
            probatio.Required(CONF_TLS, default=True): BooleanSelector(),
            probatio.Optional(CONF_USERNAME): TextSelector(),
            probatio.Optional(CONF_PASSWORD): _PASSWORD,
            probatio.Required(CONF_PREFIX, default=DEFAULT_PREFIX): TextSelector(),
            probatio.Required(CONF_VEN): TextSelector(),
        }
    )


def _secrets_schema(protocol: str) -> probatio.Schema:
    if protocol == PROTOCOL_OPENADR2B:
        # The VTN knows a 2.0b VEN by its name and, with signed messages, its certificate.
        return probatio.Schema(
            {
                probatio.Required(CONF_VEN_NAME): TextSelector(),
                probatio.Optional(CONF_CERT_FILE): TextSelector(),
                probatio.Optional(CONF_KEY_FILE): TextSelector(),
                probatio.Optional(CONF_KEY_PASSWORD): _PASSWORD,
            }
        )
    first, second = SECRETS[protocol]
    return probatio.Schema(
        {probatio.Required(first): TextSelector(), probatio.Required(second): _PASSWORD}
    )


def _normalized(protocol: str, user_input: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {CONF_KIND: EntryKind.AGGREGATOR, CONF_PROTOCOL: protocol}
    for key, value in user_input.items():
        data[key] = value.strip() if isinstance(value, str) else value
    if protocol == PROTOCOL_MQTT and CONF_PORT in data:
        data[CONF_PORT] = int(data[CONF_PORT])
    return data


def unique_id(data: dict[str, Any]) -> str:
    """One entry per VTN and client, or per broker, prefix and VEN id."""
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR2B:
        return f"aggregator-openadr2b-{data[CONF_URL].rstrip('/')}-{data[CONF_VEN_NAME]}"
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR3:
        return f"aggregator-openadr3-{data[CONF_URL].rstrip('/')}-{data.get(CONF_CLIENT_ID, '')}"
    return (
        f"aggregator-mqtt-{data[CONF_HOST]}:{data[CONF_PORT]}-{data[CONF_PREFIX]}-{data[CONF_VEN]}"
    )


def title(data: dict[str, Any]) -> str:
    """The entry's title: where the events come from."""
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR2B:
        return f"OpenADR 2.0b ({urlparse(data[CONF_URL]).hostname})"
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR3:
        return f"OpenADR 3 ({urlparse(data[CONF_URL]).hostname})"
    return f"MQTT ({data[CONF_HOST]}, {data[CONF_VEN]})"


async def check_connection(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, str]:
    """Try the aggregator with these settings; the errors to show (none when it works).

    For OpenADR 3, how the token endpoint took the credentials is written
    into `data` (CONF_CLIENT_AUTH) when it works.
    """
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR2B:
        url = urlparse(data[CONF_URL])
        if url.scheme not in ("http", "https") or not url.hostname:
            return {CONF_URL: "invalid_url"}
        for key in (CONF_CERT_FILE, CONF_KEY_FILE, CONF_CA_FILE):
            if data.get(key) and not await hass.async_add_executor_job(Path(data[key]).is_file):
                return {key: "file_not_found"}
        ven = oadr20b_ven(data)
        try:
            await ven.start()  # registration: the VTN must accept this VEN
        except OpenadrAuthError as err:
            LOGGER.debug("The OpenADR 2.0b VTN refused the VEN: %s", err)
            return {"base": "aggregator_invalid_auth"}
        except OpenadrError as err:
            LOGGER.debug("The OpenADR 2.0b VTN did not register the VEN: %s", err)
            return {"base": "cannot_connect"}
        await ven.stop()
        return {}
    if data[CONF_PROTOCOL] == PROTOCOL_OPENADR3:
        for key in (CONF_URL, CONF_TOKEN_URL):
            if key == CONF_URL or data.get(key):
                url = urlparse(data[key])
                if url.scheme not in ("http", "https") or not url.hostname:
                    return {key: "invalid_url"}
        client = openadr3_client(hass, data)
        try:
            await client.events(datetime.now(UTC), data.get(CONF_PROGRAM) or None)
        except OpenadrAuthError:
            return {"base": "aggregator_invalid_auth"}
        except OpenadrError as err:
            LOGGER.debug("The OpenADR 3 VTN did not answer: %s", err)
            return {"base": "cannot_connect"}
        # Form body or HTTP Basic, whichever the token endpoint took: tried first next time.
        remembered = remembered_client_auth(data, client.client_auth)
        data.pop(CONF_CLIENT_AUTH, None)
        data.update(remembered)
        return {}
    try:
        Topics(data[CONF_PREFIX], data[CONF_VEN])
    except ProfileError:
        return {CONF_VEN: "invalid_topic"}
    tls = await hass.async_add_executor_job(get_default_context) if data.get(CONF_TLS) else None
    try:
        await connect_once(data, tls, MQTT_CHECK_SECONDS)
    except aiomqtt.MqttError as err:
        if is_auth_refusal(err):
            return {"base": "aggregator_invalid_auth"}
        LOGGER.debug("The aggregator's broker did not answer: %s", err)
        return {"base": "cannot_connect"}
    return {}


def default_options(hass: HomeAssistant) -> dict[str, Any]:
    """What a new aggregator entry answers with: Denki's air conditioners and water heaters.

    Storage batteries, EV chargers and lights are the household's to add:
    they are not changed until chosen in the options. The meter's power is
    what is reported.
    """
    registry = er.async_get(hass)
    climates: list[str] = []
    heaters: list[str] = []
    for entry in hass.config_entries.async_entries(DOMAIN):
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.disabled:
                continue
            if entity.domain == "climate":
                climates.append(entity.entity_id)
            elif entity.domain == "water_heater" and entity.translation_key == "eco_cute":
                heaters.append(entity.entity_id)
    options: dict[str, Any] = {
        CONF_AUTO_RESPONSE: True,
        CONF_CLIMATES: sorted(climates),
        CONF_WATER_HEATERS: sorted(heaters),
        CONF_REPORT_MINUTES: DEFAULT_REPORT_MINUTES,
    }
    if (power := meter_sensor(hass, "power")) is not None:
        options[CONF_POWER_ENTITY] = power
    return options


class AggregatorFlowMixin(ConfigFlow):
    """The aggregator steps of Denki's config flow."""

    _aggregator_protocol: str = PROTOCOL_OPENADR3

    async def async_step_aggregator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose how the aggregator sends its events."""
        return self.async_show_menu(
            step_id="aggregator",
            menu_options=["aggregator_openadr3", "aggregator_openadr2b", "aggregator_mqtt"],
        )

    async def async_step_aggregator_openadr3(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An OpenADR 3 VTN: its URL and the client credentials the aggregator gave."""
        return await self._aggregator_step(PROTOCOL_OPENADR3, "aggregator_openadr3", user_input)

    async def async_step_aggregator_openadr2b(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """An OpenADR 2.0b VTN: its address, this VEN's name, and signing keys if it wants them."""
        return await self._aggregator_step(PROTOCOL_OPENADR2B, "aggregator_openadr2b", user_input)

    async def async_step_aggregator_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The aggregator's own MQTT broker and this home's VEN id."""
        return await self._aggregator_step(PROTOCOL_MQTT, "aggregator_mqtt", user_input)

    async def _aggregator_step(
        self, protocol: str, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalized(protocol, user_input)
            await self.async_set_unique_id(unique_id(data))
            self._abort_if_unique_id_configured()
            errors = await check_connection(self.hass, data)
            if not errors:
                return self.async_create_entry(
                    title=title(data), data=data, options=default_options(self.hass)
                )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _schema(protocol),
                {
                    k: v
                    for k, v in (user_input or {}).items()
                    if k not in (CONF_PASSWORD, CONF_CLIENT_SECRET, CONF_KEY_PASSWORD)
                },
            ),
            errors=errors,
            description_placeholders=EXAMPLES[protocol],
        )

    async def async_step_reauth_aggregator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The aggregator refused the credentials: ask for them again and try them."""
        entry = self._get_reauth_entry()
        protocol = entry.data[CONF_PROTOCOL]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_normalized(protocol, user_input)}
            errors = await check_connection(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        first = SECRETS[protocol][0]
        return self.async_show_form(
            step_id="reauth_aggregator",
            data_schema=self.add_suggested_values_to_schema(
                _secrets_schema(protocol), {first: entry.data.get(first, "")}
            ),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure_aggregator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change where the aggregator is, or the credentials; tried before they are kept."""
        entry = self._get_reconfigure_entry()
        protocol = entry.data[CONF_PROTOCOL]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalized(protocol, user_input)
            errors = await check_connection(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, unique_id=unique_id(data), title=title(data), data=data
                )
        suggested = {
            k: v
            for k, v in entry.data.items()
            if k not in (CONF_PASSWORD, CONF_CLIENT_SECRET, CONF_KEY_PASSWORD)
        }
        return self.async_show_form(
            step_id="reconfigure_aggregator",
            data_schema=self.add_suggested_values_to_schema(
                _schema(protocol), user_input or suggested
            ),
            errors=errors,
        )


def _entities(domain: str) -> EntitySelector:
    return EntitySelector(EntitySelectorConfig(domain=domain, multiple=True))


def _number(minimum: float, maximum: float, step: float, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


OPTIONS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_AUTO_RESPONSE): BooleanSelector(),
        probatio.Optional(CONF_CLIMATES): _entities("climate"),
        probatio.Required(CONF_CLIMATE_OFFSET): _number(0.5, 5, 0.5, "°C"),
        probatio.Required(CONF_COOLING_MAX): _number(20, 32, 0.5, "°C"),
        probatio.Required(CONF_HEATING_MIN): _number(10, 26, 0.5, "°C"),
        probatio.Optional(CONF_WATER_HEATERS): _entities("water_heater"),
        probatio.Optional(CONF_BATTERIES): _entities("select"),
        probatio.Required(CONF_BATTERY_OPTION): TextSelector(),
        probatio.Optional(CONF_EV_CHARGERS): _entities("switch"),
        probatio.Optional(CONF_LIGHTS): _entities("light"),
        probatio.Required(CONF_LIGHT_PERCENT): _number(10, 90, 5, "%"),
        probatio.Required(CONF_MIN_LEVEL): _number(1, 3, 1),
        probatio.Optional(CONF_POWER_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
        ),
        probatio.Required(CONF_REPORT_MINUTES): _number(1, 60, 1, "min"),
    }
)


class AggregatorOptionsFlow(OptionsFlowWithReload):
    """The automatic response's appliances and limits, and the report interval."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options of an aggregator entry."""
        return await self.async_step_aggregator()

    async def async_step_aggregator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The appliances in the plan, the comfort limits and the report interval."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options = dict(user_input)
            for key in (CONF_MIN_LEVEL, CONF_LIGHT_PERCENT, CONF_REPORT_MINUTES):
                options[key] = int(options[key])
            if options[CONF_HEATING_MIN] >= options[CONF_COOLING_MAX]:
                errors[CONF_HEATING_MIN] = "heating_above_cooling"
            else:
                return self.async_create_entry(data=options)
        limits = limits_from(dict(self.config_entry.options))
        current = {
            CONF_AUTO_RESPONSE: True,
            CONF_CLIMATE_OFFSET: limits.climate_offset,
            CONF_COOLING_MAX: limits.cooling_max,
            CONF_HEATING_MIN: limits.heating_min,
            CONF_BATTERY_OPTION: limits.battery_option,
            CONF_LIGHT_PERCENT: limits.light_percent,
            CONF_MIN_LEVEL: limits.min_level,
            CONF_REPORT_MINUTES: DEFAULT_REPORT_MINUTES,
            **self.config_entry.options,
        }
        return self.async_show_form(
            step_id="aggregator",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, user_input or current),
            errors=errors,
        )
