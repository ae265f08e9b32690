"""Fault drills: the shared fixtures, and what every drill measures and prints.

A drill breaks one thing in a simulated home (the dongle, the meter's radio,
an appliance, the aggregator's broker, Home Assistant itself), mends it, and
checks four things: nothing crashed (no ERROR record with a traceback), the
fault was logged once when it started and once when it ended, the entities
were unavailable exactly while the source was, and nothing was lost after.

Each drill ends with a one-line figure (`DRILL <name>: ...`). It is printed
with the test's output and kept as a user property, so that under xdist too
the controller gathers the lines into a "fault drills" section at the end of
the run (`pytest_terminal_summary`).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging

from freezegun import freeze_time
from freezegun.api import TickingDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest

from tests.aggregator.conftest import aggregator, broker_port  # noqa: F401 - fixtures
from tests.appliances.conftest import lan, loaded  # noqa: F401 - fixtures
from tests.meter.conftest import home, meter_entry  # noqa: F401 - fixtures

DENKI = "custom_components.denki"
"""The integration's loggers: this one and every logger under it."""
FIGURES: list[str] = []
"""The figure lines of the drills run in this process (or, under xdist, the workers')."""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Gather the figures from the reports (the controller's copies under xdist)."""
    if report.when == "call":
        FIGURES.extend(str(value) for name, value in report.user_properties if name == "drill")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print every drill's figure once, after the run."""
    if not FIGURES:
        return
    terminalreporter.section("fault drills")
    for line in sorted(FIGURES):
        terminalreporter.write_line(line)


@pytest.fixture
def clock() -> Iterator[TickingDateTimeFactory]:
    """Home Assistant's clock: moved by the drill, and ticking in real time between moves.

    The harness's `freezer` stops time, and with it the event loop's: a request
    that waits for a silent meter or node would never time out. This clock
    runs, so timeouts, back-offs and reconnections take their real time.
    """
    with freeze_time(dt_util.utcnow(), tick=True) as frozen:
        yield frozen  # type: ignore[misc]


type Figure = Callable[[str], None]
"""Prints a drill's one-line figure and keeps it for the run's summary."""


def advance(clock: TickingDateTimeFactory, delta: timedelta) -> None:
    """Move the clock forward by `delta` from now (`tick` would drop the time that ticked).

    Every timer that falls due on the way (a coordinator's poll, a report) runs
    at the next turn of the event loop, as after a real wait.
    """
    clock.move_to(dt_util.utcnow() + delta)


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figure:
    """Print a drill's one-line figure and keep it for the run's summary."""

    def report(line: str) -> None:
        print(line)  # noqa: T201 - the figure is the drill's output
        request.node.user_properties.append(("drill", line))

    return report


class LogLineCountError(AssertionError):
    """A fault was logged other than once when it started and once when it ended."""


def _denki(record: logging.LogRecord) -> bool:
    return record.name == DENKI or record.name.startswith(f"{DENKI}.")


@dataclass
class DrillLog:
    """The log of one drill, cut into phases at marks."""

    caplog: pytest.LogCaptureFixture
    marks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Capture the integration's INFO lines too (only its: at INFO, SQLAlchemy echoes SQL)."""
        self.caplog.set_level(logging.INFO, logger=DENKI)

    def mark(self, name: str) -> None:
        """Start the phase `name` here."""
        self.marks[name] = len(self.caplog.records)

    def lines(self, start: str, end: str | None, level: int) -> list[str]:
        """The integration's lines at `level` or above from mark `start` to mark `end`."""
        records = self.caplog.records[self.marks[start] : self.marks[end] if end else None]
        return [
            f"{r.levelname} {r.getMessage()}" for r in records if _denki(r) and r.levelno >= level
        ]

    def crashes(self) -> list[str]:
        """ERROR records with a traceback: the integration's, or an unhandled task's."""
        return [
            f"{r.name}: {r.getMessage()}"
            for r in self.caplog.records
            if r.levelno >= logging.ERROR
            and r.exc_info is not None
            and (_denki(r) or r.name in {"asyncio", "homeassistant"})
        ]

    def check_once_each_way(self, start: list[str], recover: list[str]) -> None:
        """One line when the fault started, one when it ended (raised apart, for xfail)."""
        if len(start) != 1 or len(recover) != 1:
            raise LogLineCountError(f"start {start!r}, recover {recover!r}")


@pytest.fixture
def drill_log(caplog: pytest.LogCaptureFixture) -> DrillLog:
    """The drill's log, at INFO."""
    return DrillLog(caplog)


@dataclass
class Availability:
    """Every state change of some entities, on Home Assistant's (frozen) clock."""

    changes: dict[str, list[tuple[datetime, str]]]

    def windows(self, entity_id: str) -> list[tuple[datetime, datetime | None]]:
        """When the entity was unavailable: (from, until), until None if it still is."""
        windows: list[tuple[datetime, datetime | None]] = []
        since: datetime | None = None
        for at, state in self.changes[entity_id]:
            if state == STATE_UNAVAILABLE and since is None:
                since = at
            elif state != STATE_UNAVAILABLE and since is not None:
                windows.append((since, at))
                since = None
        if since is not None:
            windows.append((since, None))
        return windows


SLACK = timedelta(seconds=5)
"""How long after the fault (or the mend) its effect may show: real time passes between."""


def one_window(
    windows: list[tuple[datetime, datetime | None]], fault: datetime, mended: datetime
) -> bool:
    """Whether the entity was unavailable once: from the fault to the mend, within SLACK."""
    if len(windows) != 1:
        return False
    since, until = windows[0]
    return (
        until is not None and fault <= since <= fault + SLACK and mended <= until <= mended + SLACK
    )


def watch(hass: HomeAssistant, entity_ids: Iterable[str]) -> Availability:
    """Start recording the states of `entity_ids` (the current one first)."""
    ids = list(entity_ids)
    seen = Availability({entity_id: [] for entity_id in ids})
    for entity_id in ids:
        if (state := hass.states.get(entity_id)) is not None:
            seen.changes[entity_id].append((dt_util.utcnow(), state.state))

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        state = STATE_UNAVAILABLE if new is None else new.state
        seen.changes[event.data["entity_id"]].append((dt_util.utcnow(), state))

    async_track_state_change_event(hass, ids, _changed)
    return seen
