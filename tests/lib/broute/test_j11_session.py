"""Denki's MeterLink on the simulated J11 dongle, over a real pseudo-terminal."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.denki.lib.broute import j11
from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.errors import (
    AuthenticationError,
    DongleDisconnectedError,
    MeterNotFoundError,
    PanaRefusedError,
    SessionLostError,
)
from custom_components.denki.lib.broute.j11_session import J11Dongle, J11Session
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.meter_values import JST
from custom_components.denki.lib.broute.probe import open_dongle, probe
from custom_components.denki.lib.broute.session import PanInfo
from custom_components.denki.lib.broute.sk_messages import Dialect, DongleFamily
from custom_components.denki.lib.echonet import ESV
from simulators.j11_dongle import J11Model, PtyJ11Dongle
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

WRONG = "WRONGPASSWD1"


def now() -> datetime:
    return datetime(2026, 12, 7, tzinfo=UTC)


@pytest.fixture
def meter() -> SimulatedMeter:
    return SimulatedMeter()


@pytest.fixture
async def pty(meter: SimulatedMeter) -> AsyncIterator[PtyJ11Dongle]:
    dongle = PtyJ11Dongle(J11Model(meter=MeterRadio(responder=meter.answer)))
    await dongle.start()
    yield dongle
    await dongle.stop()


def make_link(pty: PtyJ11Dongle, password: str | None = None, **kwargs: object) -> MeterLink:
    radio = pty.model.meter
    return MeterLink(
        pty.path,
        radio.rbid,
        password or radio.password,
        scan_durations=(1, 2),
        join_backoff=0.01,
        open_dongle=quick_open,
        **kwargs,  # type: ignore[arg-type]
    )


async def quick_open(port: str) -> SkDongle | J11Dongle:
    """The default opener, with a short wait for an SK answer (the simulators answer at once)."""
    return await open_dongle(port, within=0.3)


@pytest.fixture
async def link(pty: PtyJ11Dongle) -> AsyncIterator[MeterLink]:
    link = make_link(pty)
    yield link
    await link.close()


async def test_the_link_joins_and_reads_live_values(
    link: MeterLink, pty: PtyJ11Dongle, meter: SimulatedMeter
) -> None:
    live = await link.read_live(now)
    assert live.power_w == meter.power_w == 500
    assert live.import_kwh == 12345.6
    assert live.export_kwh == 78.9
    assert live.current is not None
    assert link.connected
    assert pty.model.joined
    info = link.dongle_info
    assert info is not None
    assert info.family is DongleFamily.J11
    assert info.version == "1.2.3"
    assert info.firmware_id == 0x0004
    # Found by an active scan, in J11's channel numbers.
    assert link.pan == PanInfo(0x06, pty.model.meter.pan_id, pty.model.meter.mac)
    assert isinstance(link.session, J11Session)
    assert link.session.rssi == -60
    assert link.lqi is None  # a J11 dongle reports RSSI, not an LQI
    assert j11.Command.ACTIVE_SCAN in pty.model.commands
    meter.power_w = 1234
    assert (await link.read_live(now)).power_w == 1234


async def test_a_cached_pan_joins_without_scanning(pty: PtyJ11Dongle) -> None:
    radio = pty.model.meter
    link = make_link(pty, pan=PanInfo(0x06, radio.pan_id, radio.mac))
    try:
        await link.ensure()
    finally:
        await link.close()
    assert j11.Command.ACTIVE_SCAN not in pty.model.commands


async def test_an_sk_channel_in_the_cache_is_scanned_for(pty: PtyJ11Dongle) -> None:
    """A PAN an SK dongle found (channel 0x21 and up) means nothing to a J11 dongle."""
    radio = pty.model.meter
    link = make_link(pty, pan=PanInfo(0x21, radio.pan_id, radio.mac))
    try:
        await link.ensure()
        assert link.pan is not None
        assert link.pan.channel == 0x06
    finally:
        await link.close()


async def test_a_wrong_password_is_an_authentication_error(pty: PtyJ11Dongle) -> None:
    link = make_link(pty, password=WRONG)
    try:
        with pytest.raises(AuthenticationError):
            await link.ensure()
    finally:
        await link.close()
    # Tried as often as BRouteSession tries SKJOIN (three times), never accepted.
    assert pty.model.commands.count(j11.Command.START_PANA) == 3
    assert not pty.model.joined


async def test_a_transient_refusal_heals(link: MeterLink, pty: PtyJ11Dongle) -> None:
    await link.ensure()
    pty.model.refuse_joins = 1
    pty.end_session()
    # The meter ended the session; the next ensure() rejoins, is refused once, and retries.
    for _ in range(100):
        if not link.connected:
            break
        await asyncio.sleep(0.01)
    assert not link.connected
    await link.ensure()
    assert link.connected
    assert link.joins == 2
    session = link.session
    assert isinstance(session, J11Session)
    assert session.join_retries == 1
    assert link.history.accepted
    assert pty.model.commands.count(j11.Command.ACTIVE_SCAN) == 1  # rejoined the cached PAN
    assert (await link.read_live(now)).power_w == 500


async def test_refusals_from_a_meter_that_accepted_before_are_transient(
    link: MeterLink, pty: PtyJ11Dongle
) -> None:
    """Refused on every attempt of one rejoin: PanaRefusedError, not AuthenticationError."""
    await link.ensure()
    pty.model.refuse_joins = 3
    pty.end_session()
    await asyncio.sleep(0.05)
    assert not link.connected
    with pytest.raises(PanaRefusedError):
        await link.ensure()
    assert len(link.history.refusals) == 3
    await link.ensure()  # the meter takes the session again
    assert link.connected
    assert link.history.refusals == []


async def test_an_infc_from_the_meter_is_kept_and_answered(
    link: MeterLink, pty: PtyJ11Dongle, meter: SimulatedMeter
) -> None:
    await link.ensure()
    boundary = datetime(2026, 11, 21, 0, 0, tzinfo=JST)
    meter.history = MeterHistory(origin=boundary - timedelta(days=2), clock=lambda: boundary)
    meter.announce_esv = ESV.INFC
    pty.announce(meter.announcement(boundary))
    async with asyncio.timeout(5):
        while ESV.INFC_RES not in meter.frames:  # noqa: ASYNC110 - the pty signals nothing
            await asyncio.sleep(0.01)
    assert boundary in link.pushed
    assert link.pushes == 1


async def test_a_meter_out_of_range_is_not_found(pty: PtyJ11Dongle) -> None:
    pty.model.meter.in_range = False
    link = make_link(pty)
    try:
        with pytest.raises(MeterNotFoundError):
            await link.ensure()
    finally:
        await link.close()


async def test_an_unacknowledged_send_is_sent_again(link: MeterLink, pty: PtyJ11Dongle) -> None:
    """J11's EVENT 21 01: transmission result 5, no ACK (broute_j11/commands.py lines 41-44)."""
    await link.ensure()
    pty.model.send_failures = 2
    started = asyncio.get_running_loop().time()
    assert (await link.read_live(now)).power_w == 500
    assert asyncio.get_running_loop().time() - started < 2.0  # not the request's timeout
    session = link.session
    assert isinstance(session, J11Session)
    assert session.retransmits == 2
    assert link.joins == 1  # the session stayed up
    assert pty.model.commands.count(j11.Command.TRANSMIT_DATA) >= 3 + 2  # the join's reads too


