"""Setting up and tearing down an ECHONET Lite appliances entry.

At setup the nodes known from earlier runs get their coordinators at once
(they are known by identity, so their entities come back even before the
LAN answers); discovery then runs in the background at start and every
DISCOVERY_MINUTES, and a node found, moved or changed updates the
coordinators and is stored. Each platform adds entities for coordinators
that exist and for those that appear later, through a dispatcher signal.
"""

from collections.abc import Callable
from datetime import timedelta
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_UNIQUE_ID, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, discovery_flow, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store

from .. import lan
from ..const import (
    CONF_HOST,
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_NODE_ID,
    CONF_PORT,
    DISCOVERY_MINUTES,
    DOMAIN,
    LOGGER,
    EntryKind,
)
from ..kinds import KIND_HANDLERS, KindHandler
from ..lib.broute.hv_values import HIGH_VOLTAGE_CLASSES
from ..lib.echonet import ECHONET_PORT, ESV, ControllerNode, Frame, nodes as echonet_nodes
from ..lib.echonet.nodes import NodeDirectory, NodeInfo, ObjectInfo
from ..lib.echonet.poller import AdaptivePoller
from ..meter import hv as meter_hv
from . import (
    binary_sensor,
    climate,
    cover,
    fan,
    hub as appliances,
    light,
    lock,
    number,
    select,
    sensor,
    switch,
    water_heater,
)
from .diagnostics import async_appliances_diagnostics
from .entity import new_objects_signal
from .hub import (
    AppliancesConfigEntry,
    AppliancesHub,
    ObjectCoordinator,
    object_key,
    on_frame_router,
)

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
_SET_SERVICES = frozenset({ESV.SETC, ESV.SETI, ESV.SETGET})
STRANGER_CHECK = timedelta(minutes=1)
"""How often the unknown-Get alert looks for hosts that have gone quiet."""


def _store(hass: HomeAssistant, entry: AppliancesConfigEntry) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.appliances.{entry.entry_id}")


def _stored_nodes(data: dict[str, Any] | None) -> list[NodeInfo]:
    """The nodes stored by an earlier run; a damaged record is skipped, not fatal."""
    nodes: list[NodeInfo] = []
    for item in (data or {}).get("nodes", []):
        try:
            nodes.append(NodeInfo.from_dict(item))
        except KeyError, TypeError, ValueError:
            LOGGER.warning("Skipped a damaged stored ECHONET Lite node record")
    return nodes


async def async_setup_appliances(hass: HomeAssistant, entry: AppliancesConfigEntry) -> None:
    """Open the ECHONET Lite port, bring back known nodes, and start discovery."""
    store = _store(hass, entry)
    stored = await store.async_load() or {}
    interface = entry.data[CONF_INTERFACE]
    client = await lan.async_acquire_for_entry(
        hass,
        interface,
        int(entry.data.get(CONF_PORT, ECHONET_PORT)),
        node=ControllerNode(unique_id=bytes.fromhex(entry.data[CONF_NODE_ID])),
    )
    # Released after async_unload_appliances has stored what was learned (or a failed setup).
    entry.async_on_unload(lambda: lan.async_release(hass, client))
    learned = stored.get("learned")
    # A silent node is asked again after 10 s, then twice as long each time, up to about five
    # minutes; any datagram from it (a restart's instance-list announcement) ends the wait.
    poller = AdaptivePoller(
        client, learned_capacity=learned if isinstance(learned, dict) else None, backoff=True
    )
    directory = NodeDirectory(client, manual_hosts=tuple(entry.data.get(CONF_HOSTS, ())))
    # A Set goes only to an address whose node gave its identity (0x83) since the address
    # last changed hands: after a DHCP swap, a room's entities never drive another room's unit.
    directory.guard_sets()
    hub = AppliancesHub(client, directory, poller)
    entry.runtime_data = hub

    def _save_data() -> dict[str, Any]:
        return {
            "nodes": [node.as_dict() for node in directory.nodes.values()],
            "learned": poller.learned(),
        }

    @callback
    def _on_change(node: NodeInfo, before: NodeInfo | None) -> None:
        new = _coordinators_for(hass, entry, node)
        store.async_delay_save(_save_data, SAVE_DELAY)
        if new:
            async_dispatcher_send(hass, new_objects_signal(entry), new)

    directory.on_change = _on_change
    directory.load(_stored_nodes(stored))
    for node in directory.nodes.values():
        _coordinators_for(hass, entry, node)

    entry.async_on_unload(
        async_dispatcher_connect(hass, meter_hv.SIGNAL_HV_METER, _meter_handover(hass, entry))
    )
    entry.async_on_unload(client.add_listener(on_frame_router(hub)))
    entry.async_on_unload(client.add_request_listener(_intrusion_watch(hass, entry, hub)))
    directory.on_stranger = _stranger_alert(hass, entry, hub)
    entry.async_on_unload(
        async_track_time_interval(hass, _strangers_quiet(hass, entry, hub), STRANGER_CHECK)
    )
    entry.async_on_unload(lambda: ir.async_delete_issue(hass, DOMAIN, _stranger_issue(entry)))

    async def _discover(*_: Any) -> None:
        found = await directory.discover(appliances.DISCOVERY_WINDOW)
        LOGGER.debug("ECHONET Lite discovery: %d nodes answered", len(found))
        store.async_delay_save(_save_data, SAVE_DELAY)

    entry.async_create_background_task(hass, _discover(), f"{DOMAIN} discovery")

    @callback
    def _periodic(now: Any) -> None:
        entry.async_create_background_task(hass, _discover(), f"{DOMAIN} discovery")

    entry.async_on_unload(
        async_track_time_interval(hass, _periodic, timedelta(minutes=DISCOVERY_MINUTES))
    )

    async def _save_on_unload() -> None:
        await store.async_save(_save_data())

    hub.save = _save_on_unload


