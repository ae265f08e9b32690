"""What pyhems' registry lacks, written here from the ECHONET Lite specification.

- The device object super class's descriptive properties (Appendix, 2.1):
  pyhems keeps only those it makes entities of, but a controller reads the
  maker, product code, serial number, clock and property maps of every device.
- The node profile (class 0x0EF0, specification part II, 6.11.1): pyhems
  handles it in code rather than as data. Its access rules are Get-only
  here (0x80 and 0xD5 may also be announced; nothing of it is ours to set).
- The opening family 0x0261, 0x0262, 0x0264, 0x0265, 0x0266: the Appendix
  gives them the same open/close properties as the electric rain sliding
  door/shutter (0x0263, which pyhems has); each is that class's layout
  under its own name until pyhems carries them.
- The low-voltage smart meter's measured instantaneous currents (0x0288,
  0xE8): the Appendix sets the T phase to 0x7FFE on a single-phase two-wire
  service, a code pyhems' range (-32767 to 32765) refuses, which left the
  whole property undecodable on most Japanese homes' meters.
- The same meter's historical data 2 and 3 (0xEC to 0xEF): the MRA gives
  their date and time 7 bytes; the Appendix (Release R, low-voltage smart
  electric energy meter class, 0xEC/0xED: "1-6 bytes: date and time ...
  YYYY MM DD hh mm", then the number of collection segments) gives 6, as
  meters send and as `lib/broute/meter_values.py` and pychonet
  (`LowVoltageSmartElectricEnergyMeter.py`, `_0288EC` docstring, lines
  116-142) read them.
- The air conditioner's timers and function settings (0x0130: 0x91, 0x92,
  0x95, 0x96, 0xC6 to 0xCB, 0xCD) and the super class's manufacturer's
  fault code (0x86), which pyhems leaves out because it makes no entity of
  them; see `AIR_CONDITIONER_EXTRA` and `MANUFACTURER_FAULT_CODE`.
- The super class's remote control setting (0x93) and cumulative operating
  time (0x9A), and the node profile's number of self-node instances (0xD3):
  the MRA gives them as codes, a unit and a count, and a 3-byte number.
"""

from dataclasses import replace
from typing import Final

from .spec import (
    ClassSpec,
    DataType,
    PropertySpec,
    Role,
    SpecialKind,
    SpecialValue,
    ValueSpec,
    array,
    bit,
    bitmap,
    cls,
    date,
    date_time,
    enum,
    ev,
    fld,
    number,
    prop,
    property_map,
    raw,
    rel_time,
    struct,
    text,
    time,
    u8,
    u16,
    u32,
)

_ON_OFF = enum(ev(0x30, "true", "ON", "ON"), ev(0x31, "false", "OFF", "OFF"))
_EOJ_LIST = array(
    raw(3),
    fld("count", "Number of instances", "インスタンス総数", u8(0, 0xFF)),
    count_field="count",
)
_CLASS_LIST = array(
    raw(2), fld("count", "Number of classes", "クラス総数", u8(0, 0xFF)), count_field="count"
)

NODE_PROFILE: Final = cls(
    0x0EF0,
    "node_profile",
    "Node profile",
    "ノードプロファイル",
    prop(0x80, "operating_status", "Operating status", "動作状態", "R-", _ON_OFF),
    prop(0x82, "version_information", "Version information", "Version情報", "R-", raw(4)),
    prop(0x83, "identification_number", "Identification number", "識別番号", "R-", raw(17)),
    prop(0x8A, "manufacturer_code", "Manufacturer code", "メーカコード", "R-", raw(3)),
    prop(
        0x9D,
        "status_change_announcement_property_map",
        "Status change announcement property map",
        "状変アナウンスプロパティマップ",
        "R-",
        property_map(),
    ),
    prop(0x9E, "set_property_map", "Set property map", "Setプロパティマップ", "R-", property_map()),
    prop(0x9F, "get_property_map", "Get property map", "Getプロパティマップ", "R-", property_map()),
    prop(
        0xD3,
        "number_of_self_node_instances",
        "Number of self-node instances",
        "自ノードインスタンス数",
        "R-",
        # The MRA: "3 byte data for integer", 0 to 0xFFFFFF.
        number(3, overflow_codes=False),
    ),
    prop(
        0xD4,
        "number_of_self_node_classes",
        "Number of self-node classes",
        "自ノードクラス数",
        "R-",
        u16(0, 0xFFFF),
    ),
    prop(
        0xD5,
        "instance_list_notification",
        "Instance list notification",
        "インスタンスリスト通知",
        "--",
        _EOJ_LIST,
    ),
    prop(
        0xD6,
        "self_node_instance_list_s",
        "Self-node instance list S",
        "自ノードインスタンスリストS",
        "R-",
        _EOJ_LIST,
    ),
    prop(
        0xD7,
        "self_node_class_list_s",
        "Self-node class list S",
        "自ノードクラスリストS",
        "R-",
        _CLASS_LIST,
    ),
    inherits_super_class=False,
)

