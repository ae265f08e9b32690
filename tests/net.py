"""Network helpers for tests: loopback only."""

import socket
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def amqtt_config(port: int, auth: dict[str, Any] | None = None) -> dict[str, Any]:
    """An amqtt broker's configuration: one TCP listener on 127.0.0.1:`port`, no $SYS topics.

    Anonymous clients are let in unless `auth` says otherwise.
    """
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "sys_interval": 0,
        "auth": auth or {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
        "topic-check": {"enabled": False},
    }
