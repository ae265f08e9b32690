"""One poll cycle of a simulated home: Denki's adaptive poller vs pychonet's client.

    .venv/bin/python -m bench.bench_echonet_poll

Homes of 10 and 50 air conditioners, each a node of its own on 127.0.12.x,
answering after 20 ms, all on loopback in this one process. Each client reads
the same 12 properties of every air conditioner once per cycle, all nodes at
once. Printed: datagrams per device per cycle, cycle wall time, and CPU time
per cycle, best of 5 cycles, with the ratios pychonet / Denki (above 1:
Denki does better). Devices that take only 5 properties per Get show what
learning the capacity costs: pychonet raises on a short answer, and its
caller (here) splits the rest, as an integration on pychonet must.

Then CPU time per hour of polling at a 60 s interval: the mean cycle CPU
times 60 cycles, plus the CPU the process spends between cycles (measured
over 3 s with the client idle). The simulated nodes run in the same
process, so both columns carry their small idle cost alike.

Then requests per object, Denki alone, against the targets of issue 19:
a refresh that reads all 60 properties of each of 10 devices that accept
large Gets (target: at most 1.0; the former 32-property cap shown beside
it), and of 10 that answer only 5 per Get (the learned figure, 60/5 = 12);
the discovery of a 17-object node by its address (target: about 1 per
object); and the probe command line's full read of that node (target: at
most 2.5 per object), with the time each took.
"""

import asyncio
import contextlib
from dataclasses import dataclass
from statistics import fmean
import sys
import time

from pychonet import echonetapiclient
from pychonet.echonetapiclient import ECHONETAPIClient, EchonetMaxOpcError
from pychonet.lib.const import GET
from pychonet.lib.udpserver import UDPServer

from bench.result import Row, emit
from custom_components.denki.lib.echonet import EOJ, EchonetClient, EchonetTransport, RetryPolicy
from custom_components.denki.lib.echonet.cli import _probe as cli_probe
from custom_components.denki.lib.echonet.nodes import NodeDirectory
from custom_components.denki.lib.echonet.poller import AdaptivePoller
from simulators.echonet_devices import (
    air_cleaner,
    air_conditioner,
    ceiling_fan,
    device_object,
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

AIRCON = EOJ.from_int(0x013001)
EPCS = [0x80, 0x84, 0x85, 0x8F, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4, 0xBA, 0xBB, 0xBE]
LATENCY = 0.020
CYCLES = 5
IDLE = 3.0
INTERVAL = 60
OURS = "127.0.12.1"
PEER = "127.0.12.2"


def _address(index: int) -> str:
    return f"127.0.12.{10 + index}"


async def _home(port: int, count: int, max_properties: int | None) -> list[SimulatedNode]:
    nodes = []
    for index in range(count):
        values, settable = home_node(f"BENCH-{index:05d}".encode(), {AIRCON: air_conditioner()})
        node = SimulatedNode(_address(index), port, values, settable=settable)
        node.latency = LATENCY
        node.max_properties = max_properties
        await node.start()
        nodes.append(node)
    return nodes


@dataclass
class Run:
    """One client's figures for one home."""

    wall: float
    """Best cycle wall time, s (the first, learning, cycle left out)."""
    cpu: float
    """Best cycle CPU time, s."""
    cpu_mean: float
    """Mean cycle CPU time, s."""
    idle: float
    """CPU time per second between cycles, s/s (timers, receive loops)."""
    datagrams: float
    """Requests per device in the last cycle."""
    received: int = 0


async def _idle() -> float:
    cpu = time.process_time()
    await asyncio.sleep(IDLE)
    return (time.process_time() - cpu) / IDLE


async def _denki(port: int, count: int, nodes: list[SimulatedNode]) -> Run:
    async with EchonetClient(EchonetTransport(OURS, port=port, multicast_group=None)) as client:
        poller = AdaptivePoller(client)
        walls, cpus, datagrams = [], [], []
        for _ in range(CYCLES + 1):  # the first cycle learns; the best of the rest counts
            before = sum(len(node.requests) for node in nodes)
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(
                *(poller.poll(f"n{index}", _address(index), AIRCON, EPCS) for index in range(count))
            )
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            datagrams.append((sum(len(node.requests) for node in nodes) - before) / count)
        idle = await _idle()
        return Run(min(walls[1:]), min(cpus[1:]), fmean(cpus[1:]), idle, datagrams[-1])


async def _pychonet(port: int, count: int, nodes: list[SimulatedNode]) -> Run:
    echonetapiclient.ENL_PORT = port
    server = UDPServer(local_ip=PEER)
    server.run(PEER, port, loop=asyncio.get_running_loop())
    api = ECHONETAPIClient(server)
    api._logger = lambda *args: None  # noqa: SLF001

    async def setup(host: str) -> None:
        # pychonet's own waits can reach 20 s a request; a host it fails to
        # set up in 5 s counts as values it did not get.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.discover(host), 5.0)
            await asyncio.wait_for(api.getAllPropertyMaps(host, 0x01, 0x30, 0x01), 5.0)

    await asyncio.gather(*(setup(_address(index)) for index in range(count)))
    walls, cpus, datagrams = [], [], []
    received = 0
    batch: dict[str, int] = {}

    async def read(host: str) -> None:
        # pychonet raises EchonetMaxOpcError(n) when a device answers only n of
        # the properties asked; its caller must split the request itself. Done
        # here as an integration on pychonet would: ask the rest, n at a time,
        # from now on.
        wanted = list(EPCS)
        while wanted:
            size = batch.get(host, len(wanted))
            chunk, wanted = wanted[:size], wanted[size:]
            try:
                await api.echonetMessage(host, 0x01, 0x30, 0x01, GET, [{"EPC": e} for e in chunk])
            except EchonetMaxOpcError as err:
                answered = int(err.args[0])
                batch[host] = answered
                wanted = chunk[answered:] + wanted

    for _ in range(CYCLES + 1):
        before = sum(len(node.requests) for node in nodes)
        wall, cpu = time.perf_counter(), time.process_time()
        # A device that never answers makes pychonet wait to its own timeout
        # (up to 20 s): a cycle is cut here at 5 s.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(read(_address(index)) for index in range(count))), 5.0
            )
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        datagrams.append((sum(len(node.requests) for node in nodes) - before) / count)
    idle = await _idle()
    state = api._state  # noqa: SLF001
    # A node pychonet failed to discover has no state: none of its values count.
    received = sum(
        epc
        in state.get(_address(i), {}).get("instances", {}).get(0x01, {}).get(0x30, {}).get(1, {})
        for i in range(count)
        for epc in EPCS
    )
    # pychonet's UDPServer.close() closes its socket but leaves the socket's
    # reader registered with the loop: the next socket given the same file
    # descriptor (a simulated node of the next home) would never be read.
    asyncio.get_running_loop().remove_reader(server._sock.fileno())  # noqa: SLF001
    server.close()
    return Run(min(walls[1:]), min(cpus[1:]), fmean(cpus[1:]), idle, datagrams[-1], received)


