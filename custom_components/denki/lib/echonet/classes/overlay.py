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
"""

from dataclasses import replace
from typing import Final

from .spec import (
    ClassSpec,
    PropertySpec,
    Role,
    SpecialKind,
    SpecialValue,
    array,
    cls,
    date,
    enum,
    ev,
    fld,
    prop,
    property_map,
    raw,
    text,
    time,
    u8,
    u16,
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
        raw(3),
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
    prop(0x93, "remote_control_setting", "Remote control setting", "遠隔操作設定", "OO", raw(1)),
    prop(0x97, "current_time_setting", "Current time setting", "現在時刻設定", "OO", time(2)),
    prop(0x98, "current_date_setting", "Current date setting", "現在年月日設定", "OO", date(4)),
    prop(
        0x9A, "cumulative_operating_time", "Cumulative operating time", "積算運転時間", "O-", raw(5)
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


def with_descriptive(super_class: ClassSpec) -> ClassSpec:
    """The super class with the descriptive properties pyhems leaves out."""
    have = set(super_class.properties)
    extra = tuple(spec for spec in SUPER_CLASS_DESCRIPTIVE if spec.epc not in have)
    # They describe the device rather than measure anything.
    extra = tuple(replace(spec, role=Role.SPECIFICATION) for spec in extra)
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
