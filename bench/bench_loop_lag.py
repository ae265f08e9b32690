"""Event-loop lag of Home Assistant with Denki loaded, under a home's load, during a DR event.

The target: Home Assistant's event loop is never held more than 20 ms, and
Denki adds under 5 ms to its worst case.
One process runs a real Home Assistant (the test harness's,
`async_test_home_assistant`, as in bench.bench_dr_response) with three
Denki entries and the recorder (SQLite, in the run's temporary config
folder, at its defaults); the home they talk to runs in a second process
(bench.lag_home), so that the loop measured carries Home Assistant and
Denki only. The load:

- an appliances entry on 50 ECHONET Lite devices (`--devices`), one node
  each on 127.0.13.x (real UDP on loopback, found by Denki's multicast
  discovery): 10 each of air conditioners, EcoCute water heaters, storage
  batteries, lights and PV. Every object is polled every 10 s (the
  entry's poll interval set to its minimum, FAST_POLL_SECONDS; the default
  is 60 s, with instantaneous values every 10 s), about 5 Gets a second, and
  the devices' measured values move every second, so polls bring state
  changes;
- a smart meter entry on the simulated Wi-SUN dongle (a real
  pseudo-terminal), read every 15 s (the integration's METER_POLL_SECONDS);
  its statistics back-fill waits for the recorder's first hourly rows,
  which a fresh database does not have yet, so it reads no history here;
- an MQTT aggregator entry on an amqtt broker, whose plan holds every air
  conditioner, water heater, battery and light (40 appliances), and a DR
  event (SIMPLE 2) that the aggregator publishes as the measurement starts
  and that stays active past its end: the curtailment of the 40 appliances
  falls inside the measured window.

The measurement starts once every entry is loaded and every object polled
once (Home Assistant's start and the entries' setup are left out): a
sampler task sleeps 10 ms again and again and records how late it wakes
(max, p99, p50, in ms); the lateness is how long something else held the
loop. A watchdog thread looks at the sampler's heartbeat every 2 ms and,
from the moment the loop is 10 ms past its due time until it comes back,
takes the loop thread's stack every 2 ms: the longest holds are printed
with where their samples found the loop (the innermost Denki frame).
The garbage collector's pauses are timed too (gc.callbacks): a collection
of generation 2 walks the whole heap, Home Assistant's included, and holds
the loop while it does, so the figures are also given with those pauses
taken out. And since on a busy machine the worst wake-ups are mostly the
operating system not running the process at all, they are given a third
time as "code running only": of each lag, the part the loop's thread spent
running code, by its CPU time (time.thread_time over the sleep and the
lag, at most the lag), the collector's pauses out: what is left is the
code's own holding of the loop, whatever the machine's other processes
did. An upper bound: the thread's CPU time counts the kernel's work in its
system calls (a datagram sent on loopback is delivered in the sender's
call), and, on a virtual machine without steal-time accounting, time the
host took. The run lasts `--minutes` (10 by default; 0.5 for a quick look) per
window.

The control: in the same run, once the window with Denki is over and that
Home Assistant stopped, a second Home Assistant WITHOUT Denki is measured
for as long, by the same harness, recorder, sampler, watchdog and
garbage-collector accounting (`--no-control` leaves it out). Its load is
the part of Denki's window that is Home Assistant's own work: as many plain
sensor entities (SensorEntity, power, W, measurement, like Denki's) as
Denki had entities with a state, and the state changes Denki's entities
made, replayed at the same moments (to 1 ms) and in the same bursts (the
changes of one loop callback written in one callback), so the recorder
writes as many rows. Not simply an idle Home Assistant: Denki's share would
then include the state machine's and the recorder's cost of any entity's
state change, which every integration with that many changing entities
pays; with the replay, what is left (with Denki minus without) is what
Denki's own code adds: the UDP and serial I/O, the codecs, the
coordinators, the entities' properties, the aggregator's DR work. The
simulated home's process keeps running through both windows, so the
machine carries the same other processes. The garbage collector runs a
full collection (gc.collect) just before each window, so both start from a
collected heap.

Side by side, over each window: the same sampler (and accounting) alone in
a bare asyncio loop, in a process of its own (bench.lag_floor). It runs
nothing else, so
its lag is the machine's floor: how late the operating system runs a
process that asks to wake in 10 ms (other processes, a virtual machine's
steal). A stall the watchdog finds waiting in select is the same kind: the
loop had nothing to run, the process was not run; the stalls found running
code are Home Assistant's and Denki's own (or the loop waiting for the GIL,
held by another thread of the process: the recorder's, an executor's).

A diagnostic mode, `--slow-callbacks [MS]` (5 ms when no figure is given),
names what holds the loop, in both windows: every callback the loop runs
is timed by the loop thread's CPU time (`Iterations`), and each iteration
of the loop (one pass over the ready callbacks: the sampler cannot wake
before it ends, so forty short callbacks hold the loop like one long one)
whose callbacks ran MS or more is printed with its callbacks by name (a
task's step by its coroutine and the innermost Denki coroutine it awaits,
a handle by the function it calls); the watchdog's threshold is lowered to
MS. With `--asyncio-debug` too, asyncio's own debug mode is on
(loop.set_debug(True), loop.slow_callback_duration at MS) and its reports
of slow callbacks are printed: wall-clock, so on a busy machine the OS's
preemption is blamed on whatever callback ran, and debug mode costs time
of its own (a stack taken at every call_soon). The lag figures of a
diagnostic run are not comparable with a plain run's.

    .venv/bin/python -m bench.bench_loop_lag [--minutes M] [--devices N] [--no-control]
                                             [--slow-callbacks [MS] [--asyncio-debug]]
"""

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
import functools
import gc
import json
import logging
import os
from pathlib import Path
import re
import statistics
import sys
import tempfile
import threading
import time
from types import FrameType
from typing import Any
from unittest.mock import patch

import aiomqtt
from homeassistant import loader
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import EVENT_STATE_CHANGED, UnitOfPower
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
    setup_test_component_platform,
)

