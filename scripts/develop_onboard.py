"""Wait for the Home Assistant that scripts/develop started, and onboard it.

Creates the demo owner through Home Assistant's own onboarding API (the
other onboarding steps are already marked done in the config folder), then
checks, logged in as that user, that the Denki integration is loaded. With
--home, it then configures Denki against the simulated home (develop_home.py).
"""

import argparse
import asyncio
import json
import os
from pathlib import Path
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

CLIENT_ID = "http://127.0.0.1/denki-develop"


def request(
    url: str,
    data: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    method: str = "",
    timeout: float = 120,
) -> Any:
    """One JSON request (a form for /auth/token); the decoded answer.

    Also what the end-to-end tests talk to Home Assistant with (tests/e2e/home_api.py).
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if data is not None:
        if url.endswith("/auth/token"):
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    method = method or ("POST" if data is not None else "GET")
    ask = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(ask, timeout=timeout) as answer:  # noqa: S310 - loopback only
        return json.loads(answer.read() or b"null")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_http(base: str, pid: int, log: Path, timeout: float) -> list[dict[str, Any]]:
    """Poll /api/onboarding until Home Assistant answers; fail if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            tail = log.read_text(errors="replace").splitlines()[-30:] if log.exists() else []
            sys.exit("Home Assistant stopped while starting:\n" + "\n".join(tail))
        try:
            steps: list[dict[str, Any]] = request(f"{base}/api/onboarding")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            time.sleep(1)
            continue
        return steps
    sys.exit(f"Home Assistant did not answer on {base} within {timeout:.0f} s")


def main() -> None:
    """Onboard, log in, and check that Denki is loaded."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--language", default="en")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--home", type=Path, help="the simulated home's endpoints: configure Denki against it"
    )
    args = parser.parse_args()
    base = args.url.rstrip("/")

    started = time.monotonic()
    print("==> Waiting for Home Assistant (the first start installs the frontend)")
    steps = _wait_for_http(base, args.pid, args.log, args.timeout)
    print(f"==> Home Assistant answered after {time.monotonic() - started:.0f} s")

    if not all(step["done"] for step in steps):
        print(f"==> Creating the demo owner {args.username!r} through the onboarding API")
        answer = request(
            f"{base}/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": "Denki Demo",
                "username": args.username,
                "password": args.password,
                "language": args.language,
            },
        )
        token = request(
            f"{base}/auth/token",
            {
                "grant_type": "authorization_code",
                "code": answer["auth_code"],
                "client_id": CLIENT_ID,
            },
        )["access_token"]
    else:
        print("==> Onboarding was already done (kept config)")
        flow = request(
            f"{base}/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
        )
        result = request(
            f"{base}/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": args.username, "password": args.password},
        )
        token = request(
            f"{base}/auth/token",
            {"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
        )["access_token"]

    # The integration loads on demand: asking for its config flow handlers and
    # its manifest proves Home Assistant found it in custom_components.
    manifest = request(f"{base}/api/config/config_entries/flow_handlers", token=token)
    if "denki" not in manifest:
        sys.exit("Home Assistant is running but does not list the Denki integration")
    print("==> Denki is listed among the integrations that can be added")

    if args.home is not None:
        # Next to this file; run as a script, its folder is on the path.
        import develop_home  # noqa: PLC0415

        asyncio.run(develop_home.run(base, token, args.home, args.language))


if __name__ == "__main__":
    main()
