"""ECHONET Lite appliances: the hub of an entry, and one coordinator per device object.

`AppliancesHub` owns the UDP client, the directory of nodes (known by their
identification number, stored between restarts) and the adaptive poller.
`ObjectCoordinator` polls one device object: one Get per cycle, asking only
for the properties that enabled entities show; instantaneous values every
FAST_POLL_SECONDS, the rest every poll interval. Notifications (INF) from
the object update its data at once but never replace polling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import math
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .. import lan
from ..const import (
    CONF_POLL_SECONDS,
    CONF_SETTABLE_CLASSES,
    DEFAULT_POLL_SECONDS,
    DOMAIN,
    FAST_POLL_SECONDS,
    LOGGER,
    SECURITY_CLASSES,
    SETTABLE_BY_DEFAULT,
    SILENT_REPAIR_MINUTES,
)
from ..lib.echonet import EOJ, ESV, EchonetClient, EchonetError, EchonetTransport, Frame
from ..lib.echonet.classes import Role, class_spec, property_spec
from ..lib.echonet.nodes import NodeDirectory, NodeInfo, ObjectInfo
from ..lib.echonet.poller import AdaptivePoller

DISCOVERY_WINDOW = 3.0
"""Seconds discovery collects answers to its multicast."""


def object_key(identity: str, eoj: EOJ) -> str:
    """The stable name of one object: its node's identity and its EOJ, never an IP."""
    return f"{identity}-{int.from_bytes(eoj.to_bytes()):06x}"


def class_name(class_id: int, language: str) -> str:
    """The class's name in the user's language, or its code when the data lacks it."""
    spec = class_spec(class_id)
    if spec is None:
        return f"0x{class_id:04X}"
    return spec.ja if language.startswith("ja") else spec.en


@dataclass
class AppliancesHub:
    """What an appliances entry holds while it is loaded."""

    client: EchonetClient
    directory: NodeDirectory
    poller: AdaptivePoller
    coordinators: dict[str, ObjectCoordinator] = field(default_factory=dict)
    ours_pending: dict[str, float] = field(default_factory=dict)
    """Object keys and when we last set something on them (to tell our changes from others')."""
    unexpected: int = 0
    intrusions: int = 0
    save: Callable[[], Awaitable[None]] | None = None
    silent: set[str] = field(default_factory=set)
    """Addresses of nodes that stopped answering (logged once each way, per node)."""
    stranger_alerts: dict[str, int] = field(default_factory=dict)
    """Unknown hosts past the Get threshold, and the most Gets seen in a window (the alert)."""

    def node_silent(self, address: str) -> None:
        """A poll of this node went unanswered: say so once, not once per object.

        At info, as Home Assistant's log-when-unavailable rule asks: the entities
        show it, and a device switched off is not a fault of the integration.
        """
        if address not in self.silent:
            self.silent.add(address)
            LOGGER.info(
                "The ECHONET Lite node %s stopped answering; its entities are unavailable "
                "until it answers again",
                address,
            )

    def node_heard(self, address: str) -> None:
        """This node answered: say so once if it had gone silent."""
        if address in self.silent:
            self.silent.discard(address)
            LOGGER.info("The ECHONET Lite node %s answers again", address)

    def forget(self, key: str) -> None:
        """Stop polling a removed object and drop its node once none of its objects is left."""
        coordinator = self.coordinators.pop(key, None)
        if coordinator is None:
            return
        identity = coordinator.node.identity
        if not any(c.node.identity == identity for c in self.coordinators.values()):
            self.directory.nodes.pop(identity, None)


type AppliancesConfigEntry = ConfigEntry[AppliancesHub]


def settable_classes(entry: ConfigEntry) -> frozenset[int]:
    """The classes the user lets Home Assistant set (the options, or the safe default)."""
    chosen = entry.options.get(CONF_SETTABLE_CLASSES)
    if chosen is None:
        return SETTABLE_BY_DEFAULT
    return frozenset(int(str(code), 16) for code in chosen)


def poll_seconds(entry: ConfigEntry) -> int:
    """The poll interval of everything but instantaneous values."""
    return int(entry.options.get(CONF_POLL_SECONDS, DEFAULT_POLL_SECONDS))


class _NodeLogsOnly(logging.Filter):
    """Drops the coordinators' own failure and recovery lines: the hub says those per node."""

    QUIET = frozenset({"Error fetching %s data: %s", "Fetching %s data recovered"})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.QUIET


POLL_LOGGER = LOGGER.getChild("poll")
"""The object coordinators' logger: their debug lines, not a line per object of a silent node."""
POLL_LOGGER.addFilter(_NodeLogsOnly())