from bench.lag_floor import PERIOD, Collections, running
from bench.result import Row, emit
from custom_components.denki import lan as denki_lan
from custom_components.denki.appliances import hub as appliances
from custom_components.denki.const import (
    CONF_BATTERIES,
    CONF_CLIMATES,
    CONF_DEVICE,
    CONF_KIND,
    CONF_LIGHTS,
    CONF_PAN,
    CONF_PASSWORD,
    CONF_POLL_SECONDS,
    CONF_RBID,
    CONF_WATER_HEATERS,
    DOMAIN,
    FAST_POLL_SECONDS,
    METER_POLL_SECONDS,
    EntryKind,
)
from custom_components.denki.lib.echonet import RetryPolicy
from tests.aggregator.conftest import TOPICS, mqtt_entry, mqtt_event
from tests.appliances.conftest import Lan, appliances_entry
from tests.net import free_port

TARGET_MS = 20.0
"""The bound on the loop's lag, ms."""
SHARE_TARGET_MS = 5.0
"""The bound on Denki's share of the worst case (with Denki minus without), ms."""
WATCH = 0.010
"""How late the loop must be before the watchdog takes its stack, s."""
SETUP_WAIT = 120.0
"""How long the set-up may take before the run fails, s."""
BURST = 0.001
"""State changes closer than this (s) were written by one callback: they are replayed in one."""
SLOW_CALLBACK = "Executing %s took %.3f seconds"
"""asyncio's debug-mode report of a slow callback (base_events._run_once)."""
ROOT = Path(__file__).resolve().parent.parent
DENKI = "custom_components/denki/"
"""How a Denki frame's file name reads."""
WITH_DENKI = "Home Assistant with Denki"
WITHOUT_DENKI = "Home Assistant without Denki"
BARE = "bare asyncio loop"
CONTROL_PEER = "Home Assistant without Denki, same run"


def percentile(lags: list[float], share: float) -> float:
    """The lag at `share` (0..1) of the sorted samples (1: the longest), ms."""
    ordered = sorted(lags)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def over(lags: list[float]) -> int:
    """Samples later than the target."""
    return sum(lag > TARGET_MS for lag in lags)


type Place = tuple[str, int, str]
"""A frame of a stack the watchdog took: file, line, function."""


@dataclass
class Stall:
    """A late wake-up of the sampler, and where the loop was while it was late."""

    lag_ms: float
    stacks: list[list[Place]]
    """The watchdog's samples of the loop thread's stack while it was late, outermost first."""
    gc_ms: float = 0.0
    """Of the lag, the garbage collector's pauses, ms."""
    generation: int = -1
    """The oldest generation the collector went through (-1: none)."""
    running_ms: float = 0.0
    """Of the lag, the loop thread's running code (its CPU time, collections out), ms."""

    @property
    def places(self) -> Counter[str]:
        """Where the samples found the loop (the innermost Denki frame, and the innermost)."""
        return _places(self.stacks)

    @property
    def where(self) -> list[str]:
        """The places, most seen first, as "seen/samples place"."""
        samples = sum(self.places.values())
        return [f"{count}/{samples} {place}" for place, count in self.places.most_common(4)]


@dataclass
class Window:
    """One measured window: one Home Assistant's lag, and the bare loop's over the same time."""

    label: str
    seconds: float
    lags_ms: list[float] = field(default_factory=list)
    but_gc_ms: list[float] = field(default_factory=list)
    """Each lag less the garbage collector's pauses within it, ms."""
    full_collections: list[float] = field(default_factory=list)
    """The garbage collector's pauses through generation 2 (the whole heap), ms."""
    floor_ms: list[float] = field(default_factory=list)
    """The bare loop's lags in another process over the same window, ms: the machine's floor."""
    floor_but_gc_ms: list[float] = field(default_factory=list)
    """The same less the bare loop's own collector's pauses, ms."""
    running_ms: list[float] = field(default_factory=list)
    """Of each lag, what the loop's thread spent running code, its collections out, ms."""
    floor_running_ms: list[float] = field(default_factory=list)
    """The same of the bare loop, ms."""
    stalls: list[Stall] = field(default_factory=list)
    cpu_seconds: float = 0.0
    changes: list[tuple[float, str]] = field(default_factory=list)
    """The state changes in the window: (seconds since it began, entity id)."""
    iterations: list[SlowIteration] = field(default_factory=list)
    """--slow-callbacks: the loop's iterations whose callbacks ran longer than asked."""
    slow: dict[str, list[float]] = field(default_factory=dict)
    """--asyncio-debug: asyncio's reports, by callback: how long each held the loop, ms."""


@dataclass(frozen=True)
class Diagnosis:
    """What the diagnostic mode (--slow-callbacks) watches."""

    slow_ms: float = 5.0
    """An iteration of the loop whose callbacks ran (CPU time) this long or more is kept, ms."""
    asyncio_debug: bool = False
    """Also asyncio's debug mode, its slow-callback reports (wall-clock) over slow_ms."""


@dataclass
class SlowIteration:
    """One iteration of the loop (one pass over its ready callbacks) that ran long."""

    cpu_ms: float
    """The loop thread's CPU time in the iteration's callbacks, ms."""
    wall_ms: float
    """The same callbacks' wall-clock time (the OS's preemption included), ms."""
    callbacks: int
    by_name: dict[str, float]
    """CPU time by callback name, ms."""


@dataclass
class Results:
    """What one run measured."""

    seconds: float
    devices: int
    denki: Window
    control: Window | None = None
    denki_entities: int = 0
    """Denki's entities with a state: the control's plain sensors."""
    replayed: int = 0
    """Of Denki's window's state changes, those of Denki's entities: the control's load."""
    device_requests: int = 0
    meter_requests: int = 0
    objects_polled: int = 0
    curtailed: int = 0
    event_active: bool = False
    setup_seconds: float = 0.0
    diagnosis: Diagnosis | None = None


