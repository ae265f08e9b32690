"""The machine's floor for `bench.bench_loop_lag`: a bare asyncio loop's lag, in a process of its own.

It imports nothing but the standard library, says "ready" once its loop
runs, then sleeps PERIOD again and again for the seconds asked and prints
how late each wake-up was, in ms, as one JSON object: {"lags": [...],
"but_gc": [...], "running": [...]}: each lag; the same less the garbage
collector's pauses within it (the same accounting as the bench's,
`Collections`); and the part of it the loop's thread was running (`running`).

    .venv/bin/python -m bench.lag_floor SECONDS
"""

import asyncio
import gc
import json
import sys
import threading
import time

PERIOD = 0.010
"""The sampler's sleep, s (bench_loop_lag's)."""


class Collections:
    """The garbage collector's pauses in this process (gc.callbacks).

    Each pause: (start, end, generation, the thread that collected).
    """

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int, int]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            ended = time.perf_counter()
            self.pauses.append((self._started, ended, info["generation"], threading.get_ident()))

    def within(self, start: float, end: float, thread: int | None = None) -> tuple[float, int]:
        """Seconds of collection between `start` and `end`, and the oldest generation collected.

        With `thread`, only the collections that thread ran (and its CPU time holds).
        """
        spent, oldest = 0.0, -1
        for begun, ended, generation, collector in reversed(self.pauses):
            if ended < start:
                break
            if thread is not None and collector != thread:
                continue
            spent += max(0.0, min(ended, end) - max(begun, start))
            oldest = max(oldest, generation)
        return spent, oldest


def running(lag_ms: float, cpu_ms: float, gc_ms: float) -> float:
    """Of a lag, what the loop's thread spent running code, ms (the OS's share taken out).

    `cpu_ms` is the thread's CPU time over the whole sleep and lag: the
    lag's running part is at most that, and at most the lag; the collector's
    pauses that thread ran (`gc_ms`) are taken out too. The rest of the lag
    the thread waited: not run by the operating system, or for the GIL.
    """
    return max(0.0, min(lag_ms, cpu_ms) - gc_ms)


async def floor(seconds: float) -> dict[str, list[float]]:
    """Each wake-up's lateness over `seconds`, less the collector's pauses, and running, ms."""
    lags: list[float] = []
    but_gc: list[float] = []
    ran: list[float] = []
    collections = Collections()
    gc.callbacks.append(collections)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        before, cpu = time.perf_counter(), time.thread_time()
        await asyncio.sleep(PERIOD)
        now, cpu_ms = time.perf_counter(), (time.thread_time() - cpu) * 1000
        lag_ms = (now - before - PERIOD) * 1000
        gc_ms = collections.within(before, now)[0] * 1000
        lags.append(lag_ms)
        but_gc.append(lag_ms - gc_ms)
        ran.append(running(lag_ms, cpu_ms, gc_ms))
    gc.callbacks.remove(collections)
    return {"lags": lags, "but_gc": but_gc, "running": ran}


async def main(seconds: float) -> None:
    """Say ready, sample, print."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdout.write(json.dumps(await floor(seconds)) + "\n")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