_OPENINGS: Final = (
    (0x0261, "electrically_operated_shutter", "Electrically operated shutter", "電動シャッター"),
    (0x0262, "electrically_operated_curtain", "Electrically operated curtain", "電動カーテン"),
    (0x0264, "electrically_operated_gate", "Electrically operated gate", "電動ゲート"),
    (0x0265, "electrically_operated_window", "Electrically operated window", "電動窓"),
    (
        0x0266,
        "automatic_entrance_door",
        "Automatically operated entrance door/sliding door",
        "自動ドア",
    ),
)


def openings(rain_shutter: ClassSpec) -> list[ClassSpec]:
    """The opening family, each with 0x0263's properties under its own name."""
    return [
        replace(
            rain_shutter,
            class_id=class_id,
            key=key,
            en=en,
            ja=ja,
            note="Properties as class 0x0263 (electric rain sliding door/shutter).",
        )
        for class_id, key, en, ja in _OPENINGS
    ]


SUPER_CLASS_DESCRIPTIVE: Final[tuple[PropertySpec, ...]] = (
    prop(0x81, "installation_location", "Installation location", "設置場所", "RO", raw(1, 1, 17)),
    prop(
        0x82,
        "standard_version_information",
        "Standard version information",
        "規格Version情報",
        "R-",
        raw(4),
    ),
    prop(
        0x83, "identification_number", "Identification number", "識別番号", "O-", raw(None, 1, 17)
    ),
    prop(0x8A, "manufacturer_code", "Manufacturer code", "メーカコード", "R-", raw(3)),
    prop(0x8B, "business_facility_code", "Business facility code", "事業場コード", "O-", raw(3)),
    prop(0x8C, "product_code", "Product code", "商品コード", "O-", text(12)),
    prop(0x8D, "production_number", "Production number", "製造番号", "O-", text(12)),
    prop(0x8E, "production_date", "Production date", "製造年月日", "O-", date(4)),
    prop(
        0x93,
        "remote_control_setting",
        "Remote control setting",
        "遠隔操作設定",
        "OO",
        # The MRA's codes (super class 0x93, Release H and later).
        enum(
            ev(0x41, "not_public_network", "Not through a public network", "公衆回線未経由操作"),
            ev(0x42, "public_network", "Through a public network", "公衆回線経由操作"),
            ev(
                0x61,
                "line_normal_no_public_network",
                "Communication line normal (no operation through a public network)",
                "通信回線正常(公衆回線経由の操作不可)",
            ),
            ev(
                0x62,
                "line_normal_public_network",
                "Communication line normal (operation through a public network possible)",
                "通信回線正常(公衆回線経由の操作可能)",
            ),
        ),
    ),
    prop(0x97, "current_time_setting", "Current time setting", "現在時刻設定", "OO", time(2)),
    prop(0x98, "current_date_setting", "Current date setting", "現在年月日設定", "OO", date(4)),
    prop(
        0x9A,
        "cumulative_operating_time",
        "Cumulative operating time",
        "積算運転時間",
        "O-",
        # The MRA: a unit code (1 byte) and the time in that unit (4 bytes).
        struct(
            fld(
                "unit",
                "Unit",
                "単位",
                enum(
                    ev(0x41, "second", "Second", "秒"),
                    ev(0x42, "minute", "Minute", "分"),
                    ev(0x43, "hour", "Hour", "時"),
                    ev(0x44, "day", "Day", "日"),
                ),
            ),
            fld("time", "Time", "時間", u32(0, 0xFFFFFFFF, overflow_codes=False)),
        ),
    ),
    prop(
        0x9D,
        "status_change_announcement_property_map",
        "Status change announcement property map",
        "状変アナウンスプロパティマップ",
        "R-",
        property_map(),
    ),
    prop(0x9E, "set_property_map", "Set property map", "Setプロパティマップ", "R-", property_map()),
    prop(0x9F, "get_property_map", "Get property map", "Getプロパティマップ", "R-", property_map()),
)
"""Descriptive properties of every device object (the Appendix's super class, 2.1)."""


