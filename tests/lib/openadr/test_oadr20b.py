"""The OpenADR 2.0b VEN against a real VTN: openleadr's OpenADRServer, in process, on loopback.

The VTN asks to be polled every second, so each exchange below takes about
a second. Everything the VTN hears is recorded through openleadr's
`before_handle` hook; the VTN also gets an EiOpt endpoint that acknowledges
opts (openleadr's own OptService answers nothing yet).
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import ipaddress
import math
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.denki.lib.dr import INFINITE, DrEvent, EventError, OptState, SignalType
from custom_components.denki.lib.openadr.client import OpenadrAuthError, OpenadrConnectionError
from custom_components.denki.lib.openadr.oadr20b import Oadr20bVen, event_from_oadr20b
from tests.net import free_port
from tests.oadr20b_vtn import VEN_ID, Pki, Vtn, openleadr_vtn

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


async def until(predicate: Callable[[], bool], seconds: float = 8.0) -> None:
    """Wait, in real time, until `predicate` holds."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - the VTN signals nothing a test could await
            await asyncio.sleep(0.05)


# A PKI on the fly for the VTN that requires mutual TLS and signed messages.


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