class Watchdog(threading.Thread):
    """Samples the loop thread's stack while the sampler's heartbeat is overdue."""

    def __init__(self, loop_thread: int, watch: float = WATCH) -> None:
        super().__init__(name="loop-lag-watchdog", daemon=True)
        self._loop_thread = loop_thread
        self._watch = watch
        self.beat = time.perf_counter()
        self.stacks: dict[float, list[list[Place]]] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.002):
            beat = self.beat
            if time.perf_counter() - beat < PERIOD + self._watch:
                continue
            frame = sys._current_frames().get(self._loop_thread)  # noqa: SLF001
            if frame is not None and beat == self.beat:
                self.stacks.setdefault(beat, []).append(_walk(frame))


def _walk(frame: FrameType | None) -> list[Place]:
    """A frame's stack, outermost first; no source line read (the loop waits on our GIL)."""
    places: list[Place] = []
    while frame is not None:
        places.append((frame.f_code.co_filename, frame.f_lineno or 0, frame.f_code.co_name))
        frame = frame.f_back
    places.reverse()
    return places


class SlowCallbacks(logging.Handler):
    """asyncio's debug-mode reports of callbacks that held the loop, kept by callback."""

    def __init__(self, held: dict[str, list[float]]) -> None:
        super().__init__(logging.WARNING)
        self._held = held
        self._logger = logging.getLogger("asyncio")
        self._propagate = self._logger.propagate

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg != SLOW_CALLBACK or not isinstance(record.args, tuple):
            return
        what, seconds = record.args
        if isinstance(seconds, int | float):
            self._held.setdefault(callback_name(str(what)), []).append(seconds * 1000)

    def start(self, loop: asyncio.AbstractEventLoop, slow_ms: float) -> None:
        """Debug mode on, reports of callbacks longer than `slow_ms` kept here (not logged)."""
        self._logger.addHandler(self)
        self._logger.propagate = False
        loop.set_debug(True)
        loop.slow_callback_duration = slow_ms / 1000

    def stop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Debug mode off, asyncio's logger as it was."""
        loop.set_debug(False)
        loop.slow_callback_duration = 0.1
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate


class Iterations:
    """Times every callback the loop runs (the loop thread's CPU time) and keeps slow iterations.

    An iteration is one pass of the loop over its ready callbacks (_run_once):
    the sampler cannot wake before it ends, so a pass of many short
    callbacks holds the loop as long as one long callback. Each callback is
    timed by wrapping asyncio.Handle._run; a pass whose callbacks took
    `slow_ms` of CPU or more is kept with its callbacks by name. CPU time, not
    wall-clock: on a busy machine the OS's preemption would otherwise be
    blamed on whichever callback was running.
    """

    def __init__(self, kept: list[SlowIteration], slow_ms: float) -> None:
        self._kept = kept
        self._slow = slow_ms / 1000
        self._ran: list[tuple[float, float, asyncio.Handle]] = []
        self._run = asyncio.Handle._run  # noqa: SLF001
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Time the callbacks of `loop` from now on."""
        original = self._run
        ran = self._ran

        def timed(handle: asyncio.Handle) -> None:
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                original(handle)
            finally:
                ran.append((time.thread_time() - cpu, time.perf_counter() - wall, handle))

        run_once = loop._run_once  # type: ignore[attr-defined]  # noqa: SLF001

        def iteration() -> None:
            ran.clear()
            run_once()
            spent = sum(cpu for cpu, _, _ in ran)
            if spent >= self._slow:
                by_name: dict[str, float] = {}
                for cpu, _, handle in ran:
                    name = handle_name(handle)
                    by_name[name] = by_name.get(name, 0.0) + cpu * 1000
                wall = sum(seconds for _, seconds, _ in ran)
                self._kept.append(SlowIteration(spent * 1000, wall * 1000, len(ran), by_name))
            ran.clear()

        asyncio.Handle._run = timed  # type: ignore[method-assign,assignment]  # noqa: SLF001
        loop._run_once = iteration  # type: ignore[attr-defined]  # noqa: SLF001
        self._loop = loop

    def stop(self) -> None:
        """The loop as it was."""
        asyncio.Handle._run = self._run  # type: ignore[method-assign]  # noqa: SLF001
        if self._loop is not None:
            del self._loop._run_once  # type: ignore[attr-defined]  # noqa: SLF001
        self._ran.clear()


def _code_label(function: Any) -> str:
    """A function's qualified name and the file it is written in."""
    while isinstance(function, functools.partial):
        function = function.func
    name = getattr(function, "__qualname__", type(function).__qualname__)
    code = getattr(getattr(function, "__func__", function), "__code__", None)
    return f"{name} ({_shorten(code.co_filename)})" if code is not None else name


def handle_name(handle: asyncio.Handle) -> str:
    """What a callback ran: a task's step by its coroutines, else the function called.

    A task's step is named by the task's coroutine and, when the task waits
    in Denki's code, the innermost Denki coroutine of its await chain
    ("task outer > denki-coroutine"): the step ran from the one towards
    the other.
    """
    function = getattr(handle, "_callback", None)
    task = getattr(function, "__self__", None)
    if not isinstance(task, asyncio.Task):
        return "(cancelled)" if function is None else _code_label(function)
    coroutine: Any = task.get_coro()
    outer = f"task {_coroutine_label(coroutine)}"
    ours = None
    while coroutine is not None and hasattr(coroutine, "cr_code"):
        if DENKI in coroutine.cr_code.co_filename:
            ours = coroutine
        coroutine = coroutine.cr_await
    if ours is None or ours is task.get_coro():
        return outer
    return f"{outer} > {_coroutine_label(ours)}"


def _coroutine_label(coroutine: Any) -> str:
    code = getattr(coroutine, "cr_code", None)
    if code is None:
        return type(coroutine).__qualname__
    return f"{code.co_qualname} ({_shorten(code.co_filename)})"


def _shorten(path: str) -> str:
    path = re.sub(r"^.*/(site-packages|python3\.\d+)/", "", path)
    return path.removeprefix(str(ROOT) + "/")