_FAULT_CODE_LAYOUT: Final = replace(
    struct(
        fld("data_size", "Data size", "データサイズ", u8(0, 0xFF, overflow_codes=False)),
        fld("manufacturer_code", "Manufacturer code", "メーカコード", raw(3)),
        fld(
            "fault_code",
            "Manufacturer-defined fault code",
            "メーカ独自異常コード",
            raw(None, 0, 225),
        ),
    ),
    required_fields=1,
)
MANUFACTURER_FAULT_CODE: Final = replace(
    prop(
        0x86,
        "manufacturer_s_fault_code",
        "Manufacturer's fault code",
        "メーカ異常コード",
        "O-",
        _FAULT_CODE_LAYOUT,
        # The MRA leaves it "raw_1-255"; the Appendix (Release R, 2.1 device object
        # super class, EPC 0x86) lays it out as the size of the data, the
        # manufacturer code (3 bytes) and the maker's own fault code (up to 225
        # bytes). Which of those the size counts is not consistent among devices,
        # so it is shown as sent and not checked; a device with no fault code may
        # send the size alone.
        "Data size, manufacturer code, manufacturer-defined fault code (Appendix 2.1).",
    ),
    role=Role.STATUS,
)


def with_descriptive(super_class: ClassSpec) -> ClassSpec:
    """The super class with the descriptive properties pyhems leaves out, and 0x86."""
    have = set(super_class.properties)
    extra = tuple(spec for spec in SUPER_CLASS_DESCRIPTIVE if spec.epc not in have)
    # They describe the device rather than measure anything.
    extra = tuple(replace(spec, role=Role.SPECIFICATION) for spec in extra)
    if MANUFACTURER_FAULT_CODE.epc not in have:
        extra = (*extra, MANUFACTURER_FAULT_CODE)
    merged = tuple(sorted((*super_class.own_properties, *extra), key=lambda spec: spec.epc))
    return replace(super_class, own_properties=merged)


LOW_VOLTAGE_METER: Final = 0x0288
EPC_CURRENTS: Final = 0xE8
SINGLE_PHASE_T: Final = SpecialValue(
    0x7FFE,
    "not_applicable",
    "Not applicable (single-phase two-wire)",
    "該当なし（単相2線式）",
    SpecialKind.NO_DATA,
)


def with_single_phase_currents(meter: ClassSpec) -> ClassSpec:
    """The meter with 0x7FFE, "single-phase two-wire", allowed in the T phase of 0xE8."""
    currents = meter.properties.get(EPC_CURRENTS)
    if currents is None or len(currents.value.fields) != 2:
        return meter
    r_phase, t_phase = currents.value.fields
    if t_phase.value.special_by_raw(SINGLE_PHASE_T.raw) is not None:
        return meter
    t_value = replace(t_phase.value, special=(*t_phase.value.special, SINGLE_PHASE_T))
    value = replace(currents.value, fields=(r_phase, replace(t_phase, value=t_value)))
    fixed = replace(currents, value=value)
    own = tuple(fixed if spec.epc == EPC_CURRENTS else spec for spec in meter.own_properties)
    return replace(meter, own_properties=own)


