"""openleadr's OpenADR 2.0b VTN, in process on loopback, for the tests that need a real 2.0b peer."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openleadr import OpenADRServer  # type: ignore[import-untyped]
from openleadr.service.vtn_service import VTNService  # type: ignore[import-untyped]

from tests.net import free_port

VEN_ID = "ven-1"


@dataclass
class Vtn:
    """The VTN and the answers it heard from the VEN."""

    server: Any
    url: str
    opts: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, event_id: str, start: datetime, levels: list[float]) -> None:
        """A SIMPLE event of 30-minute intervals, one per level."""

        def answered(ven_id: str, event_id: str, opt_type: str) -> None:
            self.opts.append((ven_id, event_id, opt_type))

        self.server.add_event(
            ven_id=VEN_ID,
            signal_name="simple",
            signal_type="level",
            intervals=[
                {
                    "dtstart": start + n * timedelta(minutes=30),
                    "duration": timedelta(minutes=30),
                    "signal_payload": level,
                }
                for n, level in enumerate(levels)
            ],
            callback=answered,
            event_id=event_id,
            market_context="oadr://kanto-dr",
        )


@asynccontextmanager
async def openleadr_vtn() -> AsyncIterator[Vtn]:
    """The VTN, registering any VEN as VEN_ID and asking to be polled every second."""
    port = free_port()
    server = OpenADRServer(
        vtn_id="KANTO-VTN",
        http_port=port,
        http_host="127.0.0.1",
        requested_poll_freq=timedelta(seconds=1),
        show_server_cert_domain=False,
    )
    # openleadr 0.5.36 stores functools.partial as a class attribute, which Python 3.14
    # made a method descriptor (peers.md): wrapped so the server can call it.
    if not isinstance(VTNService.__dict__["_create_message"], staticmethod):
        VTNService._create_message = staticmethod(VTNService._create_message)

    async def register(info: dict[str, Any]) -> tuple[str, str]:
        return VEN_ID, "reg-1"

    server.add_handler("on_create_party_registration", register)
    await server.run()
    try:
        yield Vtn(server, f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b")
    finally:
        await server.stop()
