"""The OpenADR 2.0b VEN against a real VTN: openleadr's OpenADRServer, in process, on loopback.

The VTN asks to be polled every second, so each exchange below takes about
a second. Everything the VTN hears is recorded through openleadr's
`before_handle` hook; the VTN also gets an EiOpt endpoint that acknowledges
opts (openleadr's own OptService answers nothing yet).
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import ipaddress
import math
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from openleadr import OpenADRServer, hooks, utils  # type: ignore[import-untyped]
from openleadr.service import OptService, VTNService, handler  # type: ignore[import-untyped]
import pytest

from custom_components.denki.lib.dr import INFINITE, DrEvent, EventError, OptState, SignalType
from custom_components.denki.lib.openadr.client import OpenadrAuthError, OpenadrConnectionError
from custom_components.denki.lib.openadr.oadr20b import Oadr20bVen, event_from_oadr20b
from tests.net import free_port

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
VEN_ID = "ven-1"
VTN_ID = "KANTO-VTN"


async def until(predicate: Callable[[], bool], seconds: float = 8.0) -> None:
    """Wait, in real time, until `predicate` holds."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the VTN signals nothing a test could await
            await asyncio.sleep(0.05)


# A PKI on the fly for the VTN that requires mutual TLS and signed messages.


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


def _pki(directory: Path) -> Pki:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Denki test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(name: str, serial: int) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / f"{name}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    leaf("vtn", 2)
    leaf("ven", 3)
    return Pki(
        ca=str(directory / "ca.pem"),
        vtn_cert=str(directory / "vtn.pem"),
        vtn_key=str(directory / "vtn.key"),
        ven_cert=str(directory / "ven.pem"),
        ven_key=str(directory / "ven.key"),
    )


# The VTN.


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


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[Vtn]:
    """A plain-HTTP VTN."""
    async with openleadr_vtn() as started:
        yield started


@dataclass
class Home:
    """The VEN's side: what it was told."""

    events: list[DrEvent] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    opt: dict[str, OptState] = field(default_factory=dict)
    power: dict[str, float] = field(default_factory=dict)

    def ven(self, url: str, **kwargs: Any) -> Oadr20bVen:
        """A VEN that tells this home."""
        return Oadr20bVen(
            url,
            "denki-home",
            on_event=self.events.append,
            on_cancel=self.cancelled.append,
            opt_for=lambda event_id: self.opt.get(event_id, OptState.AUTOMATIC),
            on_refused=lambda event_id, why: self.refused.append((event_id, why)),
            readings=lambda: self.power,
            **kwargs,
        )

    def event(self, event_id: str) -> DrEvent:
        """The latest version of an event the VEN passed on."""
        return [event for event in self.events if event.event_id == event_id][-1]


async def test_events_answers_opts_and_cancellations(vtn: Vtn) -> None:
    home = Home()
    ven = home.ven(vtn.url)
    await ven.start()
    try:
        assert ven.registered
        assert ven.ven_id == VEN_ID
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)

        # A new event: passed on as a DrEvent, answered optIn (the household did not choose).
        vtn.add("ev-1", start, [1.0, 2.0])
        await until(lambda: bool(home.events) and bool(vtn.opts))
        event = home.event("ev-1")
        assert (event.event_id, event.program_id, event.source) == (
            "ev-1",
            "oadr://kanto-dr",
            "openadr2b",
        )
        assert (event.start, event.end, event.cancelled) == (
            start,
            start + timedelta(hours=1),
            False,
        )
        assert event.value_at(SignalType.SIMPLE, start + timedelta(minutes=15)) == 1.0
        assert event.value_at(SignalType.SIMPLE, start + timedelta(minutes=45)) == 2.0
        assert vtn.opts == [(VEN_ID, "ev-1", "optIn")]

        # The household opted out of the next one before it came: answered optOut.
        home.opt["ev-2"] = OptState.OPT_OUT
        vtn.add("ev-2", start + timedelta(hours=3), [1.0])
        await until(lambda: (VEN_ID, "ev-2", "optOut") in vtn.opts)

        # The household changes its mind about ev-1: an oadrCreateOpt, and openleadr's
        # repeated answers to the unchanged event (when the VTN sends its list again) follow.
        await ven.send_opt("ev-1", OptState.OPT_OUT)
        (opt,) = [payload for kind, payload in vtn.heard if kind == "oadrCreateOpt"]
        assert (opt["opt_type"], opt["event_id"], opt["modification_number"]) == (
            "optOut",
            "ev-1",
            0,
        )
        # A signal Denki has no type for keeps its 2.0b name.
        vtn.add(
            "ev-3", start + timedelta(hours=5), [0.5], ("LOAD_CONTROL", "x-loadControlCapacity")
        )
        await until(lambda: any(e.event_id == "ev-3" for e in home.events))
        assert home.event("ev-3").intervals[0].payloads == {"LOAD_CONTROL": (0.5,)}
        await until(lambda: vtn.answers("ev-1")[-1:] == ["optOut"])

        # An explicit cancellation, acknowledged with optIn.
        vtn.server.cancel_event(VEN_ID, "ev-1")
        await until(lambda: home.cancelled == ["ev-1"])
        await until(lambda: vtn.answers("ev-1")[-1:] == ["optIn"])

        # An event the VTN drops from its list before it ends: an implied cancellation.
        vtn.withdraw("ev-2")
        await until(lambda: home.cancelled == ["ev-1", "ev-2"])
        assert home.refused == []
    finally:
        await ven.stop()


