"""One scripts/develop for every end-to-end test: a real Home Assistant and the simulated home.

It starts once for the e2e tests (about a minute) on free ports, with a
Japanese demo user, and is stopped with Ctrl+C (SIGINT to its process group)
as a person would stop it. The harness blocks sockets in tests; the tests
that talk to it ask for pytest-socket's `socket_enabled`.
"""

from collections.abc import Iterator
import os
from pathlib import Path
import signal
import subprocess
import time

import pytest
import pytest_socket

from tests.net import free_port

from .home_api import DevelopHome

REPO = Path(__file__).parent.parent.parent
STARTUP_TIMEOUT = 600
BANNER_END = "Press Ctrl+C to stop."
HALF_HOUR = 1800
LEAD = 6 * 60
"""How long before a half hour the home's clocks read when it starts.

Savings are scored per half hour, so the DR test's event ends on one. The
home starts this far before it: the start (about 70 s), test_develop and the
event's 40 s of notice leave an event of two to three minutes. A slower start
only moves the end to the next half hour.
"""


def clock_offset(now: float) -> int:
    """Seconds to shift the home's clocks so that they read LEAD before a half hour now.

    The smallest such shift, within a quarter of an hour either way.
    """
    ahead = int(HALF_HOUR - LEAD - now % HALF_HOUR) % HALF_HOUR
    return ahead - HALF_HOUR if ahead > HALF_HOUR // 2 else ahead


@pytest.fixture(scope="package")
def develop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevelopHome]:
    """Run scripts/develop until it prints its banner; stop it after the last e2e test.

    Package scope, not session: the home's ECHONET Lite nodes and multicast
    must be gone before the tests after these run.
    """
    folder = tmp_path_factory.mktemp("develop")
    # Free ports are found with a socket, which the harness has blocked by now.
    pytest_socket.enable_socket()
    try:
        port, control, broker, vtn = (free_port() for _ in range(4))
    finally:
        pytest_socket.disable_socket(allow_unix_socket=True)
    offset = clock_offset(time.time())
    env = {
        **os.environ,
        "DENKI_PORT": str(port),
        "DENKI_DEVELOP_DIR": str(folder),
        "DENKI_LANGUAGE": "ja",
        "DENKI_BROKER_PORT": str(broker),
        "DENKI_VTN_PORT": str(vtn),
        "DENKI_CONTROL_PORT": str(control),
        "DENKI_CLOCK_OFFSET": str(offset),
    }
    process = subprocess.Popen(
        ["scripts/develop"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        for line in process.stdout:
            lines.append(line.rstrip())
            if BANNER_END in line or time.monotonic() > deadline:
                break
        assert any(BANNER_END in line for line in lines), "\n".join(lines)
        printed = dict(
            line.strip().split(":", 1)
            for line in lines
            if line.strip().startswith(("User:", "Password:"))
        )
        yield DevelopHome(
            base=f"http://127.0.0.1:{port}",
            username=printed["User"].strip(),
            password=printed["Password"].strip(),
            control=f"http://127.0.0.1:{control}",
            folder=folder,
            output=lines,
            clock_offset=offset,
        )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
