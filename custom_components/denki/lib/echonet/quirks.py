"""Maker quirks, each from a public report, and what an air conditioner says it can do.

The ECHONET Lite property maps say which properties an object has (0x9F)
and which it accepts a Set for (0x9E), not which of a property's values it
takes. The Appendix (Release R, home air conditioner 0x0130) gives the
values every unit may use:

- 0xA0 air flow rate: automatic 0x41, or levels 1-8 (0x31-0x38);
- 0xA3 automatic swing of air flow: off 0x31, vertical 0x41, horizontal
  0x42, both 0x43;
- 0xB3 set temperature: 0x00-0x32 (0-50 degC, 1 degC steps).

pychonet 2.8.2 reads them the same way (pychonet/HomeAirConditioner.py,
lines 17 and 22, the Appendix table; lines 226-235, the 0xA0 and 0xA3
decoders; pychonet/lib/epc_functions.py, lines 42-52, the eight levels and
automatic), as does sayurin/hems_echonet_lite
(custom_components/echonet_lite/climate.py at 080d46db, lines 123-144,
`_HA_TO_ECHONET_FAN` and `_HA_TO_ECHONET_SWING`; it offers swing only
when 0xA3 is in the Set map, in `EchonetLiteClimate.__init__`).

`air_conditioner_capabilities` starts from the Appendix and the maps, and
narrows or widens by `QUIRKS`: one entry per cited report of a maker's
units doing something the maps do not say. Only what a report shows is
written here; a unit that differs from its maker's entry is narrowed at
run time by what it answers (see the climate entity).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

AIR_CONDITIONER = 0x0130
EPC_FAN = 0xA0
EPC_SWING = 0xA3
EPC_VERTICAL_DIRECTION = 0xA4
EPC_HORIZONTAL_DIRECTION = 0xA5
EPC_TARGET = 0xB3

FAN_AUTO = 0x41
FAN_LEVELS = tuple(range(0x31, 0x39))
"""Air flow rate levels 1-8 (0xA0), as the Appendix numbers them."""

SWING_OFF = 0x31
SWING_VERTICAL = 0x41
SWING_HORIZONTAL = 0x42
SWING_BOTH = 0x43

TARGET_RANGE = (0, 50)
"""The Appendix's valid range of 0xB3 (0x00-0x32, degC): never offer beyond it.

As read in scottyphillips/echonetlite_homeassistant#187 ("The value is 0x0 -
0x32 for EPC 0xB3 which gives the supported range of 0-50 degrees in one byte
increments", citing Appendix Release R rev. 2, p. 128) and in pychonet's
table (HomeAirConditioner.py, line 22)."""
DEFAULT_TARGET_RANGE = (16, 30)
"""What is offered when neither the unit nor a quirk says more.

The defaults scottyphillips/echonetlite_homeassistant offers for every mode
(custom_components/echonetlite/const.py, `TEMP_OPTIONS`: 16 and 30 degC for
heating, cooling and automatic), which its users in Japan have kept since
2022. A setpoint the unit reports outside it widens it (the remote control
may allow more, e.g. 10 degC heating on Mitsubishi's MSZ-AP, noted in
smartHomeHub/SmartIR#1224)."""

MITSUBISHI = 0x000006
DAIKIN = 0x000008


@dataclass(frozen=True, slots=True)
class Quirk:
    """What one maker's units of one class do that their property maps do not say.

    Attributes:
        manufacturer: The maker's code (0x8A).
        class_id: The class the report is about.
        source: The public report (an issue with its log or the maker's answer).
        summary: What the report shows.
        fan_unsupported: Air flow rate codes (0xA0) the units do not keep.
        fan_aliases: Codes the units treat as another code: shown as, and
            offered as, that code.
        horizontal_swing: The units swing horizontally through 0xA3 although
            they do not list the horizontal direction (0xA5).
        target_range: The set temperatures (0xB3) the units take, degC.
    """

    manufacturer: int
    class_id: int
    source: str
    summary: str
    fan_unsupported: frozenset[int] = frozenset()
    fan_aliases: dict[int, int] = field(default_factory=dict)
    horizontal_swing: bool = False
    target_range: tuple[int, int] | None = None


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        DAIKIN,
        AIR_CONDITIONER,
        "https://github.com/scottyphillips/echonetlite_homeassistant/issues/185",
        # The reporter (comment of 2024-09-24), with Mitsubishi's HEMS app on Daikin Risora
        # units: "When I selected "1" ("Minimum" as per spec) the unit immediately defaulted
        # to "3" ("Medium-Low")": level 1 is set over ECHONET Lite, then read back as level 3.
        "Air flow rate level 1 (0x31) is replaced at once by level 3 (0x33).",
        fan_unsupported=frozenset({0x31}),
    ),
    Quirk(
        DAIKIN,
        AIR_CONDITIONER,
        "https://github.com/scottyphillips/echonetlite_homeassistant/issues/265",
        # Daikin F40ZTRXP-W, Set map 80 81 8F 93 A0 A3 B0 B3 B4 C1 C4 (no 0xA4 or 0xA5):
        # all four 0xA3 values, horizontal 0x42 included, round-trip through a fresh Get.
        "Swings horizontally through 0xA3 without listing the horizontal direction 0xA5.",
        horizontal_swing=True,
    ),
    Quirk(
        MITSUBISHI,
        AIR_CONDITIONER,
        "https://github.com/scottyphillips/echonetlite_homeassistant/issues/75",
        # Mitsubishi Electric's answer quoted there: automatic 0x41, super quiet 0x31,
        # quiet 0x32, low 0x33, powerful 0x34 and 0x35, super powerful 0x36, 0x37 and 0x38.
        "Five air flow rates: 0x35 is 0x34, and 0x37 and 0x38 are 0x36.",
        fan_aliases={0x35: 0x34, 0x37: 0x36, 0x38: 0x36},
    ),
    Quirk(
        MITSUBISHI,
        AIR_CONDITIONER,
        "https://github.com/scottyphillips/echonetlite_homeassistant/issues/263",
        # MSZ-AP50VGKD2 with a MAC-568IF-E adapter: horizontal vane swing is 0xA3 = 0x42.
        "Swings horizontally through 0xA3 (0x42).",
        horizontal_swing=True,
    ),
    Quirk(
        MITSUBISHI,
        AIR_CONDITIONER,
        "https://github.com/echavet/MitsubishiCN105ESPHome/issues/324",
        # Mitsubishi's own MELCloud service gives an MSZ-LN min_temp 16 and max_temp 31.
        # The weakest entry: a European model read through MELCloud, not ECHONET Lite; a
        # unit that reports a setpoint beyond it widens it (`setpoints`, the climate entity).
        "Set temperatures 16-31 degC.",
        target_range=(16, 31),
    ),
)
"""Maker quirks, one entry per cited report."""


