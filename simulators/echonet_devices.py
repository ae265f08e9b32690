"""Device objects for simulated ECHONET Lite nodes: realistic values and property maps.

Each factory returns an object's properties as raw EDT bytes, with its
announcement, Set and Get property maps (0x9D, 0x9E, 0x9F) filled in from
the values given, and the set of EPCs the object accepts Set for, ready for
`SimulatedNode(objects=..., settable=...)`. Values follow the ECHONET Lite
Appendix (Release R): e.g. an air conditioner's 0xB0 0x42 is cooling.
"""

from collections.abc import Iterable, Mapping

from custom_components.denki.lib.echonet import EOJ, NODE_PROFILE, encode_property_map
from simulators.echonet_node import node_profile

MAKER = b"\x00\x00\x0b"
"""Manufacturer code 0x00000B."""

type DeviceObject = tuple[dict[int, bytes], frozenset[int]]


def device_object(
    values: Mapping[int, bytes],
    *,
    settable: Iterable[int] = (),
    announced: Iterable[int] = (0x80,),
    serial: str = "SN0001",
    product: str = "DENKI-SIM",
    maker: bytes = MAKER,
) -> DeviceObject:
    """An object with the super class's usual properties and maps around `values`."""
    settable = frozenset(settable)
    out: dict[int, bytes] = {
        0x80: b"\x30",
        0x81: b"\x00",
        0x82: b"\x00\x00R\x00",
        0x88: b"\x42",
        0x8A: maker,
        0x8C: product.encode().ljust(12, b"\x00")[:12],
        0x8D: serial.encode().ljust(12, b"\x00")[:12],
    }
    out.update(values)
    out[0x9D] = encode_property_map(set(announced))
    out[0x9E] = encode_property_map(settable)
    out[0x9F] = encode_property_map({*out, 0x9F})
    return out, settable


def air_conditioner(
    serial: str = "AC0001",
    *,
    maker: bytes = MAKER,
    settable: Iterable[int] = (0x80, 0x8F, 0xA0, 0xA3, 0xB0, 0xB3, 0xB4),
    values: Mapping[int, bytes] | None = None,
    product: str = "AC-SIM",
) -> DeviceObject:
    """A home air conditioner (0x0130) cooling to 26 °C in a 28 °C room.

    `maker`, `settable` and `values` (added to or replacing the defaults) make
    a particular maker's unit, e.g. one of those the maker-quirk reports show.
    """
    return device_object(
        {
            0x80: b"\x30",
            0x8F: b"\x42",  # normal operation (not power saving)
            0xA0: b"\x41",  # fan: automatic
            0xA3: b"\x31",  # swing: off
            0xB0: b"\x42",  # cooling
            0xB3: bytes((26,)),
            0xB4: bytes((50,)),
            0xBA: bytes((55,)),  # room humidity %
            0xBB: bytes((28,)),  # room temperature °C
            0xBE: bytes((31,)),  # outdoor temperature °C
            0x84: (620).to_bytes(2),  # instantaneous power W
            0x85: (123456).to_bytes(4),  # cumulative energy 0.001 kWh
            **(values or {}),
        },
        settable=settable,
        announced={0x80, 0xB0, 0xB3},
        serial=serial,
        product=product,
        maker=maker,
    )


def water_heater(serial: str = "WH0001") -> DeviceObject:
    """An electric (EcoCute) water heater (0x026B), automatic boiling, tank at 60 °C."""
    return device_object(
        {
            0xB0: b"\x41",  # automatic water heating: automatic
            0xB2: b"\x42",  # not heating now
            0xB3: bytes((65,)),  # water heating temperature setting °C
            0xC0: b"\x42",  # daytime reheating not permitted
            0xC3: b"\x42",  # not supplying hot water
            0xD1: bytes((42,)),  # hot water supply temperature °C
            0xE1: (320).to_bytes(2),  # remaining hot water L
            0xE2: (460).to_bytes(2),  # tank capacity L
        },
        settable={0xB0, 0xB3, 0xC0, 0xD1},
        announced={0x80, 0xB0, 0xB2},
        serial=serial,
        product="WH-SIM",
    )


def solar(serial: str = "PV0001") -> DeviceObject:
    """A household PV system (0x0279) generating 2.4 kW."""
    return device_object(
        {
            0xE0: (2400).to_bytes(2),  # instantaneous generation W
            0xE1: (1234567).to_bytes(4),  # cumulative generation 0.001 kWh
        },
        serial=serial,
        product="PV-SIM",
    )


def storage_battery(serial: str = "BT0001") -> DeviceObject:
    """A storage battery (0x027D), charging at 1.5 kW, 64 % full."""
    return device_object(
        {
            0xA8: (4_321_000).to_bytes(4),  # cumulative charged 0.001 kWh
            0xA9: (3_210_000).to_bytes(4),  # cumulative discharged 0.001 kWh
            0xD3: (1500).to_bytes(4, signed=True),  # instantaneous charge (+) W
            0xDA: b"\x42",  # operation mode: charging
            0xE4: bytes((64,)),  # remaining capacity 3 (%)
        },
        settable={0xDA},
        announced={0x80, 0xDA},
        serial=serial,
        product="BT-SIM",
    )


