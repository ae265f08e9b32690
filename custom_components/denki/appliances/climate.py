"""Climate entities of ECHONET Lite home air conditioners (0x0130).

Power (0x80) and the operation mode (0xB0) make the HVAC mode; the target
temperature is 0xB3, the room temperature 0xBB, the room humidity 0xBA
(and its setpoint 0xB4 where the unit has one). Turning the unit on in a
mode is one SetC of 0x80 and 0xB0 together.

What else is offered comes from the unit (`lib.echonet.quirks`): fan modes
(0xA0, automatic and levels 1-8) only if its Set map has 0xA0, less the
levels its maker's units do not keep; vertical swing (0xA3) only if its Set
map has 0xA3, and Home Assistant's separate horizontal swing only where the
unit has side-to-side vanes (0xA5 in its maps, or its maker's units are
reported to swing that way); the set temperature range from its maker's
reports or a default, widened to any setpoint the unit reports. What the
unit answers narrows this further while it runs: a fan level it refuses
(Set_SNA) or replaces at once with another, and horizontal swing it refuses,
are no longer offered; horizontal swing it reports is offered.
"""

from typing import Any

from homeassistant.components.climate import ClimateEntity
from homeassistant.components.climate.const import (
    SWING_HORIZONTAL_OFF,
    SWING_HORIZONTAL_ON,
    SWING_OFF,
    SWING_ON,
    ClimateEntityFeature,
    HVACAction,
    HVACMode,
)
from homeassistant.const import ATTR_TEMPERATURE, UnitOfTemperature
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..lib.echonet.quirks import (
    SWING_BOTH,
    SWING_HORIZONTAL,
    SWING_OFF as SWING_STOPPED,
    SWING_VERTICAL,
    AirConditionerCapabilities,
    air_conditioner_capabilities,
)
from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

AIR_CONDITIONER = 0x0130
EPC_POWER = 0x80
EPC_FAN = 0xA0
EPC_SWING = 0xA3
EPC_MODE = 0xB0
EPC_TARGET = 0xB3
EPC_TARGET_HUMIDITY = 0xB4
EPC_HUMIDITY = 0xBA
EPC_ROOM = 0xBB
EPC_POWER_DRAW = 0x84
ON, OFF = 0x30, 0x31
OTHER_MODE = 0x40
"""Operation mode "other" (0xB0 = 0x40): a maker's own mode, which no Home Assistant mode names."""
IDLE_WATTS = 50
"""Below this draw (0x84, W) a unit that is on is idle: its compressor has stopped.

An indoor fan alone draws some 10-40 W; a running compressor draws hundreds
(the class data's own example units draw 300-1 500 W cooling)."""

ACTIONS: dict[HVACMode, HVACAction] = {
    HVACMode.COOL: HVACAction.COOLING,
    HVACMode.HEAT: HVACAction.HEATING,
    HVACMode.DRY: HVACAction.DRYING,
    HVACMode.FAN_ONLY: HVACAction.FAN,
}

