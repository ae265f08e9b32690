"""Every simulated dongle profile, end to end: Denki's library, and momonga as a peer.

For each profile the library joins, reads live power and energy, and gets
through a transient EVENT 24 (a busy meter refusing twice) and an EVENT 21 01
(a send that failed) with no user action. momonga (PyPI) runs against every
profile it supports; where it and a profile disagree, the test says which
one the public sources back (see simulators/dongle_profiles.py).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from momonga import Momonga
import pytest

from custom_components.denki.lib.broute.errors import AuthenticationError, SessionLostError
from custom_components.denki.lib.broute.link import LiveReading, MeterLink
from custom_components.denki.lib.broute.session import CredentialHistory
from simulators.dongle_profiles import MOMONGA_SUPPORTED, PROFILES, MeterIdentity, make_model
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle
from tests.threads import run_in_thread

ALL = [*PROFILES, "bp35a1", "bp35c"]


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Rig:
    pty: PtyDongle
    link: MeterLink
    meter: SimulatedMeter

    @property
    def model(self) -> DongleModel:
        return self.pty.model


async def _rig(profile: str, *, history: CredentialHistory | None = None, **changes: object) -> Rig:
    meter = SimulatedMeter()
    radio = MeterRadio(responder=meter.answer)
    pty = PtyDongle(make_model(profile, radio, **changes))
    await pty.start()
    link = MeterLink(
        pty.path,
        radio.rbid,
        radio.password,
        scan_durations=(4,),
        join_backoff=0.05,
        history=history,
    )
    link.request_timeout = 5.0
    return Rig(pty, link, meter)


@pytest.fixture(params=ALL)
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    rig = await _rig(request.param)
    yield rig
    await rig.link.close()
    await rig.pty.stop()


def _expected(reading: LiveReading) -> None:
    assert reading.power_w == 500
    assert reading.import_kwh == pytest.approx(12345.6)
    assert reading.export_kwh == pytest.approx(78.9)


async def _next_reading(link: MeterLink, polls: int = 3) -> LiveReading:
    """Poll as the coordinator does, a lost session recovering on the next poll."""
    for _ in range(polls - 1):
        try:
            return await link.read_live(now)
        except SessionLostError:
            continue
    return await link.read_live(now)


async def test_joins_and_reads_live_power_and_energy(rig: Rig) -> None:
    await rig.link.ensure()
    _expected(await rig.link.read_live(now))
    assert rig.link.identity_source == "meter 0x83"
    assert "WOPT" not in rig.model.commands  # never the flash
    if rig.model.rssi_register:
        assert rig.model.registers.get("SA2") == "1"  # set in RAM with SKSREG


async def test_a_transient_event_24_heals_without_the_user(rig: Rig) -> None:
    await rig.link.ensure()
    identification = rig.link.identification
    rig.model.refuse_joins = 2  # the busy meter refuses the next two SKJOINs
    hold, lost = rig.model.expire_session()  # EVENT 29, then EVENT 24: the session is gone
    rig.pty.write(hold + lost)
    await asyncio.sleep(0.2)
    assert not rig.link.connected
    _expected(await _next_reading(rig.link))
    assert rig.link.identification == identification
    assert rig.model.refuse_joins == 0
    session = rig.link.session
    assert session is not None
    assert session.join_retries >= 2
    assert "SKTERM" in rig.model.commands  # what was left of the session, ended first


async def test_an_event_21_01_is_retransmitted_at_once(rig: Rig) -> None:
    await rig.link.ensure()
    rig.model.send_failures = 2
    started = asyncio.get_running_loop().time()
    _expected(await rig.link.read_live(now))
    assert asyncio.get_running_loop().time() - started < 2.0  # not the request's timeout
    session = rig.link.session
    assert session is not None
    assert session.retransmits == 2


@pytest.mark.parametrize("profile", ["bp35a1-1.2.10", "bp35c0"])
@pytest.mark.parametrize("wedge", ["skterm", "skreset"])
async def test_a_wedged_dongle_is_recovered(profile: str, wedge: str) -> None:
    rig = await _rig(profile)
    try:
        await rig.link.ensure()
        rig.model.joined = False
        model = rig.model
        model.wedged = wedge  # FAIL ER10 to SKJOIN and SKSENDTO from now on
        side = " 0" if rig.model.has_side else ""
        rig.pty.write(f"EVENT 27 {rig.model.meter.address}{side}\r\n".encode())
        await asyncio.sleep(0.2)
        _expected(await _next_reading(rig.link))
        assert rig.pty.model.wedged is None  # SKTERM or SKRESET cleared it
        session = rig.link.session
        assert session is not None
        assert session.resets == (1 if wedge == "skreset" else 0)
        assert ("SKRESET" in rig.model.commands) is (wedge == "skreset")
    finally:
        await rig.link.close()
        await rig.pty.stop()


async def test_refusals_that_persist_ask_for_the_credentials() -> None:
    rig = await _rig("bp35c2", history=CredentialHistory(window=0.5))
    try:
        await rig.link.ensure()
        rig.model.refuse_joins = 1000
        rig.pty.write(b"".join(rig.model.expire_session()))
        await asyncio.sleep(0.2)
        with pytest.raises(SessionLostError, match="accepted these credentials before"):
            await rig.link.ensure()  # three refusals within 0.5 s: still transient
        await asyncio.sleep(0.6)
        with pytest.raises(AuthenticationError, match="in a row over"):
            await rig.link.ensure()
    finally:
        await rig.link.close()
        await rig.pty.stop()


async def test_a_first_setup_with_a_wrong_password_is_still_told_at_once() -> None:
    rig = await _rig("rs-wsuha-p")
    rig.link = MeterLink(
        rig.pty.path, rig.model.meter.rbid, "WRONGPASSWRD", scan_durations=(4,), join_backoff=0.01
    )
    try:
        with pytest.raises(AuthenticationError):
            await rig.link.ensure()
        assert rig.model.commands.count("SKJOIN") == 3  # tried as momonga does, then told
    finally:
        await rig.link.close()
        await rig.pty.stop()


@pytest.mark.parametrize(
    ("meter_0x83", "node_0x83", "serial", "source"),
    [
        (True, None, None, "meter 0x83"),
        (False, bytes.fromhex("FE000016") + b"NODE000000001", None, "node profile 0x83"),
        (False, None, b"SERIAL000042", "0x8A+0x8D"),
        (False, None, None, "MAC"),
    ],
)
async def test_meter_identity_without_0x83(
    meter_0x83: bool, node_0x83: bytes | None, serial: bytes | None, source: str
) -> None:
    meter = SimulatedMeter()
    identity = MeterIdentity(meter.answer, meter_0x83, node_0x83, serial)
    radio = MeterRadio(responder=identity)
    pty = PtyDongle(make_model("bp35c0", radio))
    await pty.start()
    link = MeterLink(pty.path, radio.rbid, radio.password, scan_durations=(4,))
    link.request_timeout = 5.0
    try:
        await link.ensure()
        assert link.identity_source == source
        expected = {
            "meter 0x83": meter.properties()[0x83].hex().upper(),
            "node profile 0x83": (node_0x83 or b"").hex().upper(),
            "0x8A+0x8D": f"000016-{(serial or b'').hex().upper()}",
            "MAC": radio.mac,
        }[source]
        assert link.identification == expected
        _expected(await link.read_live(now))
    finally:
        await link.close()
        await pty.stop()


async def test_epandesc_after_event_22_and_unknown_keys_still_find_the_meter() -> None:
    rig = await _rig(
        "bp35c2", pandesc_after_scan_done=True, pandesc_extra={"Frequency": "922.5", "RSSI": "-60"}
    )
    try:
        await rig.link.ensure()
        assert rig.link.pan is not None
        assert rig.link.pan.mac == rig.model.meter.mac
        _expected(await rig.link.read_live(now))
    finally:
        await rig.link.close()
        await rig.pty.stop()


async def _momonga(profile: str) -> dict[str, object]:
    meter = SimulatedMeter()
    radio = MeterRadio(responder=meter.answer)
    pty = PtyDongle(make_model(profile, radio))
    await pty.start()
    outcome: dict[str, object] = {}

    def run() -> None:
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=1, join_retries=1)
        client.xmit_retries = 1
        client.recv_timeout = 3
        try:
            with client:
                outcome["power"] = client.get_instantaneous_power()
        except Exception as err:  # noqa: BLE001 - reported through the assertions
            outcome["error"] = f"{type(err).__name__}: {err}"

    try:
        await run_in_thread(run, name="momonga-profile", within=120)
    finally:
        outcome["commands"] = list(pty.model.commands)
        await pty.stop()
    return outcome


@pytest.mark.parametrize("profile", sorted(MOMONGA_SUPPORTED - {"bp35a1-old"}))
async def test_momonga_reads_power_through_the_profile(profile: str) -> None:
    outcome = await _momonga(profile)
    assert "error" not in outcome, outcome
    assert outcome["power"] == 500
    if profile == "rs-wsuha-p":
        # momonga writes WOPT 01 to the dongle's flash to leave binary mode
        # (momonga_sk_wrapper.py lines 165-170); Denki reads binary instead.
        assert "WOPT" in outcome["commands"]  # type: ignore[operator]


async def test_momonga_and_the_old_bp35a1_erxudp() -> None:
    """momonga's BP35A1 parser wants 9 ERXUDP fields (momonga_device.py line 107): the
    old form without SECURED (8) is dropped, so momonga joins but reads nothing.
    The BP35A1 reference 4.1 (as smdn reads it) has SECURED, so momonga follows the
    manual and this form comes only from issue 18's report; Denki reads both."""
    outcome = await _momonga("bp35a1-old")
    assert "SKJOIN" in outcome["commands"]  # type: ignore[operator]
    assert "Gave up obtaining a response" in str(outcome.get("error"))


async def test_momonga_and_the_rl7023_dss_scan() -> None:
    """momonga sends the BP35C2's 4-argument SKSCAN (momonga_device.py line 88) to a
    dongle whose SKINFO reports a side; the Stick-D/DSS takes 3 (issue 18, from
    Tessera's users) and answers FAIL ER05. Denki retries with the other count."""
    outcome = await _momonga("rl7023-dss")
    assert "SKSCAN 2 FFFFFFFF 6 0" in str(outcome.get("error"))
    assert "SKJOIN" not in outcome["commands"]  # type: ignore[operator]