def callback_name(what: str) -> str:
    """A slow callback's name, from asyncio's repr of it: what ran, and where it was written.

    A task's step counts by its coroutine (where it stopped is left out:
    each step of a coroutine counts as the coroutine); a handle by the
    function it called and where that is defined; addresses, arguments and
    times are left out, so that one callback's reports add up.
    """
    task = re.search(r"coro=<(\S+?)\(\) (?:running|done, defined) at ([^>]+?)(?::\d+)?>", what)
    if task:
        return f"task {task.group(1)} ({_shorten(task.group(2))})"
    handle = re.search(r"<(?:Timer)?Handle (?:cancelled )?(?:when=\S+ )?([\w.<>]+)\(", what)
    place = re.search(r"\) at (\S+?)(?::\d+)?(?: created at|>)", what)
    if handle:
        return f"{handle.group(1)} ({_shorten(place.group(1)) if place else '?'})"
    return re.sub(r"0x[0-9a-f]+", "0x…", what)[:160]


def _short(frame: Place) -> str:
    filename, line, name = frame
    return f"{_shorten(filename)}:{line} {name}"


def _places(stacks: list[list[Place]]) -> Counter[str]:
    """Where the loop was in a stall's samples: the innermost Denki frame of each.

    A sample with no Denki frame counts by its innermost frame; one whose
    innermost frame is not Denki's by both ("denki-frame > innermost"); one
    waiting in select as "select (waiting for I/O)".
    """
    places: Counter[str] = Counter()
    for stack in stacks:
        if not stack:
            continue
        if stack[-1][2] in {"select", "poll", "epoll"}:
            places["select (waiting for I/O)"] += 1
            continue
        ours = [f for f in stack if DENKI in f[0]]
        place = _short(stack[-1])
        if ours and ours[-1] is not stack[-1]:
            place = f"{_short(ours[-1])} > {place}"
        places[place] += 1
    return places


def waiting(stall: Stall) -> bool:
    """Whether every sample of the stall found the loop waiting in select, not running code."""
    return list(stall.places) == ["select (waiting for I/O)"]


async def sample(
    window: Window, watchdog: Watchdog, collections: Collections, stop: asyncio.Event
) -> None:
    """Sleep PERIOD again and again; record how late each wake-up is."""
    thread = threading.get_ident()
    while not stop.is_set():
        before = watchdog.beat = time.perf_counter()
        cpu = time.thread_time()
        await asyncio.sleep(PERIOD)
        now, cpu_ms = time.perf_counter(), (time.thread_time() - cpu) * 1000
        lag_ms = (now - before - PERIOD) * 1000
        window.lags_ms.append(lag_ms)
        gc_seconds, generation = collections.within(before, now)
        window.but_gc_ms.append(lag_ms - gc_seconds * 1000)
        ours_ms = collections.within(before, now, thread)[0] * 1000
        ran_ms = running(lag_ms, cpu_ms, ours_ms)
        window.running_ms.append(ran_ms)
        stacks = watchdog.stacks.pop(before, None)
        if stacks or lag_ms > TARGET_MS or ran_ms > WATCH * 1000:
            stall = Stall(lag_ms, stacks or [], gc_seconds * 1000, generation, ran_ms)
            window.stalls.append(stall)


async def start_floor(seconds: float) -> Any:
    """The bare loop's sampler (bench.lag_floor) in a process of its own, once it samples."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.lag_floor",
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    async with asyncio.timeout(60):
        await process.stdout.readline()  # "ready"
    return process


async def observe(
    hass: HomeAssistant,
    window: Window,
    during: Callable[[float], Awaitable[None]],
    diagnosis: Diagnosis | None,
) -> None:
    """Sample the loop (and the bare loop, in its own process) while `during` runs.

    `during` is given the window's start (time.perf_counter()) and returns at its end.
    """
    gc.collect()
    bare = await start_floor(window.seconds)
    watch = WATCH if diagnosis is None else diagnosis.slow_ms / 1000
    watchdog = Watchdog(threading.get_ident(), watch)
    watchdog.start()
    stop = asyncio.Event()
    collections = Collections()
    started = time.perf_counter()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        window.changes.append((time.perf_counter() - started, event.data["entity_id"]))

    unlisten = hass.bus.async_listen(EVENT_STATE_CHANGED, changed)
    loop = asyncio.get_running_loop()
    slow = SlowCallbacks(window.slow) if diagnosis and diagnosis.asyncio_debug else None
    iterations = Iterations(window.iterations, diagnosis.slow_ms) if diagnosis else None
    gc.callbacks.append(collections)
    sampler = asyncio.create_task(sample(window, watchdog, collections, stop))
    cpu = time.process_time()
    started = time.perf_counter()
    if diagnosis is not None:
        if slow is not None:
            slow.start(loop, diagnosis.slow_ms)
        if iterations is not None:
            iterations.start(loop)
    try:
        await during(started)
    finally:
        if iterations is not None:
            iterations.stop()
        if slow is not None:
            slow.stop(loop)
        stop.set()
        await sampler
        gc.callbacks.remove(collections)
        unlisten()
        watchdog.stopping.set()
        watchdog.join()
    window.cpu_seconds = time.process_time() - cpu
    window.full_collections = [
        (end - begun) * 1000
        for begun, end, generation, _ in collections.pauses
        if generation == 2 and begun >= started
    ]
    out, _ = await bare.communicate()
    floor = json.loads(out)
    window.floor_ms, window.floor_but_gc_ms = floor["lags"], floor["but_gc"]
    window.floor_running_ms = floor["running"]
    window.seconds = time.perf_counter() - started


async def until(predicate: Callable[[], bool], seconds: float = SETUP_WAIT) -> None:
    """Wait until `predicate` holds (set-up only; nothing measured)."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - what is awaited signals nothing
            await asyncio.sleep(0.1)


