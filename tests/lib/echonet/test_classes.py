"""The class data built from pyhems' registry, its overlay, and the value codec over it."""

from decimal import Decimal
import random

from pychonet.lib.epc import EPC_CODE
import pytest

from custom_components.denki.lib.echonet.classes import (
    CLASSES,
    Access,
    DataType,
    PropertyValueError,
    Role,
    SpecialKind,
    UnknownPropertyError,
    class_spec,
    decode_value,
    encode_value,
    property_spec,
)

REQUIRED_CLASSES = [
    0x0000, 0x0EF0, 0x0011, 0x0012, 0x0130, 0x0135, 0x013A, *range(0x0260, 0x0267),
    0x026B, 0x026F, 0x0272, 0x0273, 0x0279, 0x027B, 0x027C, 0x027D, 0x027E, 0x0280,
    0x0281, 0x0282, 0x0287, 0x0288, 0x028A, 0x0290, 0x0291, 0x02A1, 0x02A3, 0x02A4,
    0x02A5, 0x02A6, 0x03B7,
]  # fmt: skip


@pytest.mark.parametrize("class_id", REQUIRED_CLASSES)
def test_every_class_the_issue_names_is_there_with_names(class_id: int) -> None:
    spec = class_spec(class_id)
    assert spec is not None
    assert spec.en
    assert spec.ja
    assert spec.properties, f"0x{class_id:04X} has no properties"
    for prop in spec.properties.values():
        assert prop.en
        assert prop.ja
        assert prop.key == prop.key.lower()
        assert prop.get.allowed or prop.set.allowed or prop.epc == 0xD5


def test_numbers_carry_range_unit_scale_and_role() -> None:
    target = property_spec(0x0130, 0xB3)
    assert target is not None
    assert (target.value.type, target.value.size, target.value.unit) == (DataType.UNSIGNED, 1, "°C")
    assert (target.value.minimum, target.value.maximum) == (0, 50)
    assert target.get is Access.REQUIRED
    assert target.set is Access.REQUIRED
    energy = property_spec(0x0279, 0xE1)
    assert energy is not None
    assert energy.value.scale == Decimal("0.001")
    assert energy.value.unit == "kWh"
    power = property_spec(0x0288, 0xE7)
    assert power is not None
    assert power.role is Role.INSTANTANEOUS
    assert decode_value(0x0279, 0xE1, (1234567).to_bytes(4)).value == pytest.approx(1234.567)
    assert decode_value(0x0130, 0xBB, b"\xfe").value == -2  # a signed byte


def test_enums_decode_and_encode_by_key() -> None:
    mode = decode_value(0x0130, 0xB0, b"\x42")
    assert mode.value == "cooling"
    assert mode.enum is not None
    assert mode.enum.ja == "冷房"
    assert encode_value(0x0130, 0xB0, "heating") == b"\x43"
    assert encode_value(0x0130, 0x80, "false") == b"\x31"
    with pytest.raises(PropertyValueError, match="not a code"):
        encode_value(0x0130, 0xB0, "warp")
    with pytest.raises(PropertyValueError):
        decode_value(0x0130, 0xB0, b"\x42\x42")


def test_several_fields_at_offsets_make_a_struct() -> None:
    rated = property_spec(0x0130, 0xB8)
    assert rated is not None
    assert rated.value.type is DataType.STRUCT
    assert rated.value.size == 8
    value = decode_value(0x0130, 0xB8, bytes.fromhex("03E8044C00C8001E")).value
    assert isinstance(value, dict)
    assert list(value.values()) == [1000, 1100, 200, 30]


