"""Setting up and tearing down a smart meter entry, of either kind.

A low-voltage meter is joined over the B-route through a Wi-SUN dongle; a
high-voltage meter (its entry's data holds a host) is read over the LAN
(`hv.py`). Each is its own handler in `kinds.KIND_HANDLERS`, with its own
runtime data, though both are entries of the kind `meter`.
"""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..const import CONF_DEVICE, CONF_PAN, CONF_PASSWORD, CONF_RBID, HV_METER, EntryKind
from ..kinds import KIND_HANDLERS, KindHandler
from ..lib.broute.link import MeterLink
from ..lib.broute.session import PanInfo
from .coordinator import MeterConfigEntry, MeterCoordinator, MeterRuntimeData
from .diagnostics import async_hv_meter_diagnostics, async_lv_meter_diagnostics
from .hv import HvMeterRuntimeData, async_setup_hv_meter
from .hv_sensor import async_setup_hv_meter_sensors
from .lv_sensor import async_setup_lv_meter_sensors
from .statistics import MeterBackfill, async_keep_whole


async def async_setup_meter(hass: HomeAssistant, entry: MeterConfigEntry) -> None:
    """Join the meter, read it once, and start keeping its statistics whole."""
    pan = PanInfo.from_dict(entry.data[CONF_PAN]) if entry.data.get(CONF_PAN) else None
    # The entry's unique id is the meter's identity as the flow found it, which every
    # entity's unique id starts with: kept, whatever source the meter's identity would
    # come from now (a meter that no longer gives its 0x83, say).
    link = MeterLink(
        entry.data[CONF_DEVICE],
        entry.data[CONF_RBID],
        entry.data[CONF_PASSWORD],
        pan=pan,
        identification=entry.unique_id,
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
    await entry.runtime_data.link.close()


KIND_HANDLERS[EntryKind.METER] = KindHandler[MeterRuntimeData](
    platforms={Platform.SENSOR: async_setup_lv_meter_sensors},
    async_setup=async_setup_meter,
    async_unload=async_unload_meter,
    diagnostics=async_lv_meter_diagnostics,
)
KIND_HANDLERS[HV_METER] = KindHandler[HvMeterRuntimeData](
    platforms={Platform.SENSOR: async_setup_hv_meter_sensors},
    # Nothing to close on unload: its share of the LAN port is let go with its other callbacks.
    async_setup=async_setup_hv_meter,
    diagnostics=async_hv_meter_diagnostics,
)
