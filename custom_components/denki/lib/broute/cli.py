"""Command line: join a meter through a dongle and print what it says, as JSON.

    python -m custom_components.denki.lib.broute probe --port DEV --id ID --password PW
    python -m custom_components.denki.lib.broute history --port DEV --id ID --password PW --days N

`probe` prints the meter's identity, scale, live values and property map;
`history` prints its 30-minute import and export readings in kWh for the
last N days (today included), oldest first. The password is never printed.
"""

import argparse
import asyncio
from collections.abc import Sequence
import json
import sys
from typing import Any

from .errors import AuthenticationError, DongleError, InvalidCredentialsError
from .link import MeterLink
from .meter_values import HISTORY_DAYS, MeterValueError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m custom_components.denki.lib.broute")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("probe", "join the meter and print its properties"),
        ("history", "print the meter's 30-minute readings"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--port", required=True, help="the dongle's serial port")
        command.add_argument("--id", required=True, help="the 32-digit B-route ID")
        command.add_argument("--password", required=True, help="the 12-character password")
        if name == "history":
            command.add_argument("--days", type=int, default=1, help="days back, 1 = today")
    return parser


async def _probe(link: MeterLink) -> dict[str, Any]:
    meter = await link.ensure()
    power, current = await meter.instantaneous()
    imported, exported = await meter.cumulative_kwh()
    scale = link.scale
    return {
        "identification": link.identification,
        "pan": link.pan.as_dict() if link.pan else None,
        "scale": {
            "coefficient": scale.coefficient if scale else None,
            "unit_exponent": scale.unit_exponent if scale else None,
            "digits": scale.digits if scale else None,
        },
        "clock": (await meter.clock()).isoformat(),
        "power_w": power,
        "current_a": None
        if current is None
        else {"r": current.r_phase, "t": current.t_phase, "single_phase": current.single_phase},
        "import_kwh": imported,
        "export_kwh": exported,
        "get_property_map": [f"0x{epc:02X}" for epc in sorted(await meter.property_map())],
    }


async def _history(link: MeterLink, days: int) -> list[dict[str, Any]]:
    meter = await link.ensure()
    scale = link.scale or await meter.read_scale()
    rows: list[dict[str, Any]] = []
    for days_ago in range(days - 1, -1, -1):
        imports, exports = await meter.history_day(days_ago)
        exported = {slot.timestamp: slot.count for slot in exports}
        for slot in imports:
            out = exported.get(slot.timestamp)
            rows.append(
                {
                    "timestamp": slot.timestamp.isoformat(),
                    "import_kwh": None if slot.count is None else scale.kwh(slot.count),
                    "export_kwh": None if out is None else scale.kwh(out),
                }
            )
    return rows


async def _run(args: argparse.Namespace) -> Any:
    link = MeterLink(args.port, args.id, args.password)
    try:
        if args.command == "probe":
            return await _probe(link)
        return await _history(link, args.days)
    finally:
        await link.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 when the meter cannot be read, 2 on bad arguments."""
    args = _parser().parse_args(argv)
    if args.command == "history" and not 1 <= args.days <= HISTORY_DAYS:
        sys.stderr.write(f"--days must be between 1 and {HISTORY_DAYS}\n")
        return 2
    try:
        result = asyncio.run(_run(args))
    except InvalidCredentialsError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    except AuthenticationError:
        sys.stderr.write("error: the meter refused the B-route ID and password\n")
        return 1
    except (DongleError, MeterValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0