STRUCTURED_NAMES: Final[dict[tuple[int, int], tuple[str, str, str]]] = {
    # pyhems carries the layout of the Appendix's structured properties
    # (REGISTRY.structured_values) but not their names or access rules; these
    # are the Appendix's (Release R, each class's property table). Access is
    # Get and Set as in `prop`: "O-" read only, "OO" also settable.
    (0x0022, 0xE4): (
        "Cumulative amounts of electric energy measurement log",
        "積算電力量計測値履歴",
        "O-",
    ),
    (0x0134, 0xD0): ("Measured value of return air temperature", "還気温度計測値", "O-"),
    (0x0134, 0xD1): ("Measured value of return relative humidity", "還気相対湿度計測値", "O-"),
    (0x026B, 0xD9): (
        "Surplus electric energy power prediction value",
        "余剰電力量予測値",
        "OO",
    ),
    (0x0279, 0xB0): ("Output power controlling schedule", "出力制御スケジュール", "OO"),
    (0x027C, 0xD1): ("Power generation request time setting", "発電要請時刻設定", "OO"),
    (0x027E, 0xE6): ("Vehicle ID", "車両ID", "O-"),
    (0x0280, 0xE3): (
        "Cumulative amounts of electric energy measurement log 1",
        "積算電力量計測値履歴1",
        "O-",
    ),
    (0x0281, 0xE2): (
        "Historical data of measured cumulative amount of flowing water",
        "積算流量計測値履歴",
        "O-",
    ),
    (0x0281, 0xE7): (
        "Historical data 2 of measured cumulative amount of flowing water",
        "積算流量計測値履歴2",
        "O-",
    ),
    (0x0282, 0xE2): (
        "Cumulative amounts of gas consumption measurement log",
        "積算ガス消費量計測値履歴",
        "O-",
    ),
    (0x0287, 0xB2): (
        (
            "Channel range specification for cumulative amount of electric power consumption"
            " measurement (simplex)"
        ),
        "積算電力量計測チャンネル範囲指定（片方向）",
        "OO",
    ),
    (0x0287, 0xB3): (
        "Measured cumulative amount of electric power consumption list (simplex)",
        "積算電力量計測値リスト（片方向）",
        "O-",
    ),
    (0x0287, 0xB4): (
        "Channel range specification for instantaneous current measurement (simplex)",
        "瞬時電流計測チャンネル範囲指定（片方向）",
        "OO",
    ),
    (0x0287, 0xB5): (
        "Measured instantaneous current list (simplex)",
        "瞬時電流計測値リスト（片方向）",
        "O-",
    ),
    (0x0287, 0xB6): (
        "Channel range specification for instantaneous power consumption measurement (simplex)",
        "瞬時電力計測チャンネル範囲指定（片方向）",
        "OO",
    ),
    (0x0287, 0xB7): (
        "Measured instantaneous power consumption list (simplex)",
        "瞬時電力計測値リスト（片方向）",
        "O-",
    ),
    (0x0287, 0xB9): (
        (
            "Channel range specification for cumulative amount of electric power consumption"
            " measurement (duplex)"
        ),
        "積算電力量計測チャンネル範囲指定（双方向）",
        "OO",
    ),
    (0x0287, 0xBA): (
        "Measured cumulative amount of electric power consumption list (duplex)",
        "積算電力量計測値リスト（双方向）",
        "O-",
    ),
    (0x0287, 0xBB): (
        "Channel range specification for instantaneous current measurement (duplex)",
        "瞬時電流計測チャンネル範囲指定（双方向）",
        "OO",
    ),
    (0x0287, 0xBC): (
        "Measured instantaneous current list (duplex)",
        "瞬時電流計測値リスト（双方向）",
        "O-",
    ),
    (0x0287, 0xBD): (
        "Channel range specification for instantaneous power consumption measurement (duplex)",
        "瞬時電力計測チャンネル範囲指定（双方向）",
        "OO",
    ),
    (0x0287, 0xBE): (
        "Measured instantaneous power consumption list (duplex)",
        "瞬時電力計測値リスト（双方向）",
        "O-",
    ),
    (0x0287, 0xC3): (
        "Historical data of measured cumulative amounts of electric energy (normal direction)",
        "積算電力量計測値履歴（正方向）",
        "O-",
    ),
    (0x0287, 0xC4): (
        "Historical data of measured cumulative amounts of electric energy (reverse direction)",
        "積算電力量計測値履歴（逆方向）",
        "O-",
    ),
    (0x0288, 0xD0): (
        (
            "Cumulative amounts of electric energy measured at 1-minute intervals"
            " (normal and reverse directions)"
        ),
        "1分積算電力量計測値（正方向、逆方向計測値）",
        "O-",
    ),
    (0x0288, 0xE2): (
        "Historical data of measured cumulative amounts of electric energy 1 (normal direction)",
        "積算電力量計測値履歴1（正方向計測値）",
        "O-",
    ),
    (0x0288, 0xE4): (
        "Historical data of measured cumulative amounts of electric energy 1 (reverse direction)",
        "積算電力量計測値履歴1（逆方向計測値）",
        "O-",
    ),
    (0x0288, 0xEA): (
        "Cumulative amounts of electric energy measured at fixed time (normal direction)",
        "定時積算電力量計測値（正方向計測値）",
        "O-",
    ),
    (0x0288, 0xEB): (
        "Cumulative amounts of electric energy measured at fixed time (reverse direction)",
        "定時積算電力量計測値（逆方向計測値）",
        "O-",
    ),
    (0x0288, 0xEC): (
        (
            "Historical data of measured cumulative amounts of electric energy 2"
            " (normal and reverse directions)"
        ),
        "積算電力量計測値履歴2（正方向、逆方向計測値）",
        "O-",
    ),
    (0x0288, 0xED): (
        (
            "Day for which the historical data of measured cumulative amounts of electric energy"
            " is to be retrieved 2"
        ),
        "積算履歴収集日2",
        "OO",
    ),
    (0x0288, 0xEE): (
        (
            "Historical data of measured cumulative amounts of electric energy 3"
            " (normal and reverse directions)"
        ),
        "積算電力量計測値履歴3（正方向、逆方向計測値）",
        "O-",
    ),
    (0x0288, 0xEF): (
        (
            "Day for which the historical data of measured cumulative amounts of electric energy"
            " is to be retrieved 3"
        ),
        "積算履歴収集日3",
        "OO",
    ),
    (0x028A, 0xC3): (
        "Electric power demand at fixed time (30-minute average electric power)",
        "定時需要電力（30分平均電力）",
        "O-",
    ),
    (0x028A, 0xC6): (
        "Historical data of measured electric power demand",
        "需要電力計測値履歴",
        "O-",
    ),
    (0x028A, 0xCA): (
        (
            "Measurement data of reactive electric power consumption (lag)"
            " for power factor measurement"
        ),
        "力測用無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028A, 0xCB): (
        (
            "Measurement data of cumulative amount of reactive electric power consumption (lag)"
            " at fixed time for power factor measurement"
        ),
        "定時力測用無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028A, 0xCE): (
        (
            "Historical data of measurement data of cumulative amount of reactive electric power"
            " consumption (lag) for power factor measurement"
        ),
        "力測用無効電力量（遅れ）計量値履歴",
        "O-",
    ),
    (0x028A, 0xE2): (
        "Measured cumulative amounts of active electric energy",
        "積算有効電力量計量値",
        "O-",
    ),
    (0x028A, 0xE3): (
        "Cumulative amounts of active electric energy at fixed time",
        "定時積算有効電力量計量値",
        "O-",
    ),
    (0x028A, 0xE4): (
        (
            "Measurement data of cumulative amounts of active electric energy"
            " for power factor measurement"
        ),
        "力測用積算有効電力量計量値",
        "O-",
    ),
    (0x028A, 0xE7): (
        "Historical data of measured cumulative amount of active electric energy",
        "積算有効電力量計量値履歴",
        "O-",
    ),
    (0x028D, 0xE2): (
        "Historical data of measured cumulative amounts of electric energy (normal direction)",
        "積算電力量計測値履歴（正方向計測値）",
        "O-",
    ),
    (0x028D, 0xE4): (
        "Historical data of measured cumulative amounts of electric energy (reverse direction)",
        "積算電力量計測値履歴（逆方向計測値）",
        "O-",
    ),
    (0x028D, 0xEA): (
        "Cumulative amounts of electric energy measured at fixed time (normal direction)",
        "定時積算電力量計測値（正方向計測値）",
        "O-",
    ),
    (0x028D, 0xEB): (
        "Cumulative amounts of electric energy measured at fixed time (reverse direction)",
        "定時積算電力量計測値（逆方向計測値）",
        "O-",
    ),
    (0x028E, 0xE1): (
        "Historical data of measured cumulative amounts of electric energy (AC input)",
        "積算電力量計測値履歴（交流入力）",
        "O-",
    ),
    (0x028E, 0xE3): (
        "Historical data of measured cumulative amounts of electric energy (AC output)",
        "積算電力量計測値履歴（交流出力）",
        "O-",
    ),
    (0x028E, 0xE5): (
        (
            "Historical data of measured cumulative amounts of electric energy"
            " (output during a power outage)"
        ),
        "積算電力量計測値履歴（停電時出力）",
        "O-",
    ),
    (0x028E, 0xE6): (
        "Cumulative amounts of electric energy measured at fixed time (AC input)",
        "定時積算電力量計測値（交流入力）",
        "O-",
    ),
    (0x028E, 0xE7): (
        "Cumulative amounts of electric energy measured at fixed time (AC output)",
        "定時積算電力量計測値（交流出力）",
        "O-",
    ),
    (0x028E, 0xE8): (
        (
            "Cumulative amounts of electric energy measured at fixed time"
            " (output during a power outage)"
        ),
        "定時積算電力量計測値（停電時出力）",
        "O-",
    ),
    (0x028F, 0xC3): (
        "Electric power demand at fixed time (30-minute average electric power)",
        "定時需要電力（30分平均電力）",
        "O-",
    ),
    (0x028F, 0xC6): (
        "Historical data of measured electric power demand (normal direction)",
        "需要電力計測値履歴（正方向）",
        "O-",
    ),
    (0x028F, 0xC8): (
        "Historical data of measured electric power demand (reverse direction)",
        "需要電力計測値履歴（逆方向）",
        "O-",
    ),
    (0x028F, 0xCA): (
        "Cumulative amounts of reactive electric energy (lag) for power factor measurement",
        "力測用無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028F, 0xCB): (
        (
            "Cumulative amounts of reactive electric energy (lag) at fixed time"
            " for power factor measurement"
        ),
        "定時力測用無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028F, 0xCE): (
        (
            "Historical data of cumulative amounts of reactive electric energy (lag)"
            " for power factor measurement (normal direction)"
        ),
        "力測用無効電力量（遅れ）計量値履歴（正方向）",
        "O-",
    ),
    (0x028F, 0xCF): (
        (
            "Historical data of cumulative amounts of reactive electric energy (lag)"
            " for power factor measurement (reverse direction)"
        ),
        "力測用無効電力量（遅れ）計量値履歴（逆方向）",
        "O-",
    ),
    (0x028F, 0xD0): (
        "Cumulative amounts of active electric energy for power factor measurement",
        "力測用積算有効電力量計量値",
        "O-",
    ),
    (0x028F, 0xD1): (
        "Cumulative amounts of reactive electric energy (lag)",
        "積算無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028F, 0xD5): (
        "Cumulative amounts of reactive electric energy (lag) at fixed time",
        "定時積算無効電力量（遅れ）計量値",
        "O-",
    ),
    (0x028F, 0xD6): (
        "Cumulative amounts of reactive electric energy (lead) at fixed time",
        "定時積算無効電力量（進み）計量値",
        "O-",
    ),
    (0x028F, 0xE2): (
        "Measured cumulative amounts of active electric energy",
        "積算有効電力量計量値",
        "O-",
    ),
    (0x028F, 0xE3): (
        "Cumulative amounts of active electric energy at fixed time",
        "定時積算有効電力量計量値",
        "O-",
    ),
    (0x028F, 0xE4): (
        "Cumulative amounts of active electric energy at fixed time for power factor measurement",
        "定時力測用積算有効電力量計量値",
        "O-",
    ),
    (0x028F, 0xE7): (
        (
            "Historical data of measured cumulative amounts of active electric energy"
            " (normal direction)"
        ),
        "積算有効電力量計量値履歴（正方向）",
        "O-",
    ),
    (0x028F, 0xE8): (
        (
            "Historical data of measured cumulative amounts of active electric energy"
            " (reverse direction)"
        ),
        "積算有効電力量計量値履歴（逆方向）",
        "O-",
    ),
    (0x028F, 0xED): (
        "Historical data 2 of measured cumulative amounts of active electric energy",
        "積算有効電力量計量値履歴2",
        "OO",
    ),
    (0x028F, 0xEE): (
        (
            "Historical data 2 of cumulative amounts of reactive electric energy (lag)"
            " for power factor measurement"
        ),
        "力測用無効電力量（遅れ）計量値履歴2",
        "OO",
    ),
    (0x028F, 0xEF): (
        "Date and time for which historical data 2 is to be retrieved",
        "積算履歴収集日時2",
        "OO",
    ),
    (0x02A1, 0xE6): ("Vehicle ID", "車両ID", "O-"),
    (0x02A4, 0xC2): ("Power consumption rate list", "消費電力制限率リスト", "O-"),
    (0x02A5, 0xE8): ("Connected device object list", "接続機器オブジェクトリスト", "O-"),
    (0x02A6, 0xB9): (
        "Solar power generations utilization time",
        "太陽光発電利用時間",
        "OO",
    ),
    (0x02A7, 0xC1): ("Frequency regulation mode setting", "周波数制御モード設定", "OO"),
    (0x02A7, 0xC6): (
        "Autonomous control power correction table",
        "自端制御電力補正テーブル",
        "OO",
    ),
    (0x02A7, 0xCB): ("History information", "履歴情報", "O-"),
    (0x02A7, 0xCE): ("Measured power history", "計測電力履歴", "O-"),
    (0x02A7, 0xD5): (
        "Frequency regulation participation and status",
        "周波数調整サービス参加可否・状態",
        "O-",
    ),
    (0x02A7, 0xD7): ("Charge time setting", "充電時刻設定", "OO"),
    (0x02A7, 0xDF): (
        "Cumulative electric energy by control type",
        "制御種別積算電力量計測値",
        "O-",
    ),
    (0x02A7, 0xE0): ("Baseline information 1", "ベースライン情報1", "OO"),
    (0x02A7, 0xE1): ("Baseline 1 (first half)", "ベースライン1（前半）", "OO"),
    (0x02A7, 0xE2): ("Baseline 1 (second half)", "ベースライン1（後半）", "OO"),
    (0x02A7, 0xE3): ("Baseline information 2", "ベースライン情報2", "OO"),
    (0x02A7, 0xE4): ("Baseline 2 (first half)", "ベースライン2（前半）", "OO"),
    (0x02A7, 0xE5): ("Baseline 2 (second half)", "ベースライン2（後半）", "OO"),
    (0x02A7, 0xE6): ("Baseline information 3", "ベースライン情報3", "OO"),
    (0x02A7, 0xE7): ("Baseline 3 (first half)", "ベースライン3（前半）", "OO"),
    (0x02A7, 0xE8): ("Baseline 3 (second half)", "ベースライン3（後半）", "OO"),
    (0x03B7, 0xE0): (
        "Maximum allowable temperature setting level",
        "温度設定可能最大レベル",
        "O-",
    ),
    (0x03B9, 0x96): ("Relative time settings of off timers", "切タイマ相対時間設定値", "OO"),
    (0x03B9, 0xB1): ("Heating status", "加熱状態", "O-"),
    (0x03B9, 0xB2): ("Heating setting", "加熱設定", "OO"),
    (0x03B9, 0xE0): ("Heating modes of stoves", "コンロ加熱モード設定", "OO"),
    (0x0602, 0xB3): (
        "Character string to present to the user",
        "提示文字列設定",
        "OO",
    ),
    (0x0602, 0xB4): ("Length of character string accepted", "受付可能文字列長", "O-"),
}
"""Names and access of the structured properties pyhems describes only by layout."""


