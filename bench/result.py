"""The machine-readable last line of every bench, for `bench.run_all`.

Each bench ends its output with one line `RESULT {json}`: the bench's name
and its headline figures, one row per comparison, after its own
human-readable tables. A row holds Denki's figure, the peer's (None when
there is none) and which way is better, so that a reader can compute the
ratio the same way for every bench: above 1, Denki does better.
"""

from dataclasses import asdict, dataclass
import json
import sys
from typing import Literal

PREFIX = "RESULT "


@dataclass(frozen=True)
class Row:
    """One headline figure of a bench, Denki's and the peer's."""

    metric: str
    """What is measured, e.g. "decode Get_Res, 1 property"."""
    peer: str
    """Who Denki is compared with (a library, a baseline, a target)."""
    denki: float
    peer_figure: float | None
    unit: str
    better: Literal["lower", "higher"] = "lower"

    @property
    def ratio(self) -> float | None:
        """How many times better Denki does than the peer (above 1: Denki does better)."""
        if self.peer_figure is None or not self.denki or not self.peer_figure:
            return None
        if self.better == "lower":
            return self.peer_figure / self.denki
        return self.denki / self.peer_figure


def emit(bench: str, rows: list[Row], **extra: object) -> None:
    """Print the RESULT line of `bench` (the bench's last line)."""
    line = json.dumps({"bench": bench, "rows": [asdict(row) for row in rows], **extra})
    sys.stdout.write(PREFIX + line + "\n")
    sys.stdout.flush()


def parse(output: str) -> tuple[list[Row], dict[str, object]]:
    """The rows of the last RESULT line in `output`, and its other keys; ValueError without one."""
    for line in reversed(output.splitlines()):
        if line.startswith(PREFIX):
            data = json.loads(line.removeprefix(PREFIX))
            rows = [Row(**row) for row in data.pop("rows")]
            return rows, data
    raise ValueError("no RESULT line in the output")
