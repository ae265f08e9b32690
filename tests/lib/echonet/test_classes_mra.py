"""Every property the Machine Readable Appendix describes decodes to a typed value (issue 19, 5).

Against a home emulated from the MRA, about a tenth of the properties showed
as raw hex: pyhems keeps the MRA's structured properties (distribution board
channel lists, smart meter timed values and histories: ``object``, ``array``
and ``oneOf`` layouts) apart from its entities, in
``REGISTRY.structured_values``, which the class data did not read; and it
leaves out properties it makes no entity of (the air conditioner's timers and
function settings, the super class's 0x86). The walk below checks the whole
class data; the frames below are laid out as the Appendix gives them, and
are read by pychonet (scottyphillips/pychonet 2.8.2) and by Denki's own
B-route parser where those have a decoder for the same EPC.
"""

import datetime as dt
from typing import Any

from pyhems import REGISTRY
import pytest

from custom_components.denki.lib.broute.meter_values import parse_fixed_time, parse_history_2
from custom_components.denki.lib.echonet.classes import (
    CLASSES,
    DataType,
    ValueSpec,
    decode_value,
    encode_value,
    property_spec,
)

MRA_RAW = {
    (0x0000, 0x81): "installation location: the MRA's data is raw_1 or raw_17 (a remark only)",
    (0x0000, 0x82): "standard version information: raw_4 in the MRA",
    (0x0000, 0x83): "identification number: raw_17 in the MRA (an identifier)",
    (0x0000, 0x8A): "manufacturer code: raw_3 in the MRA (an identifier)",
    (0x0000, 0x8B): "business facility code: raw_3 in the MRA (an identifier)",
    (0x0EF0, 0x82): "node profile version information: raw_4 in the MRA",
    (0x0EF0, 0x83): "node profile identification number: raw_17 in the MRA",
    (0x0EF0, 0x8A): "node profile manufacturer code: raw_3 in the MRA",
    (0x0135, 0xF1): "a maker's own property (Sharp, pyhems custom data), not in the MRA",
}
"""The only properties left as bytes, and why: the MRA itself gives them no structure."""


def _raw_leaves(value: ValueSpec, path: str) -> list[str]:
    """Where inside a layout bytes are left undecoded."""
    if value.type is DataType.RAW:
        return [path]
    found: list[str] = []
    for part in value.fields:
        found += _raw_leaves(part.value, f"{path}.{part.key}")
    if value.item is not None:
        found += _raw_leaves(value.item, f"{path}[]")
    return found


def test_no_property_of_the_class_data_falls_back_to_raw_bytes() -> None:
    raw = {
        (class_id, epc)
        for class_id, spec in CLASSES.items()
        for epc, prop in spec.properties.items()
        if prop.value.type is DataType.RAW
    }
    assert raw == set(MRA_RAW)


def test_bytes_left_inside_structures_are_the_mras_own() -> None:
    """Inside a typed property, bytes are left only where the MRA gives bytes."""
    inner = sorted(
        f"0x{class_id:04X} 0x{epc:02X} {leaf}"
        for class_id, spec in CLASSES.items()
        for epc, prop in spec.properties.items()
        if prop.value.type is not DataType.RAW
        for leaf in _raw_leaves(prop.value, prop.key)
    )
    assert inner == sorted([
        # The maker's own fault code after its maker code (Appendix 2.1).
        "0x0000 0x86 manufacturer_s_fault_code.manufacturer_code",
        "0x0000 0x86 manufacturer_s_fault_code.fault_code",
        # Reserved elements of the 8-byte function settings.
        "0x0130 0xC7 air_purifier_function_setting.reserved",
        "0x0130 0xC9 air_refresher_function_setting.reserved",
        "0x0130 0xCB self_cleaning_function_setting.reserved",
        # A vehicle's ID, EOJs, a display's string, "RFU" and the frequency
        # regulation codes are raw in the MRA.
        "0x027E 0xE6 vehicle_id.id",
        "0x02A1 0xE6 vehicle_id.id",
        "0x02A5 0xE8 connected_device_object_list[]",
        "0x02A7 0xC1 frequency_regulation_mode_setting.frequency_regulation_mode",
        "0x02A7 0xD5 frequency_regulation_participation_and_status.possibility_to_participate",
        "0x02A7 0xD5 frequency_regulation_participation_and_status.frequency_regulation_status",
        "0x03B7 0xE0 maximum_allowable_temperature_setting_level.rfu",
        "0x0602 0xB3 character_string_to_present_to_the_user.character_string",
        # The node profile's EOJs and class codes (identifiers, Part II 6.11.1).
        "0x0EF0 0xD5 instance_list_notification[]",
        "0x0EF0 0xD6 self_node_instance_list_s[]",
        "0x0EF0 0xD7 self_node_class_list_s[]",
    ])  # fmt: skip


