"""Config flow for Denki: one menu, four kinds of entry."""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import DOMAIN, EntryKind


class DenkiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Let the user choose which part of the home to add.

    Each kind has its own step, named after the kind. Until a kind's
    implementation lands, its step ends with a translated abort that says so,
    rather than creating an entry that could do nothing.
    """

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the menu of entry kinds."""
        return self.async_show_menu(step_id="user", menu_options=[kind.value for kind in EntryKind])

    async def async_step_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a smart meter reached over the B-route."""
        return self.async_abort(reason="meter_not_available")

    async def async_step_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add the ECHONET Lite appliances of the home LAN."""
        return self.async_abort(reason="appliances_not_available")

    async def async_step_aggregator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add an aggregator that sends demand-response events."""
        return self.async_abort(reason="aggregator_not_available")

    async def async_step_savings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add the savings scorer of the home."""
        return self.async_abort(reason="savings_not_available")