def _function_byte() -> ValueSpec:
    """One element of 0xC7, 0xC9 or 0xCB: a method's level, ON/OFF and automatic bits."""
    return bitmap(
        1,
        bit(0, "level", "Level", "制御レベル", 3),
        bit(3, "on", "ON", "動作モード"),
        bit(4, "automatic", "Automatic", "制御状態（自動）"),
    )


def _function_setting(methods: tuple[tuple[str, str, str], ...]) -> ValueSpec:
    """An 8-byte function setting: one element per method, the rest reserved."""
    fields = [fld(key, en, ja, _function_byte()) for key, en, ja in methods]
    reserved = fld("reserved", "Reserved for future use", "予約", raw(8 - len(methods)))
    return struct(*fields, reserved)


_AIR_CLEANING = (
    ("electrical_dust_collection", "Electrical dust collection", "電気集塵方式"),
    ("cluster_ion", "Cluster ion", "クラスタイオン方式"),
)
_AIR_REFRESH = (
    ("minus_ion", "Minus ion", "マイナスイオン方式"),
    ("cluster_ion", "Cluster ion", "クラスタイオン方式"),
)
_SELF_CLEANING = (
    ("ozone_cleaning", "Ozone cleaning", "オゾン洗浄方式"),
    ("drying", "Drying", "乾燥方式"),
)


