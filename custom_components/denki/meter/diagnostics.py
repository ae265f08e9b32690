"""Diagnostics of both kinds of meter: the link or the meter's scaling, the reading, the back-fill."""

from dataclasses import asdict
from typing import Any

from homeassistant.core import HomeAssistant

from ..diagnostics import redacted_entry
from ..lib.broute.dongle import DongleInfo
from .coordinator import MeterConfigEntry
from .hv import HvMeterConfigEntry
from .statistics import MeterBackfill


async def async_lv_meter_diagnostics(
    hass: HomeAssistant, entry: MeterConfigEntry
) -> dict[str, Any]:
    """The B-route link's counters, the last reading and the back-fill; never the ID or password."""
    data = entry.runtime_data
    link = data.link
    session = link.session
    coordinator = data.coordinator
    return {
        "entry": redacted_entry(entry),
        "link": {
            "connected": link.connected,
            "joins": link.joins,
            "scale": asdict(link.scale) if link.scale else None,
            "last_success": link.last_success.isoformat() if link.last_success else None,
            "datagrams_dropped": session.dropped if session else None,
            "events_ignored": session.events_ignored if session else None,
            "lines_unparsed": link.lines_unparsed,
            "identity_source": link.identity_source,
            "counts_pushed": link.pushes,
            "dongle": _dongle(link.dongle_info),
        },
        "last_update_success": coordinator.last_update_success,
        "reading": asdict(coordinator.data) if coordinator.data else None,
        "backfill": _backfill_status(data.backfill),
    }


async def async_hv_meter_diagnostics(
    hass: HomeAssistant, entry: HvMeterConfigEntry
) -> dict[str, Any]:
    """The high-voltage meter's class, scaling and last reading, and the back-fill."""
    data = entry.runtime_data
    meter, coordinator = data.meter, data.coordinator
    return {
        "entry": redacted_entry(entry),
        "meter": {
            "host": meter.host,
            "class": f"0x{meter.object.eoj.class_id:04X}" if meter.object else None,
            "scales": asdict(meter.scales) if meter.scales else None,
        },
        "last_update_success": coordinator.last_update_success,
        "reading": asdict(coordinator.data) if coordinator.data else None,
        "backfill": _backfill_status(data.backfill),
    }


def _dongle(info: DongleInfo | None) -> dict[str, Any] | None:
    """What the dongle said of itself: its command set, dialect, firmware and payload mode.

    Not its MAC address, which names the household's device.
    """
    if info is None:
        return None
    return {
        "family": info.family.value,
        "dialect": info.dialect.value,
        "firmware": info.version,
        "binary_payload": info.binary_payload,
        "rssi_field": info.rssi_field,
    }


def _backfill_status(backfill: MeterBackfill) -> dict[str, Any]:
    """Where either kind of meter's statistics back-fill stands, its times in ISO form."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in asdict(backfill.status).items()
    }
