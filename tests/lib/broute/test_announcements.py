"""What a meter pushes of its own accord, and its 1-minute record, through the pty dongle.

A low-voltage meter announces its fixed-time counts (0xEA, 0xEB) within five
minutes of every half hour, by INF or INFC (momonga 0.7.0's README,
"Notification"). The link keeps them and answers an INFC; momonga, an
independent client, reads the simulator's announcements and its 1-minute
record (0xEF, 0xEE) the way the simulator meant them.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from momonga import Momonga
import pytest

from custom_components.denki.lib.broute.history import BoundaryCounts
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.meter import read_announcement
from custom_components.denki.lib.broute.meter_values import JST
from custom_components.denki.lib.echonet import ESV
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle
from tests.threads import run_in_thread

NOW = datetime(2026, 11, 20, 15, 7, 30, tzinfo=UTC)  # 00:07:30 on 21 November in Japan
BOUNDARY = datetime(2026, 11, 21, 0, 0, tzinfo=JST)


@pytest.fixture
def meter() -> SimulatedMeter:
    history = MeterHistory(origin=NOW - timedelta(days=45), clock=lambda: NOW)
    return SimulatedMeter(history=history, next_generation=True, coefficient=1)


@pytest.fixture
async def pty(meter: SimulatedMeter) -> AsyncIterator[PtyDongle]:
    dongle = PtyDongle(DongleModel(dialect="bp35c", meter=MeterRadio(responder=meter.answer)))
    await dongle.start()
    yield dongle
    await dongle.stop()


@pytest.fixture
async def link(pty: PtyDongle) -> AsyncIterator[MeterLink]:
    radio = pty.model.meter
    link = MeterLink(pty.path, radio.rbid, radio.password, scan_durations=(4,))
    await link.ensure()
    yield link
    await link.close()


async def _until(condition: Callable[[], object], within: float = 2.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - the pty signals nothing to await
            await asyncio.sleep(0.01)


async def test_the_link_keeps_what_the_meter_pushes(
    link: MeterLink, pty: PtyDongle, meter: SimulatedMeter
) -> None:
    assert meter.history is not None
    heard: list[BoundaryCounts] = []
    remove = link.add_push_listener(heard.append)
    (announcement,) = meter.due_announcements()  # the first call: the latest boundary only
    pty.announce(announcement)
    await _until(lambda: heard)
    imported, exported = meter.history.counts_at(BOUNDARY) or (0, 0)
    assert heard == [BoundaryCounts(BOUNDARY, imported, exported)]
    assert link.pushed == {BOUNDARY: heard[0]}
    assert meter.due_announcements() == []  # nothing new until the next half hour
    remove()
    # An INF is not answered; the meter sent it and waits for nothing.
    assert ESV.INFC_RES not in meter.frames


async def test_an_infc_is_answered(link: MeterLink, pty: PtyDongle, meter: SimulatedMeter) -> None:
    meter.announce_esv = ESV.INFC
    frame = meter.announcement(BOUNDARY - timedelta(minutes=30))
    announced = read_announcement(frame)
    assert announced is not None
    assert announced.wants_answer
    pty.announce(frame)
    await _until(lambda: ESV.INFC_RES in meter.frames)
    assert BOUNDARY - timedelta(minutes=30) in link.pushed


async def test_what_is_not_an_announcement_is_let_go(
    link: MeterLink, pty: PtyDongle, meter: SimulatedMeter
) -> None:
    # An INF of the instantaneous power (0xE7) carries no count; a Get_Res nobody asked for
    # is no announcement; neither stops the link.
    pty.announce(bytes.fromhex("1081000002880105FF017301E704000000C8"))
    pty.announce(bytes.fromhex("1081000002880105FF017201E704000000C8"))
    await asyncio.sleep(0.1)
    assert link.pushed == {}
    assert link.pushes == 0
    assert read_announcement(b"\x10\x81") is None
    pty.announce(meter.announcement(BOUNDARY))
    await _until(lambda: link.pushed)


async def test_momonga_reads_the_announcement_and_the_minutes_as_the_simulator_means_them(
    pty: PtyDongle, meter: SimulatedMeter
) -> None:
    """An independent reading of the simulated meter's 0xEA/0xEB INF and its 0xEF/0xEE record."""
    assert meter.history is not None
    radio = pty.model.meter
    loop = asyncio.get_running_loop()
    announcement = meter.announcement(BOUNDARY)
    newest = datetime(2026, 11, 21, 0, 7)  # noqa: DTZ001 - momonga takes the meter's naive time
    outcome: dict[str, object] = {}

    def run() -> None:
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=1, join_retries=1)
        client.internal_xmit_interval = 0
        try:
            client.open()
            outcome["minutes"] = client.get_historical_cumulative_energy_3(newest, 10)
            loop.call_soon_threadsafe(pty.announce, announcement)
            outcome["notification"] = client.get_notification(timeout=10)
        except Exception as err:  # noqa: BLE001 - reported through the assertion below
            outcome["error"] = repr(err)
        finally:
            client.close()

    await run_in_thread(run, name="momonga-next-generation", within=60)
    assert "error" not in outcome, outcome
    unit = 0.01  # kWh a count: the simulated meter's 0xE1 is 0x02
    minutes = outcome["minutes"]
    assert isinstance(minutes, list)
    assert [m["timestamp"] for m in minutes] == [newest - timedelta(minutes=i) for i in range(10)]
    for point in minutes:
        counts = meter.history.counts_at(point["timestamp"].replace(tzinfo=JST))
        assert counts is not None
        energy = point["cumulative energy"]
        assert energy["normal direction"] == pytest.approx(counts[0] * unit)
        assert energy["reverse direction"] == pytest.approx(counts[1] * unit)
    notification = outcome["notification"]
    assert isinstance(notification, dict)
    assert notification["esv"] == ESV.INF
    counts = meter.history.counts_at(BOUNDARY)
    assert counts is not None
    fixed = notification["properties"]
    assert fixed[0xEA]["timestamp"] == BOUNDARY.replace(tzinfo=None)
    assert fixed[0xEA]["cumulative energy"] == pytest.approx(counts[0] * unit)
    assert fixed[0xEB]["cumulative energy"] == pytest.approx(counts[1] * unit)
