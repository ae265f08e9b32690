"""Setting up and tearing down a smart meter (B-route) entry."""

from datetime import datetime

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change

from .const import CONF_DEVICE, CONF_PAN, CONF_PASSWORD, CONF_RBID, EntryKind
from .coordinator import MeterConfigEntry, MeterCoordinator, MeterRuntimeData
from .kinds import KIND_HANDLERS, KindHandler
from .lib.broute.link import MeterLink
from .lib.broute.session import PanInfo
from .meter_statistics import MeterBackfill

PLATFORMS = (Platform.SENSOR,)
BACKFILL_MINUTE = 20
"""Minute of every hour at which the last hour's statistics are checked against the meter."""


async def async_setup_meter(hass: HomeAssistant, entry: MeterConfigEntry) -> None:
    """Join the meter, read it once, and start keeping its statistics whole."""
    pan = PanInfo.from_dict(entry.data[CONF_PAN]) if entry.data.get(CONF_PAN) else None
    link = MeterLink(
        entry.data[CONF_DEVICE], entry.data[CONF_RBID], entry.data[CONF_PASSWORD], pan=pan
    )
    coordinator = MeterCoordinator(hass, entry, link)
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        await link.close()
        raise
    backfill = MeterBackfill(hass, entry, link)
    await backfill.async_start()
    entry.runtime_data = MeterRuntimeData(link, coordinator, backfill)

    @callback
    def _hourly(now: datetime) -> None:
        backfill.schedule()

    recovered = coordinator.last_update_success

    @callback
    def _on_update() -> None:
        nonlocal recovered
        # Back from a gap (dongle unplugged, radio silent): fill it now, not at the next hour.
        if coordinator.last_update_success and not recovered:
            backfill.schedule()
        recovered = coordinator.last_update_success

    entry.async_on_unload(async_track_time_change(hass, _hourly, minute=BACKFILL_MINUTE, second=0))
    entry.async_on_unload(coordinator.async_add_listener(_on_update))
    backfill.schedule()


async def async_unload_meter(hass: HomeAssistant, entry: MeterConfigEntry) -> None:
    """Close the session and release the serial port."""
    await entry.runtime_data.link.close()


KIND_HANDLERS[EntryKind.METER] = KindHandler(
    platforms=PLATFORMS, async_setup=async_setup_meter, async_unload=async_unload_meter
)
