"""The savings part of the config flow: the energy sensor to score, the price; its options."""

from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util.unit_conversion import EnergyConverter
import probatio

from ..const import (
    CONF_BOILING_ENTITY,
    CONF_DR_SOURCE,
    CONF_ENERGY_ENTITY,
    CONF_EXPORT_ENTITY,
    CONF_KIND,
    CONF_PV_ENTITY,
    CONF_YEN_PER_KWH,
    DEFAULT_YEN_PER_KWH,
    DOMAIN,
    EntryKind,
)
from ..meter.lookup import meter_sensor


class SavingsFlowMixin(ConfigFlow):
    """The steps that add the one savings entry a home has, and change its energy sensor."""

    async def async_step_reconfigure_savings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Score another energy sensor (a new meter, say); the price is in the options."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = str(user_input[CONF_ENERGY_ENTITY])
            if _is_energy_counter(self.hass, entity_id):
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_ENERGY_ENTITY: entity_id}
                )
            errors[CONF_ENERGY_ENTITY] = "not_an_energy_counter"
        schema = probatio.Schema(
            {probatio.Required(CONF_ENERGY_ENTITY): SAVINGS_SCHEMA.schema[CONF_ENERGY_ENTITY]}
        )
        return self.async_show_form(
            step_id="reconfigure_savings",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_ENERGY_ENTITY: entry.data[CONF_ENERGY_ENTITY]}
            ),
            errors=errors,
        )

    async def async_step_savings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the energy sensor to score and the price of a kWh; one savings entry a home."""
        await self.async_set_unique_id(EntryKind.SAVINGS)
        self._abort_if_unique_id_configured(error="savings_already_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            entity_id = str(user_input[CONF_ENERGY_ENTITY])
            if _is_energy_counter(self.hass, entity_id):
                return self.async_create_entry(
                    title="Savings",
                    data={
                        CONF_KIND: EntryKind.SAVINGS,
                        CONF_ENERGY_ENTITY: entity_id,
                        CONF_YEN_PER_KWH: float(user_input[CONF_YEN_PER_KWH]),
                    },
                )
            errors[CONF_ENERGY_ENTITY] = "not_an_energy_counter"
        suggested = user_input or {
            CONF_ENERGY_ENTITY: meter_sensor(self.hass, "energy_import"),
            CONF_YEN_PER_KWH: DEFAULT_YEN_PER_KWH,
        }
        return self.async_show_form(
            step_id="savings",
            data_schema=self.add_suggested_values_to_schema(SAVINGS_SCHEMA, suggested),
            errors=errors,
        )


SAVINGS_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_ENERGY_ENTITY): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.ENERGY)
        ),
        probatio.Required(CONF_YEN_PER_KWH, default=DEFAULT_YEN_PER_KWH): NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=200,
                step=0.01,
                unit_of_measurement="JPY/kWh",
                mode=NumberSelectorMode.BOX,
            )
        ),
    }
)


def _is_energy_counter(hass: HomeAssistant, entity_id: str) -> bool:
    """An energy sensor whose total only grows: what the savings can be computed from."""
    state = hass.states.get(entity_id)
    if state is None:
        return False
    return (
        state.attributes.get("device_class") == SensorDeviceClass.ENERGY
        and state.attributes.get("state_class")
        in (SensorStateClass.TOTAL_INCREASING, SensorStateClass.TOTAL)
        and state.attributes.get("unit_of_measurement") in EnergyConverter.VALID_UNITS
    )


class SavingsOptionsFlow(OptionsFlowWithReload):
    """The price of a kWh, which aggregator's events count, and the counters of the day cards."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options of the savings entry."""
        return await self.async_step_savings()

    async def async_step_savings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The price, the DR source and the day cards' counters."""
        errors: dict[str, str] = {}
        if user_input is not None:
            for key in (CONF_PV_ENTITY, CONF_EXPORT_ENTITY, CONF_BOILING_ENTITY):
                if user_input.get(key) and not _is_energy_counter(self.hass, user_input[key]):
                    errors[key] = "not_an_energy_counter"
            if not errors:
                return self.async_create_entry(
                    data={**user_input, CONF_YEN_PER_KWH: float(user_input[CONF_YEN_PER_KWH])}
                )
        sources = [SelectOptionDict(value="all", label="all")] + [
            SelectOptionDict(value=entry.entry_id, label=entry.title)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            if entry.data.get(CONF_KIND) == EntryKind.AGGREGATOR
        ]
        energy = EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.ENERGY)
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_YEN_PER_KWH): SAVINGS_SCHEMA.schema[CONF_YEN_PER_KWH],
                probatio.Required(CONF_DR_SOURCE): SelectSelector(
                    SelectSelectorConfig(
                        options=sources,
                        translation_key=CONF_DR_SOURCE,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                probatio.Optional(CONF_PV_ENTITY): energy,
                probatio.Optional(CONF_EXPORT_ENTITY): energy,
                probatio.Optional(CONF_BOILING_ENTITY): energy,
            }
        )
        current: dict[str, Any] = {
            CONF_YEN_PER_KWH: self.config_entry.data[CONF_YEN_PER_KWH],
            CONF_DR_SOURCE: "all",
            **self.config_entry.options,
        }
        if CONF_EXPORT_ENTITY not in current and (
            export := meter_sensor(self.hass, "energy_export")
        ):
            current[CONF_EXPORT_ENTITY] = export
        return self.async_show_form(
            step_id="savings",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or current),
            errors=errors,
        )
