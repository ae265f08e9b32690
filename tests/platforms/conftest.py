"""Every kind of entry set up against its simulators, on a frozen clock, for whole-platform tests.

`init_integration` is what core's Platinum integrations call their shared
fixture: here it takes a scenario (one kind of entry, or a variant of one)
and gives the entry, loaded, with the kind's simulators answering over
loopback. The simulators are the ones the kind's own tests use (imported
from their conftests); the clock is frozen before any of them starts, so a
meter's history, a DR event's times and every timestamp state are the same
on every run and at every time of day.

`ENTRY_DATA` says which values of an entry's data belong to the run (a
port, a pty's path, the VTN's URL): the stored-ids test fills them into the
entries the previous version stored.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import aiomqtt
from freezegun.api import FrozenDateTimeFactory, real_monotonic
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.denki.const import (
    CONF_DEVICE,
    CONF_ENERGY_ENTITY,
    CONF_KIND,
    CONF_PORT,
    CONF_URL,
    CONF_YEN_PER_KWH,
    DOMAIN,
    HV_METER,
    EntryKind,
)
from custom_components.denki.kinds import KIND_HANDLERS, handler_key
from custom_components.denki.lib.savings import JST
from simulators.openadr3_vtn import VtnState
from tests.aggregator.conftest import (
    TOPICS,
    broker_port,  # noqa: F401 - fixture
    fast_poll,  # noqa: F401 - fixture
    mqtt_entry,
    mqtt_event,
    oa3_entry,
    oa3_event,
    set_up as set_up_aggregator,
    vtn,  # noqa: F401 - fixture
)
from tests.appliances.conftest import (
    Lan,
    appliances_entry,
    entity_registry_enabled_by_default,  # noqa: F401 - fixture
    lan,  # noqa: F401 - fixture
    set_up as set_up_appliances,
)
from tests.meter.conftest import Home, home  # noqa: F401 - fixture
from tests.meter.hv_fixtures import hv_entry
from tests.meter.hv_plugin import (
    hv_bidirectional,  # noqa: F401 - fixture
    hv_meter,  # noqa: F401 - fixture
    hv_port,  # noqa: F401 - fixture
)
from tests.savings.test_savings_entry import _usual_history

NOW = datetime(2026, 8, 3, 19, 10, tzinfo=JST)
"""A Monday evening in Japan: within the evening peak, with no sun on the simulated PV."""

ENERGY = "sensor.grid_import"
"""The energy counter the savings entry follows (a plain state, set by the test)."""
ENERGY_ATTRIBUTES = {
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",
}


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Home Assistant's clock at NOW, before any simulator reads it (ask for it before `rig`).

    The event loop's clock stands still too: nothing may sleep. A scenario that waits for
    the network waits with `settle`, which lets the loop poll its sockets without time passing.
    """
    freezer.move_to(NOW)
    return freezer


async def settle(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the event loop run, without its (perhaps frozen) clock moving, until `predicate` holds.

    Each turn yields once: the loop then polls its sockets with no timeout, so replies
    arrive while no timer fires and no timestamp moves. Bounded by the real clock.
    """
    deadline = real_monotonic() + seconds
    while not predicate():
        if real_monotonic() > deadline:
            raise TimeoutError(f"not settled in {seconds} s")
        await asyncio.sleep(0)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format: registry entries and states without volatile ids."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@dataclass(frozen=True)
class Scenario:
    """One kind of entry (or variant) and the platforms its kind has."""

    name: str
    handler: str
    """The key of its handler in `KIND_HANDLERS`."""

    @property
    def platforms(self) -> list[Platform]:
        """The platforms the entry's kind forwards to, in order."""
        return sorted(KIND_HANDLERS[self.handler].platforms)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("meter_low_voltage", EntryKind.METER),
        Scenario("meter_high_voltage_028a", HV_METER),
        Scenario("meter_high_voltage_028f", HV_METER),
        Scenario("appliances", EntryKind.APPLIANCES),
        Scenario("aggregator_openadr3", EntryKind.AGGREGATOR),
        Scenario("aggregator_mqtt", EntryKind.AGGREGATOR),
        Scenario("savings", EntryKind.SAVINGS),
    )
}


