"""The dongle driver against the simulated dongle, over a real pseudo-terminal."""

import asyncio
import logging

import pytest

from custom_components.denki.lib.broute import Dialect, Ok, PanDescriptor, SkEvent, UdpReceived
from custom_components.denki.lib.broute.dongle import SkDongle, link_local_address
from custom_components.denki.lib.broute.errors import (
    DongleCommandError,
    DongleDisconnectedError,
    DongleError,
    DongleTimeoutError,
    PortInUseError,
)
from simulators.wisun_dongle import PtyDongle


async def _join(dongle: SkDongle, pty: PtyDongle) -> str:
    meter = pty.model.meter
    await dongle.command("SKSETRBID", meter.rbid)
    await dongle.command("SKSETPWD", f"{len(meter.password):X}", meter.password)
    address = link_local_address(meter.mac)
    await dongle.command("SKJOIN", address)
    while not (
        isinstance(event := await dongle.next_event(2), SkEvent) and event.code in (0x24, 0x25)
    ):
        pass
    assert event.code == 0x25
    return address


async def test_detects_dialect_and_payload_mode(dongle: SkDongle, pty_dongle: PtyDongle) -> None:
    info = await dongle.detect()
    model = pty_dongle.model
    assert info.dialect is (Dialect.BP35C if model.has_side else Dialect.BP35A1)
    assert info.binary_payload is model.binary_payload
    assert info.mac == model.mac
    assert info.version == "1.2.10"
    # Detection never writes the dongle's flash.
    assert "WOPT" not in model.commands


async def test_scan_join_and_a_datagram_round_trip(dongle: SkDongle, pty_dongle: PtyDongle) -> None:
    info = await dongle.detect()
    duration = ["2", "FFFFFFFF", "6"] + (["0"] if info.dialect is Dialect.BP35C else [])
    await dongle.command("SKSCAN", *duration)
    found: list[PanDescriptor] = []
    while not (isinstance(event := await dongle.next_event(2), SkEvent) and event.code == 0x22):
        if isinstance(event, PanDescriptor):
            found.append(event)
    meter = pty_dongle.model.meter
    assert [(p.channel, p.pan_id, p.mac) for p in found] == [
        (meter.channel, meter.pan_id, meter.mac)
    ]

    address = await _join(dongle, pty_dongle)
    frame = b"\x10\x81\x00\x01\x05\xff\x01\x02\x88\x01\x62\x01\xe7\x00"
    await dongle.send_udp(address, frame)
    while not isinstance(event := await dongle.next_event(2), UdpReceived):
        pass
    assert event.data == b"\r\n" + frame[::-1] + b"\r\n"
    assert event.sender == address
    assert event.remote_port == 0x0E1A


async def test_wrong_password_ends_in_event_24(dongle: SkDongle, pty_dongle: PtyDongle) -> None:
    await dongle.detect()
    await dongle.command("SKSETRBID", pty_dongle.model.meter.rbid)
    await dongle.command("SKSETPWD", "C", "WRONGPASSWRD")
    await dongle.command("SKJOIN", link_local_address(pty_dongle.model.meter.mac))
    codes = []
    while not codes or codes[-1] not in (0x24, 0x25):
        event = await dongle.next_event(2)
        if isinstance(event, SkEvent):
            codes.append(event.code)
    assert codes[-1] == 0x24


async def test_secrets_never_reach_the_log(
    dongle: SkDongle, pty_dongle: PtyDongle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.denki")
    await dongle.detect()
    await _join(dongle, pty_dongle)
    meter = pty_dongle.model.meter
    assert "SKSETPWD" in caplog.text
    assert meter.password not in caplog.text
    assert meter.rbid not in caplog.text


async def test_refused_command_raises_with_its_code(dongle: SkDongle) -> None:
    with pytest.raises(DongleCommandError) as caught:
        await dongle.command("SKFOO", "1")
    assert (caught.value.command, caught.value.code) == ("SKFOO", "ER04")
    # The driver goes on working afterwards.
    assert (await dongle.command("SKVER"))[-1] == Ok()


async def test_dialect_mismatch_is_refused_by_the_dongle(
    dongle: SkDongle, pty_dongle: PtyDongle
) -> None:
    """Sending the other dialect's SKSCAN fails as real dongles do: why detection matters."""
    wrong = ["2", "FFFFFFFF", "6"] + ([] if pty_dongle.model.has_side else ["0"])
    with pytest.raises(DongleCommandError, match="ER05"):
        await dongle.command("SKSCAN", *wrong)


async def test_command_without_an_answer_times_out(dongle: SkDongle) -> None:
    # SKLL64 answers with a bare address line and no OK.
    with pytest.raises(DongleTimeoutError, match=r"SKLL64 got no answer within 0\.2 s"):
        await dongle.command("SKLL64", "C0F9450040123456", within=0.2)
    with pytest.raises(DongleTimeoutError, match="no event"):
        await dongle.next_event(0.05)


async def test_send_before_detect_is_refused(dongle: SkDongle) -> None:
    with pytest.raises(DongleError, match="detect"):
        await dongle.send_udp("FE80:0000:0000:0000:0000:0000:0000:0001", b"x")


async def test_unplugged_dongle_is_a_clear_error(
    dongle: SkDongle, pty_dongle: PtyDongle, caplog: pytest.LogCaptureFixture
) -> None:
    await dongle.detect()
    waiting = asyncio.create_task(dongle.next_event(5))
    await asyncio.sleep(0.05)
    pty_dongle.unplug()
    with pytest.raises(DongleDisconnectedError):
        await waiting
    with pytest.raises(DongleDisconnectedError):
        await dongle.command("SKVER")
    assert caplog.text.count("Wi-SUN dongle disconnected") == 1


async def test_missing_port_is_a_clear_error() -> None:
    with pytest.raises(DongleDisconnectedError, match="cannot open /dev/ttyDENKI-MISSING"):
        await SkDongle.open("/dev/ttyDENKI-MISSING")


def test_link_local_address() -> None:
    assert link_local_address("C0F9450040123456") == "FE80:0000:0000:0000:C2F9:4500:4012:3456"
    with pytest.raises(ValueError, match="8 bytes"):
        link_local_address("C0F9")


async def test_a_write_to_an_unplugged_dongle_is_a_clean_disconnect(
    pty_dongle: PtyDongle, dongle: SkDongle, caplog: pytest.LogCaptureFixture
) -> None:
    """The write fails first: the command ends with DongleDisconnectedError, not a timeout,
    and nothing reaches the event loop's exception handler (Home Assistant would log a
    traceback for it)."""
    await dongle.detect()
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        pty_dongle.unplug()
        with pytest.raises(DongleDisconnectedError):
            await dongle.command("SKVER")
    finally:
        loop.set_exception_handler(None)
    assert reported == []
    assert dongle.disconnected is not None


async def test_a_second_program_is_told_the_port_is_in_use(
    dongle: SkDongle, pty_dongle: PtyDongle
) -> None:
    """The port is locked while a session holds it: no second program shares the dongle."""
    with pytest.raises(PortInUseError, match="in use"):
        await SkDongle.open(pty_dongle.path)
    await dongle.close()
    again = await SkDongle.open(pty_dongle.path)  # free once the first let go
    await again.close()