def test_every_property_pyhems_describes_is_in_the_class_data() -> None:
    described = {
        (class_id, entity.epc)
        for class_id, entities in REGISTRY.entities.items()
        for entity in entities
    } | {
        (class_id, epc) for class_id, values in REGISTRY.structured_values.items() for epc in values
    }
    missing = sorted(
        f"0x{class_id:04X} 0x{epc:02X}"
        for class_id, epc in described
        if property_spec(class_id, epc) is None
    )
    assert not missing


def test_structured_properties_have_the_appendixs_names_and_access() -> None:
    """pyhems gives the structured properties a layout only; the overlay names each one."""
    unnamed = [
        f"0x{class_id:04X} 0x{epc:02X}"
        for class_id, values in REGISTRY.structured_values.items()
        for epc in values
        if (spec := property_spec(class_id, epc)) is None or spec.en.startswith("Property 0x")
    ]
    assert not unnamed
    ranges = property_spec(0x0287, 0xB2)
    lists = property_spec(0x0287, 0xB3)
    assert ranges is not None
    assert lists is not None
    assert (ranges.get.allowed, ranges.set.allowed) == (True, True)
    assert (lists.get.allowed, lists.set.allowed) == (True, False)
    assert lists.ja.startswith("積算電力量計測値リスト")


# Frames of the properties the issue names, laid out as the Appendix gives them.

U32_NO_DATA = (0xFFFFFFFE).to_bytes(4)


def _u32(*values: int) -> bytes:
    return b"".join(value.to_bytes(4) for value in values)


def test_manufacturer_fault_code() -> None:
    """0x86 (Appendix 2.1): the size, the maker code, the maker's own fault code."""
    edt = bytes([0x02]) + b"\x00\x00\x0b" + b"\x12\x34"
    decoded = decode_value(0x0130, 0x86, edt)
    assert decoded.known
    assert decoded.value == {
        "data_size": 2,
        "manufacturer_code": b"\x00\x00\x0b",
        "fault_code": b"\x12\x34",
    }
    assert encode_value(0x0130, 0x86, decoded.value) == edt
    # A device with no fault to report may send the size alone.
    alone = decode_value(0x0288, 0x86, b"\x00").value
    assert alone == {"data_size": 0, "manufacturer_code": None, "fault_code": None}
    assert encode_value(0x0288, 0x86, alone) == b"\x00"


@pytest.mark.parametrize("epc", [0x91, 0x95])
def test_air_conditioner_timer_times(epc: int) -> None:
    """0x91, 0x95: HH:MM (0-23, 0-59), read as pychonet reads a bathroom dryer's."""
    decoded = decode_value(0x0130, epc, bytes([7, 30]))
    assert decoded.value == dt.time(7, 30)
    assert encode_value(0x0130, epc, dt.time(22, 5)) == bytes([22, 5])
    pychonet = pytest.importorskip("pychonet.lib.epc_functions")
    assert pychonet._hh_mm(bytes([7, 30])) == "7:30"


@pytest.mark.parametrize("epc", [0x92, 0x96])
def test_air_conditioner_timer_relative_times(epc: int) -> None:
    """0x92, 0x96: hours (0-255) and minutes (0-59) from now: a duration, past a day too."""
    decoded = decode_value(0x0130, epc, bytes([30, 15]))
    assert decoded.value == {"hours": 30, "minutes": 15}
    assert encode_value(0x0130, epc, {"hours": 1, "minutes": 30}) == bytes([1, 30])
    pychonet = pytest.importorskip("pychonet.lib.epc_functions")
    value: Any = decoded.value
    assert pychonet._hh_mm(bytes([30, 15])) == f"{value['hours']}:{value['minutes']:02}"


