"""The simulated home's appliances draw what their settings say, and the meter adds them up.

The home runs on a clock the test holds still or moves: at 12:00:20 JST the
household's own load is 506 W (the meter's deterministic base load for that
minute), the air conditioner cools to 26 °C (620 W), the EcoCute idles (5 W),
the light is at 80 % (48 W), the battery stands by (0 W) and the PV makes
3000 W: the meter reads 506 + 620 + 5 + 48 + 0 - 3000 = -1821 W.
Settings change over real UDP; the meter is read through the dongle's pty.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from custom_components.denki.lib.echonet import EOJ
from simulators.consumption import HomeLoad, device_w
from simulators.echonet_devices import (
    air_conditioner,
    general_lighting,
    solar,
    storage_battery,
    water_heater,
)
from simulators.meter_history import JST, MeterHistory, history_properties, net_power_w

from .reach import Clock, Reach, reach_home

NOON = datetime(2026, 7, 1, 12, 0, 20, tzinfo=JST)
LIVING = "127.0.11.21"
OUTSIDE = "127.0.11.22"
UTILITY = "127.0.11.23"
AIR_CONDITIONER = EOJ.from_int(0x013001)
WATER_HEATER = EOJ.from_int(0x026B01)
SOLAR = EOJ.from_int(0x027901)
BATTERY = EOJ.from_int(0x027D01)
LIGHT = EOJ.from_int(0x029001)
BOARD = EOJ.from_int(0x028701)


def _signed(edt: bytes) -> int:
    return int.from_bytes(edt, signed=True)


def _phases(edt: bytes) -> tuple[int, int]:
    return _signed(edt[0:2]), _signed(edt[2:4])


@pytest.fixture
async def reach(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Reach]:
    async with reach_home(tmp_path, NOON) as started:
        yield started


# --- over the wire: a setting changes, the meter follows -----------------------------------


async def test_switching_the_air_conditioner_off_drops_the_meter_by_its_draw(
    reach: Reach,
) -> None:
    before = await reach.meter()
    assert _signed(before[0xE7]) == -1821
    assert _phases(before[0xE8]) == (-91, -91)  # -18.2 A at 100 V, split R/T
    conditioner = await reach.get(LIVING, AIR_CONDITIONER, 0x80, 0x84)
    assert conditioner == {0x80: b"\x30", 0x84: (620).to_bytes(2)}

    await reach.set(LIVING, AIR_CONDITIONER, {0x80: b"\x31"})

    after = await reach.meter()
    assert _signed(after[0xE7]) == -1821 - 617  # 620 W running, 3 W standby
    assert _phases(after[0xE8]) == (-122, -122)
    conditioner = await reach.get(LIVING, AIR_CONDITIONER, 0x80, 0x84)
    assert conditioner == {0x80: b"\x31", 0x84: (3).to_bytes(2)}
    board = await reach.get(UTILITY, BOARD, 0xC6, 0xC7, 0xD1)
    assert _signed(board[0xC6]) == -2438  # the board's main breaker agrees with the meter
    assert _phases(board[0xC7]) == (-122, -122)
    assert _signed(board[0xD1][6:8]) == 0  # its air conditioner circuit: 3 W, 0.0 A


async def test_settings_move_the_meter_by_each_devices_model(reach: Reach) -> None:
    assert await reach.power() == -1821
    await reach.set(LIVING, AIR_CONDITIONER, {0xB3: bytes((22,))})  # 4 K colder: +400 W
    assert await reach.power() == -1421
    assert await reach.get(LIVING, AIR_CONDITIONER, 0x84) == {0x84: (1020).to_bytes(2)}
    await reach.set(LIVING, WATER_HEATER, {0xB0: b"\x42"})  # manual heating: boil now
    assert await reach.power() == -1421 + 1195
    assert await reach.get(LIVING, WATER_HEATER, 0xB2) == {0xB2: b"\x41"}  # heating
    await reach.set(LIVING, WATER_HEATER, {0xB0: b"\x43"})  # manual stop
    assert await reach.power() == -1421
    assert await reach.get(LIVING, WATER_HEATER, 0xB2) == {0xB2: b"\x42"}
    await reach.set(OUTSIDE, LIGHT, {0xB0: bytes((20,))})  # 80 % -> 20 %: 48 W -> 12 W
    assert await reach.power() == -1421 - 36
    await reach.set(OUTSIDE, BATTERY, {0xDA: b"\x42"})  # standby -> charging
    assert await reach.power() == -1421 - 36 + 1500
    assert await reach.get(OUTSIDE, BATTERY, 0xD3) == {0xD3: (1500).to_bytes(4)}


async def test_pv_and_battery_export_make_the_meter_negative_and_count_export(
    reach: Reach,
) -> None:
    start = await reach.meter()
    await reach.set(OUTSIDE, BATTERY, {0xDA: b"\x43"})  # discharging
    assert await reach.get(OUTSIDE, BATTERY, 0xD3) == {0xD3: (-1500).to_bytes(4, signed=True)}
    assert await reach.get(OUTSIDE, SOLAR, 0xE0) == {0xE0: (3000).to_bytes(2)}
    now = await reach.meter()
    assert _signed(now[0xE7]) == -1821 - 1500  # standing by, then discharging 1500 W
    assert _phases(now[0xE8]) == (-166, -166)

    reach.clock.advance(minutes=10)
    later = await reach.meter()
    # 12:00:00-12:00:20 at -1.8 kW and then -3.3 kW (the sun moves a little) until
    # 12:10:00, the last minute the counters have: 550 Wh exported, in 10 Wh counts.
    assert int.from_bytes(later[0xE0]) == int.from_bytes(start[0xE0])  # nothing imported
    assert int.from_bytes(later[0xE3]) - int.from_bytes(start[0xE3]) == 55
    generated = await reach.get(OUTSIDE, SOLAR, 0xE1)  # 10 min at ~3 kW: 499 Wh more
    assert int.from_bytes(generated[0xE1]) == 1_234_567 + 499


async def test_the_control_api_shows_each_draw(reach: Reach) -> None:
    assert reach.home.endpoints is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{reach.home.endpoints.control_url}/load") as response,
    ):
        assert response.status == 200
        body = await response.json()
    assert body == {
        "meter_w": -1821,
        "base_w": 506,
        "devices_w": {
            "0x013001": 620,
            "0x026B01": 5,
            "0x027901": -3000,
            "0x027D01": 0,
            "0x029001": 48,
            "0x028701": 0,
        },
    }


# --- the meter's counters integrate the live power over the clock ----------------------


def test_counters_integrate_the_live_power_over_clock_time() -> None:
    clock = Clock(datetime(2026, 7, 1, 0, 0, tzinfo=JST))
    net = [1200]
    history = MeterHistory(origin=clock() - timedelta(days=45), clock=clock)
    history.connect(lambda when: net[0] - history.base_w(when))  # the whole home draws `net`
    start = history.counts_at(clock())
    assert start is not None
    assert history.power_w() == 1200

    clock.advance(minutes=60, seconds=30)
    history.advance()  # what the home does before a setting changes
    net[0] = -1200
    assert history.power_w() == -1200
    assert history_properties(history, {})[0xE8] == (-60).to_bytes(2, signed=True) * 2
    clock.advance(minutes=9, seconds=30)

    at_60 = history.counts_at(clock() - timedelta(minutes=10))
    at_70 = history.counts_at(clock())
    assert at_60 == (start[0] + 120, start[1])  # 1200 W for an hour: 1.2 kWh
    # then 30 s more at 1200 W (10 Wh) and 9.5 min at -1200 W (190 Wh)
    assert at_70 == (start[0] + 121, start[1] + 19)
    # The minute counters are history now: a later look gives the same.
    clock.advance(hours=5)
    assert history.counts_at(clock() - timedelta(hours=5)) == at_70
    assert history.kept(clock() - timedelta(hours=5, minutes=10)) == at_60


def test_without_a_load_the_meter_keeps_its_synthetic_profile() -> None:
    clock = Clock(NOON)
    history = MeterHistory(origin=clock() - timedelta(days=45), clock=clock)
    assert history.power_w() == net_power_w(NOON, 64800, 0) == 506 - 1371
    assert 0xE8 not in history_properties(history, {})


def test_pv_generation_follows_the_daylight_curve() -> None:
    clock = Clock(datetime(2026, 7, 1, 6, 0, tzinfo=JST))
    load = HomeLoad({SOLAR: solar()[0]}, clock)
    readings = {}
    for hour in (6, 9, 12, 15, 18):
        clock.now = datetime(2026, 7, 1, hour, 0, tzinfo=JST)
        load.refresh()
        readings[hour] = int.from_bytes(load.objects[SOLAR][0xE0])
    assert readings == {6: 0, 9: 2121, 12: 3000, 15: 2121, 18: 0}
    generated = int.from_bytes(load.objects[SOLAR][0xE1]) - 1_234_567
    assert generated == 22_918  # 3 kW * 12 h * 2 / pi, minute by minute
    assert load.watts(clock()) == 0


# --- the models ------------------------------------------------------------------------------


def _with(table: tuple[dict[int, bytes], frozenset[int]], **epcs: bytes) -> dict[int, bytes]:
    values = dict(table[0])
    values.update({int(epc[1:], 16): edt for epc, edt in epcs.items()})
    return values


@pytest.mark.parametrize(
    ("eoj", "values", "hour", "watts"),
    [
        (AIR_CONDITIONER, _with(air_conditioner()), 12, 620),
        (AIR_CONDITIONER, _with(air_conditioner(), xB3=bytes((20,))), 12, 1220),
        (AIR_CONDITIONER, _with(air_conditioner(), xB3=bytes((30,))), 12, 220),
        (AIR_CONDITIONER, _with(air_conditioner(), xB3=bytes((10,))), 12, 2000),
        (AIR_CONDITIONER, _with(air_conditioner(), x8F=b"\x41"), 12, 496),
        (AIR_CONDITIONER, _with(air_conditioner(), xB0=b"\x43"), 12, 120),
        (AIR_CONDITIONER, _with(air_conditioner(), xB0=b"\x44"), 12, 350),
        (AIR_CONDITIONER, _with(air_conditioner(), xB0=b"\x45"), 12, 40),
        (AIR_CONDITIONER, _with(air_conditioner(), x80=b"\x31"), 12, 3),
        (WATER_HEATER, _with(water_heater()), 12, 5),
        (WATER_HEATER, _with(water_heater()), 2, 1200),
        (WATER_HEATER, _with(water_heater(), xB0=b"\x42"), 12, 1200),
        (WATER_HEATER, _with(water_heater(), xB0=b"\x43"), 2, 5),
        (WATER_HEATER, _with(water_heater(), x80=b"\x31"), 2, 2),
        (SOLAR, _with(solar()), 12, -3000),
        (SOLAR, _with(solar()), 20, 0),
        (BATTERY, _with(storage_battery()), 20, 1500),
        (BATTERY, _with(storage_battery(), xDA=b"\x41"), 20, 3000),
        (BATTERY, _with(storage_battery(), xDA=b"\x43"), 20, -1500),
        (BATTERY, _with(storage_battery(), xDA=b"\x44"), 20, 0),
        (BATTERY, _with(storage_battery(), xDA=b"\x46"), 12, 1000),
        (BATTERY, _with(storage_battery(), xDA=b"\x46"), 20, -1000),
        (LIGHT, _with(general_lighting()), 20, 48),
        (LIGHT, _with(general_lighting(), xB0=bytes((100,))), 20, 60),
        (LIGHT, _with(general_lighting(), x80=b"\x31"), 20, 0),
    ],
)
def test_each_devices_draw_follows_its_settings(
    eoj: EOJ, values: dict[int, bytes], hour: int, watts: int
) -> None:
    assert device_w(eoj, values, datetime(2026, 7, 1, hour, 0, tzinfo=JST)) == watts
