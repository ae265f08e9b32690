"""The loop-lag bench, briefly: a few seconds, five devices, in a process of its own.

Behaviour only (`bench.bench_loop_lag` measures the lag itself): the home
loads, the DR event is in force to the end, every device is polled, the
meter is read, the control (Home Assistant without Denki) is measured in
the same run and the table has its column, and the RESULT line holds sane
figures. Neither the 20 ms target nor Denki's 5 ms share is asserted.
"""

import asyncio
from pathlib import Path
import subprocess
import sys

import pytest

from bench import bench_loop_lag as bench
from bench.lag_floor import running
from bench.result import parse

ROOT = Path(__file__).parent.parent


def run_bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench.bench_loop_lag` with five devices for 3 s a window, and `arguments`."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_loop_lag",
            "--minutes",
            "0.05",
            "--devices",
            "5",
            *arguments,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_a_short_run_gives_its_figures_with_the_control() -> None:
    done = run_bench()
    assert "| Home Assistant with Denki |" in done.stdout
    assert "| Home Assistant without Denki |" in done.stdout
    header = (
        "| lag | bare asyncio loop | Home Assistant without Denki | Home Assistant with Denki"
        " | Denki's share (with - without) |"
    )
    assert header in done.stdout
    table = [line for line in done.stdout.splitlines() if line.startswith(("| max", "| p99"))]
    labels = [line.split(" | ")[0].removeprefix("| ") for line in table]
    assert labels[:4] == ["max", "p99", "max, GC pauses taken out", "p99, GC pauses taken out"]
    assert all(line.count(" ms") == 4 for line in table)  # bare, without, with, share
    rows, extra = parse(done.stdout)
    assert extra["bench"] == "bench_loop_lag"
    figures = {(row.metric, row.peer): row for row in rows}
    worst = figures["event-loop lag, max", "target 20 ms"]
    assert worst.peer_figure == 20.0
    bare = "bare asyncio loop, same window"
    p99 = figures["event-loop lag, p99", bare].denki
    p50 = figures["event-loop lag, p50", bare].denki
    assert worst.denki >= p99 >= p50 > -1.0  # ms; a wake-up is never much early
    assert all(row.peer_figure is not None and row.peer_figure > -1.0 for row in rows)
    control = bench.CONTROL_PEER
    without = {metric: figures[metric, control] for metric, peer in figures if peer == control}
    assert set(without) == {
        "event-loop lag, max",
        "event-loop lag, p99",
        "event-loop lag, p50",
        "event-loop lag, max, GC pauses taken out",
        "event-loop lag, max, code running only",
    }
    assert without["event-loop lag, max"].denki == worst.denki  # the same with-Denki figure
    share = extra["denki_share_ms"]
    assert isinstance(share, dict)
    assert set(share) >= {"max", "p99", "p50", "max_but_gc", "p99_but_gc", "p50_but_gc"}
    maximum = without["event-loop lag, max"]
    assert maximum.peer_figure is not None
    assert share["max"] == pytest.approx(maximum.denki - maximum.peer_figure, abs=0.001)
    assert isinstance(extra["share_target_met"], bool)
    assert isinstance(extra["control_samples"], int)
    assert extra["control_samples"] > 50
    assert isinstance(extra["control_entities"], int)
    assert extra["control_entities"] > 5  # a plain sensor for each of Denki's entities
    assert isinstance(extra["replayed_changes"], int)
    assert isinstance(extra["control_changes"], int)
    assert extra["control_changes"] <= extra["replayed_changes"]  # only the replay writes
    assert isinstance(extra["samples"], int)
    assert extra["samples"] > 50  # 3 s of 10 ms sleeps, however busy the machine
    assert extra["objects_polled"] == 5
    assert extra["event_active"] is True  # the event stayed in force to the end
    assert extra["curtailed"] == 4  # the air conditioner, water heater, battery and light
    assert isinstance(extra["device_requests"], int)
    assert extra["device_requests"] >= 5
    assert isinstance(extra["meter_requests"], int)
    assert extra["meter_requests"] >= 1
    assert isinstance(extra["target_met"], bool)


def test_the_diagnostic_mode_names_what_ran_in_the_loop() -> None:
    done = run_bench("--no-control", "--slow-callbacks", "0", "--asyncio-debug")
    assert "| Home Assistant without Denki |" not in done.stdout
    assert "(no control run" in done.stdout
    assert "iterations of the loop whose callbacks ran 0 ms of CPU or more" in done.stdout
    assert "| callback | in iterations | total | max in one | Denki |" in done.stdout
    assert "(asyncio debug mode, wall-clock)" in done.stdout
    named = [line for line in done.stdout.splitlines() if line.startswith("| task ")]
    assert any("yes |" in line for line in named)  # Denki's coroutines are marked Denki's
    rows, extra = parse(done.stdout)
    assert extra["slow_callback_ms"] == 0.0
    assert isinstance(extra["slow_iterations"], int)
    assert extra["slow_iterations"] > 0
    assert "denki_share_ms" not in extra
    assert all(row.peer != bench.CONTROL_PEER for row in rows)


def test_the_control_replays_each_callback_s_changes_in_one() -> None:
    changes = [(0.5, "sensor.b"), (0.1, "sensor.a"), (0.1004, "sensor.c"), (0.2, "sensor.a")]
    assert bench.bursts(changes) == [
        (0.1, ["sensor.a", "sensor.c"]),
        (0.2, ["sensor.a"]),
        (0.5, ["sensor.b"]),
    ]


def test_the_running_part_of_a_lag_leaves_the_waits_and_collections_out() -> None:
    assert running(30.0, 2.0, 0.0) == 2.0  # the OS did not run the process: 28 ms waited
    assert running(4.0, 9.0, 0.0) == 4.0  # the thread ran the whole lag (and before it)
    assert running(4.0, 9.0, 3.0) == 1.0  # 3 ms of it collecting
    assert running(1.0, 0.5, 2.0) == 0.0


def test_figures_and_callback_names() -> None:
    figures = bench.Figures.of([float(n) for n in range(100)], [0.0] * 100, [1.0] * 100)
    assert (figures.max, figures.p99, figures.p50) == (99.0, 99.0, 50.0)
    assert figures.max_but_gc == 0.0
    assert figures.p50_running == 1.0
    task = (
        "<Task pending name='Task-9' coro=<ObjectCoordinator.async_set() running at"
        f" {ROOT}/custom_components/denki/appliances/hub.py:371> wait_for=<Future pending>>"
    )
    assert bench.callback_name(task) == (
        "task ObjectCoordinator.async_set (custom_components/denki/appliances/hub.py)"
    )
    handle = "<Handle _SelectorDatagramTransport._read_ready() at /usr/lib/x.py:1 created at y>"
    assert bench.callback_name(handle) == "_SelectorDatagramTransport._read_ready (/usr/lib/x.py)"

    async def denki_like() -> None:
        await asyncio.sleep(0)

    async def outer() -> str:
        loop = asyncio.get_running_loop()
        task = loop.create_task(denki_like())
        await asyncio.sleep(0)
        return bench.handle_name(asyncio.Handle(task.cancel, (), loop))

    name = asyncio.run(outer())
    assert name.startswith("task test_figures_and_callback_names.<locals>.denki_like (")