def test_air_conditioner_mounted_methods_and_components() -> None:
    """0xC6, 0xC8, 0xCA: which methods the unit has; 0xCD: compressor and thermostat."""
    assert decode_value(0x0130, 0xC6, b"\x02").value == {
        "electrical_dust_collection": False,
        "cluster_ion": True,
    }
    assert decode_value(0x0130, 0xC8, b"\x01").value == {"minus_ion": True, "cluster_ion": False}
    assert decode_value(0x0130, 0xCA, b"\x03").value == {"ozone_cleaning": True, "drying": True}
    assert decode_value(0x0130, 0xCD, b"\x01").value == {"compressor": True, "thermostat": False}


@pytest.mark.parametrize(
    ("epc", "first", "second"),
    [
        (0xC7, "electrical_dust_collection", "cluster_ion"),
        (0xC9, "minus_ion", "cluster_ion"),
        (0xCB, "ozone_cleaning", "drying"),
    ],
)
def test_air_conditioner_function_settings(epc: int, first: str, second: str) -> None:
    """0xC7, 0xC9, 0xCB: 8 elements, one per method: level (bits 0-2), ON (3), automatic (4)."""
    edt = bytes([0b11011, 0b01000, 0, 0, 0, 0, 0, 0])
    decoded = decode_value(0x0130, epc, edt)
    assert decoded.value == {
        first: {"level": 3, "on": True, "automatic": True},
        second: {"level": 0, "on": True, "automatic": False},
        "reserved": bytes(6),
    }
    assert encode_value(0x0130, epc, decoded.value) == edt


def test_air_conditioner_special_function_setting_stays_an_enum() -> None:
    assert decode_value(0x0130, 0xCC, b"\x42").value == "condensationSuppressor"


BOARD_RANGES = [0xB2, 0xB4, 0xB6, 0xB9, 0xBB, 0xBD]


@pytest.mark.parametrize("epc", BOARD_RANGES)
def test_distribution_board_channel_ranges(epc: int) -> None:
    """0xB2, 0xB4, 0xB6, 0xB9, 0xBB, 0xBD: the start channel and how many, settable."""
    decoded = decode_value(0x0287, epc, bytes([3, 4]))
    assert decoded.value == {"start_channel": 3, "range": 4}
    assert encode_value(0x0287, epc, {"start_channel": 1, "range": 2}) == bytes([1, 2])
    board = pytest.importorskip("pychonet.DistributionPanelMeter")
    theirs = getattr(board, f"_0287{epc:02X}")(bytes([3, 4]))
    assert (theirs["start_channel"], theirs["range"]) == (3, 4)


def test_distribution_board_energy_lists() -> None:
    """0xB3 (simplex): start, range, then a count per channel; 0xBA (duplex): two per channel."""
    simplex = bytes([1, 3]) + _u32(100, 0) + U32_NO_DATA
    assert decode_value(0x0287, 0xB3, simplex).value == {
        "start_channel": 1,
        "range": 3,
        "electric_energy": (100, 0, None),
    }
    duplex = bytes([2, 2]) + _u32(5, 6) + U32_NO_DATA + _u32(7)
    assert decode_value(0x0287, 0xBA, duplex).value == {
        "start_channel": 2,
        "range": 2,
        "electric_energy": (
            {"normal_direction_electric_energy": 5, "reverse_direction_electric_energy": 6},
            {"normal_direction_electric_energy": None, "reverse_direction_electric_energy": 7},
        ),
    }
    board = pytest.importorskip("pychonet.DistributionPanelMeter")
    assert board._0287B3(simplex)["values"][:2] == [100, 0]  # pychonet keeps 0xFFFFFFFE as is
    assert board._0287BA(duplex)["values"] == [
        {"normal_direction_kwh": 5, "reverse_direction_kwh": 6},
        {"normal_direction_kwh": None, "reverse_direction_kwh": 7},
    ]


