"""Reading a meter series from CSV, and the line-numbered errors."""

from datetime import datetime
from pathlib import Path

import pytest

from custom_components.denki.lib.savings import JST, MeterCsvError, read_meter_csv


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "meter.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_rows_with_offsets_naive_rows_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "\ufeffTimestamp, kWh\n"
        "2026-08-03T17:00:00+09:00,0.25\n"
        "\n"
        "2026-08-03T08:30:00Z,0.5\n"
        "2026-08-03 18:00,1\n",
    )
    assert read_meter_csv(path) == {
        datetime(2026, 8, 3, 17, 0, tzinfo=JST): 0.25,
        datetime(2026, 8, 3, 17, 30, tzinfo=JST): 0.5,
        datetime(2026, 8, 3, 18, 0, tzinfo=JST): 1.0,  # naive: Japan time
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header"),
        ("time,value\n", r":1: expected the header 'timestamp,kwh'"),
        ("timestamp,kwh\n2026-08-03T17:00+09:00\n", ":2: expected 2 columns"),
        ("timestamp,kwh\n2026-08-03T17:00+09:00,1,2\n", ":2: expected 2 columns"),
        ("timestamp,kwh\n\nyesterday,1\n", ":3: 'yesterday' is not an ISO 8601 timestamp"),
        ("timestamp,kwh\n2026-08-03T17:10+09:00,1\n", ":2: timestamp .* not on a 30-minute"),
        ("timestamp,kwh\n2026-08-03T17:00+09:00,lots\n", ":2: kwh 'lots' is not a number"),
        ("timestamp,kwh\n2026-08-03T17:00+09:00,-1\n", ":2: kwh '-1' is not a finite"),
        ("timestamp,kwh\n2026-08-03T17:00+09:00,inf\n", ":2: kwh 'inf' is not a finite"),
        (
            "timestamp,kwh\n2026-08-03T17:00+09:00,1\n2026-08-03T08:00Z,2\n",
            ":3: slot 2026-08-03T17:00:00\\+09:00 is already on line 2",
        ),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(MeterCsvError, match=message):
        read_meter_csv(path)
