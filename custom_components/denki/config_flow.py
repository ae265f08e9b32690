"""Config flow for Denki: one menu, four kinds of entry."""

import asyncio
from collections.abc import Mapping
import ipaddress
import os
from pathlib import Path
import secrets
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_UNIQUE_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
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
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from homeassistant.helpers.typing import DiscoveryInfoType
from homeassistant.util.unit_conversion import EnergyConverter
import probatio
import serial
import serial.tools.list_ports
import serial_asyncio_fast

from . import lan, meter_hv
from .aggregator_flow import AggregatorFlowMixin, AggregatorOptionsFlow, is_aggregator
from .appliances import async_discover, class_name, poll_seconds, settable_classes
from .const import (
    CONF_BOILING_ENTITY,
    CONF_DEVICE,
    CONF_DR_SOURCE,
    CONF_ENERGY_ENTITY,
    CONF_EXPORT_ENTITY,
    CONF_HOST,
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_NODE_ID,
    CONF_NODES,
    CONF_PAN,
    CONF_PASSWORD,
    CONF_POLL_SECONDS,
    CONF_PORT,
    CONF_PV_ENTITY,
    CONF_RBID,
    CONF_SETTABLE_CLASSES,
    CONF_YEN_PER_KWH,
    DEFAULT_YEN_PER_KWH,
    DOMAIN,
    FAST_POLL_SECONDS,
    LOGGER,
    EntryKind,
)
from .discovery import async_enabled_ipv4
from .lib.broute.dongle import BAUDRATE, DongleInfo, SkDongle
from .lib.broute.errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleError,
    InvalidCredentialsError,
    MeterNotFoundError,
)
from .lib.broute.hv_meter import NotAHighVoltageMeterError
from .lib.broute.link import MeterLink
from .lib.broute.meter_values import MeterValueError
from .lib.broute.session import validate_credentials
from .lib.broute.sk_messages import Dialect
from .lib.echonet import EchonetError, TransportError
from .lib.echonet.classes import CLASSES
from .lib.echonet.nodes import NodeInfo
from .meter_hv import is_high_voltage

BY_ID = Path("/dev/serial/by-id")


def list_serial_ports() -> list[SelectOptionDict]:
    """Serial ports, by their /dev/serial/by-id name where there is one (it survives a replug)."""
    stable: dict[str, str] = {}
    if BY_ID.is_dir():
        for link in sorted(BY_ID.iterdir()):
            stable[str(link.resolve())] = str(link)
    return [
        SelectOptionDict(
            value=stable.get(port.device, port.device),
            label=f"{port.device} - {port.description}" if port.description else port.device,
        )
        for port in serial.tools.list_ports.comports()
    ]


DONGLE_FAMILIES = {
    Dialect.BP35A1: "ROHM BP35A1 / Tessera RL7023 Stick-D/IPS",
    Dialect.BP35C: "ROHM BP35C0 / BP35C2 / Tessera RL7023 Stick-D/DSS / Ratoc RS-WSUHA",
}
"""The dongles each SK dialect stands for: what a probe can tell of a dongle."""
PROBE_SECONDS = 3.0
"""How long a discovered USB serial port has to answer like a Wi-SUN dongle (SKVER, SKINFO)."""
CLOSE_SECONDS = 2.0


def serial_by_id(device: str) -> str:
    """The /dev/serial/by-id link to `device`, or `device` itself (as usb.get_serial_by_id).

    Home Assistant's `usb` package imports its own requirements (aiousbwatcher,
    serialx) when imported; this is the same look-up without them.
    """
    real = os.path.realpath(device)
    if BY_ID.is_dir():
        for link in sorted(BY_ID.iterdir()):
            if link.is_symlink() and os.path.realpath(link) == real:
                return str(link)
    return device


def same_port(first: str, second: str) -> bool:
    """Whether two paths name the same serial port (a by-id link and its /dev/tty…)."""
    return first == second or os.path.realpath(first) == os.path.realpath(second)