def _mounted(methods: tuple[tuple[str, str, str], ...]) -> ValueSpec:
    """Which methods the unit has, one bit each (bit 0 the first)."""
    return bitmap(1, *(bit(shift, key, en, ja) for shift, (key, en, ja) in enumerate(methods)))


AIR_CONDITIONER: Final = 0x0130
AIR_CONDITIONER_EXTRA: Final[tuple[PropertySpec, ...]] = tuple(
    replace(spec, role=role)
    for spec, role in (
        # Appendix Release R, 3.3.1 home air conditioner class. pyhems leaves them
        # out (it makes no entity of them); pychonet has no decoder for any of them
        # (HomeAirConditioner.py lists 0xC6 to 0xCB and 0xCD as comments only,
        # lines 318-335) and reads 0x91/0x92/0x95/0x96 of a bathroom dryer as
        # "HH:MM" (BathroomDryer.py lines 77-81, lib/epc_functions.py `_hh_mm`).
        (
            # HH:MM, 0x00-0x17 : 0x00-0x3B.
            prop(
                0x91,
                "on_timer_setting_time",
                "ON timer setting (time)",
                "入タイマ時刻設定値",
                "OO",
                time(2),
            ),
            Role.SETTING,
        ),
        (
            # Hours 0x00-0xFF : minutes 0x00-0x3B, a duration (it may exceed a day).
            prop(
                0x92,
                "on_timer_setting_relative_time",
                "ON timer setting (relative time)",
                "入タイマ相対時間設定値",
                "OO",
                rel_time(),
            ),
            Role.SETTING,
        ),
        (
            prop(
                0x95,
                "off_timer_setting_time",
                "OFF timer setting (time)",
                "切タイマ時刻設定値",
                "OO",
                time(2),
            ),
            Role.SETTING,
        ),
        (
            prop(
                0x96,
                "off_timer_setting_relative_time",
                "OFF timer setting (relative time)",
                "切タイマ相対時間設定値",
                "OO",
                rel_time(),
            ),
            Role.SETTING,
        ),
        (
            # A bitmap: bit 0 electrical dust collection, bit 1 cluster ion
            # (node-echonet-lite 01-30-C6.js reads the same two bits).
            prop(
                0xC6,
                "mounted_air_cleaning_method",
                "Mounted air cleaning method",
                "搭載空気清浄方法",
                "O-",
                _mounted(_AIR_CLEANING),
            ),
            Role.SPECIFICATION,
        ),
        (
            # "An 8-byte array ... for each type of air purifier function, whether or
            # not to use it and the degree of air purification": element 0 electrical
            # dust collection, 1 cluster ion, 2 to 7 reserved. The Appendix does not
            # spell out an element's bits; the MRA (Release K, data format 3.1.0,
            # 0x0130 0xC7) does: bits 0-2 the level (0 to 7), bit 3 ON, bit 4
            # automatic. 0xC9 and 0xCB alike.
            prop(
                0xC7,
                "air_purifier_function_setting",
                "Air purifier function setting",
                "空気清浄機能モード設定",
                "OO",
                _function_setting(_AIR_CLEANING),
            ),
            Role.SETTING,
        ),
        (
            prop(
                0xC8,
                "mounted_air_refresh_method",
                "Mounted air refresh method",
                "搭載リフレッシュ方法",
                "O-",
                _mounted(_AIR_REFRESH),
            ),
            Role.SPECIFICATION,
        ),
        (
            prop(
                0xC9,
                "air_refresher_function_setting",
                "Air refresher function setting",
                "リフレッシュ機能モード設定",
                "OO",
                _function_setting(_AIR_REFRESH),
            ),
            Role.SETTING,
        ),
        (
            prop(
                0xCA,
                "mounted_self_cleaning_method",
                "Mounted self-cleaning method",
                "搭載自己洗浄方法",
                "O-",
                _mounted(_SELF_CLEANING),
            ),
            Role.SPECIFICATION,
        ),
        (
            prop(
                0xCB,
                "self_cleaning_function_setting",
                "Self-cleaning function setting",
                "自己洗浄機能モード設定",
                "OO",
                _function_setting(_SELF_CLEANING),
            ),
            Role.SETTING,
        ),
        (
            # Bit 0: the compressor is operating; bit 1: the thermostat is ON.
            prop(
                0xCD,
                "operation_status_of_components",
                "Operation status of components",
                "内部動作状態",
                "O-",
                bitmap(
                    1,
                    bit(0, "compressor", "Compressor operating", "コンプレッサ動作状態"),
                    bit(1, "thermostat", "Thermostat ON", "サーモON/OFF状態"),
                ),
            ),
            Role.STATUS,
        ),
    )
)
"""What the Appendix gives the home air conditioner and pyhems leaves out."""