@dataclass
class Rig:
    """A scenario's simulators, running: what a fresh entry holds, and how to wait for it."""

    default_entry: Callable[[], MockConfigEntry]
    """The entry as the kind's own tests make it."""
    run_data: Mapping[str, Any]
    """The values of the entry's data that belong to this run (ports, paths, URLs)."""
    ready: Callable[[HomeAssistant, MockConfigEntry], Awaitable[None]]
    """Add the entry, set it up and wait until its entities have their first values."""
    after: Callable[[HomeAssistant, MockConfigEntry], Awaitable[None]]
    """What the scenario does once the entry is loaded (send an event, for instance)."""


async def _plain_set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _nothing(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Nothing more to do."""


def _meter_rig(meter_home: Home) -> Rig:
    def entry() -> MockConfigEntry:
        return MockConfigEntry(
            domain=DOMAIN,
            title="Smart meter (B-route)",
            data=meter_home.entry_data(),
            unique_id="FE00001653494D30303030303030303031",
        )

    return Rig(entry, {CONF_DEVICE: str(meter_home.path)}, _plain_set_up, _nothing)


def _hv_rig(port: int) -> Rig:
    return Rig(lambda: hv_entry(port), {CONF_PORT: port}, _plain_set_up, _nothing)


def _appliances_rig(home_lan: Lan) -> Rig:
    async def ready(hass: HomeAssistant, entry: MockConfigEntry) -> None:
        await set_up_appliances(hass, entry)

    return Rig(lambda: appliances_entry(home_lan), {CONF_PORT: home_lan.port}, ready, _nothing)


def _openadr3_rig(vtn_state: VtnState, base: str) -> Rig:
    # One event in force since 19:00 for an hour, one announced for tomorrow evening.
    start = NOW.replace(minute=0)
    vtn_state.events.append(
        oa3_event(
            "ev-now",
            start,
            timedelta(hours=1),
            {"SIMPLE": [2], "IMPORT_CAPACITY_LIMIT": [3.0], "PRICE": [25.5]},
        )
    )
    vtn_state.events.append(
        oa3_event("ev-tomorrow", start + timedelta(days=1), timedelta(hours=2), {"SIMPLE": [1]})
    )

    async def ready(hass: HomeAssistant, entry: MockConfigEntry) -> None:
        await set_up_aggregator(hass, entry)

    return Rig(
        lambda: with_entry_id(oa3_entry(base), "01JDENK1AGGREGAT0R0PENADR3"),
        {CONF_URL: base},
        ready,
        _nothing,
    )


def _mqtt_rig(port: int) -> Rig:
    async def ready(hass: HomeAssistant, entry: MockConfigEntry) -> None:
        await _plain_set_up(hass, entry)
        await settle(lambda: bool(entry.runtime_data.source.connected))

    async def after(hass: HomeAssistant, entry: MockConfigEntry) -> None:
        """The aggregator announces tomorrow evening's event over the broker."""
        told: list[str] = []
        entry.runtime_data.add_change_listener(lambda kind, event, data: told.append(kind))
        start = NOW.replace(minute=0) + timedelta(days=1)
        async with aiomqtt.Client("127.0.0.1", port, identifier="aggregator") as client:
            await client.publish(
                TOPICS.events,
                mqtt_event("ev-mqtt", start, timedelta(hours=1), {"SIMPLE": [1]}),
                qos=1,
            )
            await settle(lambda: "announced" in told)
        await hass.async_block_till_done()

    return Rig(
        lambda: with_entry_id(mqtt_entry(port), "01JDENK1AGGREGAT0RMQTT0000"),
        {CONF_PORT: port},
        ready,
        after,
    )


def _savings_rig(hass_storage: dict[str, Any]) -> Rig:
    """Savings with four usual weeks stored before NOW's week: a challenge is set for it."""

    def entry() -> MockConfigEntry:
        return MockConfigEntry(
            domain=DOMAIN,
            entry_id="01JDENK1SAV1NGS00000000000",
            title="Savings",
            unique_id=EntryKind.SAVINGS,
            data={
                CONF_KIND: EntryKind.SAVINGS,
                CONF_ENERGY_ENTITY: ENERGY,
                CONF_YEN_PER_KWH: 31.0,
            },
        )

    async def ready(hass: HomeAssistant, entry: MockConfigEntry) -> None:
        key = f"{DOMAIN}.savings.{entry.entry_id}"
        if key not in hass_storage:
            hass_storage[key] = {
                "version": 1,
                "minor_version": 1,
                "key": key,
                "data": _usual_history(),
            }
        hass.states.async_set(ENERGY, "1000.000", ENERGY_ATTRIBUTES)
        await _plain_set_up(hass, entry)

    return Rig(entry, {}, ready, _nothing)


@pytest.fixture
def rig(request: pytest.FixtureRequest, hass: HomeAssistant) -> Rig:
    """The simulators of the scenario (the indirect parameter), started on the frozen clock.

    A plain fixture, so that it can ask for the scenario's own (async) fixtures alone: the
    appliances' LAN and the high-voltage meter each set the shared port.
    """
    name: str = request.param
    if name == "meter_low_voltage":
        return _meter_rig(request.getfixturevalue("home"))
    if name == "meter_high_voltage_028a":
        request.getfixturevalue("hv_meter")
        return _hv_rig(request.getfixturevalue("hv_port"))
    if name == "meter_high_voltage_028f":
        request.getfixturevalue("hv_bidirectional")
        return _hv_rig(request.getfixturevalue("hv_port"))
    if name == "appliances":
        return _appliances_rig(request.getfixturevalue("lan"))
    if name == "aggregator_openadr3":
        request.getfixturevalue("fast_poll")
        return _openadr3_rig(*request.getfixturevalue("vtn"))
    if name == "aggregator_mqtt":
        return _mqtt_rig(request.getfixturevalue("broker_port"))
    assert name == "savings", name
    return _savings_rig(request.getfixturevalue("hass_storage"))


async def init_integration(hass: HomeAssistant, rig: Rig, entry: MockConfigEntry) -> None:
    """Set `entry` up on the rig's simulators, then play the scenario."""
    await rig.ready(hass, entry)
    await rig.after(hass, entry)


def with_entry_id(entry: MockConfigEntry, entry_id: str) -> MockConfigEntry:
    """`entry` under a fixed entry id: the service entries' unique ids are made of it."""
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry_id,
        title=entry.title,
        data=dict(entry.data),
        options=dict(entry.options),
        unique_id=entry.unique_id,
        version=entry.version,
        minor_version=entry.minor_version,
    )


