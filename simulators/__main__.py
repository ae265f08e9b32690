"""`python -m simulators`: a whole simulated home on this machine, until Ctrl+C.

Prints, as JSON, what Home Assistant needs to reach it (the dongle's path and
B-route credentials, the appliances' interface and port, the VTN and its
client credentials, the broker and the MQTT profile's topics) and the control
API's address. `--hv-meter 028a` (or `028f`, bidirectional) adds a building's
high-voltage smart meter on 127.0.11.31, on the appliances' port; the JSON
then also names its host and the interface for Denki's high-voltage meter
entry. Examples, with the default ports:

    curl -X POST localhost:8099/events -d '{"start_in": 60, "minutes": 30, "level": 2}'
    curl -X DELETE localhost:8099/events/sim-1
    curl -X POST localhost:8099/dongle/unplug      # and /dongle/plug
    curl -X POST localhost:8099/devices/127.0.11.21/silence   # and /answer (also 127.0.11.31)
    curl -X POST localhost:8099/broker/stop        # and /broker/start
    curl localhost:8099/load                        # what each appliance draws, and the meter
"""

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import signal

from .home import HV_METER_KINDS, SimulatedHome


async def _run(args: argparse.Namespace) -> None:
    home = SimulatedHome(
        Path(args.folder),
        echonet_port=args.echonet_port,
        broker_port=args.broker_port,
        vtn_port=args.vtn_port,
        control_port=args.control_port,
        hv_meter=None if args.hv_meter == "none" else args.hv_meter,
    )
    endpoints = await home.start()
    text = json.dumps(endpoints.as_dict(), indent=2)
    if args.endpoints_file:
        # Written whole, then renamed: a script waiting for the file never reads half of it.
        partial = Path(f"{args.endpoints_file}.partial")
        await asyncio.to_thread(partial.write_text, text)
        await asyncio.to_thread(partial.replace, args.endpoints_file)
    print(text, flush=True)
    # Ctrl+C or a TERM stops the home cleanly. Handlers of our own, because a shell that
    # starts a job in the background without job control starts it with SIGINT ignored.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await home.stop()


def main() -> None:
    """Parse the ports and run the home."""
    parser = argparse.ArgumentParser(
        prog="python -m simulators", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--folder", default=".develop/simulated-home", help="where the dongle's symlink goes"
    )
    parser.add_argument("--echonet-port", type=int, default=3610)
    parser.add_argument("--broker-port", type=int, default=1883)
    parser.add_argument("--vtn-port", type=int, default=8080)
    parser.add_argument("--control-port", type=int, default=8099)
    parser.add_argument(
        "--hv-meter",
        choices=("none", *HV_METER_KINDS),
        default="none",
        help="also a building's high-voltage smart meter on 127.0.11.31: 028a (import only) or "
        "028f (bidirectional: import, export and power); none, as a household has (default)",
    )
    parser.add_argument(
        "--endpoints-file", help="also write the endpoints' JSON there once everything answers"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(parser.parse_args()))


if __name__ == "__main__":
    main()
