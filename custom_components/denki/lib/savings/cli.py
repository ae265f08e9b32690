"""Command line: the baseline and savings of one DR event, from a meter CSV.

Usage (one line)::

    python -m custom_components.denki.lib.savings baseline --csv meter.csv
        --event 2026-08-03T17:00+09:00/2026-08-03T19:00+09:00
        [--dr-day 2026-07-28 ...] [--adjustment-hours 2] [--adjustment-cap 0.5]

The meter CSV has the columns `timestamp,kwh` (see `meter_csv`). The result is printed to standard output as JSON. Any error in the input
is one line on standard error, and the exit status is 2.
"""

import argparse
from collections.abc import Sequence
from datetime import date, datetime, timedelta
import json
from pathlib import Path
import sys
from typing import NoReturn

from .adjustment import DEFAULT_ADJUSTMENT_LEAD, AdjustmentWindow
from .compute import compute_savings
from .errors import BaselineError
from .meter_csv import parse_timestamp, read_meter_csv

PROG = "python -m custom_components.denki.lib.savings"
EXIT_USAGE = 2
_EXAMPLE = "2026-08-03T17:00+09:00/2026-08-03T19:00+09:00"


class _UsageError(Exception):
    """An argument the parser or this module refused."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, raised rather than printed."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage and exiting."""
        raise _UsageError(message)


def _parse_event(text: str) -> tuple[datetime, datetime]:
    """START/END in ISO 8601; a time without a UTC offset is Japan time."""
    parts = text.split("/")
    if len(parts) != 2:
        raise _UsageError(f"--event {text!r} is not START/END (ISO 8601, e.g. {_EXAMPLE})")
    try:
        start, end = (parse_timestamp(part) for part in parts)
    except ValueError:
        raise _UsageError(
            f"--event {text!r} is not START/END (ISO 8601, e.g. {_EXAMPLE})"
        ) from None
    return start, end


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _UsageError(f"--dr-day {text!r} is not a date (YYYY-MM-DD)") from None


def _build_parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Demand-response baseline and savings (ERAB).")
    commands = parser.add_subparsers(dest="command", required=True)
    baseline = commands.add_parser(
        "baseline",
        help="the High 4 of 5 baseline of one event and the energy saved",
        description="Compute the ERAB standard baseline of one DR event and the energy saved.",
    )
    baseline.add_argument(
        "--csv", required=True, type=Path, help="meter CSV with the columns timestamp,kwh"
    )
    baseline.add_argument("--event", required=True, help=f"START/END, e.g. {_EXAMPLE}")
    baseline.add_argument(
        "--dr-day",
        action="append",
        default=[],
        metavar="YYYY-MM-DD",
        help="a past DR event day, left out of the baseline (repeatable)",
    )
    baseline.add_argument(
        "--adjustment-hours",
        type=float,
        default=2.0,
        metavar="HOURS",
        help="length of the same-day adjustment window, ending 1 hour before the event "
        "(multiple of 0.5; 0 for no adjustment; default 2)",
    )
    baseline.add_argument(
        "--adjustment-cap",
        type=float,
        default=None,
        metavar="KWH",
        help="largest same-day adjustment, in kWh per slot either way (default: no cap)",
    )
    return parser


def _adjustment_window(hours: float, cap: float | None) -> AdjustmentWindow:
    if not (hours >= 0 and (hours * 2).is_integer()):
        raise _UsageError(f"--adjustment-hours {hours:g} is not a non-negative multiple of 0.5")
    return AdjustmentWindow(
        length=timedelta(minutes=30 * int(hours * 2)), lead=DEFAULT_ADJUSTMENT_LEAD, cap_kwh=cap
    )


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: The arguments, without the program name; `sys.argv[1:]` by default.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        start, end = _parse_event(args.event)
        dr_days = frozenset(_parse_day(text) for text in args.dr_day)
        window = _adjustment_window(args.adjustment_hours, args.adjustment_cap)
    except (_UsageError, BaselineError) as err:
        return _fail(str(err))
    try:
        series = read_meter_csv(args.csv)
        result = compute_savings(series, start, end, dr_days=dr_days, adjustment_window=window)
    except BaselineError as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(f"cannot read {args.csv}: {err.strerror or err}")
    except UnicodeDecodeError:
        return _fail(f"{args.csv} is not UTF-8 text")
    sys.stdout.write(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2) + "\n")
    return 0