async def start_home(devices: int, port: int, broker_port: int) -> tuple[Any, dict[str, Any]]:
    """The simulated home's process, and what it says once everything listens."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.lag_home",
        "--devices",
        str(devices),
        "--port",
        str(port),
        "--broker-port",
        str(broker_port),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    async with asyncio.timeout(SETUP_WAIT):
        line = await process.stdout.readline()
    if not line:
        raise RuntimeError("the simulated home did not start")
    return process, json.loads(line)


async def stop_home(process: Any) -> dict[str, Any]:
    """Close the home's stdin; what it says it received."""
    process.stdin.close()
    async with asyncio.timeout(30):
        line = await process.stdout.readline()
        await process.wait()
    return json.loads(line) if line else {}


def _plan(registry: er.EntityRegistry) -> dict[str, list[str]]:
    """Every air conditioner, water heater, battery and light of the home."""

    def ids(domain: str, suffix: str) -> list[str]:
        return sorted(
            e.entity_id
            for e in registry.entities.values()
            if e.platform == DOMAIN and e.domain == domain and e.unique_id.endswith(suffix)
        )

    return {
        CONF_CLIMATES: ids("climate", "-climate"),
        CONF_WATER_HEATERS: ids("water_heater", "026b01-water_heater"),
        CONF_BATTERIES: ids("select", "027d01-da"),
        CONF_LIGHTS: ids("light", "-light"),
    }


def _meter_entry(home: dict[str, Any]) -> MockConfigEntry:
    """A meter entry on the home's dongle, its PAN known (a restart, no scan)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Smart meter (B-route)",
        data={
            CONF_KIND: EntryKind.METER,
            CONF_DEVICE: home["pty"],
            CONF_RBID: home["rbid"],
            CONF_PASSWORD: home["password"],
            CONF_PAN: home["pan"],
        },
        unique_id="FE00001653494D30303030303030303031",
    )


def home_objects(hub: Any) -> list[Any]:
    """The coordinators of the home's own devices (bench.lag_home's 127.0.13.x).

    Discovery is multicast, and a fresh-clone CI run found one more node
    (192.0.2.2, a controller object, of unexplained origin): it is not waited
    for, and not counted as one of the home's.
    """
    return [c for c in hub.coordinators.values() if c.node.address.startswith("127.0.13.")]


async def _set_up(
    hass: HomeAssistant, lan: Lan, broker_port: int, devices: int, home: dict[str, Any]
) -> Any:
    """The three entries loaded, every object polled once; the aggregator entry."""
    entry = appliances_entry(lan, **{CONF_POLL_SECONDS: FAST_POLL_SECONDS})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hub = entry.runtime_data

    def ours() -> list[Any]:
        return home_objects(hub)

    await until(lambda: len(ours()) >= devices)
    try:
        await until(lambda: all(c.data for c in ours()))
    except TimeoutError:
        silent = [f"{c.node.address} {c.key}" for c in ours() if not c.data]
        raise RuntimeError(f"objects never polled: {silent}") from None
    meter = _meter_entry(home)
    meter.add_to_hass(hass)
    assert await hass.config_entries.async_setup(meter.entry_id)
    plan = _plan(er.async_get(hass))
    aggregator = mqtt_entry(broker_port, **plan)
    aggregator.add_to_hass(hass)
    assert await hass.config_entries.async_setup(aggregator.entry_id)
    await until(lambda: aggregator.runtime_data.source.connected)
    await hass.async_block_till_done()
    return entry, aggregator


async def start_recorder(hass: HomeAssistant, config_dir: str) -> None:
    """The recorder on SQLite in `config_dir`, at its defaults, connected."""
    database = f"sqlite:///{config_dir}/home-assistant_v2.db"
    recorder_helper.async_initialize_recorder(hass)
    assert await async_setup_component(hass, "recorder", {"recorder": {"db_url": database}})
    await hass.data[recorder_helper.DATA_RECORDER].db_connected


async def measure(
    minutes: float,
    devices: int = 50,
    *,
    control: bool = True,
    diagnosis: Diagnosis | None = None,
) -> Results:
    """Load the home, sample the loop with a DR event in force, then the control without Denki."""
    port, broker_port = free_port(), free_port()
    process, home = await start_home(devices, port, broker_port)
    seconds = minutes * 60
    results = Results(seconds, devices, Window(WITH_DENKI, seconds), diagnosis=diagnosis)
    ours: set[str] = set()
    try:
        with (
            tempfile.TemporaryDirectory() as config_dir,
            patch.multiple(
                denki_lan,
                LISTEN_PORT=port,
                MULTICAST_LOOP=True,
                RETRY=RetryPolicy(timeout=1.0, max_timeout=4.0),
            ),
            patch.object(appliances, "DISCOVERY_WINDOW", 2.0),
        ):
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/denki
                lan = Lan(port)
                try:
                    started = time.perf_counter()
                    await start_recorder(hass, config_dir)
                    entry, aggregator = await _set_up(hass, lan, broker_port, devices, home)
                    results.setup_seconds = time.perf_counter() - started
                    await _run(hass, broker_port, aggregator, results)
                    results.objects_polled = sum(
                        1 for c in home_objects(entry.runtime_data) if c.data
                    )
                    ours |= {
                        e.entity_id
                        for e in er.async_get(hass).entities.values()
                        if e.platform == DOMAIN
                    }
                    results.denki_entities = sum(
                        1 for state in hass.states.async_all() if state.entity_id in ours
                    )
                finally:
                    for loaded in hass.config_entries.async_entries():
                        await hass.config_entries.async_unload(loaded.entry_id)
                    await hass.async_block_till_done()
                    await hass.async_stop(force=True)
        if control:
            changes = [(at, entity) for at, entity in results.denki.changes if entity in ours]
            results.replayed = len(changes)
            results.control = await measure_control(
                results.denki.seconds, results.denki_entities, changes, diagnosis
            )
    finally:
        received = await stop_home(process)
    results.device_requests = int(received.get("device_requests", 0))
    results.meter_requests = int(received.get("meter_requests", 0))
    return results


async def _run(
    hass: HomeAssistant, broker_port: int, aggregator: MockConfigEntry, results: Results
) -> None:
    """Publish the event and sample the loop for the run's length."""
    hub = aggregator.runtime_data
    window = results.denki

    async def dr_event(started: float) -> None:
        async with aiomqtt.Client("127.0.0.1", broker_port, identifier="aggregator") as client:
            start = dt_util.utcnow() - timedelta(seconds=1)
            length = timedelta(seconds=window.seconds + 600)  # in force past the end
            message = mqtt_event("loop-lag", start, length, {"SIMPLE": [2]})
            await client.publish(TOPICS.events, message, qos=1)
            await asyncio.sleep(max(0.0, window.seconds - (time.perf_counter() - started)))

    await observe(hass, window, dr_event, results.diagnosis)
    response = hub.response
    results.event_active = response is not None and "loop-lag" in response.events
    results.curtailed = len(response.steps) if response is not None else 0