async def test_telemetry_reports_the_households_power_in_kw(vtn: Vtn) -> None:
    received: list[float] = []
    offered: list[tuple[str, str, str, str]] = []

    async def register_report(  # noqa: PLR0917 - the signature openleadr calls
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str,
        scale: str,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, timedelta]:
        async def on_data(data: list[tuple[datetime, float]]) -> None:
            received.extend(value for _, value in data)

        offered.append((resource_id, measurement, unit, scale))
        return on_data, min_sampling_interval

    vtn.server.add_handler("on_register_report", register_report)
    home = Home()  # no reading yet: nothing is reported, and nothing breaks
    ven = home.ven(vtn.url, report_seconds=1)
    await ven.start()
    try:
        assert offered == [("home", "RealPower", "W", "k")]
        await asyncio.sleep(2.5)
        assert received == []
        home.power["power_kw"] = 1.25
        await until(lambda: bool(received))
    finally:
        await ven.stop()
    assert set(received) == {1.25}


async def test_a_refused_registration_is_an_auth_error(vtn: Vtn) -> None:
    vtn.accept = False
    with pytest.raises(OpenadrAuthError, match="did not register VEN 'denki-home'"):
        await Home().ven(vtn.url).start()


async def test_an_unreachable_vtn_is_a_connection_error(socket_enabled: None) -> None:
    ven = Home().ven(f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b")
    with pytest.raises(
        OpenadrConnectionError, match=r"cannot reach the VTN at http://127\.0\.0\.1"
    ):
        await ven.start()
    assert not ven.registered


async def test_mutual_tls_and_signed_messages(socket_enabled: None, tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "other").mkdir()
    pki = await asyncio.to_thread(_pki, tmp_path / "ours")
    signing = {"cert": pki.ven_cert, "key": pki.ven_key, "ca_file": pki.ca}
    async with openleadr_vtn(pki) as vtn:
        # Without the CA that issued the VTN's certificate.
        with pytest.raises(OpenadrConnectionError, match="not trusted"):
            await Home().ven(vtn.url, vtn_fingerprint=pki.vtn_fingerprint).start()
        # Without a client certificate: a TLS 1.3 VTN just closes the connection.
        with pytest.raises(OpenadrConnectionError, match="requires a TLS client certificate"):
            await Home().ven(vtn.url, ca_file=pki.ca).start()
        # The VTN's answers are signed, but not by the certificate the VEN was told of.
        with pytest.raises(OpenadrAuthError, match="not signed by the certificate"):
            await Home().ven(vtn.url, vtn_fingerprint=pki.ven_fingerprint, **signing).start()

        home = Home()
        ven = home.ven(vtn.url, vtn_fingerprint=pki.vtn_fingerprint, **signing)
        await ven.start()
        try:
            assert ven.ven_id == VEN_ID
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
            vtn.add("ev-s", start, [3.0])
            await until(lambda: bool(home.events) and bool(vtn.opts))
            assert home.event("ev-s").value_at(SignalType.SIMPLE, start) == 3.0
            assert vtn.opts == [(VEN_ID, "ev-s", "optIn")]
        finally:
            await ven.stop()

    # A VEN certificate this VTN does not know is refused at registration.
    other = await asyncio.to_thread(_pki, tmp_path / "other")
    async with openleadr_vtn(pki) as vtn:
        vtn.fingerprint = other.ven_fingerprint
        with pytest.raises(OpenadrAuthError, match="did not register VEN"):
            await Home().ven(vtn.url, vtn_fingerprint=pki.vtn_fingerprint, **signing).start()


async def test_unreadable_key_files_are_a_clear_error(tmp_path: Path) -> None:
    ven = Home().ven(
        "https://127.0.0.1:1/OpenADR2/Simple/2.0b",
        cert=str(tmp_path / "missing.pem"),
        key=str(tmp_path / "missing.key"),
        passphrase="do-not-log-me",
    )
    with pytest.raises(OpenadrAuthError, match="cannot load the VEN's certificate") as caught:
        await ven.start()
    assert "do-not-log-me" not in str(caught.value)


# event_from_oadr20b on its own.


def _parsed(**overrides: Any) -> dict[str, Any]:
    start = NOW + timedelta(hours=1)
    event: dict[str, Any] = {
        "event_descriptor": {
            "event_id": "ev-9",
            "modification_number": 0,
            "market_context": "oadr://kanto-dr",
            "event_status": "far",
            "priority": 1,
            "modification_date_time": NOW,
            "vtn_comment": "Evening peak",
        },
        "active_period": {"dtstart": start, "duration": timedelta(hours=1)},
        "event_signals": [
            {
                "signal_name": "simple",
                "signal_type": "level",
                "intervals": [
                    {"duration": timedelta(minutes=30), "uid": 0, "signal_payload": 1.0},
                    {"duration": timedelta(minutes=30), "uid": 1, "signal_payload": 3.0},
                ],
            },
            {
                "signal_name": "ELECTRICITY_PRICE",
                "signal_type": "price",
                "intervals": [{"duration": timedelta(hours=1), "uid": 0, "signal_payload": 42.0}],
            },
        ],
    }
    event.update(overrides)
    return event


def test_conversion_of_intervals_without_their_own_start() -> None:
    event = event_from_oadr20b(_parsed(), NOW)
    start = NOW + timedelta(hours=1)
    assert [(i.start, i.duration) for i in event.intervals] == [
        (start, timedelta(minutes=30)),
        (start, timedelta(hours=1)),
        (start + timedelta(minutes=30), timedelta(minutes=30)),
    ]
    assert event.value_at(SignalType.SIMPLE, start + timedelta(minutes=40)) == 3.0
    assert event.value_at(SignalType.PRICE, start + timedelta(minutes=10)) == 42.0
    assert (event.priority, event.modified, event.cancelled, event.name) == (
        1,
        NOW,
        False,
        "Evening peak",
    )
    cancelled = _parsed()
    cancelled["event_descriptor"] = {**cancelled["event_descriptor"], "event_status": "cancelled"}
    assert event_from_oadr20b(cancelled, NOW).cancelled


def test_signal_names_priority_and_open_ended_events() -> None:
    def signal(name: str, kind: str) -> dict[str, Any]:
        return {
            "signal_name": name,
            "signal_type": kind,
            "intervals": [{"duration": timedelta(0), "uid": 0, "signal_payload": 0.8}],
        }

    event = event_from_oadr20b(
        _parsed(
            event_signals={
                "event_signals": [
                    signal("ELECTRICITY_PRICE", "priceRelative"),
                    signal("LOAD_DISPATCH", "delta"),
                    signal("LOAD_CONTROL", "x-loadControlCapacity"),
                    signal("x-custom", "level"),
                ]
            },
            event_descriptor={**_parsed()["event_descriptor"], "priority": 0},
        ),
        NOW,
    )
    (interval,) = event.intervals
    assert interval.duration == INFINITE
    assert sorted(interval.payloads) == sorted(
        ["ELECTRICITY_PRICE", SignalType.DISPATCH_SETPOINT_RELATIVE, "LOAD_CONTROL", "X-CUSTOM"]
    )
    assert event.priority is None  # 0 is "no priority" in 2.0b


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"event_descriptor": {}}, "without an event_id"),
        ({"event_descriptor": "ev-9"}, "event_descriptor is missing or not a structure"),
        ({"active_period": None}, "event ev-9: the active_period is missing"),
        (
            {"active_period": {"dtstart": "tomorrow", "duration": timedelta(hours=1)}},
            "start 'tomorrow' is not a date-time with a time zone",
        ),
        (
            {"active_period": {"dtstart": NOW.replace(tzinfo=None), "duration": timedelta(1)}},
            "not a date-time with a time zone",
        ),
        (
            {"active_period": {"dtstart": NOW, "duration": -timedelta(hours=1)}},
            "duration -1 day, 23:00:00 is not a duration of zero or more",
        ),
        ({"event_signals": "simple"}, "event_signals is not a list"),
        ({"event_signals": ["simple"]}, "event ev-9: a signal is missing or not a structure"),
        ({"event_signals": [{"intervals": []}]}, "signal name None is not a name"),
        (
            {"event_signals": [{"signal_name": "simple", "intervals": [{"signal_payload": 1.0}]}]},
            "an interval of SIMPLE has no duration",
        ),
        (
            {
                "event_signals": [
                    {
                        "signal_name": "simple",
                        "intervals": [{"duration": timedelta(hours=1), "signal_payload": None}],
                    }
                ]
            },
            "signal payload None is not a plain value",
        ),
        (
            {
                "event_signals": [
                    {
                        "signal_name": "simple",
                        "intervals": [{"duration": timedelta(hours=1), "signal_payload": math.nan}],
                    }
                ]
            },
            "not a finite number",
        ),
    ],
)
def test_what_cannot_be_read_says_why(broken: dict[str, Any], why: str) -> None:
    with pytest.raises(EventError, match=why):
        event_from_oadr20b(_parsed(**broken), NOW)


def test_a_non_mapping_event_is_an_event_error() -> None:
    with pytest.raises(EventError, match=r"the OpenADR 2\.0b event is missing or not a structure"):
        event_from_oadr20b([], NOW)  # type: ignore[arg-type]
