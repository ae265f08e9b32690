"""A high-voltage smart meter (0x028A / 0x028F) on the LAN: its client, coordinator and setup.

A meter entry whose data holds a host (CONF_HOST) is a high-voltage meter
read over Ethernet instead of a low-voltage one behind a Wi-SUN dongle;
`kinds.handler_key` gives such entries their own handler (`entry.py`). The
entry uses the interface's ECHONET Lite port (`lan`), which an appliances
entry there shares, and polls the meter every METER_POLL_SECONDS. The meter is known by its identification number (0x83),
never its IP: the unique id, the device and the entities follow it across
an address change (reconfigure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .. import lan
from ..const import (
    CONF_HOST,
    CONF_INTERFACE,
    CONF_PORT,
    DOMAIN,
    HV_METER,
    LOGGER,
    METER_POLL_SECONDS,
)
from ..kinds import handler_key
from ..lib.broute.hv_meter import HighVoltageMeter, HighVoltageReading
from ..lib.broute.meter_values import MeterValueError
from ..lib.echonet import ECHONET_PORT, EchonetClient, EchonetError
from .statistics import MeterBackfill, async_keep_whole

SIGNAL_HV_METER = f"{DOMAIN}_hv_meter_set_up"
"""Sent with a meter's identification number once its entry has read it: an appliances
entry on the LAN then drops the generic device it may have made of the same meter."""


async def async_identify(client: EchonetClient, host: str) -> str:
    """Ask `host` whether it is a high-voltage meter; its identification number if it is.

    Raises:
        EchonetError: The host did not answer, or did not say who it is.
        NotAHighVoltageMeterError: It is something else.
        MeterValueError: Its scaling properties are missing or malformed.
    """
    meter = HighVoltageMeter(client, host)
    await meter.connect()
    return meter.identification


@dataclass
class HvMeterRuntimeData:
    """What a high-voltage meter entry holds while it is loaded."""

    client: EchonetClient
    meter: HighVoltageMeter
    coordinator: HvMeterCoordinator
    backfill: MeterBackfill


type HvMeterConfigEntry = ConfigEntry[HvMeterRuntimeData]


class HvMeterCoordinator(DataUpdateCoordinator[HighVoltageReading]):
    """Polls the meter: one Get frame a poll; unavailable from the first unanswered one.

    Every failure is raised as UpdateFailed, so DataUpdateCoordinator logs
    once when polls start failing and once when they succeed again (the
    log-when-unavailable rule's coordinator example): one line each way.
    """

    config_entry: HvMeterConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HvMeterConfigEntry, meter: HighVoltageMeter
    ) -> None:
        """Poll every METER_POLL_SECONDS."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} high-voltage meter",
            update_interval=timedelta(seconds=METER_POLL_SECONDS),
        )
        self.meter = meter
        self.last_success: datetime | None = None

    async def _async_setup(self) -> None:
        """Identify the meter and read its scaling once."""
        try:
            await self.meter.connect()
        except (EchonetError, MeterValueError) as err:
            raise _update_failed(err) from err

    async def _async_update_data(self) -> HighVoltageReading:
        """Read energy, demand and (0x028F) power in one frame."""
        try:
            reading = await self.meter.read()
        except (EchonetError, MeterValueError) as err:
            raise _update_failed(err) from err
        self.last_success = dt_util.utcnow()
        return reading


def _update_failed(err: Exception) -> UpdateFailed:
    """The one place where the library's errors become what the user sees."""
    key = "hv_meter_silent" if isinstance(err, EchonetError) else "meter_error"
    return UpdateFailed(translation_domain=DOMAIN, translation_key=key)


async def async_setup_hv_meter(hass: HomeAssistant, entry: HvMeterConfigEntry) -> None:
    """Share the interface's port, identify the meter and read it once."""
    client = await lan.async_acquire_for_entry(
        hass, entry.data[CONF_INTERFACE], int(entry.data.get(CONF_PORT, ECHONET_PORT))
    )
    entry.async_on_unload(lambda: lan.async_release(hass, client))
    meter = HighVoltageMeter(client, entry.data[CONF_HOST])
    coordinator = HvMeterCoordinator(hass, entry, meter)
    await coordinator.async_config_entry_first_refresh()
    # The meter's own 30-minute record (0xE7/0xE8) fills the hourly statistics after a gap,
    # exactly as for a low-voltage meter.
    backfill = MeterBackfill(hass, entry, meter)
    await backfill.async_start()
    entry.runtime_data = HvMeterRuntimeData(client, meter, coordinator, backfill)
    async_keep_whole(hass, entry, coordinator, backfill)
    async_dispatcher_send(hass, SIGNAL_HV_METER, meter.identification)


def configured_identities(hass: HomeAssistant) -> set[str]:
    """The identification numbers of the high-voltage meters that have an entry."""
    return {
        entry.unique_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.unique_id and handler_key(entry) == HV_METER
    }