class ObjectCoordinator(DataUpdateCoordinator[dict[int, bytes]]):
    """Polls one device object; its data is the EDT of each property read, by EPC."""

    config_entry: AppliancesConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: AppliancesConfigEntry, node: NodeInfo, info: ObjectInfo
    ) -> None:
        """Poll `info` of `node`; the interval adapts to what enabled entities need."""
        self.node = node
        self.info = info
        self.key = object_key(node.identity, info.eoj)
        super().__init__(
            hass,
            POLL_LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {node.address} {info.eoj}",
            update_interval=timedelta(seconds=poll_seconds(entry)),
            always_update=False,
        )
        self._wanted: dict[int, int] = {}
        self._cycle = 0
        self.last_heard: float | None = None
        self.datagrams = 0
        self.missing: frozenset[int] = frozenset()

    @property
    def polled(self) -> list[int]:
        """The EPCs enabled entities need, in order."""
        return sorted(self._wanted)

    @property
    def hub(self) -> AppliancesHub:
        """The entry's hub."""
        return self.config_entry.runtime_data

    @property
    def settable(self) -> bool:
        """Whether the user lets Home Assistant set this object's class."""
        return self.info.eoj.class_id in settable_classes(self.config_entry)

    @callback
    def want(self, epcs: Iterable[int]) -> CALLBACK_TYPE:
        """Poll `epcs` from now on (an enabled entity shows them); returns the undo."""
        wanted = [epc for epc in epcs if epc in self.info.get_map]
        for epc in wanted:
            self._wanted[epc] = self._wanted.get(epc, 0) + 1
        self._adapt_interval()
        if wanted and self.data is not None and any(epc not in self.data for epc in wanted):
            self._cycle = 0  # the next poll reads everything, the new property too
            self.hass.async_create_task(self.async_request_refresh(), eager_start=False)

        @callback
        def _undo() -> None:
            for epc in wanted:
                self._wanted[epc] -= 1
                if not self._wanted[epc]:
                    del self._wanted[epc]
            self._adapt_interval()

        return _undo

    def _fast(self) -> frozenset[int]:
        class_id = self.info.eoj.class_id
        return frozenset(
            epc
            for epc in self._wanted
            if (spec := property_spec(class_id, epc)) is not None
            and spec.role is Role.INSTANTANEOUS
        )

    def _adapt_interval(self) -> None:
        seconds = FAST_POLL_SECONDS if self._fast() else poll_seconds(self.config_entry)
        self.update_interval = timedelta(seconds=seconds)

    def _cycle_epcs(self) -> list[int]:
        """What this cycle asks for: everything wanted every poll interval, else the fast lane."""
        fast = self._fast()
        every = max(1, math.ceil(poll_seconds(self.config_entry) / FAST_POLL_SECONDS))
        full = not fast or self._cycle % every == 0 or self.data is None
        self._cycle += 1
        wanted = set(self._wanted) if full else set(fast)
        return sorted(wanted or {0x80} & self.info.get_map or {min(self.info.get_map)})

    async def _async_update_data(self) -> dict[int, bytes]:
        """Read this cycle's properties; a node that answers nothing is unavailable."""
        epcs = self._cycle_epcs()
        result = await self.hub.poller.poll(
            self.key,
            self.node.address,
            self.info.eoj,
            epcs,
            manufacturer=self.info.manufacturer or self.node.manufacturer,
        )
        self.datagrams += result.datagrams
        if result.timed_out:
            self._silent_for_long()
            self.hub.node_silent(self.node.address)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="node_silent",
                translation_placeholders={"address": self.node.address},
            )
        self.heard()
        self.hub.node_heard(self.node.address)
        self.missing = result.missing
        if self.data is not None:
            self._watch_settings(
                {
                    epc
                    for epc, edt in result.values.items()
                    if epc in self.data and self.data[epc] != edt
                }
            )
        return {**(self.data or {}), **result.values}

    @callback
    def heard(self) -> None:
        """The object answered or notified: it is there, and any repair issue goes."""
        self.last_heard = time.monotonic()
        ir.async_delete_issue(self.hass, DOMAIN, f"node_silent_{self.key}")

    def _silent_for_long(self) -> None:
        if self.last_heard is None:
            self.last_heard = time.monotonic()
            return
        if time.monotonic() - self.last_heard < SILENT_REPAIR_MINUTES * 60:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"node_silent_{self.key}",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="node_silent",
            translation_placeholders={
                "address": self.node.address,
                "object": str(self.info.eoj),
                "minutes": str(SILENT_REPAIR_MINUTES),
            },
        )

    @callback
    def notified(self, frame: Frame) -> None:
        """An INF or INFC from the object: new values now, polling unchanged."""
        values = {prop.epc: prop.edt for prop in frame.properties if prop.edt}
        self.heard()
        if not values or self.data is None:
            return
        changed = {epc for epc, edt in values.items() if self.data.get(epc) != edt}
        if not changed:
            return
        self._watch_settings(changed)
        # Not async_set_updated_data: that would push the next poll back, and a device
        # that notifies often would then never be polled for what it does not notify.
        self.data = {**self.data, **values}
        self.last_update_success = True
        self.async_update_listeners()

    def _watch_settings(self, changed: set[int]) -> None:
        """Report a setting that changed while Home Assistant did not ask for it.

        Seen in a notification or a poll. Every class fires an event (a remote
        control in a person's hand is the usual cause); a lock, door, window,
        gate or shutter also raises a repair issue, since that is how an
        intrusion would show.
        """
        settings = changed & self.info.set_map
        if not settings:
            return
        asked = self.hub.ours_pending.get(self.key)
        if asked is not None and time.monotonic() - asked < 30:
            return
        self.hub.unexpected += 1
        class_id = self.info.eoj.class_id
        self.hass.bus.async_fire(
            f"{DOMAIN}_appliance_changed",
            {
                "object": self.key,
                "address": self.node.address,
                "class": f"0x{class_id:04X}",
                "epcs": [f"0x{epc:02X}" for epc in sorted(settings)],
            },
        )
        if class_id not in SECURITY_CLASSES:
            return
        language = self.hass.config.language
        names = []
        for epc in sorted(settings):
            spec = property_spec(class_id, epc)
            name = f"0x{epc:02X}" if spec is None else spec.ja if language == "ja" else spec.en
            names.append(name)
        LOGGER.warning(
            "The %s at %s changed %s without a request from Home Assistant",
            class_name(class_id, "en"),
            self.node.address,
            ", ".join(f"0x{epc:02X}" for epc in sorted(settings)),
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"settings_changed_{self.key}",
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="settings_changed",
            translation_placeholders={
                "device": class_name(class_id, language),
                "address": self.node.address,
                "properties": ", ".join(names),
            },
        )

    async def async_set(self, values: dict[int, bytes]) -> None:
        """Set properties (SetC) and read them back; a refusal is a translated error."""
        if not self.settable:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="set_not_allowed",
                translation_placeholders={"object": str(self.info.eoj)},
            )
        self.hub.ours_pending[self.key] = time.monotonic()
        try:
            reply = await self.hub.client.set_c(self.node.address, self.info.eoj, values)
        except EchonetError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="set_failed",
                translation_placeholders={"address": self.node.address},
            ) from err
        if not reply.ok:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="set_refused",
                translation_placeholders={
                    "epcs": ", ".join(f"0x{epc:02X}" for epc in sorted(reply.refused)),
                },
            )
        self.heard()
        # Show the new values now; the read-back confirms what the device made of them.
        self.async_set_updated_data({**(self.data or {}), **values})
        try:
            confirmed = await self.hub.client.get(self.node.address, self.info.eoj, values)
        except EchonetError:
            return
        if confirmed.values:
            self.async_set_updated_data({**(self.data or {}), **confirmed.values})


