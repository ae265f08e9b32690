"""The smart meters' part of the config flow.

A dongle and its B-route credentials, USB discovery, a high-voltage meter by
its IP address or as an appliances entry found it, re-authentication and
reconfiguration.
"""

import asyncio
from collections.abc import Mapping
import os
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_UNIQUE_ID
from homeassistant.helpers.selector import (
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
import probatio
import serial
import serial.tools.list_ports

from .. import lan
from ..const import (
    CONF_DEVICE,
    CONF_HOST,
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_PAN,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_RBID,
    LOGGER,
    EntryKind,
)
from ..lib.broute.dongle import DongleInfo
from ..lib.broute.errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleError,
    InvalidCredentialsError,
    MeterNotFoundError,
    PortInUseError,
)
from ..lib.broute.hv_meter import NotAHighVoltageMeterError
from ..lib.broute.link import MeterLink
from ..lib.broute.meter_values import MeterValueError
from ..lib.broute.probe import probe
from ..lib.broute.session import validate_credentials
from ..lib.broute.sk_messages import Dialect, DongleFamily
from ..lib.echonet import EchonetError, TransportError
from ..meter import hv as meter_hv

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
J11_DONGLES = "ROHM BP35C0-J11 / Ratoc RS-WSUHA-J11 (J11)"
"""The dongles that answer ROHM's binary J11 command set."""
PROBE_SECONDS = 3.0
"""How long a discovered USB serial port has to answer like a Wi-SUN dongle (SK or J11)."""


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
    """What the device on `port` says it is, if it answers like a Wi-SUN dongle.

    Only read-only questions are sent: SK's SKVER, SKINFO and ROPT, and
    J11's Get Version Information (`lib.broute.probe`). None when the port
    cannot be opened, is held by another program, or the device answers
    neither command set in `within` seconds. The port is closed again before
    this returns.
    """
    try:
        return await probe(port, within)
    except DongleError as err:
        LOGGER.debug("%s does not answer like a Wi-SUN dongle: %s", port, err)
        return None


def dongle_name(info: DongleInfo) -> str:
    """The dongles a probe's answer stands for, as the discovery shows them."""
    if info.family is DongleFamily.J11:
        return J11_DONGLES
    return DONGLE_FAMILIES[info.dialect]


def _hv_meter_title(host: str) -> str:
    """A high-voltage meter's entry (and discovery) title."""
    return f"High-voltage meter ({host})"


def _without_password(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a form may suggest again: never the password, which is typed anew."""
    return {key: value for key, value in values.items() if key != CONF_PASSWORD}


type Joined = tuple[str, dict[str, Any] | None, str | None]
"""What a join found: the meter's identity, its PAN descriptor, where the identity came from."""


class MeterFlowMixin(ConfigFlow):
    """The steps that add and change a meter entry; `DenkiConfigFlow` offers them from its menu."""

    def __init__(self) -> None:
        """Start with nothing entered."""
        super().__init__()
        self._meter_input: dict[str, Any] = {}
        self._join_task: asyncio.Task[Joined] | None = None
        self._join_error: str | None = None
        self._form_step = "meter"
        self._joined: Joined | None = None
        self._hv_discovered: dict[str, str] = {}
        self._usb_placeholders: dict[str, str] = {}

    async def async_step_meter(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the dongle's port and the B-route ID and password."""
        self._form_step = "meter"
        errors = self._take_join_error()
        if user_input is not None and not errors:
            errors = self._check_credentials(user_input)
            if not errors:
                self._meter_input = {**user_input, **self._normalized(user_input)}
                return await self.async_step_meter_join()
        schema = await self._dongle_schema()
        suggested = _without_password(user_input or self._meter_input)
        return self.async_show_form(
            step_id="meter",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def _async_reauth_meter(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The meter refused the credentials: ask for them again."""
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

    async def _async_reconfigure_meter(
        self, entry: ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Change the dongle's port or the credentials of a low-voltage meter entry."""
        self._form_step = "reconfigure"
        errors = self._take_join_error()
        if user_input is not None and not errors:
            errors = self._check_credentials(user_input)
            if not errors:
                self._meter_input = {**entry.data, **user_input, **self._normalized(user_input)}
                return await self.async_step_meter_join()
        schema = await self._dongle_schema()
        suggested = {CONF_DEVICE: entry.data[CONF_DEVICE], CONF_RBID: entry.data[CONF_RBID]}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                schema, _without_password(user_input or suggested)
            ),
            errors=errors,
        )

    async def _dongle_schema(self) -> probatio.Schema:
        """The dongle's port (from those present) and the B-route ID and password."""
        ports = await self.hass.async_add_executor_job(list_serial_ports)
        return probatio.Schema(
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
        except PortInUseError:
            self._join_error = "port_in_use"
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
        meter_id, pan, source = self._joined
        data = {
            CONF_KIND: EntryKind.METER,
            CONF_DEVICE: self._meter_input[CONF_DEVICE],
            CONF_RBID: self._meter_input[CONF_RBID],
            CONF_PASSWORD: self._meter_input[CONF_PASSWORD],
            CONF_PAN: pan,
        }
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            meter_id = _kept_identity(self._get_entry_of_flow(), meter_id, pan, source)
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

    def _get_entry_of_flow(self) -> ConfigEntry[Any]:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    async def _try_join(self, data: dict[str, Any]) -> Joined:
        link = MeterLink(data[CONF_DEVICE], data[CONF_RBID], data[CONF_PASSWORD])
        try:
            await link.ensure()
        finally:
            await link.close()
        pan = link.pan.as_dict() if link.pan else None
        return str(link.identification), pan, link.identity_source

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
            "name": dongle_name(info),
            "firmware": info.version or "?",
            "device": device,
        }
        self.context["title_placeholders"] = {"name": f"Wi-SUN ({dongle_name(info)})"}
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

    async def _async_discovered_hv_meter(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
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
                        options=await lan.async_interface_addresses(self.hass),
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
        hosts, errors = lan.parse_hosts(interface, str(user_input[CONF_HOST]))
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


def _kept_identity(
    entry: ConfigEntry[Any], meter_id: str, pan: dict[str, Any] | None, source: str | None
) -> str:
    """The identity to hold the joined meter to: the entry's, when it is the same meter.

    A meter that no longer gives its own identification number (0x83) is
    identified another way (its node profile's 0x83, 0x8A + 0x8D, its MAC),
    which is not the identity its entry was made with. Its radio's MAC, in the
    PAN descriptor, is the same as the entry's: then it is the same meter,
    and the entry keeps its unique id. A meter that does give a 0x83 of its
    own, and another one, is another meter.
    """
    stored = entry.data.get(CONF_PAN) or {}
    if (
        meter_id != entry.unique_id
        and source != "meter 0x83"
        and pan is not None
        and entry.unique_id is not None
        and str(stored.get("mac", "")).upper() == str(pan.get("mac", "")).upper() != ""
    ):
        return entry.unique_id
    return meter_id