async def _run(count: int, max_properties: int | None) -> tuple[str, Run, Run]:
    port = free_port()
    nodes = await _home(port, count, max_properties)
    try:
        ours = await _denki(port, count, nodes)
        peer = await _pychonet(port, count, nodes)
    finally:
        for node in nodes:
            node.close()
    label = f"{count} devices" + (f", {max_properties} per Get" if max_properties else "")
    sys_write(
        f"| {label} | {ours.datagrams:.2f} | {peer.datagrams:.2f} | {ours.wall * 1000:.0f} ms "
        f"| {peer.wall * 1000:.0f} ms | {peer.wall / ours.wall:.1f} | {ours.cpu * 1000:.1f} ms "
        f"| {peer.cpu * 1000:.1f} ms | {peer.received}/{count * len(EPCS)} |\n"
    )
    return label, ours, peer


def _per_hour(run: Run) -> float:
    """CPU seconds an hour of polling takes at INTERVAL: the cycles plus the idle time between."""
    cycles = 3600 / INTERVAL
    return cycles * run.cpu_mean + (3600 - cycles * run.wall) * run.idle


def sys_write(text: str) -> None:
    """Print a line of the table (no print() in this code base)."""
    sys.stdout.write(text)
    sys.stdout.flush()


BIG = {epc: bytes((epc,)) for epc in range(0xA0, 0xDC)}  # sixty properties besides the maps
HOME = "127.0.12.200"
HOME_OBJECTS = (
    (0x013001, air_conditioner),
    (0x013002, air_conditioner),
    (0x026B01, water_heater),
    (0x027901, solar),
    (0x027D01, storage_battery),
    (0x029001, general_lighting),
    (0x029002, general_lighting),
    (0x026301, shutter),
    (0x026F01, electric_lock),
    (0x013A01, ceiling_fan),
    (0x013501, air_cleaner),
    (0x027201, instantaneous_water_heater),
    (0x02A601, hybrid_water_heater),
    (0x028701, distribution_board),
    (0x026201, shutter),  # another class with a shutter's properties
    (0x027B01, solar),  # likewise: floor heater class, PV properties
    (0x028801, distribution_board),  # smart meter class, board properties
)