async def test_garbage_and_bad_checksums_are_skipped(link: MeterLink, pty: PtyJ11Dongle) -> None:
    await link.ensure()
    broken = bytearray(j11.startup_notification())
    broken[9] ^= 0xFF  # the header checksum
    pty.write(b"\x00garbage\r\n" + bytes(broken))
    assert (await link.read_live(now)).power_w == 500
    assert link.lines_unparsed is not None
    assert link.lines_unparsed >= 1


async def test_an_unplugged_dongle_is_reported(link: MeterLink, pty: PtyJ11Dongle) -> None:
    await link.ensure()
    pty.unplug()
    await asyncio.sleep(0.05)  # the driver's read fails
    with pytest.raises(DongleDisconnectedError):
        await link.read_live(now)
    assert not link.connected


async def test_an_unplugged_dongle_plugged_back_reads_again(
    pty: PtyJ11Dongle, meter: SimulatedMeter, tmp_path: Path
) -> None:
    """Unplugged, then a fresh J11 dongle at the same /dev/serial/by-id-like path."""
    stable = tmp_path / "usb-ROHM_BP35C0-J11-if00"
    stable.symlink_to(pty.path)
    radio = pty.model.meter
    link = MeterLink(
        str(stable),
        radio.rbid,
        radio.password,
        scan_durations=(1, 2),
        join_backoff=0.01,
        open_dongle=quick_open,
    )
    fresh: PtyJ11Dongle | None = None
    try:
        assert (await link.read_live(now)).power_w == 500
        joins, identification = link.joins, link.identification
        pty.unplug()
        stable.unlink()
        await asyncio.sleep(0.1)  # the driver hears the port go
        with pytest.raises(DongleDisconnectedError):
            await link.read_live(now)
        with pytest.raises(DongleDisconnectedError):
            await link.ensure()  # nothing at the path yet: told, not retried in a loop
        assert not link.connected
        fresh = PtyJ11Dongle(J11Model(meter=radio))
        await fresh.start()
        stable.symlink_to(fresh.path)
        meter.power_w = 777
        assert (await link.read_live(now)).power_w == 777  # the next poll opens the port again
        assert link.connected
        assert link.joins == joins + 1
        assert link.identification == identification
        assert isinstance(link.session, J11Session)
        assert fresh.model.joined
        assert j11.Command.START_PANA in fresh.model.commands
        assert j11.Command.ACTIVE_SCAN not in fresh.model.commands  # the PAN found before
    finally:
        await link.close()
        if fresh is not None:
            await fresh.stop()