def test_distribution_board_current_lists() -> None:
    """0xB5, 0xBC: per channel the R and T phase currents in 0.1 A; 0x7FFE is no data."""
    edt = bytes([1, 2]) + (105).to_bytes(2) + (0x7FFE).to_bytes(2) + (-20).to_bytes(2, signed=True)
    edt += (33).to_bytes(2)
    ours = {
        "start_channel": 1,
        "range": 2,
        "instantaneous_current": (
            {"r_phase": 10.5, "t_phase": None},
            {"r_phase": -2.0, "t_phase": 3.3},
        ),
    }
    assert decode_value(0x0287, 0xB5, edt).value == ours
    assert decode_value(0x0287, 0xBC, edt).value == ours
    board = pytest.importorskip("pychonet.DistributionPanelMeter")
    currents = [(c["r_phase_a"], c["t_phase_a"]) for c in board._0287B5(edt)["currents"]]
    assert currents == [(10.5, None), (-2.0, 3.3)]


@pytest.mark.parametrize("epc", [0xB7, 0xBE])
def test_distribution_board_power_lists(epc: int) -> None:
    """0xB7, 0xBE: a signed power per channel in W; 0x7FFFFFFE is no data."""
    edt = bytes([4, 3]) + (-200).to_bytes(4, signed=True) + (1500).to_bytes(4)
    edt += (0x7FFFFFFE).to_bytes(4)
    decoded = decode_value(0x0287, epc, edt)
    assert decoded.value == {
        "start_channel": 4,
        "range": 3,
        "instantaneous_electric_power": (-200, 1500, None),
    }
    board = pytest.importorskip("pychonet.DistributionPanelMeter")
    if epc == 0xBE:
        assert board._0287BE(edt)["values"] == [-200, 1500, None]
    else:
        assert board._0287B7(edt)["values"][:2] == [-200, 1500]


def test_distribution_board_list_must_hold_what_its_range_says() -> None:
    from custom_components.denki.lib.echonet.classes import PropertyValueError

    with pytest.raises(PropertyValueError, match="range says 3 items, not 2"):
        decode_value(0x0287, 0xB3, bytes([1, 3]) + _u32(1, 2))


def test_distribution_board_daily_history() -> None:
    """0xC3: the day, then 48 half-hourly counts."""
    edt = (1).to_bytes(2) + _u32(*range(47)) + U32_NO_DATA
    decoded = decode_value(0x0287, 0xC3, edt)
    assert decoded.value == {"day": 1, "electric_energy": (*range(47), None)}
    board = pytest.importorskip("pychonet.DistributionPanelMeter")
    theirs = board._0287C3(edt)
    assert (theirs["day"], theirs["readings_48_half_hourly"]) == (1, [*range(47), None])


@pytest.mark.parametrize("epc", [0xEA, 0xEB])
def test_meter_fixed_time_values(epc: int) -> None:
    """0xEA, 0xEB: YYYY MM DD hh mm ss (7 bytes), then the count at that time."""
    edt = (2025).to_bytes(2) + bytes([12, 7, 13, 30, 0]) + _u32(123456)
    decoded = decode_value(0x0288, epc, edt)
    assert decoded.value == {
        "date_and_time": dt.datetime(2025, 12, 7, 13, 30),  # noqa: DTZ001 - the meter's own clock
        "electric_energy": 123456,
    }
    ours = parse_fixed_time(edt)
    assert (ours.timestamp.replace(tzinfo=None), ours.count) == (
        dt.datetime(2025, 12, 7, 13, 30),  # noqa: DTZ001
        123456,
    )
    meter = pytest.importorskip("pychonet.LowVoltageSmartElectricEnergyMeter")
    assert meter._0288EA(edt) == {"time": "2025-12-07T13:30:00", "culmative_value": 123456}