def _coordinators_for(
    hass: HomeAssistant, entry: AppliancesConfigEntry, node: NodeInfo
) -> list[ObjectCoordinator]:
    """Create the coordinators a node's objects lack; point existing ones at its address."""
    hub = entry.runtime_data
    new: list[ObjectCoordinator] = []
    meters = meter_hv.configured_identities(hass)
    for info in node.objects:
        if info.eoj.class_id in HIGH_VOLTAGE_CLASSES:
            _offer_meter(hass, entry, node)
        if _is_meter_entry(node, info, meters):
            continue  # its own high-voltage meter entry shows it
        key = object_key(node.identity, info.eoj)
        coordinator = hub.coordinators.get(key)
        if coordinator is not None:
            coordinator.node = node
            coordinator.info = info
            continue
        coordinator = ObjectCoordinator(hass, entry, node, info)
        hub.coordinators[key] = coordinator
        new.append(coordinator)
        _first_refresh_soon(hass, entry, coordinator)
    return new


def _is_meter_entry(node: NodeInfo, info: ObjectInfo, meters: set[str]) -> bool:
    """Whether the object is a high-voltage meter that has an entry of its own."""
    return info.eoj.class_id in HIGH_VOLTAGE_CLASSES and node.identity in meters


def _offer_meter(hass: HomeAssistant, entry: AppliancesConfigEntry, node: NodeInfo) -> None:
    """A high-voltage meter without an entry: offer one (it is a generic device until then).

    Home Assistant keeps one such flow per meter, and none once the user ignores it.
    For a meter that has its entry, the flow only moves the entry to the address
    the meter was found at (after a DHCP change), and ends.
    """
    discovery_flow.async_create_flow(
        hass,
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={
            CONF_HOST: node.address,
            CONF_INTERFACE: entry.data[CONF_INTERFACE],
            CONF_UNIQUE_ID: node.identity,
        },
    )


def _meter_handover(hass: HomeAssistant, entry: AppliancesConfigEntry) -> Callable[[str], None]:
    """When a high-voltage meter entry is set up, drop the generic device we made of it."""

    @callback
    def _handover(identity: str) -> None:
        hub = entry.runtime_data
        devices = dr.async_get(hass)
        for key, coordinator in list(hub.coordinators.items()):
            if not _is_meter_entry(coordinator.node, coordinator.info, {identity}):
                continue
            hub.forget(key)
            entry.async_create_background_task(
                hass, coordinator.async_shutdown(), f"{DOMAIN} stop polling {key}"
            )
            if device := devices.async_get_device_by_identifier((DOMAIN, key), entry.entry_id):
                devices.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
            LOGGER.info(
                "The high-voltage meter %s has its own entry now; its generic device is removed",
                coordinator.node.address,
            )

    return _handover


def _first_refresh_soon(
    hass: HomeAssistant, entry: AppliancesConfigEntry, coordinator: ObjectCoordinator
) -> None:
    """Poll a new object once its entities have said what they show (after they are added)."""

    @callback
    def _refresh(_: Any) -> None:
        entry.async_create_background_task(
            hass, coordinator.async_refresh(), f"{DOMAIN} first poll {coordinator.key}"
        )

    entry.async_on_unload(async_call_later(hass, 1.0, _refresh))


