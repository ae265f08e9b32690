"""The meter's own records: days, historical data 2 and 3, read through the simulators."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
from custom_components.denki.lib.broute.history import (
    DAYS_KEPT,
    BoundaryCounts,
    RefusedDay,
    days_for,
    hour_ends,
    read_boundaries,
    read_minutes,
    steps_between,
)
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


async def test_a_gap_is_read_minute_by_minute_ten_minutes_a_request(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    """A 40-minute gap's 5-minute boundaries, from the next-generation meter's 0xEE."""
    assert meter.history is not None
    newest = datetime(2026, 11, 21, 0, 5, tzinfo=JST)  # the meter's clock is at 00:07
    wanted = [newest - timedelta(minutes=5 * i) for i in range(9)]  # 23:25 to 00:05
    found = await read_minutes(client, wanted)
    assert sorted(found) == sorted(wanted)
    for at, counts in found.items():
        assert (counts.imported, counts.exported) == meter.history.counts_at(at)
    # Up to ten consecutive minutes a request, newest first: two 5-minute boundaries each,
    # and each request only as long as the minutes it covers (00:05 back to 00:00: 6).
    assert meter.minutes_asked == [
        (newest, 6),
        (newest - timedelta(minutes=10), 6),
        (newest - timedelta(minutes=20), 6),
        (newest - timedelta(minutes=30), 6),
        (newest - timedelta(minutes=40), 1),
    ]


async def test_minutes_the_meter_no_longer_keeps_are_absent(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    """1-minute values are kept 60 minutes (next-gen seed, 論点2-④): older ones are "no data"."""
    assert meter.history is not None
    now = datetime(2026, 11, 21, 0, 7, tzinfo=JST)
    kept = now - timedelta(minutes=55)
    gone = now - timedelta(minutes=65)
    future = now + timedelta(minutes=2)
    found = await read_minutes(client, [kept, gone, future])
    assert list(found) == [kept]


async def test_a_refused_day_is_skipped_and_the_others_are_read(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    assert meter.history is not None
    meter.refused_days = {2}
    today = datetime(2026, 11, 21, tzinfo=JST).date()
    wanted = [datetime(2026, 11, day, 12, tzinfo=JST) for day in (17, 18, 19, 20)]
    refused: list[RefusedDay] = []
    found = await read_boundaries(client, wanted, today, refused=refused)
    assert [(r.days_ago, r.day) for r in refused] == [(2, today - timedelta(days=2))]
    assert sorted(found) == [wanted[0], wanted[1], wanted[3]]
    assert meter.days_asked == [4, 3, 2, 1]
    # Without a list to report it in, the refusal is the caller's to handle.
    with pytest.raises(MeterValueError):
        await read_boundaries(client, wanted, today)


async def test_known_boundaries_and_the_meters_limit_cost_no_request(
    client: LowVoltageMeter, meter: SimulatedMeter
) -> None:
    assert meter.history is not None
    today = datetime(2026, 11, 21, tzinfo=JST).date()
    pushed = datetime(2026, 11, 20, 23, 30, tzinfo=JST)
    imported, exported = meter.history.counts_at(pushed) or (0, 0)
    known = {pushed: BoundaryCounts(pushed, imported, exported)}
    old = datetime(2026, 10, 7, 12, tzinfo=JST)  # 45 days back: past what the meter keeps
    found = await read_boundaries(client, [pushed, old], today, known=known, kept=DAYS_KEPT)
    assert found == known
    assert meter.days_asked == []
    # An export the push lacked is read, unless the caller needs none.
    partial = {pushed: BoundaryCounts(pushed, imported, None)}
    assert (await read_boundaries(client, [pushed], today, known=partial))[pushed] == known[pushed]
    assert meter.days_asked == [1]
    found = await read_boundaries(client, [pushed], today, known=partial, need_export=False)
    assert found == partial
    assert meter.days_asked == [1]


def test_steps_fall_on_japans_clock() -> None:
    start = datetime(2026, 11, 20, 14, 52, tzinfo=UTC)  # 23:52 in Japan
    end = start + timedelta(minutes=20)
    assert [t.strftime("%H:%M") for t in steps_between(start, end, timedelta(minutes=5))] == [
        "23:55",
        "00:00",
        "00:05",
        "00:10",
    ]
    assert (
        steps_between(start, end, timedelta(hours=1))
        == [datetime(2026, 11, 21, tzinfo=JST)]
        == hour_ends(start, end)
    )