def general_lighting(serial: str = "LT0001") -> DeviceObject:
    """General lighting (0x0290), on at 80 %."""
    return device_object(
        {0xB0: bytes((80,))},
        settable={0x80, 0xB0},
        serial=serial,
        product="LT-SIM",
    )


def shutter(serial: str = "SH0001") -> DeviceObject:
    """An electrically operated rain shutter (0x0263), stopped half open."""
    return device_object(
        {
            0xE0: b"\x43",  # open/close setting: stop
            0xE1: bytes((50,)),  # degree of opening %
            0xE5: b"\x42",  # electric lock: off
            0xEA: b"\x45",  # status: stopped halfway
        },
        settable={0xE0, 0xE1, 0xE5},
        announced={0x80, 0xEA},
        serial=serial,
        product="SH-SIM",
    )


def electric_lock(serial: str = "LK0001") -> DeviceObject:
    """An electric lock (0x026F), locked, door closed, no alarm."""
    return device_object(
        {
            0xE0: b"\x41",  # lock setting 1: locked
            0xE3: b"\x42",  # door: closed
            0xE5: b"\x40",  # alarm: normal
        },
        settable={0xE0},
        announced={0x80, 0xE0, 0xE5},
        serial=serial,
        product="LK-SIM",
    )


def ceiling_fan(serial: str = "CF0001") -> DeviceObject:
    """A ceiling fan (0x013A), on at level 3 of 10, blowing down."""
    return device_object(
        {
            0xF0: b"\x33",  # air flow level 3
            0xF1: b"\x41",  # direction: down
        },
        settable={0x80, 0xF0, 0xF1},
        serial=serial,
        product="CF-SIM",
    )


def air_cleaner(serial: str = "AP0001") -> DeviceObject:
    """An air cleaner (0x0135), on, choosing its air flow itself."""
    return device_object(
        {
            0xA0: b"\x41",  # air flow: automatic
            0xE1: b"\x42",  # filter change: not needed
        },
        settable={0x80, 0xA0},
        serial=serial,
        product="AP-SIM",
    )


def instantaneous_water_heater(serial: str = "GW0001") -> DeviceObject:
    """An instantaneous (gas) water heater (0x0272), on, idle, set to 40 °C."""
    return device_object(
        {
            0xD0: b"\x42",  # not heating water now
            0xD1: bytes((40,)),  # hot water temperature setting °C
            0xE1: bytes((41,)),  # bath temperature setting °C
            0xE2: b"\x42",  # bath not being heated
        },
        settable={0x80, 0xD1, 0xE1},
        serial=serial,
        product="GW-SIM",
    )


def hybrid_water_heater(serial: str = "HW0001") -> DeviceObject:
    """A hybrid water heater (0x02A6), boiling automatically, 180 L of 370 L left."""
    return device_object(
        {
            0xB0: b"\x41",  # automatic water heating: automatic
            0xB2: b"\x42",  # not heating now
            0xB8: b"\x42",  # PV linkage: household consumption
            0xE1: (180).to_bytes(2),  # remaining hot water L
            0xE2: (370).to_bytes(2),  # tank capacity L
        },
        settable={0xB0, 0xB8},
        serial=serial,
        product="HW-SIM",
    )


def distribution_board(serial: str = "DB0001") -> DeviceObject:
    """Distribution board metering (0x0287) with two circuits, cumulative energy in 0.1 kWh."""

    def channel(energy: int, r_phase: int, t_phase: int) -> bytes:
        return (
            energy.to_bytes(4) + r_phase.to_bytes(2, signed=True) + t_phase.to_bytes(2, signed=True)
        )

    return device_object(
        {
            0xB1: bytes((2,)),  # measurement channels (simplex)
            0xC0: (123_456).to_bytes(4),  # cumulative, normal direction: 12 345.6 kWh
            0xC1: (789).to_bytes(4),  # cumulative, reverse direction: 78.9 kWh
            0xC2: b"\x01",  # unit: 0.1 kWh
            0xC6: (2100).to_bytes(4, signed=True),  # instantaneous power W
            0xC7: (100).to_bytes(2, signed=True) + (80).to_bytes(2, signed=True),  # 10.0 A, 8.0 A
            0xD0: channel(4567, 52, 0),  # circuit 1 (kitchen): 456.7 kWh, 5.2 A
            0xD1: channel(1234, 0, 31),  # circuit 2 (air conditioner): 123.4 kWh, 3.1 A
        },
        serial=serial,
        product="DB-SIM",
    )


def home_node(
    identity: bytes, objects: Mapping[EOJ, DeviceObject]
) -> tuple[dict[EOJ, dict[int, bytes]], frozenset[int]]:
    """The objects of a node with the identification number `identity` (13 bytes).

    Returns the objects (node profile included) and the union of settable
    EPCs, for `SimulatedNode`.
    """
    values = {eoj: obj[0] for eoj, obj in objects.items()}
    profile = node_profile(values, identity)
    values[NODE_PROFILE] = profile
    settable = frozenset().union(*(obj[1] for obj in objects.values()))
    return values, settable
