"""The simulated home of `bench.bench_loop_lag`, in a process of its own.

Kept out of Home Assistant's process so that the loop the bench measures
carries Home Assistant and Denki only, not 50 simulated devices, a broker
and a dongle. It runs, on loopback:

- `--devices` ECHONET Lite nodes, one device object each, on 127.0.13.10 and
  up (all on `--port`, members of 224.0.23.0 so that discovery finds them):
  air conditioners, EcoCute water heaters, storage batteries, lights and PV
  in turn. Every second, each device's measured value moves a little (air
  conditioner power, remaining hot water, battery charge power, PV
  generation), so that polls bring changes, as in a lived-in home;
- a Wi-SUN dongle on a pseudo-terminal (simulators.wisun_dongle) with a
  smart meter behind it (simulators.smart_meter, 45 days of history on the
  host's clock);
- an MQTT broker (amqtt) on `--broker-port`, the aggregator's.

Once everything listens it prints one JSON line: the pty's path and the
meter's PAN. It runs until its stdin closes, then prints a second JSON line,
what the devices and the meter received, and exits.

    .venv/bin/python -m bench.lag_home --devices 50 --port P --broker-port B
"""

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import json
import random
import sys

from amqtt.broker import Broker

from custom_components.denki.lib.echonet import EOJ, MULTICAST_GROUP
from simulators.echonet_devices import (
    DeviceObject,
    air_conditioner,
    general_lighting,
    home_node,
    solar,
    storage_battery,
    water_heater,
)
from simulators.echonet_node import SimulatedNode
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle
from tests.net import amqtt_config

KINDS: tuple[tuple[int, Callable[[str], DeviceObject]], ...] = (
    (0x013001, air_conditioner),
    (0x026B01, water_heater),
    (0x027D01, storage_battery),
    (0x029001, general_lighting),
    (0x027901, solar),
)
"""The device of node i: KINDS[i % 5] (EOJ, factory)."""
WOBBLE: dict[int, tuple[int, int, int, bool]] = {
    0x013001: (0x84, 2, 620, False),  # air conditioner: instantaneous power, W
    0x026B01: (0xE1, 2, 320, False),  # water heater: remaining hot water, L
    0x027D01: (0xD3, 4, 1500, True),  # battery: charge (+) / discharge (-) power, W
    0x027901: (0xE0, 2, 2400, False),  # PV: instantaneous generation, W
}
"""What moves every second, by EOJ: (EPC, size, around, signed)."""


def address(index: int) -> str:
    """Node `index`'s loopback address."""
    return f"127.0.13.{10 + index}"


async def start_nodes(count: int, port: int) -> list[SimulatedNode]:
    """`count` nodes of one device each, listening."""
    nodes = []
    for index in range(count):
        code, factory = KINDS[index % len(KINDS)]
        identity = f"LAG-NODE-{index:04d}".encode()
        values, settable = home_node(identity, {EOJ.from_int(code): factory(f"SN{index:04d}")})
        node = SimulatedNode(address(index), port, values, group=MULTICAST_GROUP, settable=settable)
        await node.start()
        nodes.append(node)
    return nodes


async def wobble(nodes: list[SimulatedNode]) -> None:
    """Move each device's measured value a little, every second."""
    rng = random.Random(2026)
    while True:
        for node in nodes:
            for eoj, values in node.objects.items():
                moving = WOBBLE.get(int.from_bytes(eoj.to_bytes()))
                if moving is None:
                    continue
                epc, size, around, signed = moving
                value = max(0, around + rng.randint(-around // 10, around // 10))
                values[epc] = value.to_bytes(size, signed=signed)
        await asyncio.sleep(1.0)


def say(data: dict[str, object]) -> None:
    """One JSON line to the parent."""
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


async def main(devices: int, port: int, broker_port: int) -> None:
    """Start everything, say where it is, run until stdin closes."""
    broker = Broker(amqtt_config(broker_port))
    await broker.start()
    meter = SimulatedMeter()
    meter.history = MeterHistory(
        origin=datetime.now(UTC) - timedelta(days=45), clock=lambda: datetime.now(UTC)
    )
    radio = MeterRadio(responder=meter.answer)
    pty = PtyDongle(DongleModel(meter=radio))
    await pty.start()
    nodes = await start_nodes(devices, port)
    mover = asyncio.create_task(wobble(nodes))
    say(
        {
            "pty": pty.path,
            "rbid": radio.rbid,
            "password": radio.password,
            "pan": {"channel": radio.channel, "pan_id": radio.pan_id, "mac": radio.mac},
        }
    )
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
    mover.cancel()
    say(
        {
            "device_requests": sum(len(node.requests) for node in nodes),
            "meter_requests": len(meter.frames),
        }
    )
    for node in nodes:
        node.close()
    await pty.stop()
    await broker.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--broker-port", type=int, required=True)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.devices, arguments.port, arguments.broker_port))
