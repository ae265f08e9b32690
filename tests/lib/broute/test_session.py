"""The B-route session against the simulated dongle, over a real pseudo-terminal."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleTimeoutError,
    InvalidCredentialsError,
    MeterNotFoundError,
    SessionLostError,
)
from custom_components.denki.lib.broute.session import (
    SCAN_DURATIONS,
    BRouteSession,
    PanInfo,
    scan_seconds,
    validate_credentials,
)
from simulators.wisun_dongle import (
    FIRST_CHANNEL,
    SCAN_CHANNELS,
    DongleModel,
    MeterRadio,
    PtyDongle,
    scan_channel_seconds,
)

RBID = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "0123456789AB"
GET = b"\x10\x81\x00\x07\x05\xff\x01\x02\x88\x01\x62\x01\xe7\x00"


def answer_with_tid(payload: bytes) -> bytes:
    """A meter that answers with the request's TID in a fixed Get_Res."""
    return b"\x10\x81" + payload[2:4] + bytes.fromhex("02880105FF017201E704000001F4")


def same_tid(frame: bytes) -> Callable[[bytes], bool]:
    return lambda answer: answer[2:4] == frame[2:4]


@pytest.fixture(params=["bp35a1", "bp35c"])
async def pty(request: pytest.FixtureRequest) -> AsyncIterator[PtyDongle]:
    dongle = PtyDongle(
        DongleModel(dialect=request.param, meter=MeterRadio(responder=answer_with_tid))
    )
    await dongle.start()
    yield dongle
    await dongle.stop()


@pytest.fixture
async def driver(pty: PtyDongle) -> AsyncIterator[SkDongle]:
    dongle = await SkDongle.open(pty.path)
    yield dongle
    await dongle.close()


@pytest.fixture
async def session(driver: SkDongle) -> AsyncIterator[BRouteSession]:
    session = BRouteSession(driver, RBID, PASSWORD, scan_durations=(4, 5))
    yield session
    await session.close()


@pytest.mark.parametrize(
    ("rbid", "password", "field"),
    [
        ("0011", PASSWORD, "rbid"),
        ("Z0112233445566778899AABBCCDDEEFF", PASSWORD, "rbid"),
        (RBID, "SHORT", "password"),
        (RBID, "with space 12", "password"),
    ],
)
def test_credentials_are_checked_before_any_radio_work(
    rbid: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidCredentialsError) as caught:
        validate_credentials(rbid, password)
    assert caught.value.field == field
    assert password not in str(caught.value)


def test_credentials_are_normalised() -> None:
    assert validate_credentials(" 0011 2233445566778899aabbccddeeff ", f" {PASSWORD} ") == (
        RBID,
        PASSWORD,
    )


def test_every_scan_is_given_at_least_a_radios_time() -> None:
    """The wait for a scan's events covers all 28 channels at each duration tried."""
    for duration in SCAN_DURATIONS:
        assert scan_seconds(duration) > SCAN_CHANNELS * scan_channel_seconds(duration)


async def test_a_scan_waits_for_the_beacon_on_the_last_channel() -> None:
    """A meter on channel 60 is heard only when the scan gets there, as on a radio."""
    meter = MeterRadio(responder=answer_with_tid, channel=FIRST_CHANNEL + SCAN_CHANNELS - 1)
    pty = PtyDongle(DongleModel(dialect="bp35c", meter=meter), scan_time_scale=0.1)
    await pty.start()
    driver = await SkDongle.open(pty.path)
    session = BRouteSession(driver, RBID, PASSWORD, scan_durations=(4,))
    try:
        started = asyncio.get_running_loop().time()
        pan = await session.connect()
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        await session.close()
        await driver.close()
        await pty.stop()
    assert pan.channel == meter.channel
    assert elapsed >= 0.1 * SCAN_CHANNELS * scan_channel_seconds(4)


def test_scan_seconds_grow_with_duration() -> None:
    assert scan_seconds(4) < scan_seconds(6) < scan_seconds(8)
    # 9.6 ms x 65 per channel, 28 channels: 17.5 s, the time a real dongle takes; plus 5 s.
    assert scan_seconds(6) == pytest.approx(0.0096 * 65 * 28 + 5)


async def test_first_connect_scans_then_joins(session: BRouteSession, pty: PtyDongle) -> None:
    pan = await session.connect()
    meter = pty.model.meter
    assert pan == PanInfo(meter.channel, meter.pan_id, meter.mac)
    assert session.connected
    assert pty.model.commands.count("SKSCAN") == 1
    assert pty.model.echo is False  # echo turned off with SKSREG SFE 0
    answer = await session.request(GET, same_tid(GET), within=5)
    assert answer[2:4] == GET[2:4]


async def test_cached_pan_joins_without_scanning(driver: SkDongle, pty: PtyDongle) -> None:
    meter = pty.model.meter
    cached = PanInfo.from_dict(PanInfo(meter.channel, meter.pan_id, meter.mac).as_dict())
    session = BRouteSession(driver, RBID, PASSWORD, pan=cached)
    assert await session.connect() == cached
    assert "SKSCAN" not in pty.model.commands
    await session.close()


