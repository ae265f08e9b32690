"""Run every benchmark, each in a process of its own, and print one summary table.

    .venv/bin/python -m bench.run_all [--only NAME] [--quick] [--markdown] [--loop-minutes M]
                                      [--outputs DIR] [--timeout S]

(or `bench/run_all`, the same from any directory). Each bench in BENCHES
runs as `python -m bench.<name>`, one after the other; its output is
captured and its last line, `RESULT {json}` (bench.result), gives the
figures. The table has one row per headline figure: the benchmark, what
is measured, the peer (a library, a baseline, or a target), Denki's figure,
the peer's, and the ratio, above 1 when Denki does better (peer / Denki
when lower is better, Denki / peer when higher is). Above it: the date and
the machine (CPU, cores, OS, Python, Home Assistant).

A bench that fails (non-zero exit, or no RESULT line) shows FAILED in its
row with the last lines of its stderr below the table; the others still
run, and run_all exits 1 at the end.

`--quick` gives each bench its short options (QUICK): fewer rounds, a
shorter radio delay, half a minute of loop lag (with Denki, then as long
without it: the control); the figures are then only a rough look.
`--markdown` prints the table as Markdown, for the README. The loop-lag
rows include its control: the peer "Home Assistant without Denki, same
run" holds the figure without Denki, so that the two figures' difference
is Denki's share.
"""

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
import os
from pathlib import Path
import platform
import subprocess
import sys
import time

from bench.result import Row, parse

ROOT = Path(__file__).resolve().parent.parent
BENCHES = (
    "bench_broute_backfill",
    "bench_broute_first_reading",
    "bench_broute_join",
    "bench_broute_recovery",
    "bench_dr_response",
    "bench_dr_uplink",
    "bench_echonet_codec",
    "bench_echonet_poll",
    "bench_loop_lag",
    "bench_season",
)
QUICK: dict[str, list[str]] = {
    "bench_broute_backfill": ["--radio-delay", "0.01"],
    "bench_broute_first_reading": ["--time-scale", "0.1", "--radio-delay", "0.05"],
    "bench_broute_join": ["--rounds", "1"],
    "bench_broute_recovery": ["--quick"],
    "bench_dr_response": ["--runs", "3"],
    "bench_echonet_codec": ["--quick"],
    "bench_loop_lag": ["--minutes", "0.5"],
    "bench_season": ["--days", "3"],
}
"""Each bench's short options under --quick (a bench not named has none)."""
TAIL = 8
"""Lines of a failed bench's stderr shown."""


@dataclass
class Outcome:
    """One bench's run: its rows, or why it has none."""

    name: str
    seconds: float
    rows: list[Row] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    error: str | None = None
    """Why it failed (exit status, or no RESULT line), None when it did not."""
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether the bench failed."""
        return self.error is not None


def summarize(name: str, returncode: int, stdout: str, stderr: str, seconds: float) -> Outcome:
    """What one bench's captured run gives."""
    tail = [line for line in stderr.splitlines() if line.strip()][-TAIL:]
    if returncode != 0:
        return Outcome(name, seconds, error=f"exit status {returncode}", stderr_tail=tail)
    try:
        rows, extra = parse(stdout)
    except ValueError as err:
        return Outcome(name, seconds, error=str(err), stderr_tail=tail)
    return Outcome(name, seconds, rows, extra)