@pytest.mark.parametrize(
    "status", [j11.STATUS_PANA_DISCONNECTED, j11.STATUS_MAC_DISCONNECTED], ids=["pana", "mac"]
)
async def test_a_session_the_meter_ended_needs_no_user_action(
    link: MeterLink, pty: PtyJ11Dongle, meter: SimulatedMeter, status: int
) -> None:
    """PANA expiry on J11: the connection status leaves the connected state, no renewal.

    broute_j11/commands.py lines 105-111 and 515-521 (both statuses are a
    disconnection), session.py lines 890-893 (the session is gone).
    """
    await link.ensure()
    joins = link.joins
    session = link.session
    assert isinstance(session, J11Session)
    resets = session.resets
    pty.end_session(status)
    await asyncio.sleep(0.1)
    assert not link.connected
    assert not pty.model.joined
    meter.power_w = 640
    assert (await link.read_live(now)).power_w == 640  # the next poll rejoins, then reads
    assert link.connected
    assert link.joins == joins + 1
    assert link.session is session  # the same dongle and session, rejoined
    assert session.resets == resets + 1
    assert session.join_retries == 0
    assert pty.model.commands.count(j11.Command.ACTIVE_SCAN) == 1  # rejoined the PAN it knew
    assert pty.model.commands.count(j11.Command.START_PANA) == 2


async def test_a_session_ended_during_a_request_fails_it_at_once(
    link: MeterLink, pty: PtyJ11Dongle
) -> None:
    """The poll in flight is told the session is gone, not left to its timeout."""
    await link.ensure()
    pty.model.silent = True  # the answer would never come
    reading = asyncio.create_task(link.read_live(now))
    await asyncio.sleep(0.1)
    assert not reading.done()
    started = asyncio.get_running_loop().time()
    pty.end_session()
    with pytest.raises(SessionLostError):
        await reading
    assert asyncio.get_running_loop().time() - started < 1.0
    pty.model.silent = False
    assert (await link.read_live(now)).power_w == 500  # the next poll rejoins
    assert link.joins == 2


async def test_a_renewal_notice_keeps_the_session(link: MeterLink, pty: PtyJ11Dongle) -> None:
    """A PANA success while joined (a re-authentication that worked) is no loss."""
    await link.ensure()
    pty.write(j11.pana_result_notification(j11.PANA_SUCCEEDED, pty.model.meter_mac))
    await asyncio.sleep(0.05)
    assert link.connected
    assert (await link.read_live(now)).power_w == 500
    assert link.joins == 1
    assert pty.model.commands.count(j11.Command.START_PANA) == 1


async def test_a_transient_refusal_twice_heals_on_the_next_poll(
    link: MeterLink, pty: PtyJ11Dongle
) -> None:
    """J11's transient EVENT 24: a busy meter's PANA result 02 twice, then success.

    broute_j11/commands.py lines 97-102 (02: failed), session.py lines 636-649.
    """
    await link.ensure()
    identification = link.identification
    pty.model.refuse_joins = 2
    pty.end_session()
    await asyncio.sleep(0.1)
    assert not link.connected
    assert (await link.read_live(now)).power_w == 500  # no user action: the poll rejoins
    assert link.identification == identification
    assert pty.model.refuse_joins == 0
    session = link.session
    assert isinstance(session, J11Session)
    assert session.join_retries == 2
    assert link.joins == 2
    assert pty.model.commands.count(j11.Command.START_PANA) == 1 + 3
    assert j11.Command.TERMINATE_PANA in pty.model.commands  # what was left, ended first


