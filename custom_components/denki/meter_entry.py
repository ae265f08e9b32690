"""Setting up and tearing down a smart meter (B-route) entry."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .const import CONF_DEVICE, CONF_PAN, CONF_PASSWORD, CONF_RBID, EntryKind
from .coordinator import MeterConfigEntry, MeterCoordinator, MeterRuntimeData
from .kinds import KIND_HANDLERS, KindHandler
from .lib.broute.link import MeterLink
from .lib.broute.session import PanInfo
from .meter_hv import async_setup_hv_meter, is_high_voltage
from .meter_statistics import MeterBackfill, async_keep_whole

PLATFORMS = (Platform.SENSOR,)


async def async_setup_meter(hass: HomeAssistant, entry: MeterConfigEntry) -> None:
    """Join the meter, read it once, and start keeping its statistics whole."""
    if is_high_voltage(entry):
        await async_setup_hv_meter(hass, entry)  # type: ignore[arg-type]
        return
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
    async_keep_whole(hass, entry, coordinator, backfill)


async def async_unload_meter(hass: HomeAssistant, entry: MeterConfigEntry) -> None:
    """Close the session and release the serial port."""
    if is_high_voltage(entry):
        return  # its share of the LAN port is let go on unload, with its other callbacks

    await entry.runtime_data.link.close()


KIND_HANDLERS[EntryKind.METER] = KindHandler(
    platforms=PLATFORMS, async_setup=async_setup_meter, async_unload=async_unload_meter
)