def _intrusion_watch(
    hass: HomeAssistant, entry: AppliancesConfigEntry, hub: AppliancesHub
) -> Callable[[str, Frame], None]:
    """Raise a repair issue and an event when a host we do not know tries to set our node."""

    def _watch(host: str, frame: Frame) -> None:
        if frame.esv not in _SET_SERVICES or hub.directory.by_address(host) is not None:
            return
        hub.intrusions += 1
        logging.getLogger(__name__).warning(
            "A host unknown to Denki, %s, sent an ECHONET Lite %s request", host, frame.esv.name
        )
        hass.bus.async_fire(
            f"{DOMAIN}_unknown_set_request",
            {"address": host, "service": frame.esv.name, "object": str(frame.deoj)},
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"unknown_set_request_{entry.entry_id}",
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="unknown_set_request",
            translation_placeholders={"address": host},
        )

    return _watch


def _stranger_issue(entry: AppliancesConfigEntry) -> str:
    return f"unknown_get_requests_{entry.entry_id}"


def _raise_stranger_issue(
    hass: HomeAssistant, entry: AppliancesConfigEntry, hub: AppliancesHub
) -> None:
    """The alert, naming every host that passed the threshold and has not gone quiet."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _stranger_issue(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="unknown_get_requests",
        translation_placeholders={
            "addresses": ", ".join(sorted(hub.stranger_alerts)),
            "count": str(max(hub.stranger_alerts.values())),
            "minutes": str(round(echonet_nodes.STRANGER_WINDOW / 60)),
        },
    )


def _stranger_alert(
    hass: HomeAssistant, entry: AppliancesConfigEntry, hub: AppliancesHub
) -> Callable[[str, int], None]:
    """Raise a repair issue when a host we do not know keeps sending our node Gets.

    The directory calls this once per window for a host past its threshold
    (`STRANGER_GETS` Gets within `STRANGER_WINDOW`, 60 in 10 minutes: more
    than twice the most verbose controller's full read of our node, while a
    scanner walking objects or EPCs passes it in its first minutes; see
    `lib.echonet.nodes`). A warning, not fixable: there is nothing to
    confirm, and it goes by itself once the host has been quiet for a window.
    """

    @callback
    def _alert(host: str, count: int) -> None:
        hub.stranger_alerts[host] = max(count, hub.stranger_alerts.get(host, 0))
        _raise_stranger_issue(hass, entry, hub)

    return _alert


def _strangers_quiet(
    hass: HomeAssistant, entry: AppliancesConfigEntry, hub: AppliancesHub
) -> Callable[[Any], None]:
    """Drop hosts that sent no Get for a whole window; the alert goes with the last of them."""

    @callback
    def _check(_: Any) -> None:
        if not hub.stranger_alerts:
            return
        recent = hub.directory.strangers()
        quiet = [host for host in hub.stranger_alerts if not recent.get(host)]
        if not quiet:
            return
        for host in quiet:
            del hub.stranger_alerts[host]
            LOGGER.info("The unknown host %s stopped sending ECHONET Lite Gets", host)
        if hub.stranger_alerts:
            _raise_stranger_issue(hass, entry, hub)
        else:
            ir.async_delete_issue(hass, DOMAIN, _stranger_issue(entry))

    return _check


async def async_unload_appliances(hass: HomeAssistant, entry: AppliancesConfigEntry) -> None:
    """Store what was learned and stop discovery; the port is released after (on unload)."""
    hub = entry.runtime_data
    if hub.save is not None:
        await hub.save()
    hub.directory.close()


def async_remove_device(
    hass: HomeAssistant, entry: AppliancesConfigEntry, device: DeviceEntry
) -> bool:
    """Let a person remove an appliance that no longer answers (and forget it); never one that does."""
    hub = entry.runtime_data
    for domain, key in device.identifiers:
        coordinator = hub.coordinators.get(key) if domain == DOMAIN else None
        if coordinator is not None and coordinator.last_update_success and coordinator.data:
            return False
        if coordinator is not None:
            hub.forget(key)
    return True


KIND_HANDLERS[EntryKind.APPLIANCES] = KindHandler[AppliancesHub](
    platforms={
        Platform.BINARY_SENSOR: binary_sensor.async_setup_entry,
        Platform.CLIMATE: climate.async_setup_entry,
        Platform.COVER: cover.async_setup_entry,
        Platform.FAN: fan.async_setup_entry,
        Platform.LIGHT: light.async_setup_entry,
        Platform.LOCK: lock.async_setup_entry,
        Platform.NUMBER: number.async_setup_entry,
        Platform.SELECT: select.async_setup_entry,
        Platform.SENSOR: sensor.async_setup_entry,
        Platform.SWITCH: switch.async_setup_entry,
        Platform.WATER_HEATER: water_heater.async_setup_entry,
    },
    async_setup=async_setup_appliances,
    async_unload=async_unload_appliances,
    diagnostics=async_appliances_diagnostics,
    remove_device=async_remove_device,
)