def on_frame_router(hub: AppliancesHub) -> Callable[[str, Frame], None]:
    """Route each INF/INFC to the coordinator of the object that sent it."""

    def _route(host: str, frame: Frame) -> None:
        if frame.esv not in (ESV.INF, ESV.INFC):
            return
        node = hub.directory.by_address(host)
        if node is None or not hub.directory.confirmed(host, node.identity):
            return  # not known, or not confirmed since the address changed: its identity is asked
        coordinator = hub.coordinators.get(object_key(node.identity, frame.seoj))
        if coordinator is not None:
            coordinator.notified(frame)

    return _route


async def discover_once(
    interface: str, port: int, hosts: Iterable[str], window: float | None = None
) -> list[NodeInfo]:
    """Open the port, discover (multicast and `hosts`), probe what answers, and close.

    Outside Home Assistant (the simulators' checks); inside, `async_discover` shares the port.

    Raises:
        TransportError: The port cannot be opened on the interface.
    """
    transport = EchonetTransport(interface, port=port, multicast_loop=lan.MULTICAST_LOOP)
    async with EchonetClient(transport, retry=lan.RETRY) as client:
        return await discover_with(client, hosts, window)


async def async_discover(
    hass: HomeAssistant, interface: str, hosts: Iterable[str], window: float | None = None
) -> list[NodeInfo]:
    """Discover on `interface` through the shared port (opened for the while if nobody holds it).

    Raises:
        TransportError: The port cannot be opened on the interface.
    """
    async with lan.async_borrow(hass, interface, lan.LISTEN_PORT) as client:
        return await discover_with(client, hosts, window)


async def discover_with(
    client: EchonetClient, hosts: Iterable[str], window: float | None = None
) -> list[NodeInfo]:
    """Discover (multicast and `hosts`) with an open client and probe what answers."""
    directory = NodeDirectory(client, manual_hosts=tuple(hosts))
    try:
        return await directory.discover(DISCOVERY_WINDOW if window is None else window)
    finally:
        directory.close()
