"""scripts/develop starts a real Home Assistant, onboarded, with Denki listed."""

from collections.abc import Iterator
import json
import os
from pathlib import Path
import signal
import subprocess
import time
from typing import Any
import urllib.parse
import urllib.request

import pytest

from tests.net import free_port

REPO = Path(__file__).parent.parent.parent
CLIENT_ID = "http://127.0.0.1/denki-e2e"
STARTUP_TIMEOUT = 600


def _post(url: str, data: dict[str, Any], *, form: bool = False) -> Any:
    body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _get(url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def develop(tmp_path: Path, socket_enabled: None) -> Iterator[tuple[str, list[str]]]:
    """Run scripts/develop until it prints its banner; stop it with Ctrl+C afterwards.

    The harness blocks sockets in tests; this one talks to a real Home
    Assistant on loopback, so it enables them (pytest-socket's fixture).
    """
    port = free_port()
    env = {
        **os.environ,
        "DENKI_PORT": str(port),
        "DENKI_DEVELOP_DIR": str(tmp_path / "develop"),
        "DENKI_LANGUAGE": "ja",
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
            if "Press Ctrl+C to stop." in line or time.monotonic() > deadline:
                break
        assert any("Press Ctrl+C to stop." in line for line in lines), "\n".join(lines)
        yield f"http://127.0.0.1:{port}", lines
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.e2e
@pytest.mark.timeout(STARTUP_TIMEOUT + 120)
def test_develop_serves_onboarded_home_assistant_with_denki(
    develop: tuple[str, list[str]],
) -> None:
    base, lines = develop
    printed = dict(
        line.strip().split(":", 1)
        for line in lines
        if line.strip().startswith(("User:", "Password:"))
    )
    username, password = printed["User"].strip(), printed["Password"].strip()

    # Onboarding is complete: the browser goes straight to the login page.
    assert all(step["done"] for step in _get(f"{base}/api/onboarding"))

    # The printed user logs in with the printed password.
    flow = _post(
        f"{base}/auth/login_flow",
        {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
    )
    result = _post(
        f"{base}/auth/login_flow/{flow['flow_id']}",
        {"client_id": CLIENT_ID, "username": username, "password": password},
    )
    assert result["type"] == "create_entry"
    token = _post(
        f"{base}/auth/token",
        {"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
        form=True,
    )["access_token"]

    # Denki is among the integrations that can be added, and its menu opens.
    assert "denki" in _get(f"{base}/api/config/config_entries/flow_handlers", token)
    request = urllib.request.Request(
        f"{base}/api/config/config_entries/flow",
        data=json.dumps({"handler": "denki", "show_advanced_options": False}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    # The first flow loads Denki and its requirements: on a machine that has just installed
    # them, that can take longer than any later request.
    with urllib.request.urlopen(request, timeout=120) as answer:
        flow_result = json.loads(answer.read())
    assert flow_result["type"] == "menu"
    assert flow_result["menu_options"] == ["meter", "appliances", "aggregator", "savings"]

    # The core configuration is a Japanese home.
    config = _get(f"{base}/api/config", token)
    assert config["time_zone"] == "Asia/Tokyo"
    assert config["currency"] == "JPY"
    assert config["language"] == "ja"