MODES: dict[int, HVACMode] = {
    0x41: HVACMode.AUTO,
    0x42: HVACMode.COOL,
    0x43: HVACMode.HEAT,
    0x44: HVACMode.DRY,
    0x45: HVACMode.FAN_ONLY,
}
MODE_CODES = {mode: code for code, mode in MODES.items()}
FAN_AUTO = "auto"
FANS: dict[int, str] = {0x41: FAN_AUTO} | {0x30 + level: str(level) for level in range(1, 9)}
FAN_CODES = {fan: code for code, fan in FANS.items()}
VERTICAL_CODES = frozenset({SWING_VERTICAL, SWING_BOTH})
HORIZONTAL_CODES = frozenset({SWING_HORIZONTAL, SWING_BOTH})
SWING_STATES = frozenset({SWING_STOPPED}) | VERTICAL_CODES | HORIZONTAL_CODES
"""The codes the Appendix gives 0xA3; any other is shown as unknown."""
REFUSED = "set_refused"
"""The translation key of a Set the unit answered with Set_SNA (see ObjectCoordinator.async_set)."""
# 0x7E and 0x7F-0x80 are "unmeasurable", overflow and underflow of a signed byte.
_NOT_A_TEMPERATURE = frozenset({0x7E, 0x7F, 0x80})


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a climate entity for each air conditioner."""
    async_setup_appliance_platform(
        hass,
        entry,
        async_add_entities,
        dedicated_entities((AIR_CONDITIONER,), AirConditionerClimate),
    )


class AirConditionerClimate(ApplianceEntity, ClimateEntity):
    """A home air conditioner."""

    _attr_name = None
    _attr_translation_key = "air_conditioner"
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_target_temperature_step = 1

    def __init__(self, coordinator: ObjectCoordinator) -> None:
        """Read what the unit has; offer what it lets us set."""
        info = coordinator.info
        epcs = (EPC_POWER, EPC_MODE, EPC_TARGET, EPC_ROOM, EPC_HUMIDITY, EPC_FAN, EPC_SWING)
        # The power draw only where the unit offers it: it tells a stopped compressor.
        self._draw = EPC_POWER_DRAW in info.get_map
        extra = (EPC_TARGET_HUMIDITY, EPC_POWER_DRAW) if self._draw else (EPC_TARGET_HUMIDITY,)
        super().__init__(coordinator, "climate", (*epcs, *extra))
        self._settable = info.set_map if coordinator.settable else frozenset()
        maker = (
            info.manufacturer if info.manufacturer is not None else coordinator.node.manufacturer
        )
        self._caps = air_conditioner_capabilities(maker, info.get_map, self._settable)
        self._attr_hvac_modes = [HVACMode.OFF, *MODES.values()]
        if EPC_MODE not in self._settable:
            self._attr_hvac_modes = [HVACMode.OFF, HVACMode.AUTO]
        self._offer()

    @property
    def capabilities(self) -> AirConditionerCapabilities:
        """What the unit is offered now (its maps, its maker's quirks, what it answered)."""
        return self._caps

    def _offer(self) -> None:
        """Features and mode lists from the capabilities."""
        settable = self._settable
        caps = self._caps
        features = ClimateEntityFeature(0)
        if EPC_POWER in settable:
            features |= ClimateEntityFeature.TURN_ON | ClimateEntityFeature.TURN_OFF
        if EPC_TARGET in settable:
            features |= ClimateEntityFeature.TARGET_TEMPERATURE
        if EPC_TARGET_HUMIDITY in settable:
            features |= ClimateEntityFeature.TARGET_HUMIDITY
        self._attr_fan_modes = [FANS[code] for code in caps.fan_codes] or None
        if caps.fan_codes:
            features |= ClimateEntityFeature.FAN_MODE
        self._attr_swing_modes = [SWING_OFF, SWING_ON] if caps.vertical_swing else None
        if caps.vertical_swing:
            features |= ClimateEntityFeature.SWING_MODE
        self._attr_swing_horizontal_modes = (
            [SWING_HORIZONTAL_OFF, SWING_HORIZONTAL_ON] if caps.horizontal_swing else None
        )
        if caps.horizontal_swing:
            features |= ClimateEntityFeature.SWING_HORIZONTAL_MODE
        self._attr_supported_features = features

    @callback
    def _handle_coordinator_update(self) -> None:
        """A unit that reports horizontal swing has it, whatever its maps said."""
        swing = self._byte(EPC_SWING)
        if (
            swing in HORIZONTAL_CODES
            and self._caps.vertical_swing
            and not self._caps.horizontal_swing
        ):
            self._caps = self._caps.with_horizontal_swing(True)
            self._offer()
        super()._handle_coordinator_update()

    def _byte(self, epc: int) -> int | None:
        edt = self.raw(epc)
        return edt[0] if edt is not None and len(edt) == 1 else None

    @property
    def hvac_mode(self) -> HVACMode | None:
        """Off, or the operation mode; unknown in a mode Home Assistant has no name for.

        "Other" (0x40) is a maker's own mode: shown as unknown, not as automatic,
        which it need not be.
        """
        power = self._byte(EPC_POWER)
        if power is None:
            return None
        if power != ON:
            return HVACMode.OFF
        mode = self._byte(EPC_MODE)
        return None if mode is None else MODES.get(mode)

    @property
    def hvac_action(self) -> HVACAction | None:
        """What the unit does now, from its own state, and its power draw where it offers it."""
        mode = self.hvac_mode
        if mode is HVACMode.OFF:
            return HVACAction.OFF
        if mode is None:
            return None
        if mode is not HVACMode.FAN_ONLY and self._draw:
            edt = self.raw(EPC_POWER_DRAW)
            if edt is not None and len(edt) == 2 and int.from_bytes(edt) < IDLE_WATTS:
                return HVACAction.IDLE
        # In automatic mode the unit chooses heating or cooling itself and does not say which.
        return ACTIONS.get(mode)

    @property
    def target_temperature(self) -> float | None:
        """The setpoint; none in modes without one (0xFD)."""
        value = self._byte(EPC_TARGET)
        return float(value) if value is not None and value <= 50 else None

    @property
    def current_temperature(self) -> float | None:
        """The room temperature (a signed byte)."""
        value = self._byte(EPC_ROOM)
        if value is None or value in _NOT_A_TEMPERATURE:
            return None
        return float(value - 256 if value > 0x7F else value)

    @property
    def current_humidity(self) -> float | None:
        """The room humidity."""
        value = self._byte(EPC_HUMIDITY)
        return float(value) if value is not None and value <= 100 else None

    @property
    def target_humidity(self) -> float | None:
        """The humidity setpoint, where the unit has one."""
        value = self._byte(EPC_TARGET_HUMIDITY)
        return float(value) if value is not None and value <= 100 else None

    @property
    def min_temp(self) -> float:
        """The lowest setpoint offered, lower if the unit reports one below it."""
        low = self._caps.target_range[0]
        target = self.target_temperature
        return min(float(low), target) if target is not None else float(low)

    @property
    def max_temp(self) -> float:
        """The highest setpoint offered, higher if the unit reports one above it."""
        high = self._caps.target_range[1]
        target = self.target_temperature
        return max(float(high), target) if target is not None else float(high)

    @property
    def fan_mode(self) -> str | None:
        """Automatic or a level the unit is offered (a maker's alias shown as its level)."""
        value = self._byte(EPC_FAN)
        code = None if value is None else self._caps.fan_code(value)
        return None if code is None else FANS[code]

    @property
    def swing_mode(self) -> str | None:
        """Whether the flaps swing up and down."""
        value = self._byte(EPC_SWING)
        if value is None or value not in SWING_STATES:
            return None
        return SWING_ON if value in VERTICAL_CODES else SWING_OFF

    @property
    def swing_horizontal_mode(self) -> str | None:
        """Whether the vanes swing from side to side."""
        value = self._byte(EPC_SWING)
        if value is None or value not in SWING_STATES:
            return None
        return SWING_HORIZONTAL_ON if value in HORIZONTAL_CODES else SWING_HORIZONTAL_OFF

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Turn off, or on in a mode: power and mode in one frame."""
        if hvac_mode is HVACMode.OFF:
            await self._set({EPC_POWER: OFF})
            return
        await self._set({EPC_POWER: ON, EPC_MODE: MODE_CODES[hvac_mode]})

    async def async_turn_on(self) -> None:
        """Turn on in the last mode."""
        await self._set({EPC_POWER: ON})

    async def async_turn_off(self) -> None:
        """Turn off."""
        await self._set({EPC_POWER: OFF})

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set the target temperature (and the mode, if given)."""
        values: dict[int, int] = {}
        mode = kwargs.get("hvac_mode")
        if mode is not None and mode is not HVACMode.OFF:
            values |= {EPC_POWER: ON, EPC_MODE: MODE_CODES[HVACMode(mode)]}
        if (temperature := kwargs.get(ATTR_TEMPERATURE)) is not None:
            values[EPC_TARGET] = round(float(temperature))
        if values:
            await self._set(values)

    async def async_set_humidity(self, humidity: int) -> None:
        """Set the humidity setpoint."""
        await self._set({EPC_TARGET_HUMIDITY: humidity})

    async def async_set_fan_mode(self, fan_mode: str) -> None:
        """Set the fan speed; a level the unit refuses or replaces is no longer offered.

        Daikin units replace level 1 with level 3 at once (echonetlite_homeassistant#185):
        the read-back after the Set shows it, whatever the maker.
        """
        code = FAN_CODES[fan_mode]
        try:
            await self._set({EPC_FAN: code})
        except HomeAssistantError as err:
            if err.translation_key == REFUSED:
                self._narrow(self._caps.without_fan(code))
            raise
        now = self._byte(EPC_FAN)
        if now is not None and now != code and self._caps.fan_code(now) != code:
            self._narrow(self._caps.without_fan(code))

    async def async_set_swing_mode(self, swing_mode: str) -> None:
        """Swing up and down, or stop, keeping the side-to-side swing as it is."""
        horizontal = self.swing_horizontal_mode == SWING_HORIZONTAL_ON
        await self._set({EPC_SWING: self._caps.swing_code(swing_mode == SWING_ON, horizontal)})

    async def async_set_swing_horizontal_mode(self, swing_horizontal_mode: str) -> None:
        """Swing from side to side, or stop; a unit that refuses it is no longer offered it."""
        vertical = self.swing_mode == SWING_ON
        horizontal = swing_horizontal_mode == SWING_HORIZONTAL_ON
        try:
            await self._set({EPC_SWING: self._caps.swing_code(vertical, horizontal)})
        except HomeAssistantError as err:
            if horizontal and err.translation_key == REFUSED:
                self._narrow(self._caps.with_horizontal_swing(False))
            raise

    def _narrow(self, caps: AirConditionerCapabilities) -> None:
        self._caps = caps
        self._offer()
        self.async_write_ha_state()

    async def _set(self, values: dict[int, int]) -> None:
        await self.async_set_values({epc: bytes((code,)) for epc, code in values.items()})
