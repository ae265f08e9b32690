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
    env = {
        **os.environ,
        "DENKI_PORT": str(port),
        "DENKI_DEVELOP_DIR": str(folder),
        "DENKI_LANGUAGE": "ja",
        "DENKI_BROKER_PORT": str(broker),
        "DENKI_VTN_PORT": str(vtn),
        "DENKI_CONTROL_PORT": str(control),
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
        )
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
