"""Config flow for Denki: one menu, four kinds of entry.

Each kind's steps, re-authentication, reconfiguration and options live in its
own package, as a mixin this flow is made of (`meter/config_flow.py`,
`appliances/config_flow.py`, `aggregator/config_flow.py`,
`savings/config_flow.py`); here are only the menu and the steps Home
Assistant starts by name, which hand over by the entry's kind.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST
from homeassistant.core import callback
from homeassistant.helpers.typing import DiscoveryInfoType

from .aggregator.config_flow import AggregatorFlowMixin, AggregatorOptionsFlow
from .appliances.config_flow import AppliancesFlowMixin, AppliancesOptionsFlow
from .const import DOMAIN, HV_METER, EntryKind
from .kinds import handler_key
from .meter.config_flow import MeterFlowMixin
from .savings.config_flow import SavingsFlowMixin, SavingsOptionsFlow

OPTIONS_FLOWS: dict[str, type[OptionsFlow]] = {
    EntryKind.APPLIANCES: AppliancesOptionsFlow,
    EntryKind.AGGREGATOR: AggregatorOptionsFlow,
    EntryKind.SAVINGS: SavingsOptionsFlow,
}
"""The kinds that have options (a meter has none), and their flows."""


class DenkiConfigFlow(
    MeterFlowMixin,
    AppliancesFlowMixin,
    AggregatorFlowMixin,
    SavingsFlowMixin,
    domain=DOMAIN,
):
    """Let the user choose which part of the home to add; each kind's steps follow."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the menu of entry kinds."""
        options = [kind.value for kind in EntryKind]
        # A high-voltage meter is a meter entry too, added by its IP address rather than a dongle.
        options.insert(options.index(EntryKind.METER) + 1, HV_METER)
        return self.async_show_menu(step_id="user", menu_options=options)

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """Devices answered on an address of this host: offer an appliances entry there.

        An appliances entry that finds a high-voltage meter offers it too (CONF_HOST set).
        """
        if CONF_HOST in discovery_info:
            return await self._async_discovered_hv_meter(discovery_info)
        return await self._async_discovered_lan(discovery_info)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The meter or the aggregator refused the credentials: ask for them again."""
        if handler_key(self._get_reauth_entry()) == EntryKind.AGGREGATOR:
            return await self.async_step_reauth_aggregator()
        return await self._async_reauth_meter(entry_data)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change what an entry connects to or reads: each kind has its own form."""
        entry = self._get_reconfigure_entry()
        key = handler_key(entry)
        if key == HV_METER:
            return await self.async_step_reconfigure_meter_hv()
        if key == EntryKind.METER:
            return await self._async_reconfigure_meter(entry, user_input)
        if key == EntryKind.APPLIANCES:
            return await self.async_step_reconfigure_appliances()
        if key == EntryKind.AGGREGATOR:
            return await self.async_step_reconfigure_aggregator()
        if key == EntryKind.SAVINGS:
            return await self.async_step_reconfigure_savings()
        return self.async_abort(reason="reconfigure_not_supported")

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Appliances: poll interval and settable classes; aggregator: the automatic response."""
        return OPTIONS_FLOWS[handler_key(config_entry)]()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Appliances, aggregator and savings entries have options; a meter has none."""
        return handler_key(config_entry) in OPTIONS_FLOWS
