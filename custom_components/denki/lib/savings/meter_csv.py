"""Read a meter series from CSV: a `timestamp,kwh` header, then one slot per row.

`timestamp` is the slot start in ISO 8601, with a UTC offset; a timestamp
without one is taken as Japan time (Asia/Tokyo). `kwh` is the energy of
that 30-minute slot. Blank lines are ignored; a UTF-8 byte order mark (as
spreadsheet programs write) is accepted. Every error names the file and
line.

File I/O here is blocking.
"""

import csv
from datetime import datetime
import math
from pathlib import Path

from .errors import BaselineError
from .slots import JST, to_slot_start

HEADER = ("timestamp", "kwh")


class MeterCsvError(BaselineError):
    """A CSV file that is not a meter series; the message names the file and line."""


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; one without a UTC offset is taken as Japan time.

    Raises:
        ValueError: Not an ISO 8601 timestamp.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=JST)
    return moment


def read_meter_csv(path: Path) -> dict[datetime, float]:
    """Read a meter series: kWh per slot, keyed by slot start in Asia/Tokyo.

    Raises:
        MeterCsvError: A missing header, a malformed or misaligned row, a bad
            kWh value, or a slot given twice.
        OSError: The file cannot be read.
        UnicodeDecodeError: The file is not UTF-8.
    """
    series: dict[datetime, float] = {}
    lines: dict[datetime, int] = {}
    header_seen = False
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        for row in reader:
            line = reader.line_num
            cells = tuple(cell.strip() for cell in row)
            if not any(cells):
                continue
            if not header_seen:
                if tuple(cell.lower() for cell in cells) != HEADER:
                    raise MeterCsvError(
                        f"{path}:{line}: expected the header 'timestamp,kwh', got {','.join(row)!r}"
                    )
                header_seen = True
                continue
            slot, kwh = _parse_row(cells, f"{path}:{line}")
            if slot in lines:
                raise MeterCsvError(
                    f"{path}:{line}: slot {slot.isoformat()} is already on line {lines[slot]}"
                )
            lines[slot] = line
            series[slot] = kwh
    if not header_seen:
        raise MeterCsvError(f"{path}: no header; expected 'timestamp,kwh'")
    return series


def _parse_row(cells: tuple[str, ...], where: str) -> tuple[datetime, float]:
    """One data row as (slot start, kWh)."""
    if len(cells) != 2:
        raise MeterCsvError(f"{where}: expected 2 columns (timestamp,kwh), got {len(cells)}")
    text, number = cells
    try:
        moment = parse_timestamp(text)
    except ValueError:
        raise MeterCsvError(f"{where}: {text!r} is not an ISO 8601 timestamp") from None
    try:
        slot = to_slot_start(moment, "timestamp")
    except BaselineError as err:
        raise MeterCsvError(f"{where}: {err}") from None
    try:
        kwh = float(number)
    except ValueError:
        raise MeterCsvError(f"{where}: kwh {number!r} is not a number") from None
    if not math.isfinite(kwh) or kwh < 0:
        raise MeterCsvError(f"{where}: kwh {number!r} is not a finite, non-negative number")
    return slot, kwh
