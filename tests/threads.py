"""Running a synchronous peer (momonga) beside the event loop that serves it."""

import asyncio
from collections.abc import Callable
import threading


async def run_in_thread(work: Callable[[], None], *, name: str, within: float = 120.0) -> None:
    """Run `work` in a thread of its own while the loop keeps serving the simulators.

    The thread is always joined before this returns, so no test leaves one behind.
    """
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()

    def target() -> None:
        try:
            work()
        finally:
            loop.call_soon_threadsafe(finished.set)

    thread = threading.Thread(target=target, name=name)
    thread.start()
    try:
        async with asyncio.timeout(within):
            await finished.wait()
    finally:
        thread.join(timeout=30)
