"""The high-voltage meter (0x028A / 0x028F): decoding with strict bounds, and reads over real UDP.

The reader talks to `simulators.hv_meter` on its own loopback address
(127.0.13.x), through the library's own ECHONET Lite client, as it would
to a meter on a building's LAN.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.denki.lib.broute.hv_meter import HighVoltageMeter, NotAHighVoltageMeterError
from custom_components.denki.lib.broute.hv_values import (
    HighVoltageValueError,
    build_scale,
    parse_coefficient_factor,
    parse_date,
    parse_demand,
    parse_energy,
    parse_history,
    parse_power,
    parse_unit_code,
)
from custom_components.denki.lib.broute.meter_values import JST, MeterValueError
from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    EchonetClient,
    EchonetTimeoutError,
    EchonetTransport,
    Frame,
    Property,
    RetryPolicy,
    decode_property_map,
    encode_property_map,
)
from simulators.echonet_devices import air_conditioner, home_node
from simulators.echonet_node import SimulatedNode
from simulators.hv_meter import IMPORT_BASE, SimulatedHighVoltageMeter
from tests.net import free_port

CLIENT = "127.0.13.1"
METER = "127.0.13.2"
OTHER = "127.0.13.3"
FAST = RetryPolicy(timeout=0.2, attempts=2, max_timeout=0.4)
STAMP = bytes((0x07, 0xEA, 11, 24, 9, 30, 0))  # 2026-11-24 09:30:00


# --- decoding ------------------------------------------------------------------------------


def _scale_values(**changes: bytes) -> dict[int, bytes]:
    values = {
        0xD3: (1).to_bytes(4),
        0xD4: b"\x02",
        0xE6: b"\x01",
        0xE5: b"\x08",
    }
    values.update({int(k[2:], 16): v for k, v in changes.items()})
    return values


def test_scale_folds_coefficient_factor_and_unit() -> None:
    """D3=1, D4=x0.01, E6=0.1 kWh: a count is 0.001 kWh; 12 345 678 counts are 12 345.678 kWh."""
    scale = build_scale(_scale_values(), 0xE6, 0xE5, bidirectional=False)
    assert scale.kwh(12_345_678) == 12_345.678
    assert scale.modulus == 10**8
    # A coefficient of 40 (a current transformer ratio) with x0.1 and 1 kWh units.
    big = build_scale(
        _scale_values(x_D3=(40).to_bytes(4), x_D4=b"\x01", x_E6=b"\x00"),
        0xE6,
        0xE5,
        bidirectional=False,
    )
    assert big.kwh(1000) == 4000.0
    # Rollover at 10^E5 digits: never a negative delta.
    assert scale.delta_kwh(99_999_999, 1) == 0.002


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (_scale_values(x_D4=b"\x04"), "0xD4"),
        (_scale_values(x_D4=b""), "0xD4"),
        (_scale_values(x_E6=b"\x05"), "0xE6"),
        (_scale_values(x_E6=b"\x0e"), "0xE6"),  # 100 000 kWh: 0x028F only
        (_scale_values(x_E5=b"\x09"), "0xE5"),
        (_scale_values(x_D3=(0).to_bytes(4)), "coefficient"),
        (_scale_values(x_D3=b"\x01"), "coefficient"),
        ({0xD3: (1).to_bytes(4), 0xE6: b"\x01", 0xE5: b"\x08"}, "0xD4"),
    ],
)
def test_scale_refuses_what_is_not_defined(values: dict[int, bytes], message: str) -> None:
    with pytest.raises(HighVoltageValueError, match=message):
        build_scale(values, 0xE6, 0xE5, bidirectional=False)


def test_unit_code_0x0e_on_the_bidirectional_meter() -> None:
    assert parse_unit_code(b"\x0e", "0xE6", bidirectional=True) == 5
    assert parse_coefficient_factor(b"\x03") == -3


def test_energy_and_demand_layouts() -> None:
    single = parse_energy(STAMP + (1234).to_bytes(4), bidirectional=False)
    assert single.timestamp == datetime(2026, 11, 24, 9, 30, tzinfo=JST)
    assert (single.normal, single.reverse) == (1234, None)
    both = parse_energy(STAMP + (5).to_bytes(4) + (6).to_bytes(4), bidirectional=True)
    assert (both.normal, both.reverse) == (5, 6)
    no_data = parse_demand(STAMP + b"\xff\xff\xff\xfe", bidirectional=False)
    assert no_data.normal is None
    assert parse_power((-1500).to_bytes(4, signed=True)) == -1500
    assert parse_power(b"\x7f\xff\xff\xfe") is None


@pytest.mark.parametrize(
    "edt",
    [
        b"",
        STAMP,
        STAMP + b"\x00\x00\x00",
        STAMP + (1).to_bytes(4) + b"\x00",
        bytes((0x07, 0xEA, 13, 24, 9, 30, 0)) + (1).to_bytes(4),  # month 13
        bytes((0x07, 0xEA, 2, 30, 9, 30, 0)) + (1).to_bytes(4),  # 30 February
    ],
)
def test_garbled_energy_raises_the_value_error(edt: bytes) -> None:
    """Short, long or impossible: always the library's value error, never IndexError."""
    for parse in (parse_energy, parse_demand):
        with pytest.raises(MeterValueError):
            parse(edt, bidirectional=False)
    with pytest.raises(MeterValueError):
        parse_energy(edt + b"\x00", bidirectional=True)