class PlainSensor(SensorEntity):
    """The control's entity: a plain power sensor, written when the replay says."""

    _attr_should_poll = False
    _attr_device_class = SensorDeviceClass.POWER
    _attr_native_unit_of_measurement = UnitOfPower.WATT
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, index: int) -> None:
        self._attr_name = f"Lag control {index}"
        self._attr_unique_id = f"lag-control-{index}"
        self._value = 0
        self._attr_native_value = self._value

    @callback
    def step(self) -> None:
        """A new value, written."""
        self._value += 1
        self._attr_native_value = self._value
        self.async_write_ha_state()


def bursts(changes: list[tuple[float, str]]) -> list[tuple[float, list[str]]]:
    """The state changes grouped by the callback that made them: (when, entity ids)."""
    grouped: list[tuple[float, list[str]]] = []
    for at, entity in sorted(changes):
        if grouped and at - grouped[-1][0] < BURST:
            grouped[-1][1].append(entity)
        else:
            grouped.append((at, [entity]))
    return grouped


async def measure_control(
    seconds: float,
    entities: int,
    changes: list[tuple[float, str]],
    diagnosis: Diagnosis | None,
) -> Window:
    """Home Assistant without Denki: the recorder, `entities` plain sensors, `changes` replayed."""
    window = Window(WITHOUT_DENKI, seconds)
    sensors = [PlainSensor(index) for index in range(max(1, entities))]
    ids = sorted({entity for _, entity in changes})
    sensor_of = {entity: sensors[index % len(sensors)] for index, entity in enumerate(ids)}
    schedule = [(at, [sensor_of[entity] for entity in batch]) for at, batch in bursts(changes)]
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            try:
                await start_recorder(hass, config_dir)
                setup_test_component_platform(hass, "sensor", sensors)
                assert await async_setup_component(hass, "sensor", {"sensor": {"platform": "test"}})
                await hass.async_block_till_done()

                async def replay(started: float) -> None:
                    loop = asyncio.get_running_loop()
                    origin = loop.time() - (time.perf_counter() - started)

                    def write(batch: list[PlainSensor]) -> None:
                        for sensor in batch:
                            sensor.step()

                    handles = [loop.call_at(origin + at, write, batch) for at, batch in schedule]
                    await asyncio.sleep(max(0.0, seconds - (time.perf_counter() - started)))
                    for handle in handles:
                        handle.cancel()

                await observe(hass, window, replay, diagnosis)
            finally:
                await hass.async_block_till_done()
                await hass.async_stop(force=True)
    return window


@dataclass(frozen=True)
class Figures:
    """The lag figures of one column, ms."""

    max: float
    p99: float
    p50: float
    max_but_gc: float
    p99_but_gc: float
    p50_but_gc: float
    max_running: float
    p99_running: float
    p50_running: float

    @classmethod
    def of(cls, lags: list[float], but_gc: list[float], ran: list[float]) -> Figures:
        """The figures of `lags`, less the collector's pauses, and of their running part."""
        return cls(
            *(
                percentile(values, share)
                for values in (lags, but_gc, ran)
                for share in (1.0, 0.99, 0.5)  # max, p99, p50
            )
        )


FIGURES = (
    ("max", "max"),
    ("p99", "p99"),
    ("p50", "p50"),
    ("max, GC pauses taken out", "max_but_gc"),
    ("p99, GC pauses taken out", "p99_but_gc"),
    ("p50, GC pauses taken out", "p50_but_gc"),
    ("max, code running only", "max_running"),
    ("p99, code running only", "p99_running"),
    ("p50, code running only", "p50_running"),
)
"""The control table's rows: label, Figures attribute."""


