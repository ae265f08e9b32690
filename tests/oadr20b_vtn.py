"""openleadr's OpenADR 2.0b VTN, in process on loopback, for the tests that need a real 2.0b peer.

Plain HTTP, or mutual TLS with signed messages given a `Pki`; the VTN
acknowledges opts (openleadr's own oadrCreateOpt handler is a TODO) and
records every message the VEN sends.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from openleadr import OpenADRServer, hooks, utils  # type: ignore[import-untyped]
from openleadr.service import OptService, VTNService, handler  # type: ignore[import-untyped]

from tests.net import free_port

VEN_ID = "ven-1"
VTN_ID = "KANTO-VTN"


@dataclass
class Pki:
    """PEM files in a directory: a CA, the VTN's server certificate, the VEN's client certificate."""

    ca: str
    vtn_cert: str
    vtn_key: str
    ven_cert: str
    ven_key: str

    @property
    def vtn_fingerprint(self) -> str:
        """The VTN's certificate fingerprint, as OpenADR defines it."""
        return str(utils.certificate_fingerprint(Path(self.vtn_cert).read_text()))

    @property
    def ven_fingerprint(self) -> str:
        """The VEN's certificate fingerprint."""
        return str(utils.certificate_fingerprint(Path(self.ven_cert).read_text()))


@dataclass
class Vtn:
    """openleadr's VTN, and what it heard."""

    server: Any
    url: str
    accept: bool = True
    fingerprint: str | None = None
    """The VEN certificate fingerprint the VTN registers (None: any VEN, over plain HTTP)."""
    opts: list[tuple[str, str, str]] = field(default_factory=list)
    """(ven_id, event_id, opt_type) as the server's event callbacks got them."""
    heard: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def register(self, payload: dict[str, Any]) -> tuple[str, str] | bool:
        """on_create_party_registration: the VEN, or False to refuse it."""
        if not self.accept:
            return False
        if self.fingerprint is not None and payload.get("fingerprint") != self.fingerprint:
            return False
        return VEN_ID, "reg-1"

    async def hear(self, message_type: str, payload: dict[str, Any]) -> None:
        """openleadr's before_handle hook."""
        self.heard.append((message_type, payload))

    def answers(self, event_id: str) -> list[str]:
        """The VEN's oadrCreatedEvent answers to one event, in order."""
        return [
            response["opt_type"]
            for message_type, payload in self.heard
            if message_type == "oadrCreatedEvent"
            for response in payload.get("event_responses") or []
            if response["event_id"] == event_id
        ]

    def add(
        self,
        event_id: str,
        start: datetime,
        levels: list[float],
        signal: tuple[str, str] = ("simple", "level"),
    ) -> None:
        """An event of 30-minute intervals, one per level."""

        def answered(ven_id: str, event_id: str, opt_type: str) -> None:
            self.opts.append((ven_id, event_id, opt_type))

        self.server.add_event(
            ven_id=VEN_ID,
            signal_name=signal[0],
            signal_type=signal[1],
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

    def withdraw(self, event_id: str) -> None:
        """Drop an event from the VTN's list without cancelling it."""
        events = self.server.events[VEN_ID]
        events[:] = [e for e in events if e.event_descriptor.event_id != event_id]
        self.server.events_updated[VEN_ID] = True


class _AcknowledgingOptService(OptService):  # type: ignore[misc]
    @handler("oadrCreateOpt")  # type: ignore[untyped-decorator]
    async def create_opt(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "oadrCreatedOpt", {"opt_id": payload["opt_id"]}


@asynccontextmanager
async def openleadr_vtn(pki: Pki | None = None) -> AsyncIterator[Vtn]:
    """openleadr's VTN on loopback: plain HTTP, or mutual TLS and signed messages with `pki`."""
    port = free_port()
    secure: dict[str, Any] = {}
    if pki is not None:
        secure = {
            "cert": pki.vtn_cert,
            "key": pki.vtn_key,
            "http_cert": pki.vtn_cert,
            "http_key": pki.vtn_key,
            "http_ca_file": pki.ca,
            "ven_lookup": lambda ven_id: (
                {
                    "ven_id": VEN_ID,
                    "ven_name": "denki-home",
                    "fingerprint": pki.ven_fingerprint,
                    "registration_id": "reg-1",
                }
                if ven_id == VEN_ID
                else None
            ),
        }
    server = OpenADRServer(
        vtn_id=VTN_ID,
        http_port=port,
        http_host="127.0.0.1",
        requested_poll_freq=timedelta(seconds=1),
        show_fingerprint=False,
        show_server_cert_domain=False,
        **secure,
    )
    # openleadr 0.5.36's server stores a functools.partial as a class attribute
    # (VTNService._create_message); Python 3.14 made partial a method descriptor, so the
    # server would pass itself as the message type. Wrapped in staticmethod here, in the
    # test (../shared/docs/peers.md); the client is unaffected.
    if not isinstance(VTNService.__dict__["_create_message"], staticmethod):
        VTNService._create_message = staticmethod(VTNService._create_message)
    opt_service = _AcknowledgingOptService(VTN_ID)
    server.services["opt_service"] = opt_service
    server.app.add_routes([web.post(f"{server.http_path_prefix}/EiOpt", opt_service.handler)])
    vtn = Vtn(
        server,
        f"{'https' if pki else 'http'}://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
        fingerprint=pki.ven_fingerprint if pki else None,
    )
    server.add_handler("on_create_party_registration", vtn.register)
    hooks.register("before_handle", vtn.hear)
    await server.run()
    try:
        yield vtn
    finally:
        await server.stop()
        hooks.HOOKS["before_handle"].remove(vtn.hear)
        if "ven_lookup" in VTNService.__dict__:  # a class attribute: it would outlive this VTN
            del VTNService.ven_lookup