@pytest.mark.parametrize(
    "edt",
    [
        b"",
        b"\x00",
        (1).to_bytes(2) + b"\x00" * 191,
        (1).to_bytes(2) + b"\x00" * 193,
        (100).to_bytes(2) + b"\x00" * 192,  # day 100: the meter keeps 0 to 99
        (0xFF).to_bytes(2) + b"\x00" * 192,  # the "not set" default
    ],
)
def test_garbled_history_raises_the_value_error(edt: bytes) -> None:
    with pytest.raises(MeterValueError):
        parse_history(edt, date(2026, 11, 24), "0xE7")
    with pytest.raises(MeterValueError):
        parse_power(edt[:3])


def test_history_is_dated_on_the_meters_calendar() -> None:
    edt = (2).to_bytes(2) + b"".join(n.to_bytes(4) for n in range(48))
    slots = parse_history(edt, date(2026, 11, 24), "0xE7")
    assert slots[0].timestamp == datetime(2026, 11, 22, 0, 0, tzinfo=JST)
    assert slots[47].timestamp == datetime(2026, 11, 22, 23, 30, tzinfo=JST)
    assert [s.count for s in slots[:3]] == [0, 1, 2]


# --- reading over UDP ----------------------------------------------------------------------


@pytest.fixture
def port(socket_enabled: None) -> int:
    return free_port()


@pytest.fixture
async def client(port: int) -> AsyncIterator[EchonetClient]:
    transport = EchonetTransport(CLIENT, port=port, multicast_group=None)
    async with EchonetClient(transport, retry=FAST) as started:
        yield started


async def _meter(port: int, *, bidirectional: bool = False) -> SimulatedHighVoltageMeter:
    sim = SimulatedHighVoltageMeter(
        METER, port, lambda: datetime.now(UTC), bidirectional=bidirectional
    )
    await sim.start()
    return sim