def _describe(results: Results) -> None:
    window = results.denki
    print(
        f"{window.seconds / 60:.1f} min a window; {results.devices} ECHONET Lite devices polled"
        f" every {FAST_POLL_SECONDS} s, meter every {METER_POLL_SECONDS} s, DR event in force"
        f" ({results.curtailed} appliances curtailed); sampler every {PERIOD * 1000:.0f} ms"
    )
    print(
        f"load: {results.device_requests} ECHONET Lite requests at the devices"
        f" ({results.device_requests / window.seconds:.1f}/s, set-up included),"
        f" {results.meter_requests} at the meter; Home Assistant's process used"
        f" {window.cpu_seconds / window.seconds:.1%} of a core; load average"
        f" {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(f"set-up before the measurement (not measured): {results.setup_seconds:.1f} s")
    control = results.control
    if control is not None:
        print(
            f"control, {WITHOUT_DENKI} (the same recorder, sampler and accounting, right after):"
            f" {results.denki_entities} plain sensors, {results.replayed} state changes of"
            f" Denki's entities replayed at the same moments (it saw {len(control.changes)});"
            f" its process used {control.cpu_seconds / control.seconds:.1%} of a core"
        )
    diagnosis = results.diagnosis
    if diagnosis is not None:
        print(
            f"diagnostic run: every callback timed, loop iterations over {diagnosis.slow_ms:g} ms"
            " of CPU kept"
            + (", asyncio debug mode on" if diagnosis.asyncio_debug else "")
            + "; its lags are not comparable with a plain run's"
        )


def _samples_table(results: Results) -> None:
    print()
    print("| loop | samples | p50 | p99 | max | over 20 ms |")
    print("|---|---|---|---|---|---|")
    windows = [w for w in (results.denki, results.control) if w is not None]
    lines: list[tuple[str, list[float]]] = []
    for window in windows:
        lines.append((window.label, window.lags_ms))
        lines.append((f"{window.label}, garbage collector's pauses taken out", window.but_gc_ms))
        lines.append((f"{window.label}, code running only", window.running_ms))
        lines.append((f"{BARE}, another process, same window as {window.label}", window.floor_ms))
    for label, values in lines:
        print(
            f"| {label} | {len(values)} | {percentile(values, 0.5):.2f} ms"
            f" | {percentile(values, 0.99):.2f} ms | {max(values):.2f} ms | {over(values)} |"
        )


def _control_table(
    bare: Figures, denki: Figures, control: Figures | None
) -> dict[str, float] | None:
    """Print the table with the control column; Denki's share by figure (None without control)."""
    print()
    if control is None:
        print(f"(no control run: {WITHOUT_DENKI} not measured, --no-control)")
        return None
    print(f"| lag | {BARE} | {WITHOUT_DENKI} | {WITH_DENKI} | Denki's share (with - without) |")
    print("|---|---|---|---|---|")
    share: dict[str, float] = {}
    for label, name in FIGURES:
        values = [getattr(figures, name) for figures in (bare, control, denki)]
        share[name] = values[2] - values[1]
        print(
            f"| {label} | {values[0]:.2f} ms | {values[1]:.2f} ms | {values[2]:.2f} ms"
            f" | {share[name]:+.2f} ms |"
        )
    print(
        f"({BARE}: both windows' samples together; code running only: of each lag, the part the"
        " loop's thread was running code, by its CPU time, the collector's pauses out: what is"
        " left once the OS's not running the process, and the GIL's waits, are taken out)"
    )
    return share


def _stalls(window: Window, watch_ms: float) -> list[Stall]:
    """Print the window's longest holds; the stalls over the target."""
    late = [stall for stall in window.stalls if stall.lag_ms > TARGET_MS]
    collected = [stall for stall in late if stall.gc_ms > stall.lag_ms / 2]
    waited = [stall for stall in late if waiting(stall) and stall not in collected]
    full = window.full_collections
    print(
        f"{window.label}: full garbage collections (generation 2): {len(full)}"
        + (f", {min(full):.0f}-{max(full):.0f} ms each" if full else "")
        + f"; wake-ups later than {TARGET_MS:g} ms: {len(late)}; {len(collected)} mostly the"
        f" garbage collector's pause, {len(waited)} with the loop waiting in select (the"
        " process not run by the OS)"
    )
    worst = sorted(window.stalls, key=lambda stall: stall.lag_ms, reverse=True)[:5]
    busiest = sorted(window.stalls, key=lambda stall: stall.running_ms, reverse=True)[:3]
    worst += [stall for stall in busiest if stall not in worst and stall.running_ms > 1.0]
    if worst:
        print(
            "  the longest holds (and those with the most code running): the code's and the"
            " garbage collector's shares, and where the watchdog's samples (every 2 ms from"
            f" {watch_ms:g} ms late on) found the loop (the innermost Denki frame, else the"
            " innermost):"
        )
        for stall in worst:
            collector = (
                f", {stall.gc_ms:.1f} ms of it collecting generation {stall.generation}"
                if stall.generation >= 0
                else ", no collection"
            )
            print(f"    {stall.lag_ms:.1f} ms, code running {stall.running_ms:.1f} ms{collector}:")
            for where in stall.where or ["(no sample: the watchdog did not get to run)"]:
                print(f"      {where}")
    return late


def _slow_iterations(window: Window, slow_ms: float) -> None:
    """Print the window's slow iterations of the loop and what ran in them."""
    kept = window.iterations
    print()
    print(
        f"{window.label}: {len(kept)} iterations of the loop whose callbacks ran {slow_ms:g} ms"
        " of CPU or more"
    )
    if not kept:
        return
    by_name: dict[str, list[float]] = {}
    for iteration in kept:
        for name, cpu_ms in iteration.by_name.items():
            by_name.setdefault(name, []).append(cpu_ms)
    print("what ran in them, by callback (CPU time; Denki: written in custom_components/denki):")
    print("| callback | in iterations | total | max in one | Denki |")
    print("|---|---|---|---|---|")
    ranked = sorted(by_name.items(), key=lambda item: sum(item[1]), reverse=True)
    for name, spent in ranked[:15]:
        ours = "yes" if DENKI.rstrip("/") in name else ""
        print(f"| {name} | {len(spent)} | {sum(spent):.1f} ms | {max(spent):.1f} ms | {ours} |")
    print("the longest iterations:")
    for iteration in sorted(kept, key=lambda kept: kept.cpu_ms, reverse=True)[:5]:
        print(
            f"  {iteration.cpu_ms:.1f} ms CPU ({iteration.wall_ms:.1f} ms wall-clock),"
            f" {iteration.callbacks} callbacks:"
        )
        top = sorted(iteration.by_name.items(), key=lambda item: item[1], reverse=True)
        for name, cpu_ms in top[:8]:
            print(f"    {cpu_ms:.2f} ms {name}")


def _slow_callbacks(window: Window, slow_ms: float) -> None:
    """Print asyncio's slow callbacks of the window (debug mode)."""
    held = sorted(window.slow.items(), key=lambda item: sum(item[1]), reverse=True)
    print()
    print(
        f"{window.label}: callbacks that held the loop over {slow_ms:g} ms"
        " (asyncio debug mode, wall-clock)"
    )
    print("| callback | times | total | max | Denki |")
    print("|---|---|---|---|---|")
    for name, durations in held[:15]:
        ours = "yes" if DENKI.rstrip("/") in name else ""
        print(
            f"| {name} | {len(durations)} | {sum(durations):.0f} ms | {max(durations):.1f} ms"
            f" | {ours} |"
        )
    if not held:
        print("| (none) | | | | |")


def _watchdog_places(window: Window, slow_ms: float) -> None:
    """Print where the watchdog found the loop over all the window's stalls."""
    places: Counter[str] = Counter()
    for stall in window.stalls:
        places.update(stall.places)
    if places:
        total = sum(places.values())
        print(
            f"where the watchdog found the loop, {slow_ms:g} ms late or more ({total} samples;"
            " the innermost Denki frame, else the innermost):"
        )
        for place, count in places.most_common(12):
            print(f"  {count} {place}")


def report(results: Results) -> None:
    """Print the figures, the worst stalls, and the RESULT line."""
    window, control = results.denki, results.control
    lags = window.lags_ms
    _describe(results)
    _samples_table(results)
    bare_lags = window.floor_ms + (control.floor_ms if control else [])
    bare_but_gc = window.floor_but_gc_ms + (control.floor_but_gc_ms if control else [])
    bare_running = window.floor_running_ms + (control.floor_running_ms if control else [])
    bare = Figures.of(bare_lags, bare_but_gc, bare_running)
    denki = Figures.of(lags, window.but_gc_ms, window.running_ms)
    without = (
        Figures.of(control.lags_ms, control.but_gc_ms, control.running_ms) if control else None
    )
    share = _control_table(bare, denki, without)
    worst_ms = denki.max
    met = worst_ms < TARGET_MS
    print()
    print(f"target: max lag < {TARGET_MS:g} ms: {'met' if met else 'MISSED'}")
    if share is not None:
        print(
            f"target: Denki's share of the max lag < {SHARE_TARGET_MS:g} ms:"
            f" {'met' if share['max'] < SHARE_TARGET_MS else 'MISSED'}"
            f" ({share['max']:+.2f} ms; GC pauses taken out {share['max_but_gc']:+.2f} ms;"
            f" code running only {share['max_running']:+.2f} ms)"
        )
    diagnosis = results.diagnosis
    watch_ms = WATCH * 1000 if diagnosis is None else diagnosis.slow_ms
    late = _stalls(window, watch_ms)
    if control is not None:
        _stalls(control, watch_ms)
    if diagnosis is not None:
        for measured in (window, control):
            if measured is not None:
                _slow_iterations(measured, diagnosis.slow_ms)
                if diagnosis.asyncio_debug:
                    _slow_callbacks(measured, diagnosis.slow_ms)
                _watchdog_places(measured, diagnosis.slow_ms)
    collected = [stall for stall in late if stall.gc_ms > stall.lag_ms / 2]
    waited = [stall for stall in late if waiting(stall) and stall not in collected]
    full = window.full_collections
    bare_peer = "bare asyncio loop, same window"
    target = f"target {TARGET_MS:g} ms"
    rows = [
        Row("event-loop lag, max", target, worst_ms, TARGET_MS, "ms"),
        Row("event-loop lag, max", bare_peer, worst_ms, bare.max, "ms"),
        Row("event-loop lag, max, GC pauses taken out", target, denki.max_but_gc, TARGET_MS, "ms"),
        Row("event-loop lag, p99", bare_peer, denki.p99, bare.p99, "ms"),
        Row("event-loop lag, p50", bare_peer, denki.p50, bare.p50, "ms"),
    ]
    if without is not None:
        rows += [
            Row(
                f"event-loop lag, {label}",
                CONTROL_PEER,
                getattr(denki, name),
                getattr(without, name),
                "ms",
            )
            for label, name in FIGURES
            if name in {"max", "p99", "p50", "max_but_gc", "max_running"}
        ]
    extra: dict[str, object] = {}
    if share is not None and control is not None:
        extra = {
            "denki_share_ms": {name: round(value, 3) for name, value in share.items()},
            "share_target_met": share["max"] < SHARE_TARGET_MS,
            "control_samples": len(control.lags_ms),
            "control_entities": results.denki_entities,
            "control_changes": len(control.changes),
            "replayed_changes": results.replayed,
        }
    if diagnosis is not None:
        extra["slow_callback_ms"] = diagnosis.slow_ms
        extra["slow_iterations"] = len(window.iterations)
    emit(
        "bench_loop_lag",
        rows,
        minutes=round(window.seconds / 60, 2),
        devices=results.devices,
        samples=len(lags),
        over_target=over(lags),
        target_met=met,
        late=len(late),
        full_collections=len(full),
        full_collection_max_ms=round(max(full, default=0.0), 1),
        late_in_gc=len(collected),
        late_waiting=len(waited),
        event_active=results.event_active,
        curtailed=results.curtailed,
        objects_polled=results.objects_polled,
        device_requests=results.device_requests,
        meter_requests=results.meter_requests,
        cpu_share=round(window.cpu_seconds / window.seconds, 4),
        setup_seconds=round(results.setup_seconds, 1),
        mean_ms=round(statistics.fmean(lags), 3),
        state_changes=len(window.changes),
        **extra,
    )


def main() -> None:
    """Run and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="each window's length")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help="leave out the control window (Home Assistant without Denki)",
    )
    parser.add_argument(
        "--slow-callbacks",
        type=float,
        nargs="?",
        const=5.0,
        metavar="MS",
        help="diagnostic: name the callbacks of loop iterations running MS (5) or more",
    )
    parser.add_argument(
        "--asyncio-debug",
        action="store_true",
        help="with --slow-callbacks: also asyncio's debug mode and its slow-callback reports",
    )
    args = parser.parse_args()
    if args.asyncio_debug and args.slow_callbacks is None:
        parser.error("--asyncio-debug goes with --slow-callbacks")
    diagnosis = None
    if args.slow_callbacks is not None:
        diagnosis = Diagnosis(args.slow_callbacks, args.asyncio_debug)
    os.chdir(ROOT)
    report(
        asyncio.run(measure(args.minutes, args.devices, control=args.control, diagnosis=diagnosis))
    )


if __name__ == "__main__":
    main()
