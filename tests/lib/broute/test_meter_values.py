"""Low-voltage smart meter values, by hand-computed bytes and against momonga's decoder."""

from datetime import UTC, date, datetime, timedelta
import random

from momonga.momonga_echonet_data import EchonetDataParser
import pytest

from custom_components.denki.lib.broute.meter_values import (
    JST,
    Current,
    EnergyScale,
    MeterValueError,
    TimedCount,
    TimedPair,
    build_history_2,
    build_history_3,
    build_history_day,
    parse_coefficient,
    parse_cumulative,
    parse_current,
    parse_digits,
    parse_fixed_time,
    parse_history_2,
    parse_history_3,
    parse_history_day,
    parse_one_minute,
    parse_power,
    parse_unit,
)


def u32(value: int) -> bytes:
    return value.to_bytes(4)


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        (0x00, 0),
        (0x01, -1),
        (0x02, -2),
        (0x03, -3),
        (0x04, -4),
        (0x0A, 1),
        (0x0B, 2),
        (0x0C, 3),
        (0x0D, 4),
    ],
)
def test_unit_table(code: int, exponent: int) -> None:
    assert parse_unit(bytes([code])) == exponent


@pytest.mark.parametrize("code", [0x05, 0x09, 0x0E, 0xFF])
def test_undefined_unit_is_refused(code: int) -> None:
    with pytest.raises(MeterValueError, match=f"0x{code:02X} is not defined"):
        parse_unit(bytes([code]))


def test_coefficient_and_digits() -> None:
    assert parse_coefficient(u32(1)) == 1
    assert parse_coefficient(u32(999_999)) == 999_999
    assert parse_digits(b"\x06") == 6
    for bad in (u32(0), u32(1_000_000)):
        with pytest.raises(MeterValueError, match="outside 1 to 999999"):
            parse_coefficient(bad)
    for bad in (b"\x00", b"\x09"):
        with pytest.raises(MeterValueError, match="outside 1 to 8"):
            parse_digits(bad)
    with pytest.raises(MeterValueError, match="takes 4 bytes, not 3"):
        parse_coefficient(b"\x00\x00\x01")


def test_default_scale_is_coefficient_one() -> None:
    """0xD3 is optional: without it, counts are kWh times the unit."""
    assert EnergyScale().kwh(1234) == 1234.0


@pytest.mark.parametrize(
    ("scale", "raw", "kwh"),
    [
        (EnergyScale(1, -1, 6), 123456, 12345.6),
        (EnergyScale(1, -2, 8), 1, 0.01),
        (EnergyScale(40, -1, 6), 12345, 49380.0),  # a CT meter with a coefficient
        (EnergyScale(1, 1, 6), 7, 70.0),
        (EnergyScale(1, -4, 8), 99_999_999, 9999.9999),
    ],
)
def test_scaled_energy_is_exact(scale: EnergyScale, raw: int, kwh: float) -> None:
    assert scale.kwh(raw) == kwh


def test_no_data_and_too_many_digits() -> None:
    scale = EnergyScale(1, -1, 6)
    assert scale.kwh(0xFFFFFFFE) is None
    with pytest.raises(MeterValueError, match="exceeds 6 digits"):
        scale.kwh(1_000_000)


def test_rollover_at_effective_digits() -> None:
    scale = EnergyScale(1, -1, 6)
    assert scale.modulus == 1_000_000
    assert scale.delta_kwh(999_990, 15) == 2.5  # 25 counts across the rollover
    assert scale.delta_kwh(100, 130) == 3.0
    assert scale.delta_kwh(5, 5) == 0.0
    with pytest.raises(MeterValueError):
        scale.delta_kwh(1_000_000, 3)


def test_power() -> None:
    assert parse_power(u32(500)) == 500
    assert parse_power((-1200).to_bytes(4, signed=True)) == -1200
    for marker in (0x7FFFFFFE, 0x7FFFFFFF, 0x80000000):
        assert parse_power(u32(marker)) is None


def test_current_single_and_three_phase() -> None:
    assert parse_current(bytes.fromhex("00640032")) == Current(10.0, 5.0, single_phase=False)
    assert parse_current(bytes.fromhex("00647FFE")) == Current(10.0, None, single_phase=True)
    assert parse_current(bytes.fromhex("7FFE0032")) == Current(None, 5.0, single_phase=False)
    assert parse_current(bytes.fromhex("FF9C0000")) == Current(-10.0, 0.0, single_phase=False)


def test_fixed_time_value() -> None:
    edt = bytes.fromhex("07EA0B16111E00") + u32(123456)  # 2026-11-22 17:30:00
    assert parse_fixed_time(edt) == TimedCount(datetime(2026, 11, 22, 17, 30, tzinfo=JST), 123456)
    with pytest.raises(MeterValueError, match="not a date"):
        parse_fixed_time(bytes.fromhex("07EA0D16113000") + u32(1))


