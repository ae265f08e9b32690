"""The B-route benches, short, each in a process of its own as bench.run_all runs them.

Behaviour only (the benches print the figures): the recovery bench's quick
run gives Denki's recovery from each fault within one poll interval, beside
momonga's figure or its stated failure (broute-j11's on the J11 dongle); the
first-reading bench gives one row per dongle profile, "-" where momonga gets
no reading, and the J11 dongle's rows beside broute-j11's.
"""

from pathlib import Path

import pytest

from bench import run_all
from bench.bench_broute_first_reading import J11, J11_PEER, MOMONGA_CANNOT
from bench.bench_broute_recovery import FAULTS, J11_FAULTS, J11_NO_ACK, POLL_INTERVAL


@pytest.mark.timeout(240)
def test_recovery_bench_quick_recovers_within_a_poll_interval(tmp_path: Path) -> None:
    assert "bench_broute_recovery" in run_all.BENCHES
    outcome = run_all.run(
        "bench_broute_recovery", run_all.QUICK["bench_broute_recovery"], 200, tmp_path
    )
    assert not outcome.failed, (outcome.error, outcome.stderr_tail)
    assert outcome.extra["target_met"] is True
    assert outcome.extra["target_s"] == POLL_INTERVAL
    assert [row.metric for row in outcome.rows] == [
        *(f"{fault} -> next reading, bp35c0" for fault in FAULTS),
        *(f"{fault} -> next reading, {J11}" for fault in J11_FAULTS),
    ]
    for row in outcome.rows:
        assert 0 < row.denki < POLL_INTERVAL, row
        if row.peer in {"momonga", J11_PEER}:
            assert row.peer_figure is not None
            assert 0 < row.peer_figure < 90, row
        else:
            assert row.peer in {
                "momonga (no recovery by itself)",
                f"{J11_PEER} (no recovery by itself)",
            }
            assert row.peer_figure is None
    out = (tmp_path / "bench_broute_recovery.out").read_text(encoding="utf-8")
    for profile, faults in (("bp35c0", FAULTS), (J11, J11_FAULTS)):
        lines = [line for line in out.splitlines() if line.startswith(f"| {profile} |")]
        assert len(lines) == len(faults)
        assert all(line.endswith("| yes |") for line in lines)
    assert "Denki within one poll interval (15 s) every time: yes" in out
    # EVENT 21 01 and J11's result 5 are sent again at once: far under a second.
    metrics = {row.metric: row for row in outcome.rows}
    assert outcome.rows[0].denki < 1.0
    assert metrics[f"{J11_NO_ACK} -> next reading, {J11}"].denki < 1.0


@pytest.mark.timeout(120)
def test_first_reading_bench_has_a_row_per_profile(tmp_path: Path) -> None:
    profiles = sorted(MOMONGA_CANNOT)  # Denki only: quick, and momonga's "-" shown
    arguments = [*run_all.QUICK["bench_broute_first_reading"]]
    for profile in profiles:
        arguments += ["--profile", profile]
    outcome = run_all.run("bench_broute_first_reading", arguments, 100, tmp_path)
    assert not outcome.failed, (outcome.error, outcome.stderr_tail)
    assert outcome.extra["profiles"] == profiles
    assert len(outcome.rows) == 2 * len(profiles)
    for row in outcome.rows:
        assert row.peer_figure is None
        assert row.peer == "momonga (no reading)"
        assert 0 < row.denki < 10  # a number (NaN compares False)
    out = (tmp_path / "bench_broute_first_reading.out").read_text(encoding="utf-8")
    for profile in profiles:
        (line,) = [line for line in out.splitlines() if line.startswith(f"| {profile} |")]
        assert line.endswith("| - | - | - | - |")
        assert MOMONGA_CANNOT[profile] in out


@pytest.mark.timeout(120)
def test_first_reading_bench_has_the_j11_rows_beside_broute_j11(tmp_path: Path) -> None:
    arguments = [*run_all.QUICK["bench_broute_first_reading"], "--profile", J11]
    outcome = run_all.run("bench_broute_first_reading", arguments, 100, tmp_path)
    assert not outcome.failed, (outcome.error, outcome.stderr_tail)
    assert outcome.extra["profiles"] == [J11]
    assert [row.metric for row in outcome.rows] == [
        f"port open -> first power, {J11}, after a restart",
        f"port open -> first power, {J11}, first start",
    ]
    for row in outcome.rows:
        assert row.peer == J11_PEER
        assert 0 < row.denki < 15, row
        assert row.peer_figure is not None
        assert 0 < row.peer_figure < 60, row
    out = (tmp_path / "bench_broute_first_reading.out").read_text(encoding="utf-8")
    (line,) = [line for line in out.splitlines() if line.startswith(f"| {J11} |")]
    assert " - " not in line