def test_the_overlay_adds_what_pyhems_lacks() -> None:
    # Super class descriptive properties, inherited by every device class.
    assert decode_value(0x0130, 0x8C, b"AC-SIM" + bytes(6)).value == "AC-SIM"
    maps = decode_value(0x0130, 0x9F, bytes.fromhex("0380B0B3")).value
    assert set(maps) == {0x80, 0xB0, 0xB3}  # type: ignore[arg-type]
    # The node profile, which does not inherit the super class.
    profile = class_spec(0x0EF0)
    assert profile is not None
    assert not profile.inherits_super_class
    assert property_spec(0x0EF0, 0x84) is None
    instances = decode_value(0x0EF0, 0xD6, bytes.fromhex("02013001026B01")).value
    assert instances is not None
    # The opening family has 0x0263's properties under its own names.
    window, rain_shutter = class_spec(0x0265), class_spec(0x0263)
    assert window is not None
    assert rain_shutter is not None
    assert window.ja == "電動窓"
    assert set(window.properties) == set(rain_shutter.properties)


def test_unknown_classes_and_properties_decode_as_far_as_possible() -> None:
    unknown = decode_value(0x0999, 0xF0, b"\x01\x02")
    assert not unknown.known
    assert unknown.value == 0x0102
    # An unknown device class still has the super class's properties.
    assert decode_value(0x0999, 0x80, b"\x30").value == "true"
    with pytest.raises(UnknownPropertyError):
        encode_value(0x0999, 0xF0, 3)
    assert encode_value(0x0999, 0xF0, b"\x03") == b"\x03"


def test_overflow_codes_are_no_data() -> None:
    decoded = decode_value(0x0288, 0xE7, (0x7FFFFFFF).to_bytes(4))
    assert decoded.value is None
    assert decoded.special is not None
    assert decoded.special.kind is SpecialKind.OVERFLOW


def test_every_known_number_round_trips() -> None:
    rng = random.Random(3610)
    checked = 0
    for class_id, spec in CLASSES.items():
        for prop in spec.properties.values():
            value = prop.value
            if value.type not in (DataType.UNSIGNED, DataType.SIGNED, DataType.ENUM):
                continue
            for _ in range(5):
                if value.type is DataType.ENUM:
                    raw = rng.choice(value.enum).raw
                else:
                    assert value.minimum is not None
                    assert value.maximum is not None
                    raw = rng.randint(value.minimum, value.maximum)
                assert value.size is not None
                edt = raw.to_bytes(value.size, signed=value.type is DataType.SIGNED)
                decoded = decode_value(class_id, prop.epc, edt)
                if decoded.special is not None:
                    continue
                assert encode_value(class_id, prop.epc, decoded.value) == edt, (class_id, prop.epc)
                checked += 1
    assert checked > 2000


def test_names_agree_with_pychonet_where_both_know_the_property() -> None:
    """pychonet (an independent peer) names EPCs too; most of ours must agree in meaning."""
    compared = agreed = 0
    by_class = [
        (group << 8 | code, names)
        for group, classes in EPC_CODE.items()
        for code, names in classes.items()
    ]
    for class_id, names in by_class:
        spec = class_spec(class_id)
        if spec is None:
            continue
        for epc, name in names.items():
            ours = spec.properties.get(epc)
            if ours is None:
                continue
            compared += 1
            words = {w for w in name.lower().replace("_", " ").split() if len(w) > 3}
            agreed += bool(words & set(ours.en.lower().replace("-", " ").split()))
    assert compared > 300
    assert agreed / compared > 0.8


def test_a_single_phase_meter_reports_no_t_phase_current() -> None:
    """0x7FFE in 0xE8's T phase means single-phase two-wire (Appendix, 0x0288), not a range error."""
    decoded = decode_value(0x0288, 0xE8, bytes.fromhex("00147FFE"))
    assert decoded.value == {
        "measured_instantaneous_currents_r_phase": pytest.approx(2.0),
        "measured_instantaneous_currents_t_phase": None,
    }
    assert encode_value(0x0288, 0xE8, decoded.value) == bytes.fromhex("00147FFE")
    three_wire = decode_value(0x0288, 0xE8, bytes.fromhex("0014FFF0"))
    assert three_wire.value["measured_instantaneous_currents_t_phase"] == pytest.approx(-1.6)  # type: ignore[index]