def quirks_for(manufacturer: int | None, class_id: int) -> tuple[Quirk, ...]:
    """The quirks of `manufacturer`'s objects of `class_id` (none for an unknown maker)."""
    return tuple(q for q in QUIRKS if q.manufacturer == manufacturer and q.class_id == class_id)


@dataclass(frozen=True, slots=True)
class AirConditionerCapabilities:
    """What a home air conditioner offers Home Assistant, from its maps and its maker's quirks.

    Attributes:
        fan_codes: The air flow rates (0xA0) to offer, automatic first; empty
            if the unit does not accept a Set of 0xA0.
        fan_aliases: Codes the unit reports that stand for one of `fan_codes`.
        vertical_swing: Whether it swings vertically (0xA3 0x41) on request.
        horizontal_swing: Whether it swings horizontally (0xA3 0x42) on request.
        target_range: The set temperatures to offer, degC.
        quirks: The quirks applied (their sources, for diagnostics).
    """

    fan_codes: tuple[int, ...] = ()
    fan_aliases: dict[int, int] = field(default_factory=dict)
    vertical_swing: bool = False
    horizontal_swing: bool = False
    target_range: tuple[int, int] = DEFAULT_TARGET_RANGE
    quirks: tuple[Quirk, ...] = ()

    def fan_code(self, reported: int) -> int | None:
        """The offered air flow rate a reported code stands for; None if it is none of them."""
        code = self.fan_aliases.get(reported, reported)
        return code if code in self.fan_codes else None

    def swing_code(self, vertical: bool, horizontal: bool) -> int:
        """The 0xA3 code of swinging in these planes."""
        if vertical and horizontal:
            return SWING_BOTH
        if vertical:
            return SWING_VERTICAL
        return SWING_HORIZONTAL if horizontal else SWING_OFF

    def without_fan(self, code: int) -> AirConditionerCapabilities:
        """These capabilities less an air flow rate the unit refused or replaced."""
        return replace(self, fan_codes=tuple(c for c in self.fan_codes if c != code))

    def with_horizontal_swing(self, horizontal: bool) -> AirConditionerCapabilities:
        """These capabilities with horizontal swing learned from the unit (seen, or refused)."""
        return replace(self, horizontal_swing=horizontal and self.vertical_swing)


def air_conditioner_capabilities(
    manufacturer: int | None,
    get_map: Collection[int],
    set_map: Collection[int],
    *,
    setpoints: Iterable[int] = (),
) -> AirConditionerCapabilities:
    """What a home air conditioner (0x0130) can be asked, from its maps and its maker.

    - Fan modes only if 0xA0 is in the Set map: automatic and the eight levels,
      less the levels its maker's units do not keep, aliases folded.
    - Swing only if 0xA3 is in the Set map: vertical always (every 0xA3 unit
      in the reports swings vertically), horizontal if the unit lists its
      horizontal direction (0xA5, which only a unit with side-to-side vanes
      has) or its maker's units are reported to swing horizontally.
    - Set temperatures: its maker's range if reported, else the default,
      widened to any `setpoints` the unit reported, within the Appendix's 0-50.
    """
    quirks = quirks_for(manufacturer, AIR_CONDITIONER)
    unsupported = frozenset().union(*(q.fan_unsupported for q in quirks))
    aliases: dict[int, int] = {}
    for quirk in quirks:
        aliases.update(quirk.fan_aliases)
    fan_codes: tuple[int, ...] = ()
    if EPC_FAN in set_map:
        fan_codes = tuple(
            code
            for code in (FAN_AUTO, *FAN_LEVELS)
            if code not in unsupported and code not in aliases
        )
    vertical = EPC_SWING in set_map
    horizontal = vertical and (
        EPC_HORIZONTAL_DIRECTION in get_map
        or EPC_HORIZONTAL_DIRECTION in set_map
        or any(q.horizontal_swing for q in quirks)
    )
    low, high = next(
        (q.target_range for q in quirks if q.target_range is not None), DEFAULT_TARGET_RANGE
    )
    for value in setpoints:
        if TARGET_RANGE[0] <= value <= TARGET_RANGE[1]:
            low, high = min(low, value), max(high, value)
    return AirConditionerCapabilities(
        fan_codes,
        {alias: code for alias, code in aliases.items() if code in fan_codes},
        vertical,
        horizontal,
        (max(low, TARGET_RANGE[0]), min(high, TARGET_RANGE[1])),
        quirks,
    )