async def _full_read(max_properties: int | None, max_batch: int | None) -> float:
    """Requests per object of a refresh reading all 60 properties of 10 devices (after learning)."""
    port = free_port()
    nodes = []
    for index in range(10):
        values, settable = home_node(
            f"BIG-{index:05d}".encode(), {AIRCON: device_object(BIG, serial=f"B{index}")}
        )
        node = SimulatedNode(_address(index), port, values, settable=settable)
        node.max_properties = max_properties
        await node.start()
        nodes.append(node)
    epcs = sorted(BIG)
    try:
        async with EchonetClient(EchonetTransport(OURS, port=port, multicast_group=None)) as client:
            poller = (
                AdaptivePoller(client)
                if max_batch is None
                else AdaptivePoller(client, max_batch=max_batch)
            )
            for _ in range(2):  # the first cycle learns
                before = sum(len(node.requests) for node in nodes)
                await asyncio.gather(
                    *(poller.poll(f"b{i}", _address(i), AIRCON, epcs) for i in range(10))
                )
            return (sum(len(node.requests) for node in nodes) - before) / 10
    finally:
        for node in nodes:
            node.close()


async def _seventeen() -> tuple[SimulatedNode, int]:
    port = free_port()
    objects = {EOJ.from_int(code): factory(f"H{code:06X}") for code, factory in HOME_OBJECTS}
    values, settable = home_node(b"HOME-17-OBJS", objects)
    node = SimulatedNode(HOME, port, values, settable=settable)
    await node.start()
    return node, port


async def _discovery() -> tuple[float, float]:
    """Requests per object and seconds to discover and probe the 17-object node by unicast."""
    node, port = await _seventeen()
    try:
        async with EchonetClient(EchonetTransport(OURS, port=port, multicast_group=None)) as client:
            directory = NodeDirectory(client, manual_hosts=(HOME,))
            started = time.perf_counter()
            [found] = await directory.discover(window=1.0)
            took = time.perf_counter() - started
            directory.close()
        assert len(found.objects) == len(HOME_OBJECTS)
        return len(node.requests) / len(HOME_OBJECTS), took
    finally:
        node.close()


async def _cli_probe() -> tuple[float, float]:
    """Requests per object and seconds of the probe command's full read of the 17-object node."""
    node, port = await _seventeen()
    try:
        result = await cli_probe(OURS, port, HOME, RetryPolicy(timeout=1.0, attempts=2))
        return result["requests"] / len(HOME_OBJECTS), float(result["seconds"])
    finally:
        node.close()


async def _requests_per_object() -> list[Row]:
    large = await _full_read(None, None)
    capped = await _full_read(None, 32)
    small = await _full_read(5, None)
    discovery, discovery_s = await _discovery()
    probe, probe_s = await _cli_probe()
    sys_write(
        "\nRequests per object, Denki (targets of issue 19):\n\n"
        "| what | requests/object | target | time |\n| --- | --- | --- | --- |\n"
        f"| refresh of 60 properties, devices that accept large Gets | {large:.2f} | <= 1.0 | |\n"
        f"| the same with the former 32-property cap | {capped:.2f} | | |\n"
        f"| refresh of 60 properties, devices that answer 5 per Get | {small:.2f} "
        "| learned: 12 | |\n"
        f"| discovery of a 17-object node | {discovery:.2f} | about 1 | {discovery_s:.2f} s |\n"
        f"| probe CLI, full read of that node | {probe:.2f} | <= 2.5 | {probe_s:.2f} s |\n"
    )
    return [
        Row("requests/object/refresh, 60 properties", "32-property cap", large, capped, ""),
        Row("requests/object/refresh, 60 properties, 5 per Get", "learned target", small, 12, ""),
        Row("requests/object, discovery of 17 objects", "target", discovery, 1.0, ""),
        Row("requests/object, probe CLI full read", "target", probe, 2.5, ""),
    ]


async def main() -> None:
    sys_write(
        "| home | datagrams/device, Denki | pychonet | cycle, Denki | pychonet | ratio "
        "| CPU/cycle, Denki | pychonet | values pychonet got |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    runs = [await _run(count, most) for count, most in ((10, None), (50, None), (10, 5))]
    sys_write(
        f"\nCPU per hour of polling at a {INTERVAL} s interval (mean cycle CPU x cycles, "
        f"plus idle CPU measured over {IDLE} s between cycles):\n\n"
        "| home | Denki | pychonet | ratio |\n| --- | --- | --- | --- |\n"
    )
    rows: list[Row] = []
    for label, ours, peer in runs:
        mine, theirs = _per_hour(ours), _per_hour(peer)
        sys_write(f"| {label} | {mine:.2f} s | {theirs:.2f} s | {theirs / mine:.1f} |\n")
        rows.append(
            Row(f"poll cycle, {label}", "pychonet", ours.wall * 1000, peer.wall * 1000, "ms")
        )
        if label == "50 devices":
            rows.append(Row(f"CPU per hour of polling, {label}", "pychonet", mine, theirs, "s"))
        if "per Get" in label:
            rows.append(
                Row(
                    f"datagrams/device/cycle, {label}",
                    "pychonet",
                    ours.datagrams,
                    peer.datagrams,
                    "",
                )
            )
    rows += await _requests_per_object()
    emit("bench_echonet_poll", rows)


if __name__ == "__main__":
    asyncio.run(main())