def entry_from_storage(stored: Mapping[str, Any], run_data: Mapping[str, Any]) -> MockConfigEntry:
    """A config entry as `core.config_entries` stored it, with this run's ports and paths."""
    data = dict(stored["data"])
    data.update({key: value for key, value in run_data.items() if key in data})
    return MockConfigEntry(
        domain=stored["domain"],
        entry_id=stored["entry_id"],
        title=stored["title"],
        data=data,
        options=stored["options"],
        unique_id=stored["unique_id"],
        version=stored["version"],
        minor_version=stored["minor_version"],
        source=stored["source"],
        pref_disable_new_entities=stored["pref_disable_new_entities"],
        pref_disable_polling=stored["pref_disable_polling"],
        disabled_by=stored["disabled_by"],
        discovery_keys=stored.get("discovery_keys"),
        subentries_data=stored.get("subentries"),
    )


def only_platform(
    monkeypatch: pytest.MonkeyPatch, entry: MockConfigEntry, platform: Platform
) -> None:
    """Forward the entry's kind to `platform` alone, as core's tests patch PLATFORMS."""
    key = handler_key(entry)
    handler = KIND_HANDLERS[key]
    monkeypatch.setitem(
        KIND_HANDLERS, key, replace(handler, platforms={platform: handler.platforms[platform]})
    )
