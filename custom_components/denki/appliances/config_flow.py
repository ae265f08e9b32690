"""The appliances' part of the config flow: the LAN to listen on, discovery, reconfigure, options."""

import secrets
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlowWithReload
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.typing import DiscoveryInfoType
import probatio

from .. import lan
from ..appliances.hub import async_discover, class_name, poll_seconds, settable_classes
from ..const import (
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_NODE_ID,
    CONF_NODES,
    CONF_POLL_SECONDS,
    CONF_PORT,
    CONF_SETTABLE_CLASSES,
    FAST_POLL_SECONDS,
    EntryKind,
)
from ..lib.echonet import TransportError
from ..lib.echonet.classes import CLASSES
from ..lib.echonet.nodes import NodeInfo


class AppliancesFlowMixin(ConfigFlow):
    """The steps that add and change an appliances entry; `DenkiConfigFlow` offers them."""

    def __init__(self) -> None:
        """Start with nothing found."""
        super().__init__()
        self._appliances_input: dict[str, Any] = {}
        self._found: list[NodeInfo] = []
        self._discovered: dict[str, str] = {}

    async def async_step_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the network interface and any hosts to ask directly; then discover."""
        errors: dict[str, str] = {}
        if user_input is not None:
            interface = str(user_input[CONF_INTERFACE]).strip()
            hosts, errors = lan.parse_hosts(interface, str(user_input.get(CONF_HOSTS, "")))
            if not errors:
                await self.async_set_unique_id(f"appliances-{interface}")
                self._abort_if_unique_id_configured()
                try:
                    self._found = await async_discover(self.hass, interface, hosts)
                except TransportError:
                    errors[CONF_INTERFACE] = "cannot_bind"
                else:
                    self._appliances_input = {CONF_INTERFACE: interface, CONF_HOSTS: hosts}
                    return await self.async_step_appliances_found()
        return self.async_show_form(
            step_id="appliances",
            data_schema=self.add_suggested_values_to_schema(
                await self._appliances_schema(), user_input or {}
            ),
            errors=errors,
        )

    async def _appliances_schema(self) -> probatio.Schema:
        addresses = await lan.async_interface_addresses(self.hass)
        return probatio.Schema(
            {
                probatio.Required(CONF_INTERFACE): SelectSelector(
                    SelectSelectorConfig(
                        options=addresses, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
                probatio.Optional(CONF_HOSTS, default=""): TextSelector(),
            }
        )

    async def _async_discovered_lan(self, discovery_info: DiscoveryInfoType) -> ConfigFlowResult:
        """Devices answered on an address of this host: offer an appliances entry there."""
        interface = str(discovery_info[CONF_INTERFACE])
        await self.async_set_unique_id(f"appliances-{interface}")
        self._abort_if_unique_id_configured()
        self._discovered = {"interface": interface, "count": str(discovery_info[CONF_NODES])}
        self.context["title_placeholders"] = {"name": f"ECHONET Lite ({interface})"}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the discovered network; its devices are then asked again and listed."""
        if user_input is not None:
            return await self.async_step_appliances(
                {CONF_INTERFACE: self._discovered["interface"], CONF_HOSTS: ""}
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm", description_placeholders=self._discovered
        )

    async def async_step_appliances_found(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """List what discovery found, and add the entry (nodes found later are added too)."""
        if user_input is not None:
            return self.async_create_entry(
                title=f"ECHONET Lite ({self._appliances_input[CONF_INTERFACE]})",
                data={
                    CONF_KIND: EntryKind.APPLIANCES,
                    **self._appliances_input,
                    CONF_PORT: lan.LISTEN_PORT,
                    CONF_NODE_ID: secrets.token_bytes(13).hex(),
                },
            )
        language = self.hass.config.language
        listing = "\n".join(
            f"- {node.address}: "
            + ", ".join(class_name(info.eoj.class_id, language) for info in node.objects)
            for node in self._found
        )
        return self.async_show_form(
            step_id="appliances_found",
            description_placeholders={
                "count": str(len(self._found)),
                "nodes": listing or "-",
            },
        )

    async def async_step_reconfigure_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the interface or the hosts asked directly."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            interface = str(user_input[CONF_INTERFACE]).strip()
            hosts, errors = lan.parse_hosts(interface, str(user_input.get(CONF_HOSTS, "")))
            if not errors:
                await self.async_set_unique_id(f"appliances-{interface}")
                if interface != entry.data[CONF_INTERFACE]:
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=f"appliances-{interface}",
                    data_updates={CONF_INTERFACE: interface, CONF_HOSTS: hosts},
                )
        suggested = {
            CONF_INTERFACE: entry.data[CONF_INTERFACE],
            CONF_HOSTS: ", ".join(entry.data.get(CONF_HOSTS, [])),
        }
        return self.async_show_form(
            step_id="reconfigure_appliances",
            data_schema=self.add_suggested_values_to_schema(
                await self._appliances_schema(), user_input or suggested
            ),
            errors=errors,
        )


class AppliancesOptionsFlow(OptionsFlowWithReload):
    """How often to poll, and which classes Home Assistant may set."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options of an appliances entry."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    CONF_POLL_SECONDS: int(user_input[CONF_POLL_SECONDS]),
                    CONF_SETTABLE_CLASSES: sorted(user_input[CONF_SETTABLE_CLASSES]),
                }
            )
        language = self.hass.config.language
        classes = sorted({code for code in CLASSES if code >> 8 not in (0x00, 0x0E)})
        options = [
            SelectOptionDict(
                value=f"{code:04x}", label=f"{class_name(code, language)} (0x{code:04X})"
            )
            for code in classes
        ]
        current = {
            CONF_POLL_SECONDS: poll_seconds(self.config_entry),
            CONF_SETTABLE_CLASSES: [
                f"{code:04x}" for code in sorted(settable_classes(self.config_entry))
            ],
        }
        schema = probatio.Schema(
            {
                probatio.Required(CONF_POLL_SECONDS): NumberSelector(
                    NumberSelectorConfig(
                        min=FAST_POLL_SECONDS,
                        max=3600,
                        step=5,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                probatio.Required(CONF_SETTABLE_CLASSES): SelectSelector(
                    SelectSelectorConfig(
                        options=options, multiple=True, mode=SelectSelectorMode.LIST
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="init", data_schema=self.add_suggested_values_to_schema(schema, current)
        )
