"""Diagnostics of an appliances entry: nodes, objects, learned capacity and counters."""

from dataclasses import asdict
from typing import Any

from homeassistant.core import HomeAssistant

from ..diagnostics import redacted_entry
from ..lib.echonet import nodes as echonet_nodes
from ..lib.echonet.quirks import quirks_for
from .hub import AppliancesConfigEntry


async def async_appliances_diagnostics(
    hass: HomeAssistant, entry: AppliancesConfigEntry
) -> dict[str, Any]:
    """Property maps, learned capacity, and counters of dropped frames."""
    hub = entry.runtime_data
    return {
        "entry": redacted_entry(entry),
        "counters": asdict(hub.client.counters)
        | {"unexpected_changes": hub.unexpected, "unknown_set_requests": hub.intrusions},
        "directory": asdict(hub.directory.counters),
        "strangers": hub.directory.strangers(),
        "stranger_alerts": dict(hub.stranger_alerts),
        "stranger_threshold": {
            "gets": echonet_nodes.STRANGER_GETS,
            "window_seconds": echonet_nodes.STRANGER_WINDOW,
        },
        "learned_capacity": hub.poller.learned(),
        "nodes": [node.as_dict() for node in hub.directory.nodes.values()],
        "objects": {
            key: {
                "last_update_success": coordinator.last_update_success,
                "datagrams": coordinator.datagrams,
                "polled": coordinator.polled,
                "missing": sorted(coordinator.missing),
                "quirks": [
                    quirk.source
                    for quirk in quirks_for(
                        coordinator.info.manufacturer or coordinator.node.manufacturer,
                        coordinator.info.eoj.class_id,
                    )
                ],
                "data": {
                    f"0x{epc:02X}": edt.hex() for epc, edt in (coordinator.data or {}).items()
                },
            }
            for key, coordinator in hub.coordinators.items()
        },
    }