async def probe_dongle(port: str, within: float = PROBE_SECONDS) -> DongleInfo | None:
    """What the device on `port` says it is, if it answers like an SK-command-set dongle.

    Only the driver's read-only queries are sent (SKVER, SKINFO, ROPT). None
    when the port cannot be opened or the device does not answer them in
    `within` seconds. The port is closed again before this returns.
    """
    try:
        reader, writer = await serial_asyncio_fast.open_serial_connection(
            url=port, baudrate=BAUDRATE
        )
    except (OSError, serial.SerialException) as err:
        LOGGER.debug("Cannot open %s to probe it: %s", port, err)
        return None
    dongle = SkDongle(reader, writer)
    dongle.start()
    try:
        async with asyncio.timeout(within):
            return await dongle.detect()
    except (DongleError, TimeoutError) as err:
        LOGGER.debug("%s does not answer like a Wi-SUN dongle: %s", port, err or "no answer")
        return None
    finally:
        await dongle.close()
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await writer.wait_closed()
        except (TimeoutError, OSError, serial.SerialException) as err:  # pragma: no cover
            LOGGER.debug("%s did not close cleanly: %s", port, err or "timeout")


def _hv_meter_title(host: str) -> str:
    """A high-voltage meter's entry (and discovery) title."""
    return f"High-voltage meter ({host})"