@pytest.mark.parametrize("bidirectional", [False, True], ids=["0x028A", "0x028F"])
async def test_reader_against_the_simulated_meter(
    client: EchonetClient, port: int, bidirectional: bool
) -> None:
    sim = await _meter(port, bidirectional=bidirectional)
    try:
        meter = HighVoltageMeter(client, METER)
        scales = await meter.connect()
        assert scales.energy.kwh(IMPORT_BASE) == 12_345.678
        assert meter.identification.endswith(b"HV-METER-0001".hex())
        assert meter.bidirectional is bidirectional
        reading = await meter.read()
        counts = sim.counts_at(reading.measured_at or datetime.now(UTC))
        assert counts is not None
        assert reading.import_kwh == pytest.approx(counts[0] / 1000)
        assert reading.demand_kw is not None
        assert reading.demand_at is not None
        assert reading.demand_at.minute in (0, 30)
        if bidirectional:
            assert reading.export_kwh == pytest.approx(counts[1] / 1000)
            assert reading.power_w is not None
        else:
            assert reading.export_kwh is None
            assert reading.power_w is None  # 0x028A has no instantaneous power

        imports, exports = await meter.history_day(3)
        assert len(imports) == 48
        day = (datetime.now(UTC).astimezone(JST) - timedelta(days=3)).date()
        assert imports[0].timestamp == datetime(day.year, day.month, day.day, tzinfo=JST)
        for slot in (imports[0], imports[17], imports[47]):
            expected = sim.counts_at(slot.timestamp)
            assert expected is not None
            assert slot.count == expected[0]
        assert len(exports) == (48 if bidirectional else 0)
        # Day 46 is beyond the 45 days kept: "no data", not zero.
        older, _ = await meter.history_day(46)
        assert all(slot.count is None for slot in older)
    finally:
        sim.close()


async def test_a_silent_meter_times_out(client: EchonetClient, port: int) -> None:
    sim = await _meter(port)
    try:
        meter = HighVoltageMeter(client, METER)
        await meter.connect()
        sim.silent = True
        with pytest.raises(EchonetTimeoutError):
            await meter.read()
        sim.silent = False
        assert (await meter.read()).import_kwh is not None
    finally:
        sim.close()


async def test_another_class_is_not_a_meter(client: EchonetClient, port: int) -> None:
    objects, settable = home_node(b"AIRCON-NODE-1", {EOJ.from_int(0x013001): air_conditioner()})
    node = SimulatedNode(OTHER, port, objects, settable=settable)
    await node.start()
    try:
        with pytest.raises(NotAHighVoltageMeterError, match="0x0130"):
            await HighVoltageMeter(client, OTHER).connect()
    finally:
        node.close()


async def test_answers_from_another_host_are_refused(client: EchonetClient, port: int) -> None:
    """A spoofed answer with the right TID from another address does not become the reading."""
    sim = await _meter(port)
    spoofer = SimulatedNode(OTHER, port, {})
    await spoofer.start()
    try:
        meter = HighVoltageMeter(client, METER)
        await meter.connect()
        sim.node.hold.clear()  # the real meter holds its answer back

        asked = len(sim.node.requests)
        task = asyncio.create_task(meter.read())
        request = (await sim.node.wait_requests(asked + 1))[-1]
        forged = Frame(
            request.tid,
            request.deoj,
            request.seoj,
            ESV.GET_RES,
            (Property(0xE2, STAMP + (1).to_bytes(4)),),
        )
        spoofer.send(forged, (CLIENT, port))
        await asyncio.sleep(0.05)
        sim.node.hold.set()
        reading = await task
        assert reading.import_kwh != 0.001
        assert client.counters.spoofed >= 1
    finally:
        spoofer.close()
        sim.close()


@pytest.mark.parametrize("edt", [b"", b"\x07\xea\x0b", b"\x07\xea\x02\x1e", b"\x07\xea\x0d\x01"])
def test_garbled_date_raises_the_value_error(edt: bytes) -> None:
    with pytest.raises(MeterValueError):
        parse_date(edt)
    assert parse_date(b"\x07\xea\x0b\x18") == date(2026, 11, 24)


async def test_history_without_the_meters_date(client: EchonetClient, port: int) -> None:
    """A meter without 0x98: its history is dated by its latest measurement (0xE2)."""
    sim = await _meter(port)
    get_map = decode_property_map(sim.values[0x9F])
    sim.values[0x9F] = encode_property_map(set(get_map) - {0x98})
    try:
        meter = HighVoltageMeter(client, METER)
        await meter.connect()
        assert not meter.offers(0x98)
        imports, _ = await meter.history_day(1)
        expected = sim.counts_at(imports[10].timestamp)
        assert expected is not None
        assert imports[10].count == expected[0]
        assert 0x98 not in {p.epc for r in sim.node.requests for p in r.properties}
    finally:
        sim.close()