def test_history_day_uses_the_meters_date() -> None:
    counts = [1000 + i for i in range(47)] + [0xFFFFFFFE]
    edt = (1).to_bytes(2) + b"".join(u32(c) for c in counts)
    points = parse_history_day(edt, meter_today=date(2026, 1, 1))
    assert points[0] == TimedCount(datetime(2025, 12, 31, 0, 0, tzinfo=JST), 1000)
    assert points[46] == TimedCount(datetime(2025, 12, 31, 23, 0, tzinfo=JST), 1046)
    assert points[47] == TimedCount(datetime(2025, 12, 31, 23, 30, tzinfo=JST), None)
    assert build_history_day(1) == b"\x01"
    with pytest.raises(MeterValueError, match="100 days"):
        build_history_day(100)


def test_history_2_and_3() -> None:
    newest = datetime(2026, 11, 22, 17, 30, tzinfo=JST)
    edt = bytes.fromhex("07EA0B1611 1E 03".replace(" ", "")) + b"".join(
        u32(n) + u32(r) for n, r in [(300, 10), (290, 0xFFFFFFFE), (280, 8)]
    )
    assert parse_history_2(edt) == [
        TimedPair(newest, 300, 10),
        TimedPair(newest - timedelta(minutes=30), 290, None),
        TimedPair(newest - timedelta(minutes=60), 280, 8),
    ]
    one_minute = bytes.fromhex("07EA0B16112D02") + u32(5) + u32(0) + u32(4) + u32(0)
    assert [p.timestamp.minute for p in parse_history_3(one_minute)] == [45, 44]
    with pytest.raises(MeterValueError, match="at most 10 points, not 11"):
        parse_history_3(bytes.fromhex("07EA0B16112D0B") + bytes(88))
    with pytest.raises(MeterValueError, match="of 3 points takes 31 bytes"):
        parse_history_2(edt[:-1])


def test_history_requests_round_down_and_are_bounded() -> None:
    assert build_history_2(datetime(2026, 11, 22, 17, 44, tzinfo=JST), 12) == bytes.fromhex(
        "07EA0B1611 1E 0C".replace(" ", "")
    )
    # An aware time in another zone is converted to the meter's time first.
    assert build_history_3(datetime(2026, 11, 22, 8, 44, 59, tzinfo=UTC), 10)[4:6] == bytes(
        [17, 44]
    )
    with pytest.raises(MeterValueError, match="between 1 and 12"):
        build_history_2(datetime(2026, 1, 1, tzinfo=JST), 13)
    with pytest.raises(MeterValueError, match="between 1 and 10"):
        build_history_3(datetime(2026, 1, 1, tzinfo=JST), 0)


def test_one_minute_value() -> None:
    edt = bytes.fromhex("07EA0B16112D1E") + u32(123) + u32(0xFFFFFFFE)
    assert parse_one_minute(edt) == TimedPair(
        datetime(2026, 11, 22, 17, 45, 30, tzinfo=JST), 123, None
    )


def test_cumulative_length() -> None:
    assert parse_cumulative(u32(42)) == 42
    with pytest.raises(MeterValueError):
        parse_cumulative(b"\x00")


def test_agrees_with_momonga_where_both_define_the_value() -> None:
    """momonga (PyPI) is an independent decoder of the same properties."""
    rng = random.Random(7)
    scale = EnergyScale(1, -1, 8)
    for _ in range(500):
        power = rng.randint(-5000, 20000).to_bytes(4, signed=True)
        assert parse_power(power) == EchonetDataParser.parse_instantaneous_power(power)
        raw = rng.randint(0, 99_999_999)
        ours = scale.kwh(raw)
        theirs = EchonetDataParser.parse_measured_cumulative_energy(u32(raw), 0.1, 1)
        assert ours == pytest.approx(theirs)
        edt = bytes.fromhex("07EA0B16113000") + u32(raw)
        fixed = parse_fixed_time(edt)
        momonga_fixed = EchonetDataParser.parse_cumulative_energy_measured_at_fixed_time(
            edt, 0.1, 1
        )
        assert fixed.timestamp.replace(tzinfo=None) == momonga_fixed["timestamp"]
        pairs = bytes.fromhex("07EA0B16113002") + u32(raw) + u32(1) + u32(raw // 2) + u32(2)
        ours_pairs = parse_history_2(pairs)
        theirs_pairs = EchonetDataParser.parse_historical_cumulative_energy_2(pairs, 1, 1)
        assert [(p.timestamp.replace(tzinfo=None), p.normal, p.reverse) for p in ours_pairs] == [
            (
                t["timestamp"],
                t["cumulative energy"]["normal direction"],
                t["cumulative energy"]["reverse direction"],
            )
            for t in theirs_pairs
        ]


def test_differs_from_momonga_on_single_phase_current() -> None:
    """momonga reads a T-phase 0x7FFE as missing data; it means single-phase two-wire."""
    edt = bytes.fromhex("00647FFE")
    assert EchonetDataParser.parse_instantaneous_current(edt)["t phase current"] is None
    assert parse_current(edt).single_phase is True