class DenkiConfigFlow(AggregatorFlowMixin, ConfigFlow, domain=DOMAIN):
    """Let the user choose which part of the home to add.

    Each kind has its own step, named after the kind. Until a kind's
    implementation lands, its step ends with a translated abort that says so,
    rather than creating an entry that could do nothing.
    """

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._meter_input: dict[str, Any] = {}
        self._join_task: asyncio.Task[tuple[str, dict[str, Any] | None]] | None = None
        self._join_error: str | None = None
        self._form_step = "meter"
        self._joined: tuple[str, dict[str, Any] | None] | None = None
        self._appliances_input: dict[str, Any] = {}
        self._found: list[NodeInfo] = []
        self._discovered: dict[str, str] = {}
        self._hv_discovered: dict[str, str] = {}
        self._usb_placeholders: dict[str, str] = {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the menu of entry kinds."""
        options = [kind.value for kind in EntryKind]
        # A high-voltage meter is a meter entry too, added by its IP address rather than a dongle.
        options.insert(options.index(EntryKind.METER) + 1, "meter_hv")
        return self.async_show_menu(step_id="user", menu_options=options)

    # --- smart meter ---------------------------------------------------------------------

    async def async_step_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the dongle's port and the B-route ID and password."""
        self._form_step = "meter"
        errors = self._take_join_error()
        if user_input is not None and not errors:
            errors = self._check_credentials(user_input)
            if not errors:
                self._meter_input = {**user_input, **self._normalized(user_input)}
                return await self.async_step_meter_join()
        ports = await self.hass.async_add_executor_job(list_serial_ports)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_DEVICE): SelectSelector(
                    SelectSelectorConfig(
                        options=ports, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
                probatio.Required(CONF_RBID): TextSelector(),
                probatio.Required(CONF_PASSWORD): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        suggested = {k: v for k, v in self._meter_input.items() if k != CONF_PASSWORD}
        return self.async_show_form(
            step_id="meter",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The meter or the aggregator refused the credentials: ask for them again."""
        if is_aggregator(self._get_reauth_entry()):
            return await self.async_step_reauth_aggregator()
        self._meter_input = dict(entry_data)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new B-route ID and password, and try them."""
        self._form_step = "reauth_confirm"
        errors = self._take_join_error()
        if user_input is not None and not errors:
            errors = self._check_credentials(user_input)
            if not errors:
                self._meter_input.update(self._normalized(user_input))
                return await self.async_step_meter_join()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_RBID): TextSelector(),
                probatio.Required(CONF_PASSWORD): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                schema, {CONF_RBID: self._meter_input.get(CONF_RBID, "")}
            ),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the dongle's port or the credentials of a meter entry."""
        self._form_step = "reconfigure"
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_KIND) == EntryKind.APPLIANCES:
            return await self.async_step_reconfigure_appliances()
        if is_aggregator(entry):
            return await self.async_step_reconfigure_aggregator()
        if entry.data.get(CONF_KIND) != EntryKind.METER:
            return self.async_abort(reason="reconfigure_not_supported")
        if is_high_voltage(entry):
            return await self.async_step_reconfigure_meter_hv()
        errors = self._take_join_error()
        if user_input is not None and not errors:
            errors = self._check_credentials(user_input)
            if not errors:
                self._meter_input = {**entry.data, **user_input, **self._normalized(user_input)}
                return await self.async_step_meter_join()
        ports = await self.hass.async_add_executor_job(list_serial_ports)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_DEVICE): SelectSelector(
                    SelectSelectorConfig(
                        options=ports, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
                probatio.Required(CONF_RBID): TextSelector(),
                probatio.Required(CONF_PASSWORD): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                ),
            }
        )
        suggested = {CONF_DEVICE: entry.data[CONF_DEVICE], CONF_RBID: entry.data[CONF_RBID]}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
        )

    async def async_step_meter_join(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Scan for the meter and join it, showing progress: minutes on real hardware."""
        if self._join_task is None:
            self._join_task = self.hass.async_create_task(
                self._try_join(dict(self._meter_input)), "denki meter join"
            )
        if not self._join_task.done():
            return self.async_show_progress(
                step_id="meter_join",
                progress_action="meter_join",
                progress_task=self._join_task,
            )
        task, self._join_task = self._join_task, None
        try:
            self._joined = task.result()
        except AuthenticationError:
            self._join_error = "invalid_auth"
        except DongleDisconnectedError:
            self._join_error = "cannot_open_port"
        except MeterNotFoundError:
            self._join_error = "meter_not_found"
        except DongleError, MeterValueError, EchonetError:
            self._join_error = "cannot_connect"
        except Exception:  # noqa: BLE001 - a flow must end in a form, whatever went wrong
            LOGGER.exception("Unexpected error while joining the smart meter")
            self._join_error = "unknown"
        if self._join_error is not None:
            return self.async_show_progress_done(next_step_id=self._form_step)
        return self.async_show_progress_done(next_step_id="meter_finish")

    async def async_step_meter_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Make the entry, or update the one being re-authenticated or reconfigured."""
        if self._joined is None:  # pragma: no cover - only reached after a join
            return self.async_abort(reason="unknown")
        meter_id, pan = self._joined
        data = {
            CONF_KIND: EntryKind.METER,
            CONF_DEVICE: self._meter_input[CONF_DEVICE],
            CONF_RBID: self._meter_input[CONF_RBID],
            CONF_PASSWORD: self._meter_input[CONF_PASSWORD],
            CONF_PAN: pan,
        }
        await self.async_set_unique_id(meter_id)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_meter")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=data)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_meter")
            return self.async_update_reload_and_abort(self._get_reconfigure_entry(), data=data)
        self._abort_if_unique_id_configured(updates=data)
        return self.async_create_entry(title="Smart meter (B-route)", data=data)

    def _take_join_error(self) -> dict[str, str]:
        error, self._join_error = self._join_error, None
        return {"base": error} if error else {}

    @staticmethod
    def _check_credentials(user_input: dict[str, Any]) -> dict[str, str]:
        try:
            validate_credentials(user_input[CONF_RBID], user_input[CONF_PASSWORD])
        except InvalidCredentialsError as err:
            return {err.field: f"invalid_{err.field}"}
        return {}

    @staticmethod
    def _normalized(user_input: dict[str, Any]) -> dict[str, str]:
        rbid, password = validate_credentials(user_input[CONF_RBID], user_input[CONF_PASSWORD])
        return {CONF_RBID: rbid, CONF_PASSWORD: password}

    async def _try_join(self, data: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        link = MeterLink(data[CONF_DEVICE], data[CONF_RBID], data[CONF_PASSWORD])
        try:
            await link.ensure()
        finally:
            await link.close()
        return str(link.identification), link.pan.as_dict() if link.pan else None

    # --- smart meter: a dongle plugged in (USB discovery) ----------------------------------

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """A serial port with a known dongle's USB ID appeared: make sure it is a dongle.

        The manifest's IDs are those of generic USB-UART chips, so before
        anything is shown the port is asked what it is, with read-only SK
        queries; anything that does not answer like a Wi-SUN dongle ends the
        flow unseen. A port a meter entry already uses is never opened.
        """
        device = await self.hass.async_add_executor_job(serial_by_id, discovery_info.device)
        serial_number = discovery_info.serial_number or device
        await self.async_set_unique_id(f"{discovery_info.vid}:{discovery_info.pid}_{serial_number}")
        self._abort_if_unique_id_configured()
        ports = [
            entry.data[CONF_DEVICE]
            for entry in self._async_current_entries(include_ignore=False)
            if entry.data.get(CONF_KIND) == EntryKind.METER and CONF_DEVICE in entry.data
        ]
        for port in ports:
            if await self.hass.async_add_executor_job(same_port, port, discovery_info.device):
                return self.async_abort(reason="already_configured")
        info = await probe_dongle(device, PROBE_SECONDS)
        if info is None:
            return self.async_abort(reason="not_wisun_dongle")
        self._meter_input = {CONF_DEVICE: device}
        self._usb_placeholders = {
            "name": DONGLE_FAMILIES[info.dialect],
            "firmware": info.version or "?",
            "device": device,
        }
        self.context["title_placeholders"] = {"name": f"Wi-SUN ({DONGLE_FAMILIES[info.dialect]})"}
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say which dongle was found; its B-route ID and password are asked next."""
        if user_input is not None:
            return await self.async_step_meter()
        return self.async_show_form(
            step_id="usb_confirm", description_placeholders=self._usb_placeholders
        )

    # --- high-voltage smart meter on the LAN ----------------------------------------------

    async def async_step_meter_hv(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the meter's IP address and this computer's interface; check it is one."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._check_hv_meter(user_input)
            if data is not None:
                return self._create_hv_meter_entry(data)
        return self.async_show_form(
            step_id="meter_hv",
            data_schema=self.add_suggested_values_to_schema(
                await self._hv_meter_schema(), user_input or {}
            ),
            errors=errors,
        )

    def _create_hv_meter_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """The entry of a checked meter; one already known takes the new address instead."""
        self._abort_if_unique_id_configured(updates=data)
        return self.async_create_entry(title=_hv_meter_title(data[CONF_HOST]), data=data)

    async def _discovered_hv_meter(self, discovery_info: DiscoveryInfoType) -> ConfigFlowResult:
        """An appliances entry found a high-voltage meter: offer its own entry."""
        host = str(discovery_info[CONF_HOST])
        await self.async_set_unique_id(str(discovery_info[CONF_UNIQUE_ID]))
        # Known already (perhaps moved by DHCP): the entry follows it to the new address.
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        self._hv_discovered = {CONF_HOST: host, CONF_INTERFACE: str(discovery_info[CONF_INTERFACE])}
        self.context["title_placeholders"] = {"name": _hv_meter_title(host)}
        return await self.async_step_meter_hv_confirm()

    async def async_step_meter_hv_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the discovered meter; it is asked again who it is before the entry is made."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._check_hv_meter(self._hv_discovered)
            if data is not None:
                return self._create_hv_meter_entry(data)
            errors = {"base": next(iter(errors.values()))}  # the form has no fields to mark
        self._set_confirm_only()
        return self.async_show_form(
            step_id="meter_hv_confirm",
            description_placeholders={"host": self._hv_discovered[CONF_HOST]},
            errors=errors,
        )

    async def async_step_reconfigure_meter_hv(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the meter's IP address (or the interface); it must be the same meter."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._check_hv_meter(user_input)
            if data is not None:
                self._abort_if_unique_id_mismatch(reason="wrong_meter")
                return self.async_update_reload_and_abort(entry, data=data)
        suggested = user_input or {
            CONF_HOST: entry.data[CONF_HOST],
            CONF_INTERFACE: entry.data[CONF_INTERFACE],
        }
        return self.async_show_form(
            step_id="reconfigure_meter_hv",
            data_schema=self.add_suggested_values_to_schema(
                await self._hv_meter_schema(), suggested
            ),
            errors=errors,
        )

    async def _hv_meter_schema(self) -> probatio.Schema:
        return probatio.Schema(
            {
                probatio.Required(CONF_HOST): TextSelector(),
                probatio.Required(CONF_INTERFACE): SelectSelector(
                    SelectSelectorConfig(
                        options=await _interface_addresses(self.hass),
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
            }
        )

    async def _check_hv_meter(
        self, user_input: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """The entry's data if the host answers as a high-voltage meter (unique id set), else errors."""
        interface = str(user_input[CONF_INTERFACE]).strip()
        hosts, errors = _parse_hosts(interface, str(user_input[CONF_HOST]))
        if CONF_HOSTS in errors or (not errors and len(hosts) != 1):
            errors = {CONF_HOST: "invalid_host"}
        if errors:
            return None, errors
        try:
            # The interface's port is shared: a loaded meter or appliances entry there holds it.
            async with lan.async_borrow(self.hass, interface, lan.LISTEN_PORT) as client:
                identity = await meter_hv.async_identify(client, hosts[0])
        except TransportError:
            return None, {CONF_INTERFACE: "cannot_bind"}
        except NotAHighVoltageMeterError:
            return None, {CONF_HOST: "not_a_high_voltage_meter"}
        except EchonetError, MeterValueError:
            return None, {CONF_HOST: "no_answer"}
        # A meter the appliances entry offered can still be added by hand: that offer then ends.
        await self.async_set_unique_id(identity, raise_on_progress=False)
        return {
            CONF_KIND: EntryKind.METER,
            CONF_HOST: hosts[0],
            CONF_INTERFACE: interface,
            CONF_PORT: lan.LISTEN_PORT,
        }, {}

    # --- kinds still to come ---------------------------------------------------------------

    async def async_step_appliances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the network interface and any hosts to ask directly; then discover."""
        errors: dict[str, str] = {}
        if user_input is not None:
            interface = str(user_input[CONF_INTERFACE]).strip()
            hosts, errors = _parse_hosts(interface, str(user_input.get(CONF_HOSTS, "")))
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
        addresses = await _interface_addresses(self.hass)
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

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """Devices answered on an address of this host: offer an appliances entry there.

        An appliances entry that finds a high-voltage meter offers it too (CONF_HOST set).
        """
        if CONF_HOST in discovery_info:
            return await self._discovered_hv_meter(discovery_info)
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
            hosts, errors = _parse_hosts(interface, str(user_input.get(CONF_HOSTS, "")))
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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Appliances: poll interval and settable classes; aggregator: the automatic response."""
        if is_aggregator(config_entry):
            return AggregatorOptionsFlow()
        if config_entry.data.get(CONF_KIND) == EntryKind.SAVINGS:
            return SavingsOptionsFlow()
        return AppliancesOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Appliances, aggregator and savings entries have options; a meter has none."""
        return config_entry.data.get(CONF_KIND) in (
            EntryKind.APPLIANCES,
            EntryKind.AGGREGATOR,
            EntryKind.SAVINGS,
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
            CONF_ENERGY_ENTITY: _meter_import_entity(self.hass),
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


def _meter_import_entity(hass: HomeAssistant, key: str = "energy_import") -> str | None:
    """The smart meter's import (or, with `key`, export) energy sensor, when Denki has a meter."""
    registry = er.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get(CONF_KIND) != EntryKind.METER:
            continue
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.translation_key == key:
                return entity.entity_id
    return None


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
            export := _meter_import_entity(self.hass, "energy_export")
        ):
            current[CONF_EXPORT_ENTITY] = export
        return self.async_show_form(
            step_id="savings",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or current),
            errors=errors,
        )


def _parse_hosts(interface: str, text: str) -> tuple[list[str], dict[str, str]]:
    """The interface checked, and the IPv4 hosts of a comma or space separated list."""
    try:
        ipaddress.IPv4Address(interface)
    except ValueError:
        return [], {CONF_INTERFACE: "invalid_interface"}
    hosts: list[str] = []
    for item in text.replace(",", " ").split():
        try:
            hosts.append(str(ipaddress.IPv4Address(item)))
        except ValueError:
            return [], {CONF_HOSTS: "invalid_host"}
    return sorted(set(hosts), key=ipaddress.IPv4Address), {}


async def _interface_addresses(hass: HomeAssistant) -> list[SelectOptionDict]:
    """The IPv4 addresses of this host's enabled interfaces, to choose the LAN by."""
    return [
        SelectOptionDict(value=address, label=f"{address} ({name})")
        for address, name in await async_enabled_ipv4(hass)
    ]


class AppliancesOptionsFlow(OptionsFlowWithReload):
    """How often to poll, and which classes Home Assistant may set."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options of an appliances entry."""
        if self.config_entry.data.get(CONF_KIND) != EntryKind.APPLIANCES:
            return self.async_abort(reason="no_options")
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
