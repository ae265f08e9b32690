"""The low-voltage meter's coordinator and runtime data: polling over the B-route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import time
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import CONF_PAN, DOMAIN, LOGGER, METER_POLL_SECONDS, SILENT_REPAIR_MINUTES
from ..lib.broute.errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleError,
    DongleTimeoutError,
    MeterNotFoundError,
    PortInUseError,
    SessionLostError,
)
from ..lib.broute.link import LiveReading, MeterLink
from ..lib.broute.meter_values import MeterValueError
from ..lib.echonet import EchonetError

if TYPE_CHECKING:
    from .statistics import MeterBackfill

REPAIR_KINDS: Final = {"dongle_missing": "meter_silent", "meter_silent": "dongle_missing"}
"""The meter's repair issues, each with the other, which it replaces."""


@dataclass
class MeterRuntimeData:
    """What a smart meter entry holds while it is loaded."""

    link: MeterLink
    coordinator: MeterCoordinator
    backfill: MeterBackfill


type MeterConfigEntry = ConfigEntry[MeterRuntimeData]


def meter_error(err: Exception) -> UpdateFailed | ConfigEntryAuthFailed:
    """The Home Assistant error, translated, for a failure to reach the meter.

    The one place where library errors of the B-route become what the user
    sees: a request for new credentials, or a reason the meter is unavailable.
    """
    if isinstance(err, AuthenticationError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="meter_auth_failed")
    key = "meter_error"
    if isinstance(err, PortInUseError):
        key = "dongle_port_in_use"
    elif isinstance(err, DongleDisconnectedError):
        key = "dongle_unavailable"
    elif isinstance(err, MeterNotFoundError):
        key = "meter_not_found"
    elif isinstance(err, DongleTimeoutError):
        key = "meter_timeout"
    elif isinstance(err, SessionLostError):
        key = "meter_session_lost"
    return UpdateFailed(translation_domain=DOMAIN, translation_key=key)


class MeterCoordinator(DataUpdateCoordinator[LiveReading]):
    """Polls the meter's live values; the link climbs back after any loss.

    Every failure is raised as UpdateFailed, so DataUpdateCoordinator logs
    once when polls start failing and once ("recovered") when they succeed
    again, as the log-when-unavailable rule's coordinator example does; the
    library logs each retry at debug only.
    """

    config_entry: MeterConfigEntry

    def __init__(self, hass: HomeAssistant, entry: MeterConfigEntry, link: MeterLink) -> None:
        """Poll every METER_POLL_SECONDS; one Get frame per poll."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} meter",
            update_interval=timedelta(seconds=METER_POLL_SECONDS),
        )
        self.link = link
        self._failing_since: float | None = None

    @property
    def last_success(self) -> datetime | None:
        """When the meter last answered, if it has: the link knows."""
        return self.link.last_success

    async def _async_setup(self) -> None:
        """Join the meter once before the first poll."""
        await self._ensure()

    async def _ensure(self) -> None:
        try:
            await self.link.ensure()
        except (DongleError, MeterValueError, EchonetError) as err:
            raise meter_error(err) from err
        self._remember_pan()

    def _remember_pan(self) -> None:
        """Keep the PAN descriptor in the entry, so the next start joins without a scan."""
        pan = self.link.pan
        entry = self.config_entry
        if pan is not None and entry.data.get(CONF_PAN) != pan.as_dict():
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_PAN: pan.as_dict()}
            )

    async def _async_update_data(self) -> LiveReading:
        """Read power, current and energy in one frame."""
        try:
            reading = await self.link.read_live(dt_util.utcnow)
        except (DongleError, MeterValueError, EchonetError) as err:
            self._failing(err)
            raise meter_error(err) from err
        self._remember_pan()
        self._failing_since = None
        for kind in REPAIR_KINDS:
            ir.async_delete_issue(self.hass, DOMAIN, f"{kind}_{self.config_entry.entry_id}")
        return reading

    def _failing(self, err: Exception) -> None:
        """After SILENT_REPAIR_MINUTES without a reading, say why in a repair issue.

        A missing dongle and a silent meter call for different checks (a USB
        plug; the meter's radio, or the B-route service itself), so they are
        two issues; a credentials failure has its own re-authentication flow.
        """
        if isinstance(err, AuthenticationError):
            return
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            return
        if now - self._failing_since < SILENT_REPAIR_MINUTES * 60:
            return
        kind = "dongle_missing" if isinstance(err, DongleDisconnectedError) else "meter_silent"
        entry_id = self.config_entry.entry_id
        ir.async_delete_issue(self.hass, DOMAIN, f"{REPAIR_KINDS[kind]}_{entry_id}")
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={
                "port": self.link.port,
                "minutes": str(SILENT_REPAIR_MINUTES),
            },
        )