def run(
    name: str, arguments: Sequence[str], timeout: float, outputs: Path | None = None
) -> Outcome:
    """Run `bench.<name>` in a process of its own and summarize it.

    With `outputs`, its stdout and stderr are kept there as NAME.out and NAME.err.
    """
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode() if isinstance(err.stderr, bytes) else (err.stderr or "")
        tail = [line for line in stderr.splitlines() if line.strip()][-TAIL:]
        seconds = time.perf_counter() - started
        return Outcome(name, seconds, error=f"timed out after {timeout:g} s", stderr_tail=tail)
    if outputs is not None:
        outputs.mkdir(parents=True, exist_ok=True)
        (outputs / f"{name}.out").write_text(done.stdout, encoding="utf-8")
        (outputs / f"{name}.err").write_text(done.stderr, encoding="utf-8")
    return summarize(name, done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def _first(path: str, key: str, separator: str) -> str | None:
    """The value of the first `key` line of a `key<separator>value` file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        name, found, value = line.partition(separator)
        if found and name.strip() == key:
            return value.strip().strip('"')
    return None


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    try:
        home_assistant = metadata.version("homeassistant")
    except metadata.PackageNotFoundError:
        home_assistant = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _first("/proc/cpuinfo", "model name", ":") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "os": _first("/etc/os-release", "PRETTY_NAME", "=") or platform.platform(),
        "python": platform.python_version(),
        "home_assistant": home_assistant,
    }


def figure(value: float | None, unit: str) -> str:
    """A figure with its unit, to three significant digits or so."""
    if value is None:
        return "-"
    if abs(value) >= 1000 or float(value).is_integer():
        text = f"{value:,.0f}".replace(",", " ")
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def times(ratio: float | None) -> str:
    """A ratio, as "1.23x"."""
    if ratio is None:
        return "-"
    return f"{ratio:.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def table(outcomes: Sequence[Outcome], *, markdown: bool) -> list[str]:
    """The summary table's lines."""
    header = ("benchmark", "figure", "peer", "Denki", "peer's", "ratio")
    body: list[tuple[str, ...]] = []
    for outcome in outcomes:
        if outcome.failed:
            body.append((outcome.name, f"FAILED: {outcome.error}", "", "", "", ""))
            continue
        for row in outcome.rows:
            ratio = row.ratio
            body.append(
                (
                    outcome.name,
                    row.metric,
                    row.peer,
                    figure(row.denki, row.unit),
                    figure(row.peer_figure, row.unit),
                    times(ratio),
                )
            )
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return lines
    widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
    right = {3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), line(["-" * width for width in widths]), *map(line, body)]


def report(outcomes: Sequence[Outcome], about: dict[str, str], *, markdown: bool) -> list[str]:
    """The whole summary: header, table, failures."""
    lines = [
        f"Denki benchmarks, {about['date']}",
        (
            f"machine: {about['cpu']}, {about['cores']} cores, {about['os']},"
            f" Python {about['python']}, Home Assistant {about['home_assistant']}"
        ),
        (
            "ratio: above 1, Denki does better (peer / Denki when lower is better,"
            " Denki / peer when higher is)"
        ),
        "",
        *table(outcomes, markdown=markdown),
    ]
    times = ", ".join(f"{o.name.removeprefix('bench_')} {o.seconds:.0f} s" for o in outcomes)
    lines += ["", f"run times: {times}"]
    for outcome in outcomes:
        if outcome.failed:
            lines += ["", f"{outcome.name} FAILED ({outcome.error}); last lines of its stderr:"]
            lines += [f"    {line}" for line in outcome.stderr_tail] or ["    (nothing)"]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benches asked for and print the summary; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", action="append", choices=BENCHES, metavar="NAME", help="this bench (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="each bench's short options")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    parser.add_argument(
        "--loop-minutes",
        type=float,
        help="bench_loop_lag's --minutes, each of its two windows (default: its own)",
    )
    parser.add_argument(
        "--outputs", type=Path, help="keep each bench's stdout and stderr in this folder"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds a bench may take (3600)"
    )
    args = parser.parse_args(argv)
    about = machine()
    outcomes = []
    for name in args.only or BENCHES:
        arguments = list(QUICK.get(name, [])) if args.quick else []
        if name == "bench_loop_lag" and args.loop_minutes is not None:
            arguments = ["--minutes", f"{args.loop_minutes:g}"]
        sys.stderr.write(f"{name} {' '.join(arguments)}... ")
        sys.stderr.flush()
        outcome = run(name, arguments, args.timeout, args.outputs)
        sys.stderr.write(f"{'FAILED' if outcome.failed else 'done'} in {outcome.seconds:.0f} s\n")
        outcomes.append(outcome)
    sys.stdout.write("\n".join(report(outcomes, about, markdown=args.markdown)) + "\n")
    return 1 if any(outcome.failed for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
