"""Nodes over real UDP on loopback: probing, identity, address changes, strangers."""

import json

import pytest

from custom_components.denki.lib.echonet import EOJ, ESV, EchonetClient, Frame, Property
from custom_components.denki.lib.echonet.nodes import (
    NodeDirectory,
    NodeInfo,
    ProbeError,
    probe_node,
)
from simulators.echonet_devices import air_conditioner, home_node, solar, water_heater
from simulators.echonet_node import SimulatedNode

from .conftest import AIRCON, NodeFactory, client_transport, eventually

HEATER = EOJ.from_int(0x026B01)
PV = EOJ.from_int(0x027901)
IDENTITY = b"HOME-NODE-001"


async def _home(nodes: NodeFactory, address: str, identity: bytes = IDENTITY) -> SimulatedNode:
    objects, settable = home_node(identity, {AIRCON: air_conditioner(), HEATER: water_heater()})
    return await nodes(address, objects, settable=settable)


async def test_probe_reads_identity_objects_and_maps(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    await _home(nodes, "127.0.10.21")
    node = await probe_node(client, "127.0.10.21")
    assert node.identity == (b"\xfe\x00\x00\x16" + IDENTITY).hex()
    assert node.address == "127.0.10.21"
    assert node.manufacturer == 0x000016
    assert node.version == "1.14"
    assert [info.eoj for info in node.objects] == [AIRCON, HEATER]
    aircon = node.object(AIRCON)
    assert aircon is not None
    assert {0x80, 0xB0, 0xB3, 0xBB, 0x9F} <= aircon.get_map
    assert aircon.set_map == {0x80, 0x8F, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4}
    assert aircon.announce_map == {0x80, 0xB0, 0xB3}
    assert aircon.manufacturer == 0x00000B
    assert aircon.product_code == "AC-SIM"
    assert aircon.serial_number == "AC0001"
    assert aircon.release == "R"
    # What is stored is read back unchanged.
    assert NodeInfo.from_dict(json.loads(json.dumps(node.as_dict()))) == node


async def test_a_node_without_any_identity_is_refused(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    objects, _ = home_node(IDENTITY, {PV: solar()})
    del objects[next(eoj for eoj in objects if eoj.class_id == 0x0EF0)][0x83]
    for epc in (0x83, 0x8D):
        objects[PV].pop(epc, None)
    await nodes("127.0.10.22", objects)
    with pytest.raises(ProbeError, match="no identification"):
        await probe_node(client, "127.0.10.22")


async def test_serial_number_stands_in_for_a_missing_identification(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    objects, _ = home_node(IDENTITY, {PV: solar(serial="PV-777")})
    del objects[next(eoj for eoj in objects if eoj.class_id == 0x0EF0)][0x83]
    await nodes("127.0.10.23", objects)
    node = await probe_node(client, "127.0.10.23")
    assert node.identity == "000016-PV-777"


async def test_a_moved_node_keeps_its_identity(client: EchonetClient, nodes: NodeFactory) -> None:
    changes: list[tuple[NodeInfo, NodeInfo | None]] = []
    directory = NodeDirectory(
        client,
        manual_hosts=("127.0.10.24", "127.0.10.25"),
        on_change=lambda node, before: changes.append((node, before)),
    )
    old = await _home(nodes, "127.0.10.24")
    [found] = await directory.discover(window=1.0)
    assert found.address == "127.0.10.24"
    old.close()
    # DHCP hands the node a new address.
    await _home(nodes, "127.0.10.25")
    [moved] = await directory.discover(window=1.0)
    assert moved.identity == found.identity
    assert moved.address == "127.0.10.25"
    assert list(directory.nodes) == [found.identity]
    assert directory.counters.address_changes == 1
    assert [(node.address, before and before.address) for node, before in changes] == [
        ("127.0.10.24", None),
        ("127.0.10.25", "127.0.10.24"),
    ]
    directory.close()


async def test_multicast_discovery_finds_every_node(
    port: int, group: str, nodes: NodeFactory
) -> None:
    for index, address in enumerate(("127.0.10.26", "127.0.10.27")):
        objects, settable = home_node(
            f"NODE-{index}".encode(), {AIRCON: air_conditioner(f"AC{index}")}
        )
        await nodes(address, objects, settable=settable, group=group)
    async with EchonetClient(client_transport(port, group=group)) as client:
        directory = NodeDirectory(client)
        found = await directory.discover(window=0.5)
        directory.close()
    assert sorted(node.address for node in found) == ["127.0.10.26", "127.0.10.27"]
    assert len(directory.nodes) == 2


async def test_a_stranger_is_probed_once_per_interval(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    directory = NodeDirectory(client, probe_interval=3600)
    node = await _home(nodes, "127.0.10.28")
    announcement = Frame(1, AIRCON, EOJ.from_int(0x05FF01), ESV.INF, (Property(0x80, b"\x30"),))
    local = ("127.0.10.1", node.port)
    node.send(announcement, local)
    await eventually(lambda: len(directory.nodes) == 1)
    assert directory.counters.probes == 1
    # A second stranger-like announcement from a known node probes nothing.
    node.send(announcement, local)
    # An unknown, silent host announcing repeatedly is probed once.
    silent = await nodes("127.0.10.29", {})
    silent.drop = 1000
    for _ in range(3):
        silent.send(announcement, local)
    await eventually(lambda: directory.counters.probe_failures == 1)
    silent.send(announcement, local)
    await eventually(lambda: directory.counters.probes_skipped == 1)
    assert directory.counters.probes == 2
    directory.close()


async def test_an_instance_list_announcement_reprobes_a_known_node(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    directory = NodeDirectory(client)
    node = await _home(nodes, "127.0.10.30")
    await directory.probe("127.0.10.30")
    node.objects[PV] = solar()[0]
    profile = next(eoj for eoj in node.objects if eoj.class_id == 0x0EF0)
    node.objects[profile][0xD6] = bytes.fromhex("03013001026B01027901")
    node.send(
        Frame(
            2,
            profile,
            profile,
            ESV.INF,
            (Property(0xD5, bytes.fromhex("03013001026B01027901")),),
        ),
        ("127.0.10.1", node.port),
    )
    await eventually(lambda: len(next(iter(directory.nodes.values())).objects) == 3)
    directory.close()