async def test_the_meters_30_minute_history_is_read(link: MeterLink, meter: SimulatedMeter) -> None:
    clock = datetime.now(UTC)
    history = MeterHistory(origin=clock - timedelta(days=45), clock=lambda: clock)
    meter.history = history  # the meter keeps 45 days of records
    reader = await link.ensure()
    imports, exports = await reader.history_day(1)  # yesterday on the meter's calendar
    assert len(imports) == len(exports) == 48
    assert imports[1].timestamp - imports[0].timestamp == timedelta(minutes=30)
    assert [(i.count, e.count) for i, e in zip(imports, exports, strict=True)] == [
        history.counts_at(i.timestamp) for i in imports
    ]
    assert all(i.count is not None for i in imports)  # a whole day past: no "no data"
    today, _ = await reader.history_day(0)
    assert today[0].timestamp - imports[0].timestamp == timedelta(days=1)


async def test_probe_recognises_a_j11_dongle(pty: PtyJ11Dongle) -> None:
    info = await probe(pty.path, 5.0)
    assert info is not None
    assert info.family is DongleFamily.J11
    assert info.version == "1.2.3"
    # Read-only: only the version was asked.
    assert set(pty.model.commands) == {j11.Command.GET_VERSION}


@pytest.mark.parametrize("dialect", ["bp35a1", "bp35c"])
async def test_probe_still_recognises_an_sk_dongle(dialect: str) -> None:
    pty = PtyDongle(DongleModel(dialect=dialect))
    await pty.start()
    try:
        info = await probe(pty.path, 5.0)
    finally:
        await pty.stop()
    assert info is not None
    assert info.family is DongleFamily.SK
    assert info.dialect is (Dialect.BP35C if dialect == "bp35c" else Dialect.BP35A1)
    assert info.mac == pty.model.mac
    assert not any(c.startswith(("SKJOIN", "SKSCAN", "WOPT")) for c in pty.model.commands)


async def test_the_opener_gives_the_driver_of_each_family(pty: PtyJ11Dongle) -> None:
    dongle = await open_dongle(pty.path, within=0.5)
    try:
        assert isinstance(dongle, J11Dongle)
    finally:
        await dongle.close()
    sk = PtyDongle(DongleModel(dialect="bp35c"))
    await sk.start()
    try:
        driver = await open_dongle(sk.path, within=0.5)
        try:
            assert isinstance(driver, SkDongle)
            assert (await driver.detect()).dialect is Dialect.BP35C
        finally:
            await driver.close()
    finally:
        await sk.stop()


@pytest.mark.parametrize("dialect", ["bp35a1", "bp35c"])
async def test_an_sk_dongle_asked_j11_first_is_still_recognised(dialect: str) -> None:
    """The J11 question leaves a line without CR on an SK dongle; it is ended before SKVER."""
    sk = PtyDongle(DongleModel(dialect=dialect))
    await sk.start()
    try:
        driver = await open_dongle(sk.path, within=0.3, prefer=DongleFamily.J11)
        try:
            assert isinstance(driver, SkDongle)
            info = await driver.detect()
            assert info.mac == sk.model.mac
            assert info.version == sk.model.version
        finally:
            await driver.close()
    finally:
        await sk.stop()


async def test_the_link_asks_j11_first_once_it_found_one(pty: PtyJ11Dongle) -> None:
    radio = pty.model.meter
    link = MeterLink(pty.path, radio.rbid, radio.password, scan_durations=(1,), join_backoff=0.01)
    try:
        await link.ensure()
        pty.end_session()
        pty.model.joined = False
        await link.close()
        started = asyncio.get_running_loop().time()
        await link.ensure()  # opened again: J11 answers the first question
        assert asyncio.get_running_loop().time() - started < 2.0
        assert link.connected
    finally:
        await link.close()


async def test_a_restart_with_a_cached_j11_pan_asks_j11_first(pty: PtyJ11Dongle) -> None:
    """A new link (Home Assistant restarted) given the PAN a J11 dongle joined: no SK wait."""
    radio = pty.model.meter
    first = MeterLink(pty.path, radio.rbid, radio.password, scan_durations=(1,), join_backoff=0.01)
    try:
        await first.ensure()
        pan = first.pan
    finally:
        await first.close()
    assert pan is not None
    pty.model.joined = False
    link = MeterLink(
        pty.path, radio.rbid, radio.password, pan=pan, scan_durations=(1,), join_backoff=0.01
    )
    try:
        started = asyncio.get_running_loop().time()
        await link.ensure()
        assert asyncio.get_running_loop().time() - started < 2.0  # SK's question waits 3 s
        assert link.connected
    finally:
        await link.close()


async def test_probe_of_a_silent_port_is_none() -> None:
    pty = PtyDongle(DongleModel(silent_commands=True))
    await pty.start()
    try:
        assert await probe(pty.path, 3.0) is None
    finally:
        await pty.stop()
