"""bench.run_all: the figures read from each bench's RESULT line, and one summary table.

Behaviour only: the parsing on captured outputs, a failed bench's row, and
one real run of the fastest bench (the codec's, quick) through run_all.
"""

from pathlib import Path

import pytest

from bench import run_all
from bench.result import PREFIX, Row, parse

CODEC_OUTPUT = """\
ECHONET Lite codec, best of 5 x 2000 operations, us per frame
operation                             denki  pychonet  pychonet/denki
decode Get_Res, 1 property             0.64      0.78           1.21x
RESULT {"bench": "bench_echonet_codec", "rows": [\
{"metric": "decode Get_Res, 1 property", "peer": "pychonet", "denki": 0.64, \
"peer_figure": 0.78, "unit": "\\u00b5s", "better": "lower"}, \
{"metric": "poll round trip, Get_Res, 7 properties", "peer": "pychonet", "denki": 316932.0, \
"peer_figure": 290771.0, "unit": "frames/s", "better": "higher"}], "operations": 2000}
"""
LAG_OUTPUT = """\
| loop | samples | p50 | p99 | max | over 20 ms |
RESULT {"bench": "bench_loop_lag", "rows": [\
{"metric": "event-loop lag, max", "peer": "target 20 ms", "denki": 7.87, \
"peer_figure": 20.0, "unit": "ms", "better": "lower"}, \
{"metric": "event-loop lag, p50", "peer": "-", "denki": 0.14, \
"peer_figure": null, "unit": "ms", "better": "lower"}], "target_met": true}
"""
TRACEBACK = "\n".join(
    [
        "Traceback (most recent call last):",
        *(f'  File "bench/x.py", line {n}, in f' for n in range(20)),
        "TimeoutError",
    ]
)


def test_result_lines_give_rows_and_ratios_above_1_when_denki_does_better() -> None:
    rows, extra = parse(CODEC_OUTPUT)
    assert extra == {"bench": "bench_echonet_codec", "operations": 2000}
    decode, round_trip = rows
    assert decode == Row("decode Get_Res, 1 property", "pychonet", 0.64, 0.78, "µs", "lower")
    assert decode.ratio == pytest.approx(0.78 / 0.64)  # lower is better: peer / Denki
    assert round_trip.ratio == pytest.approx(316932 / 290771)  # higher is better: Denki / peer
    assert Row("p50", "-", 0.1, None, "ms").ratio is None
    with pytest.raises(ValueError, match="no RESULT line"):
        parse("a table\nwithout its figures\n")


def test_the_last_result_line_counts() -> None:
    rows, _ = parse(f'{PREFIX}{{"bench": "old", "rows": []}}\n{LAG_OUTPUT}')
    assert [row.metric for row in rows] == ["event-loop lag, max", "event-loop lag, p50"]


def test_one_table_with_a_failed_bench_shown_failed_and_its_stderr_tail() -> None:
    outcomes = [
        run_all.summarize("bench_echonet_codec", 0, CODEC_OUTPUT, "", 9.0),
        run_all.summarize("bench_dr_response", 1, "half a table\n", TRACEBACK, 30.0),
        run_all.summarize("bench_broute_join", 0, "no result line\n", "a warning\n", 3.0),
        run_all.summarize("bench_loop_lag", 0, LAG_OUTPUT, "", 40.0),
    ]
    assert [o.failed for o in outcomes] == [False, True, True, False]
    assert outcomes[1].error == "exit status 1"
    assert outcomes[1].stderr_tail[-1] == "TimeoutError"
    assert len(outcomes[1].stderr_tail) == run_all.TAIL
    about = {
        "date": "2026-11-23 16:00 UTC",
        "cpu": "AMD EPYC",
        "cores": "2",
        "os": "Debian GNU/Linux 12 (bookworm)",
        "python": "3.14.0",
        "home_assistant": "2026.10.4",
    }
    text = "\n".join(run_all.report(outcomes, about, markdown=True))
    assert "AMD EPYC, 2 cores, Debian GNU/Linux 12 (bookworm), Python 3.14.0" in text
    assert "Home Assistant 2026.10.4" in text
    assert "| benchmark | figure | peer | Denki | peer's | ratio |" in text
    assert (
        "| bench_echonet_codec | decode Get_Res, 1 property | pychonet | 0.64 µs | 0.78 µs | 1.22x |"
        in text
    )
    assert "| 316 932 frames/s | 290 771 frames/s | 1.09x |" in text
    assert "| bench_dr_response | FAILED: exit status 1 |" in text
    assert "| bench_broute_join | FAILED: no RESULT line in the output |" in text
    assert (
        "| bench_loop_lag | event-loop lag, max | target 20 ms | 7.87 ms | 20 ms | 2.54x |" in text
    )
    assert "| bench_loop_lag | event-loop lag, p50 | - | 0.14 ms | - | - |" in text
    assert "bench_dr_response FAILED (exit status 1); last lines of its stderr:\n    " in text
    plain = run_all.table(outcomes, markdown=False)
    assert plain[0].split() == ["benchmark", "figure", "peer", "Denki", "peer's", "ratio"]
    assert len(plain) == 2 + 2 + 1 + 1 + 2  # header, rule, 2 + FAILED + FAILED + 2 rows


def test_the_machine_is_described() -> None:
    about = run_all.machine()
    assert set(about) == {"date", "cpu", "cores", "os", "python", "home_assistant"}
    assert about["python"].startswith("3.")
    assert about["home_assistant"][:4].isdigit()


def test_run_all_runs_a_bench_in_its_own_process_and_prints_the_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    arguments = [
        "--only",
        "bench_echonet_codec",
        "--quick",
        "--markdown",
        "--outputs",
        str(tmp_path),
    ]
    assert run_all.main(arguments) == 0
    kept = (tmp_path / "bench_echonet_codec.out").read_text(encoding="utf-8")
    assert kept.startswith("ECHONET Lite codec, best of 5 x 2000 operations")
    out = capsys.readouterr().out
    assert "| benchmark | figure | peer | Denki | peer's | ratio |" in out
    rows = [line for line in out.splitlines() if line.startswith("| bench_echonet_codec |")]
    assert len(rows) == 3
    assert all(line.endswith("x |") and "pychonet" in line for line in rows)