def test_meter_history_2() -> None:
    """0xEC: YYYY MM DD hh mm (6 bytes, the Appendix; the MRA says 7), segments, pairs."""
    edt = (2025).to_bytes(2) + bytes([12, 7, 13, 30, 2]) + _u32(10, 1) + U32_NO_DATA + _u32(0)
    decoded = decode_value(0x0288, 0xEC, edt)
    assert decoded.value == {
        "date_and_time": dt.datetime(2025, 12, 7, 13, 30),  # noqa: DTZ001
        "number_of_collection_segments": 2,
        "electric_energy": (
            {"normal_direction_electric_energy": 10, "reverse_direction_electric_energy": 1},
            {"normal_direction_electric_energy": None, "reverse_direction_electric_energy": 0},
        ),
    }
    # Denki's B-route parser (pychonet has none: "Not implemented") reads the same bytes.
    pairs = parse_history_2(edt)
    assert [p.timestamp.replace(tzinfo=None) for p in pairs] == [
        dt.datetime(2025, 12, 7, 13, 30),  # noqa: DTZ001
        dt.datetime(2025, 12, 7, 13, 0),  # noqa: DTZ001
    ]
    assert [(p.normal, p.reverse) for p in pairs] == [(10, 1), (None, 0)]


@pytest.mark.parametrize(("epc", "segments"), [(0xED, 12), (0xEF, 10)])
def test_meter_history_requests(epc: int, segments: int) -> None:
    """0xED, 0xEF: the newest point (6 bytes) and how many, settable."""
    when = dt.datetime(2025, 12, 7, 13, 31)  # noqa: DTZ001
    edt = (2025).to_bytes(2) + bytes([12, 7, 13, 31, segments])
    value = {"date_and_time": when, "number_of_collection_segments": segments}
    assert decode_value(0x0288, epc, edt).value == value
    assert encode_value(0x0288, epc, value) == edt


def test_meter_history_3() -> None:
    """0xEE: as 0xEC, every minute, up to 10 pairs (next-generation meters)."""
    edt = (2025).to_bytes(2) + bytes([12, 7, 13, 31, 1]) + _u32(1234, 5)
    assert decode_value(0x0288, 0xEE, edt).value == {
        "date_and_time": dt.datetime(2025, 12, 7, 13, 31),  # noqa: DTZ001
        "number_of_collection_segments": 1,
        "electric_energy": (
            {"normal_direction_electric_energy": 1234, "reverse_direction_electric_energy": 5},
        ),
    }


def test_meter_history_1_and_one_minute_value() -> None:
    """0xE2: the day and 48 counts; 0xD0: the latest 1-minute pair with its time."""
    edt = (3).to_bytes(2) + _u32(*range(48))
    assert decode_value(0x0288, 0xE2, edt).value == {"day": 3, "electric_energy": tuple(range(48))}
    minute = (2025).to_bytes(2) + bytes([12, 7, 13, 31, 0]) + _u32(7, 8)
    assert decode_value(0x0288, 0xD0, minute).value == {
        "date_and_time": dt.datetime(2025, 12, 7, 13, 31),  # noqa: DTZ001
        "normal_direction_electric_energy": 7,
        "reverse_direction_electric_energy": 8,
    }


def test_super_class_codes_and_operating_time() -> None:
    """0x93 is the MRA's codes, 0x9A a unit and a time (pychonet reads it in seconds)."""
    assert decode_value(0x0130, 0x93, b"\x42").value == "public_network"
    edt = b"\x43" + (256).to_bytes(4)
    assert decode_value(0x0130, 0x9A, edt).value == {"unit": "hour", "time": 256}
    functions = pytest.importorskip("pychonet.lib.epc_functions")
    assert functions._009A(edt) == 256 * 3600
    assert decode_value(0x0EF0, 0xD3, b"\x00\x01\x02").value == 0x0102


def test_structured_values_with_special_dates_and_fixed_lists() -> None:
    """A date of 0xFFFFFFFF is "unknown"; a fixed number of items stays a field."""
    schedule = decode_value(0x0279, 0xB0, b"\xff" * 4 + bytes([50] * 96)).value
    assert isinstance(schedule, dict)
    assert schedule["date"] is None
    assert schedule["power_control_ratio"] == (50,) * 96
    objects = decode_value(0x02A5, 0xE8, bytes([2, 0x02, 0x7D, 0x01, 0x02, 0x79, 0x01])).value
    assert objects == {
        "number_of_connected_device_objects": 2,
        "connected_device_object_list": (b"\x02\x7d\x01", b"\x02\x79\x01"),
    }
