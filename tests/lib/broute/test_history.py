"""The meter's own records: days, historical data 2 and 3, read through the simulators."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.history import days_for, hour_ends, read_boundaries
from custom_components.denki.lib.broute.meter import LowVoltageMeter
from custom_components.denki.lib.broute.meter_values import JST, MeterValueError
from custom_components.denki.lib.broute.session import BRouteSession
from custom_components.denki.lib.echonet import ESV
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

NOW = datetime(2026, 11, 20, 15, 7, 30, tzinfo=UTC)  # 00:07:30 on 21 November in Japan


@pytest.fixture
def meter() -> SimulatedMeter:
    history = MeterHistory(origin=NOW - timedelta(days=45), clock=lambda: NOW)
    return SimulatedMeter(history=history, next_generation=True)


@pytest.fixture
async def client(meter: SimulatedMeter) -> AsyncIterator[LowVoltageMeter]:
    pty = PtyDongle(DongleModel(meter=MeterRadio(responder=meter.answer)))
    await pty.start()
    dongle = await SkDongle.open(pty.path)
    session = BRouteSession(
        dongle, pty.model.meter.rbid, pty.model.meter.password, scan_durations=(4,)
    )
    await session.connect()
    yield LowVoltageMeter(session)
    await session.close()
    await dongle.close()
    await pty.stop()


async def test_identity_clock_and_property_map(client: LowVoltageMeter) -> None:
    assert (await client.identification()).startswith("FE000016")
    assert await client.clock() == datetime(2026, 11, 21, 0, 7, tzinfo=JST)
    assert await client.has(0xE2, 0xE4, 0xEC, 0xEE)
    assert not await client.has(0xE2, 0xC0)


async def test_a_day_of_history_matches_the_meter(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    assert meter.history is not None
    imports, exports = await client.history_day(1)
    assert [s.timestamp for s in imports][:2] == [
        datetime(2026, 11, 20, 0, 0, tzinfo=JST),
        datetime(2026, 11, 20, 0, 30, tzinfo=JST),
    ]
    assert [(s.count, e.count) for s, e in zip(imports, exports, strict=True)] == [
        meter.history.counts_at(s.timestamp) for s in imports
    ]
    today, _ = await client.history_day(0)
    assert today[0].count is not None  # 00:00 has passed
    assert today[1].count is None  # 00:30 has not: "no data", never zero
    assert meter.frames[-2:] == [ESV.SETC, ESV.GET]


async def test_historical_data_2_and_3(client: LowVoltageMeter, meter: SimulatedMeter) -> None:
    assert meter.history is not None
    newest = datetime(2026, 11, 21, 0, 0, tzinfo=JST)
    pairs = await client.history_2(newest, 12)
    assert len(pairs) == 12
    assert pairs[-1].timestamp == newest - timedelta(hours=5, minutes=30)
    assert all((p.normal, p.reverse) == meter.history.counts_at(p.timestamp) for p in pairs)
    minutes = await client.history_3(datetime(2026, 11, 21, 0, 7, tzinfo=JST), 10)
    assert [m.timestamp.minute for m in minutes] == [7, 6, 5, 4, 3, 2, 1, 0, 59, 58]
    assert all((m.normal, m.reverse) == meter.history.counts_at(m.timestamp) for m in minutes)
    with pytest.raises(MeterValueError):
        await client.history_3(newest, 11)  # 0xEE holds at most 10


async def test_boundaries_across_midnight_cost_two_frames_a_day(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    assert meter.history is not None
    wanted = hour_ends(NOW - timedelta(hours=6), NOW)
    assert len(wanted) == 6  # 19:00 to 00:00 in Japan
    steps: list[tuple[int, int]] = []
    before = len(meter.frames)
    found = await read_boundaries(
        client, wanted, datetime(2026, 11, 21, tzinfo=JST).date(), lambda *s: steps.append(s)
    )
    assert len(meter.frames) - before == 4  # two days, SetC + Get each
    assert steps == [(1, 2), (2, 2)]
    assert sorted(found) == wanted
    for at, counts in found.items():
        assert (counts.imported, counts.exported) == meter.history.counts_at(at)


async def test_what_the_meter_no_longer_keeps_is_absent(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    old = datetime(2026, 10, 1, 12, 0, tzinfo=JST)  # 51 days back: past the 45 the meter keeps
    found = await read_boundaries(client, [old], datetime(2026, 11, 21, tzinfo=JST).date())
    assert found == {}


def test_days_for_skips_what_no_meter_keeps() -> None:
    today = datetime(2026, 11, 21, tzinfo=JST).date()
    ancient = datetime(2026, 1, 1, tzinfo=JST)
    future = datetime(2026, 11, 22, 1, tzinfo=JST)
    yesterday = datetime(2026, 11, 20, 13, tzinfo=JST)
    assert days_for([ancient, future, yesterday, yesterday], today) == [1]


async def test_two_readers_at_once_each_get_the_day_they_chose(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    """The back-fill and the savings read the record at the same time: Set, Get stay paired."""
    assert meter.history is not None
    days = [1, 7, 2, 30, 3, 12]
    answers = await asyncio.gather(*(client.history_day(days_ago) for days_ago in days))
    first_slots = [imports[0].timestamp.date() for imports, _ in answers]
    assert first_slots == [NOW.astimezone(JST).date() - timedelta(days=d) for d in days]
    # Every Get came straight after its own Set.
    frames = meter.frames[-2 * len(days) :]
    assert frames == [ESV.SETC, ESV.GET] * len(days)