def with_air_conditioner_extra(air_conditioner: ClassSpec) -> ClassSpec:
    """The air conditioner with its timers and function settings."""
    have = set(air_conditioner.properties)
    extra = tuple(spec for spec in AIR_CONDITIONER_EXTRA if spec.epc not in have)
    merged = tuple(sorted((*air_conditioner.own_properties, *extra), key=lambda spec: spec.epc))
    return replace(air_conditioner, own_properties=merged)


HISTORY_TIMED: Final = frozenset({0xEC, 0xED, 0xEE, 0xEF})
"""The low-voltage meter's properties whose date and time is YYYY MM DD hh mm (6 bytes)."""


def _six_byte_time(value: ValueSpec) -> ValueSpec:
    fields = tuple(
        replace(part, value=date_time(6)) if part.value.type is DataType.DATE_TIME else part
        for part in value.fields
    )
    size = value.size
    if size is not None:
        size -= sum(1 for part in value.fields if part.value.type is DataType.DATE_TIME)
    return replace(value, fields=fields, size=size)


def with_meter_fixes(meter: ClassSpec) -> ClassSpec:
    """The low-voltage meter with single-phase currents and 6-byte history times."""
    meter = with_single_phase_currents(meter)
    own = tuple(
        replace(spec, value=_six_byte_time(spec.value)) if spec.epc in HISTORY_TIMED else spec
        for spec in meter.own_properties
    )
    return replace(meter, own_properties=own)
