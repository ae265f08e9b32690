"""The simulated home's live load agrees with its meter's history, and a DR event shows on it.

`scripts/develop` demonstrates a DR event's saving against the ERAB baseline,
which is drawn from the meter's history: the home must draw live what its
history shows for the same hour (the same weather, the same kind of day), or
every event "saves" nothing. The history is the household's own load plus the
appliances as they start; a home nobody touches reads the same, hour by hour,
and a curtailed appliance lowers the meter's power by its draw.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from custom_components.denki.lib.echonet import EOJ
from custom_components.denki.lib.savings import compute_savings
from simulators.home import home_tables, metered_home
from simulators.meter_history import BASE_PROFILE_W, JST, MeterHistory

from .reach import Clock, Reach, reach_home

DAY = datetime(2026, 8, 5, tzinfo=JST)
"""A Wednesday; the history's day before is a Tuesday, the same kind of day."""
LIVING = "127.0.11.21"
AIR_CONDITIONER = EOJ.from_int(0x013001)
WATER_HEATER = EOJ.from_int(0x026B01)
HOUR_TOLERANCE_KWH = 0.03
"""Live and history may differ by 30 Wh in an hour: three of the meter's 10 Wh counts."""
POWER_TOLERANCE_W = 100
"""The live power at half past may differ by 100 W from the history's mean over the hour:
the base load's minute-to-minute spread is 120 W wide."""


def _hour_kwh(history: MeterHistory, start: datetime) -> tuple[float, float]:
    """Import and export in the hour from `start`, kWh, from the meter's counters."""
    before, after = history.counts_at(start), history.counts_at(start + timedelta(hours=1))
    assert before is not None
    assert after is not None
    per_count = history.wh_per_count / 1000
    return (after[0] - before[0]) * per_count, (after[1] - before[1]) * per_count


def test_the_household_load_is_a_japanese_households() -> None:
    """The base load: about the national average a year, its peak in the evening."""
    hours = len(BASE_PROFILE_W)
    daily_kwh = (
        sum((BASE_PROFILE_W[h] + BASE_PROFILE_W[(h + 1) % hours]) / 2 for h in range(hours)) / 1000
    )
    # 環境省「家庭部門のCO2排出実態統計調査」: 4,175 kWh a household a year (FY2021).
    assert 3500 <= daily_kwh * 365 <= 4500
    assert max(range(hours), key=lambda h: BASE_PROFILE_W[h]) in (19, 20)
    assert min(BASE_PROFILE_W) >= 150  # a refrigerator and standby never stop


def test_an_untouched_home_draws_live_what_its_history_shows_for_the_same_hour() -> None:
    clock = Clock(DAY)
    _, history = metered_home(home_tables(), clock)  # measured live from 00:00
    clock.now = DAY.replace(hour=18, minute=30)
    live_w = history.power_w()
    clock.now = DAY + timedelta(days=1)

    differences = {}
    for hour in range(24):
        live = _hour_kwh(history, DAY.replace(hour=hour))
        recorded = _hour_kwh(history, DAY.replace(hour=hour) - timedelta(days=1))
        differences[hour] = max(abs(live[0] - recorded[0]), abs(live[1] - recorded[1]))
    assert max(differences.values()) <= HOUR_TOLERANCE_KWH, differences

    evening = _hour_kwh(history, DAY.replace(hour=18) - timedelta(days=1))[0] * 1000
    assert abs(live_w - evening) <= POWER_TOLERANCE_W
    assert 1200 <= live_w <= 2000  # the evening peak of a home cooling a room in summer

    live_day = [sum(_hour_kwh(history, DAY.replace(hour=h))[i] for h in range(24)) for i in (0, 1)]
    recorded_day = [
        sum(_hour_kwh(history, DAY.replace(hour=h) - timedelta(days=1))[i] for h in range(24))
        for i in (0, 1)
    ]
    assert live_day == pytest.approx(recorded_day, abs=0.1)


@pytest.fixture
async def evening(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Reach]:
    async with reach_home(tmp_path, DAY.replace(hour=19, second=20)) as started:
        yield started


async def _curtail(reach: Reach) -> None:
    """What Denki's plan does at a high-level event: the air conditioner's cooling setpoint
    2 K up (26 -> 28 °C, the household's limit) and the EcoCute's boiling postponed."""
    await reach.set(LIVING, AIR_CONDITIONER, {0xB3: bytes((28,))})
    await reach.set(LIVING, WATER_HEATER, {0xB0: b"\x43"})  # manual stop


async def _restore(reach: Reach) -> None:
    await reach.set(LIVING, AIR_CONDITIONER, {0xB3: bytes((26,))})
    await reach.set(LIVING, WATER_HEATER, {0xB0: b"\x41"})


async def test_a_dr_events_curtailment_lowers_the_meters_power(evening: Reach) -> None:
    """Read through the dongle, at the same moment, before and after the appliances are set."""
    before = await evening.power()
    await _curtail(evening)
    after = await evening.power()
    # 19:00: the air conditioner 620 -> 420 W; the EcoCute does not boil in the evening.
    assert before - after == 200
    # 経済産業省「夏季の節電メニュー」: 2 K warmer saves about 10 % of a household's power.
    assert 0.05 <= (before - after) / before <= 0.2

    await _restore(evening)
    evening.clock.now = DAY.replace(day=6, hour=2, second=20)  # the EcoCute boils at night
    before = await evening.power()
    await _curtail(evening)
    after = await evening.power()
    assert before - after == 200 + 1195  # and its 1.2 kW boiling waits (5 W idle)


def test_a_dr_events_curtailment_is_saved_against_the_erab_baseline() -> None:
    """An hour's curtailment of 0.2 kW is 0.2 kWh below the baseline of the meter's record."""
    clock = Clock(DAY.replace(hour=12))
    load, history = metered_home(home_tables(), clock)
    conditioner, heater = load.objects[AIR_CONDITIONER], load.objects[WATER_HEATER]
    start, end = DAY.replace(hour=19), DAY.replace(hour=20)

    clock.now = start
    history.advance()
    conditioner[0xB3], heater[0xB0] = bytes((28,)), b"\x43"
    clock.now = end
    history.advance()
    conditioner[0xB3], heater[0xB0] = bytes((26,)), b"\x41"
    clock.now = end + timedelta(minutes=1)

    series = {}
    slot = start - timedelta(days=31)
    while slot < end:
        low, high = history.counts_at(slot), history.counts_at(slot + timedelta(minutes=30))
        assert low is not None
        assert high is not None
        series[slot] = (high[0] - low[0]) * history.wh_per_count / 1000
        slot += timedelta(minutes=30)
    result = compute_savings(series, start, end)
    assert result.total_saved_kwh == pytest.approx(0.2, abs=0.04)
