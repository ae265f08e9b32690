"""The OpenADR 3 VEN client against the simulated VTN, over real HTTP on loopback."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.denki.lib.dr import SignalType
from custom_components.denki.lib.openadr import (
    Openadr3Client,
    OpenadrAuthError,
    OpenadrConnectionError,
    OpenadrError,
)
from simulators.openadr3_vtn import VtnState, make_app
from tests.net import free_port

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def _event(n: int, program: str = "kanto-dr") -> dict[str, object]:
    return {
        "id": f"ev-{n}",
        "programID": program,
        "intervalPeriod": {"start": "2026-11-23T08:00:00Z", "duration": "PT1H"},
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [n % 4]}]}],
    }


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[tuple[VtnState, str]]:
    state = VtnState(events=[_event(n) for n in range(3)], programs=[{"id": "kanto-dr"}])
    server = TestServer(make_app(state), host="127.0.0.1")
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _client(
    session: aiohttp.ClientSession, base: str, secret: str = "ven-secret"
) -> Openadr3Client:
    return Openadr3Client(session, base, "ven-client", secret)


async def test_events_and_programs(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    client = _client(session, base)
    result = await client.events(NOW)
    assert [e.event_id for e in result.events] == ["ev-0", "ev-1", "ev-2"]
    assert (
        result.events[1].value_at(SignalType.SIMPLE, datetime(2026, 11, 23, 8, 30, tzinfo=UTC)) == 1
    )
    assert await client.programs() == [{"id": "kanto-dr"}]
    assert state.token_requests == 1  # one token serves every request until it expires


async def test_paging_and_program_filter(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    state.events = [_event(n) for n in range(120)] + [_event(999, program="other")]
    client = _client(session, base)
    assert len((await client.events(NOW)).events) == 121
    assert [e.event_id for e in (await client.events(NOW, program_id="other")).events] == ["ev-999"]


async def test_unreadable_event_is_set_aside_with_a_reason(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    state.events.append(
        {"id": "ev-bad", "programID": "kanto-dr", "intervals": [{"id": 0, "payloads": []}]}
    )
    result = await _client(session, base).events(NOW)
    assert len(result.events) == 3
    assert "has no duration" in result.refused["ev-bad"]


async def test_revoked_token_is_renewed_once(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    client = _client(session, base)
    await client.programs()
    state.revoke_tokens()
    assert await client.programs() == [{"id": "kanto-dr"}]
    assert state.token_requests == 2


async def test_wrong_secret_is_an_auth_error(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    _, base = vtn
    with pytest.raises(OpenadrAuthError, match="refused the client ID and secret"):
        await _client(session, base, secret="wrong").programs()


async def test_server_error_and_unreachable_vtn(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    client = _client(session, base)
    state.fail_next = 1
    with pytest.raises(OpenadrConnectionError, match="500"):
        await client.programs()
    assert await client.programs() == [{"id": "kanto-dr"}]  # it recovers by itself
    with pytest.raises(OpenadrConnectionError, match="cannot reach the VTN"):
        await Openadr3Client(
            session, "http://127.0.0.1:9", "a", "b", token_url="http://127.0.0.1:9/t"
        ).programs()


async def test_reports_are_posted(
    vtn: tuple[VtnState, str], session: aiohttp.ClientSession
) -> None:
    state, base = vtn
    report = {"eventID": "ev-1", "clientName": "denki-home", "resources": []}
    stored = await _client(session, base).post_report(report)
    assert stored["id"] == "report-1"
    assert state.reports == [stored]
    with pytest.raises(OpenadrError, match="400"):
        await _client(session, base).post_report({"eventID": "ev-1"})


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no public authority signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "denki-test-vtn")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "vtn.pem", folder / "vtn.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_is_verified_by_default(
    socket_enabled: None, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    state = VtnState(programs=[{"id": "kanto-dr"}])
    runner = web.AppRunner(make_app(state))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", free_port(), ssl_context=server_context)
    await site.start()
    base = site.name  # https://127.0.0.1:PORT
    try:
        with pytest.raises(OpenadrConnectionError, match="certificate"):
            await _client(session, base).programs()
        trusting = ssl.create_default_context(cafile=str(cert))
        client = Openadr3Client(session, base, "ven-client", "ven-secret", ssl_context=trusting)
        assert await client.programs() == [{"id": "kanto-dr"}]
    finally:
        await runner.cleanup()