async def test_stale_cached_pan_falls_back_to_a_scan(driver: SkDongle, pty: PtyDongle) -> None:
    meter = pty.model.meter
    stale = PanInfo(0x3B, 0x1234, "C0F9450040FFFFFF")  # a meter that is not there
    session = BRouteSession(driver, RBID, PASSWORD, pan=stale, scan_durations=(4,))
    assert await session.connect() == PanInfo(meter.channel, meter.pan_id, meter.mac)
    assert pty.model.commands.count("SKSCAN") == 1
    await session.close()


async def test_wrong_password_is_told_apart(driver: SkDongle, pty: PtyDongle) -> None:
    session = BRouteSession(driver, RBID, "WRONGPASSWRD")
    with pytest.raises(AuthenticationError, match="refused the B-route ID and password"):
        await session.connect()
    await session.close()


async def test_no_meter_in_range_is_told_apart(driver: SkDongle, pty: PtyDongle) -> None:
    pty.model.meter.in_range = False
    session = BRouteSession(driver, RBID, PASSWORD, scan_durations=(4, 5))
    with pytest.raises(MeterNotFoundError, match="no smart meter answered the scan"):
        await session.connect()
    assert pty.model.commands.count("SKSCAN") == 2
    await session.close()


@pytest.mark.parametrize("events", ["session_expiry", "transmit_limit"])
async def test_requests_wait_out_reauthentication_and_the_transmit_limit(
    session: BRouteSession, pty: PtyDongle, events: str
) -> None:
    """EVENT 29 until 25 (re-authentication), EVENT 32 until 33 (transmit limit): hold, then send."""
    await session.connect()
    hold, release = getattr(pty.model, events)()
    pty.write(hold)
    await asyncio.sleep(0.1)
    request = asyncio.create_task(session.request(GET, same_tid(GET), within=5))
    await asyncio.sleep(0.2)
    assert not request.done()
    assert pty.model.commands.count("SKSENDTO") == 0  # held, not sent
    pty.write(release)
    assert (await request)[2:4] == GET[2:4]
    assert pty.model.commands.count("SKSENDTO") == 1


async def test_lost_session_fails_the_request_and_reconnect_rejoins(
    session: BRouteSession, pty: PtyDongle
) -> None:
    await session.connect()
    pty.model.silent = True  # the meter stops answering...
    request = asyncio.create_task(session.request(GET, same_tid(GET), within=5))
    await asyncio.sleep(0.2)
    side = " 0" if pty.model.has_side else ""
    pty.write(f"EVENT 27 {pty.model.meter.address}{side}\r\n".encode())  # ...and the session ends
    with pytest.raises(SessionLostError, match="ended the PANA session"):
        await request
    assert not session.connected
    with pytest.raises(SessionLostError):
        await session.request(GET, same_tid(GET), within=1)
    pty.model.silent = False
    await session.reconnect()
    assert pty.model.commands.count("SKSCAN") == 1  # rejoined on the cached PAN
    assert (await session.request(GET, same_tid(GET), within=5))[2:4] == GET[2:4]


async def test_session_events_from_another_sender_are_ignored(
    session: BRouteSession, pty: PtyDongle
) -> None:
    """Only the meter can end or renew our session: EVENT 24-29 naming another address do not."""
    await session.connect()
    side = " 0" if pty.model.has_side else ""
    stranger = "FE80:0000:0000:0000:0000:0000:0000:0BAD"
    for code in (0x24, 0x26, 0x27, 0x28, 0x29):
        pty.write(f"EVENT {code:02X} {stranger}{side}\r\n".encode())
    await asyncio.sleep(0.2)
    assert session.connected
    assert session.events_ignored == 5
    assert session.dropped == 0
    # Not held as if re-authenticating (29 without 25): the request goes out at once.
    assert (await session.request(GET, same_tid(GET), within=2))[2:4] == GET[2:4]
    # The meter's own EVENT 27, in lower case hex digits, still ends it.
    pty.write(f"EVENT 27 {pty.model.meter.address.lower()}{side}\r\n".encode())
    await asyncio.sleep(0.2)
    assert not session.connected


async def test_unanswered_request_times_out(session: BRouteSession, pty: PtyDongle) -> None:
    await session.connect()
    pty.model.silent = True
    with pytest.raises(DongleTimeoutError, match=r"did not answer within 0\.3 s"):
        await session.request(GET, same_tid(GET), within=0.3)


async def test_unsolicited_and_spoofed_datagrams(session: BRouteSession, pty: PtyDongle) -> None:
    await session.connect()
    notification = bytes.fromhex("1081000002880105FF017301E704000000C8")
    pty.write(pty.model.erxudp(notification))
    spoofed = pty.model.erxudp(notification).replace(
        pty.model.meter.address.encode(), b"FE80:0000:0000:0000:0000:0000:0000:0BAD", 1
    )
    pty.write(spoofed)
    assert await asyncio.wait_for(session.notifications.get(), 2) == notification
    await asyncio.sleep(0.1)
    assert session.dropped == 1
    assert session.notifications.empty()


async def test_unplugged_dongle_fails_requests_clearly(
    session: BRouteSession, pty: PtyDongle
) -> None:
    await session.connect()
    pty.unplug()
    await asyncio.sleep(0.1)
    with pytest.raises(DongleDisconnectedError):
        await session.request(GET, same_tid(GET), within=1)
    with pytest.raises(DongleDisconnectedError):
        await session.reconnect()
