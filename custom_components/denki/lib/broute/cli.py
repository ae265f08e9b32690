"""Command line: join a meter through a dongle and print what it says, as JSON.

    python -m custom_components.denki.lib.broute probe --port DEV --id ID --password PW
    python -m custom_components.denki.lib.broute history --port DEV --id ID --password PW --days N

`probe` prints the dongle (family, firmware, payload mode; a J11 dongle,
BP35C0-J11 or RS-WSUHA-J11, its family and firmware), where the meter
is (channel and PAN ID in hex, as every guide writes them), its identity, the
energy unit spelled out ("0.1 kWh"), live values and property map; `history`
prints its 30-minute import and export readings in kWh for the last N days
(today included), oldest first. `--debug` prints the dialogue with the
dongle on standard error, the password and the ID masked. A port that is
missing is answered with the ports that are there; a port another program
holds says so. The password is never printed.
"""

import argparse
import asyncio
from collections.abc import Sequence
import json
import logging
from pathlib import Path
import sys
from typing import Any

import serial.tools.list_ports

from .dongle import DongleInfo
from .errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleError,
    InvalidCredentialsError,
    PortInUseError,
)
from .link import MeterLink
from .meter_values import HISTORY_DAYS, EnergyScale, MeterValueError
from .sk_messages import Dialect, DongleFamily

FAMILIES = {
    Dialect.BP35A1: "ROHM BP35A1 / Tessera RL7023 Stick-D/IPS",
    Dialect.BP35C: "ROHM BP35C0 / BP35C2 / Tessera RL7023 Stick-D/DSS / Ratoc RS-WSUHA",
}
"""The dongles each SK dialect stands for: what a probe can tell of a dongle."""
J11_FAMILY = "ROHM BP35C0-J11 / Ratoc RS-WSUHA-J11 (J11 binary command set)"
"""The dongles that speak the J11 command set (`j11`)."""
BY_ID = Path("/dev/serial/by-id")


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
        command.add_argument(
            "--debug", action="store_true", help="print the dialogue with the dongle (stderr)"
        )
        if name == "history":
            command.add_argument("--days", type=int, default=1, help="days back, 1 = today")
    return parser


def energy_unit(scale: EnergyScale) -> str:
    """One count of the meter's cumulative energy, in kWh, as a person writes it: "0.1 kWh"."""
    value = scale.coefficient * 10.0**scale.unit_exponent
    return f"{value:g} kWh"


def dongle(info: DongleInfo | None) -> dict[str, Any] | None:
    """The dongle as a person knows it: its family, firmware and payload mode."""
    if info is None:
        return None
    if info.family is DongleFamily.J11:
        return {
            "family": J11_FAMILY,
            "command_set": str(info.family),
            "firmware": info.version,
            "firmware_id": None if info.firmware_id is None else f"0x{info.firmware_id:04X}",
        }
    return {
        "family": FAMILIES[info.dialect],
        "dialect": str(info.dialect),
        "firmware": info.version,
        "mac": info.mac,
        "payloads": "binary" if info.binary_payload else "hex (ASCII)",
        "erxudp_rssi": info.rssi_field,
    }


def ports_present() -> list[str]:
    """The serial ports here, by their /dev/serial/by-id name first (it survives a replug)."""
    by_id = sorted(str(link) for link in BY_ID.iterdir()) if BY_ID.is_dir() else []
    return by_id + sorted(port.device for port in serial.tools.list_ports.comports())


async def _probe(link: MeterLink) -> dict[str, Any]:
    meter = await link.ensure()
    power, current = await meter.instantaneous()
    imported, exported = await meter.cumulative_kwh()
    scale = link.scale
    pan = link.pan
    return {
        "dongle": dongle(link.dongle_info),
        "identification": link.identification,
        "pan": None
        if pan is None
        else {"channel": f"0x{pan.channel:02X}", "pan_id": f"0x{pan.pan_id:04X}", "mac": pan.mac},
        "scale": {
            "energy_unit": energy_unit(scale) if scale else None,
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
    if args.debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        library = logging.getLogger(__package__)
        library.addHandler(handler)
        library.setLevel(logging.DEBUG)
    if args.command == "history" and not 1 <= args.days <= HISTORY_DAYS:
        sys.stderr.write(f"--days must be between 1 and {HISTORY_DAYS}\n")
        return 2
    try:
        result = asyncio.run(_run(args))
    except InvalidCredentialsError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    except AuthenticationError:
        # PANA fails alike for a wrong ID and a wrong password (EVENT 24 either way):
        # no dongle can tell which of the two the meter did not take.
        sys.stderr.write(
            "error: the meter refused the B-route ID and password (the dongle cannot tell"
            " which of the two is wrong: check both against the letter from your utility)\n"
        )
        return 1
    except PortInUseError as err:
        sys.stderr.write(f"error: {err} (Home Assistant's Denki, or another program)\n")
        return 1
    except DongleDisconnectedError as err:
        present = ports_present()
        sys.stderr.write(f"error: {err}\nports here: {', '.join(present) if present else 'none'}\n")
        return 1
    except (DongleError, MeterValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0
