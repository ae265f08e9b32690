"""The command line, end to end through `python -m`, and its one-line errors."""

from datetime import date, datetime, timedelta
import json
from pathlib import Path
import runpy
import subprocess
import sys

import pytest

from custom_components.denki.lib.savings import JST, SLOT
from custom_components.denki.lib.savings.cli import main

REPO = Path(__file__).parents[3]
EVENT = "2026-08-03T17:00+09:00/2026-08-03T19:00+09:00"


def _meter_csv(tmp_path: Path) -> Path:
    """Six weekdays before Monday 3 August 2026, and the event day itself.

    31, 30, 29, 28 and 27 July are at 2 kWh/slot and 24 July at 1 kWh/slot;
    30 July is marked as a DR day below, so 24 July is back-filled and is the
    one not kept: the baseline is 2.0. The event day runs at 2.5 before the
    event (adjustment +0.5) and at 1.0 during it: 1.5 kWh saved per slot.
    """
    levels = {
        date(2026, 7, 31): 2.0,
        date(2026, 7, 30): 2.0,
        date(2026, 7, 29): 2.0,
        date(2026, 7, 28): 2.0,
        date(2026, 7, 27): 2.0,
        date(2026, 7, 24): 1.0,
        date(2026, 8, 3): 2.5,
    }
    lines = ["timestamp,kwh"]
    for day, kwh in levels.items():
        start = datetime(day.year, day.month, day.day, tzinfo=JST)
        for index in range(48):
            slot = start + index * SLOT
            actual = 1.0 if day == date(2026, 8, 3) and 17 <= slot.hour < 19 else kwh
            lines.append(f"{slot.isoformat()},{actual}")
    path = tmp_path / "meter.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "custom_components.denki.lib.savings", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_baseline_end_to_end(tmp_path: Path) -> None:
    csv = _meter_csv(tmp_path)
    done = _run_module("baseline", "--csv", str(csv), "--event", EVENT, "--dr-day", "2026-07-30")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["kept_days"] == ["2026-07-31", "2026-07-29", "2026-07-28", "2026-07-27"]
    assert [(entry["day"], entry["outcome"]) for entry in data["considered_days"]] == [
        ("2026-07-31", "kept"),
        ("2026-07-30", "dr_event_day"),
        ("2026-07-29", "kept"),
        ("2026-07-28", "kept"),
        ("2026-07-27", "kept"),
        ("2026-07-24", "not_highest"),
    ]
    assert data["adjustment"]["kwh_per_slot"] == 0.5
    assert [slot["baseline_kwh"] for slot in data["slots"]] == [2.0] * 4
    assert [slot["adjusted_baseline_kwh"] for slot in data["slots"]] == [2.5] * 4
    assert [slot["saved_kwh"] for slot in data["slots"]] == [1.5] * 4
    assert data["total_saved_kwh"] == 6.0
    assert data["flags"] == []


def test_bad_csv_row_end_to_end(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("timestamp,kwh\n2026-08-03T17:00+09:00,0.5\n2026-08-03T17:30+09:00,abc\n")
    done = _run_module("baseline", "--csv", str(csv), "--event", EVENT)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert f"{csv}:3: kwh 'abc' is not a number" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_as_a_module_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(_meter_csv(tmp_path))
    monkeypatch.setattr(sys, "argv", ["savings", "baseline", "--csv", csv, "--event", EVENT])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("custom_components.denki.lib.savings", run_name="__main__")
    assert exited.value.code == 0
    assert json.loads(capsys.readouterr().out)["rule"]["name"] == "High 4 of 5"


def test_adjustment_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = str(_meter_csv(tmp_path))
    common = ["baseline", "--csv", csv, "--event", EVENT, "--dr-day", "2026-07-30"]

    assert main([*common, "--adjustment-hours", "0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["adjustment"]["used_slots"] == []
    assert data["total_saved_kwh"] == 4.0

    assert main([*common, "--adjustment-hours", "1.5", "--adjustment-cap", "0.25"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["adjustment"]["window_start"] == "2026-08-03T14:30:00+09:00"
    assert data["adjustment"]["kwh_per_slot"] == 0.25
    assert data["flags"] == ["adjustment_capped"]


def test_naive_event_times_are_japan_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(_meter_csv(tmp_path))
    assert main(["baseline", "--csv", csv, "--event", "2026-08-03T17:00/2026-08-03T19:00"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["event"]["start"] == "2026-08-03T17:00:00+09:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event", "2026-08-03T17:00+09:00"], "is not START/END"),
        (["--event", "soon/later"], "is not START/END"),
        (["--event", "2026-08-03T17:10+09:00/2026-08-03T19:00+09:00"], "30-minute boundary"),
        (["--event", "2026-08-03T19:00+09:00/2026-08-03T17:00+09:00"], "is not after its start"),
        (["--event", EVENT, "--dr-day", "30 July"], "--dr-day '30 July' is not a date"),
        (["--event", EVENT, "--adjustment-hours", "0.75"], "multiple of 0.5"),
        (["--event", EVENT, "--adjustment-hours", "-1"], "multiple of 0.5"),
        (["--event", EVENT, "--adjustment-hours", "two"], "invalid float value"),
        (["--event", EVENT, "--adjustment-cap", "-1"], "adjustment cap"),
        (["--event", "2026-06-01T17:00+09:00/2026-06-01T19:00+09:00"], "no usable day"),
        ([], "the following arguments are required: --event"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    csv = str(_meter_csv(tmp_path))
    assert main(["baseline", "--csv", csv, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("python -m custom_components.denki.lib.savings: error: ")
    assert captured.err.count("\n") == 1
    assert message in captured.err


def test_a_missing_command_or_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required: command" in capsys.readouterr().err

    missing = tmp_path / "nope.csv"
    assert main(["baseline", "--csv", str(missing), "--event", EVENT]) == 2
    assert capsys.readouterr().err.endswith(f"cannot read {missing}: No such file or directory\n")


def test_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "sjis.csv"
    csv.write_bytes("日時,電力量\n".encode("shift_jis"))
    assert main(["baseline", "--csv", str(csv), "--event", EVENT]) == 2
    assert capsys.readouterr().err.endswith(f"{csv} is not UTF-8 text\n")


def test_the_event_window_in_the_output_spans_the_whole_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = str(_meter_csv(tmp_path))
    assert main(["baseline", "--csv", csv, "--event", EVENT]) == 0
    data = json.loads(capsys.readouterr().out)
    starts = [datetime.fromisoformat(slot["start"]) for slot in data["slots"]]
    assert starts[-1] - starts[0] == timedelta(hours=1, minutes=30)
