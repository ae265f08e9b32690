"""The machine's floor for `bench.bench_loop_lag`: a bare asyncio loop's lag, in a process of its own.

It imports nothing but the standard library, says "ready" once its loop
runs, then sleeps PERIOD again and again for the seconds asked and prints
how late each wake-up was, in ms, as one JSON list.

    .venv/bin/python -m bench.lag_floor SECONDS
"""

import asyncio
import json
import sys
import time

PERIOD = 0.010
"""The sampler's sleep, s (bench_loop_lag's)."""


async def floor(seconds: float) -> list[float]:
    """Each wake-up's lateness over `seconds`, ms."""
    lags: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(PERIOD)
        lags.append((time.perf_counter() - before - PERIOD) * 1000)
    return lags


async def main(seconds: float) -> None:
    """Say ready, sample, print."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    lags = await floor(seconds)
    sys.stdout.write(json.dumps(lags) + "\n")


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
