"""A simulated home LAN for the appliances entry: ECHONET Lite nodes on 127.0.11.x.

Every node binds its own loopback address on the test's UDP port and joins
224.0.23.0, as devices on a LAN would; Home Assistant's entry listens on
127.0.11.1. Multicast looped back to this host is what lets the entry's
discovery reach them (`MULTICAST_LOOP`), the one setting a real LAN does
not need.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from unittest.mock import PropertyMock, patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.denki import lan as denki_lan
from custom_components.denki.appliances import hub as appliances
from custom_components.denki.const import (
    CONF_HOSTS,
    CONF_INTERFACE,
    CONF_KIND,
    CONF_NODE_ID,
    CONF_PORT,
    DOMAIN,
    EntryKind,
)
from custom_components.denki.lib.echonet import EOJ, MULTICAST_GROUP, RetryPolicy
from simulators.echonet_devices import (
    air_cleaner,
    air_conditioner,
    ceiling_fan,
    distribution_board,
    electric_lock,
    general_lighting,
    home_node,
    hybrid_water_heater,
    instantaneous_water_heater,
    shutter,
    solar,
    storage_battery,
    water_heater,
)
from simulators.echonet_node import SimulatedNode
from tests.net import free_port

INTERFACE = "127.0.11.1"
LIVING = "127.0.11.21"
OUTSIDE = "127.0.11.22"
UTILITY = "127.0.11.23"
AIRCON = EOJ.from_int(0x013001)
HEATER = EOJ.from_int(0x026B01)
PV = EOJ.from_int(0x027901)
BATTERY = EOJ.from_int(0x027D01)
LIGHT = EOJ.from_int(0x029001)
SHUTTER = EOJ.from_int(0x026301)
LOCK = EOJ.from_int(0x026F01)
CEILING_FAN = EOJ.from_int(0x013A01)
AIR_CLEANER = EOJ.from_int(0x013501)
GAS_HEATER = EOJ.from_int(0x027201)
HYBRID_HEATER = EOJ.from_int(0x02A601)
BOARD = EOJ.from_int(0x028701)
NODES = 3
OBJECTS = 12
"""The home's nodes and device objects."""


@dataclass
class Lan:
    """The simulated nodes of the home and the port they share."""

    port: int
    nodes: dict[str, SimulatedNode] = field(default_factory=dict)

    async def start(
        self, address: str, identity: bytes, objects: dict[EOJ, object]
    ) -> SimulatedNode:
        """Start a node holding `objects` (device objects from simulators.echonet_devices)."""
        values, settable = home_node(identity, objects)  # type: ignore[arg-type]
        node = SimulatedNode(address, self.port, values, group=MULTICAST_GROUP, settable=settable)
        await node.start()
        self.nodes[address] = node
        return node

    def close(self) -> None:
        """Close every node."""
        for node in self.nodes.values():
            node.close()


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity enabled, as if the user had enabled the ones disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def lan(socket_enabled: None, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Lan]:
    """A home of three nodes.

    Living room (air conditioner, EcoCute), outside (PV, battery, light) and
    utility (shutter, lock, ceiling fan, air cleaner, gas and hybrid water heaters,
    distribution board).
    """
    port = free_port()
    monkeypatch.setattr(denki_lan, "LISTEN_PORT", port)
    monkeypatch.setattr(denki_lan, "MULTICAST_LOOP", True)
    monkeypatch.setattr(appliances, "DISCOVERY_WINDOW", 0.5)
    # Loopback answers in well under a millisecond, but a cold start of the harness can hold
    # the loop for seconds: a silent node is known in 7 s (1 + 2 + 4), not 21 s.
    monkeypatch.setattr(denki_lan, "RETRY", RetryPolicy(timeout=1.0, max_timeout=4.0))
    home = Lan(port)
    await home.start(LIVING, b"LIVING-NODE-1", {AIRCON: air_conditioner(), HEATER: water_heater()})
    await home.start(
        OUTSIDE,
        b"OUTSIDE-NODE1",
        {PV: solar(), BATTERY: storage_battery(), LIGHT: general_lighting()},
    )
    await home.start(
        UTILITY,
        b"UTILITY-NODE1",
        {
            SHUTTER: shutter(),
            LOCK: electric_lock(),
            CEILING_FAN: ceiling_fan(),
            AIR_CLEANER: air_cleaner(),
            GAS_HEATER: instantaneous_water_heater(),
            HYBRID_HEATER: hybrid_water_heater(),
            BOARD: distribution_board(),
        },
    )
    yield home
    home.close()


def appliances_entry(
    lan: Lan, *, interface: str = INTERFACE, hosts: Sequence[str] = (), **options: object
) -> MockConfigEntry:
    """An appliances entry on `interface` and the LAN's port, told `hosts` to ask directly."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"ECHONET Lite ({interface})",
        unique_id=f"appliances-{interface}",
        data={
            CONF_KIND: EntryKind.APPLIANCES,
            CONF_INTERFACE: interface,
            CONF_HOSTS: list(hosts),
            CONF_PORT: lan.port,
            CONF_NODE_ID: "00112233445566778899aabbcc",
        },
        options=options,
    )


def entity_id_of(entity_registry: er.EntityRegistry, platform: str, suffix: str) -> str:
    """The entity id of the `platform` entity whose unique id ends with `suffix`."""
    for entry in entity_registry.entities.values():
        if entry.domain == platform and entry.unique_id.endswith(suffix):
            return entry.entity_id
    raise AssertionError(f"no {platform} entity ending {suffix}")


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait, in real time, until `predicate` holds."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the entry signals nothing a test can await
            await asyncio.sleep(0.05)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up and wait until every node is discovered and polled once."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    # A bound, not a timing check: a loaded machine (parallel workers) can take this long.
    await until(lambda: len(entry.runtime_data.coordinators) == OBJECTS, 30)
    await until(lambda: all(c.data for c in entry.runtime_data.coordinators.values()), 30)
    await hass.async_block_till_done()


@pytest.fixture
async def loaded(hass: HomeAssistant, lan: Lan) -> AsyncIterator[MockConfigEntry]:
    """The entry, set up, with every node discovered and polled once; unloaded at the end."""
    entry = appliances_entry(lan)
    await set_up(hass, entry)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format: registry entries and states without volatile ids."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
