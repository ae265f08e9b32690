"""Talk to the Home Assistant process and the simulated home that scripts/develop started.

Home Assistant's own REST and WebSocket APIs (as its frontend uses them), the
simulated home's control API, and ECHONET Lite Gets straight to the simulated
devices, so that a test reads what a device holds and not what Home
Assistant believes it holds.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
import socket
from typing import Any

import aiohttp

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    Frame,
    Property,
    decode_frame,
    encode_frame,
)
from scripts.develop_onboard import request

__all__ = ["DevelopHome", "echonet_get", "login", "request", "until", "ws"]

CLIENT_ID = "http://127.0.0.1/denki-e2e"
CONTROLLER = EOJ(0x05, 0xFF, 0x01)


@dataclass
class DevelopHome:
    """What scripts/develop printed and where it keeps its files."""

    base: str
    username: str
    password: str
    control: str
    folder: Path
    output: list[str]
    clock_offset: int = 0
    """Seconds the home's clocks (simulators and Home Assistant) run ahead of this one's."""

    def now(self) -> datetime:
        """The time on the home's clocks."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def real(self, moment: datetime) -> datetime:
        """A moment on the home's clocks, on this process's clock."""
        return moment - timedelta(seconds=self.clock_offset)

    @property
    def log(self) -> Path:
        """Home Assistant's log file."""
        return self.folder / "home-assistant.log"


def login(base: str, username: str, password: str) -> str:
    """Log in through Home Assistant's login flow, as the login page does; an access token."""
    flow = request(
        f"{base}/auth/login_flow",
        {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
    )
    result = request(
        f"{base}/auth/login_flow/{flow['flow_id']}",
        {"client_id": CLIENT_ID, "username": username, "password": password},
    )
    assert result["type"] == "create_entry", result
    token: str = request(
        f"{base}/auth/token",
        {"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
    )["access_token"]
    return token


async def ws(base: str, token: str, *commands: dict[str, Any]) -> list[Any]:
    """Run WebSocket commands in turn; their results (a failed one raises)."""
    results: list[Any] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/api/websocket") as socket_,
    ):
        await socket_.receive_json()
        await socket_.send_json({"type": "auth", "access_token": token})
        assert (await socket_.receive_json())["type"] == "auth_ok"
        for number, command in enumerate(commands, start=1):
            await socket_.send_json({"id": number, **command})
            while (answer := await socket_.receive_json()).get("id") != number:
                pass
            assert answer["success"], answer
            results.append(answer["result"])
    return results


def echonet_get(address: str, eoj: int, epcs: list[int], port: int = 3610) -> dict[int, bytes]:
    """Ask a simulated device for properties over UDP, from an ephemeral loopback port."""
    frame = Frame(
        tid=0x4E44,
        seoj=CONTROLLER,
        deoj=EOJ.from_int(eoj),
        esv=ESV.GET,
        properties=tuple(Property(epc, b"") for epc in epcs),
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(3)
        udp.sendto(encode_frame(frame), (address, port))
        while True:
            data, sender = udp.recvfrom(2048)
            answer = decode_frame(data)
            if sender[0] == address and answer.tid == frame.tid:
                return {p.epc: p.edt for p in answer.properties}


async def until(check: Any, seconds: float, what: str, interval: float = 1.0) -> Any:
    """Ask `check()` until it answers something true; that answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        if result := await check():
            return result
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        await asyncio.sleep(interval)
