"""scripts/clock: a Python process whose wall clock runs DENKI_CLOCK_OFFSET seconds ahead.

scripts/develop gives it to the simulated home and Home Assistant; the
end-to-end tests use it to end a DR event on the half hour it is scored by.
Checked in a real interpreter started as scripts/develop starts them.
"""

import json
import os
from pathlib import Path
import subprocess
import sys
import time

import pytest

CLOCK = Path(__file__).parent.parent / "scripts" / "clock"
PROBE = """
import json, threading, time
from datetime import UTC, date, datetime, timedelta
import datetime as dt
monotonic = time.monotonic()
errors = []
def nap():
    try:
        time.sleep(0.01)
    except OSError as err:
        errors.append(str(err))
thread = threading.Thread(target=nap)
thread.start()
thread.join()
later = datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(minutes=30)
print(json.dumps({
    "time": time.time(),
    "time_ns": time.time_ns(),
    "now": datetime.now(UTC).timestamp(),
    "utcnow": datetime.utcnow().replace(tzinfo=UTC).timestamp(),
    "today": date.today().isoformat(),
    "monotonic": monotonic,
    "real_classes_pass": isinstance(dt.datetime.fromisoformat("2026-01-01T00:00:00"), datetime)
        and isinstance(later, date) and isinstance(later, datetime),
    "sleep_errors": errors,
}))
"""


def probe(offset: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "DENKI_CLOCK_OFFSET"}
    if offset is not None:
        env |= {"DENKI_CLOCK_OFFSET": offset, "PYTHONPATH": str(CLOCK)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("offset", [-86400 * 3, 420])
def test_the_wall_clock_moves_and_the_monotonic_clock_does_not(offset: int) -> None:
    before = time.time()
    shifted = probe(str(offset))
    after = time.time()
    for key in ("time", "now", "utcnow"):
        value = shifted[key]
        assert isinstance(value, float)
        assert before + offset - 1 <= value <= after + offset + 1, key
    time_ns = shifted["time_ns"]
    assert isinstance(time_ns, int)
    assert before + offset - 1 <= time_ns / 1e9 <= after + offset + 1
    assert shifted["today"] in {
        time.strftime("%Y-%m-%d", time.localtime(moment + offset)) for moment in (before, after)
    }
    monotonic = shifted["monotonic"]
    assert isinstance(monotonic, float)
    assert abs(monotonic - time.monotonic()) < 30  # the same clock, read a moment apart
    assert shifted["real_classes_pass"] is True
    assert shifted["sleep_errors"] == []


def test_without_an_offset_nothing_changes() -> None:
    before = time.time()
    plain = probe(None)
    value = plain["time"]
    assert isinstance(value, float)
    assert before - 1 <= value <= time.time() + 1
    zero = probe("0")
    value = zero["now"]
    assert isinstance(value, float)
    assert before - 1 <= value <= time.time() + 1
