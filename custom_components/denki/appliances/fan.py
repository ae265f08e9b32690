"""Fan entities of ECHONET Lite ventilation fans (0x0133, 0x0134), air cleaners (0x0135) and ceiling fans (0x013A).

On and off is the operation status (0x80); the speed is the air flow rate
setting (0xA0, or 0xF0 on a ceiling fan), whose levels 1 to 8 (or 10) the
class data lists and which Home Assistant shows as a percentage; its
"automatic" value, where the class has one, is the preset "auto". A ceiling
fan's air flow direction (0xF1: down, up) is forward and reverse.
"""

from dataclasses import dataclass
from typing import Any

from homeassistant.components.fan import FanEntity
from homeassistant.components.fan.const import (
    DIRECTION_FORWARD,
    DIRECTION_REVERSE,
    FanEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.percentage import (
    ordered_list_item_to_percentage,
    percentage_to_ordered_list_item,
)

from ..lib.echonet.classes import EnumValue, property_spec
from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

EPC_POWER = 0x80
ON, OFF = 0x30, 0x31
AUTO = "auto"
DIRECTIONS = {0x41: DIRECTION_FORWARD, 0x42: DIRECTION_REVERSE}
DIRECTION_CODES = {name: code for code, name in DIRECTIONS.items()}


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a class keeps its speed and direction."""

    speed: int
    direction: int | None = None


LAYOUTS: dict[int, Layout] = {
    0x0133: Layout(speed=0xA0),  # ventilation fan
    0x0134: Layout(speed=0xA0),  # air conditioner ventilation fan
    0x0135: Layout(speed=0xA0),  # air cleaner
    0x013A: Layout(speed=0xF0, direction=0xF1),  # ceiling fan
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a fan entity for each fan, air cleaner and ceiling fan."""

    def _entity(coordinator: ObjectCoordinator) -> ApplianceFan:
        return ApplianceFan(coordinator, LAYOUTS[coordinator.info.eoj.class_id])

    async_setup_appliance_platform(
        hass, entry, async_add_entities, dedicated_entities(LAYOUTS, _entity)
    )


class ApplianceFan(ApplianceEntity, FanEntity):
    """A fan: on/off, speed levels as a percentage, an automatic preset and a direction."""

    _attr_name = None
    _attr_translation_key = "appliance_fan"

    def __init__(self, coordinator: ObjectCoordinator, layout: Layout) -> None:
        """Offer the levels the class data lists and what the device lets us set."""
        epcs = (EPC_POWER, layout.speed) + ((layout.direction,) if layout.direction else ())
        super().__init__(coordinator, "fan", epcs)
        self._layout = layout
        class_id = coordinator.info.eoj.class_id
        spec = property_spec(class_id, layout.speed)
        enum = () if spec is None else spec.value.enum
        levels = sorted((value for value in enum if value.key.startswith("level_")), key=_level)
        self._levels = [value.raw for value in levels]
        self._auto = next((value.raw for value in enum if value.key == AUTO), None)
        self._attr_speed_count = max(1, len(self._levels))
        settable = coordinator.info.set_map if coordinator.settable else frozenset()
        features = FanEntityFeature(0)
        if EPC_POWER in settable:
            features |= FanEntityFeature.TURN_ON | FanEntityFeature.TURN_OFF
        if layout.speed in settable and self._levels:
            features |= FanEntityFeature.SET_SPEED
        if layout.speed in settable and self._auto is not None:
            features |= FanEntityFeature.PRESET_MODE
            self._attr_preset_modes = [AUTO]
        if layout.direction is not None and layout.direction in settable:
            features |= FanEntityFeature.DIRECTION
        self._attr_supported_features = features

    def _byte(self, epc: int | None) -> int | None:
        if epc is None:
            return None
        edt = self.raw(epc)
        return edt[0] if edt is not None and len(edt) == 1 else None

    @property
    def is_on(self) -> bool | None:
        """Whether the fan runs."""
        value = self._byte(EPC_POWER)
        return None if value is None else value == ON

    @property
    def percentage(self) -> int | None:
        """The speed level as a percentage; None while automatic."""
        value = self._byte(self._layout.speed)
        if value is None or value not in self._levels:
            return None
        return ordered_list_item_to_percentage(self._levels, value)

    @property
    def preset_mode(self) -> str | None:
        """The preset "auto" while the device chooses the speed itself."""
        value = self._byte(self._layout.speed)
        return AUTO if value is not None and value == self._auto else None

    @property
    def current_direction(self) -> str | None:
        """Forward (air down) or reverse (air up)."""
        value = self._byte(self._layout.direction)
        return None if value is None else DIRECTIONS.get(value)

    async def async_turn_on(
        self, percentage: int | None = None, preset_mode: str | None = None, **kwargs: Any
    ) -> None:
        """Run, at a speed or the automatic preset if given."""
        values: dict[int, object] = {EPC_POWER: bytes((ON,))}
        values |= self._speed(percentage, preset_mode)
        await self.async_set_values(values)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop."""
        await self.async_set_values({EPC_POWER: bytes((OFF,))})

    async def async_set_percentage(self, percentage: int) -> None:
        """Run at a speed; 0 stops the fan."""
        if percentage == 0:
            await self.async_turn_off()
            return
        await self.async_set_values(self._speed(percentage, None))

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Let the device choose the speed."""
        await self.async_set_values(self._speed(None, preset_mode))

    async def async_set_direction(self, direction: str) -> None:
        """Blow down (forward) or up (reverse)."""
        if self._layout.direction is not None:
            code = DIRECTION_CODES[direction]
            await self.async_set_values({self._layout.direction: bytes((code,))})

    def _speed(self, percentage: int | None, preset_mode: str | None) -> dict[int, object]:
        if preset_mode == AUTO and self._auto is not None:
            return {self._layout.speed: bytes((self._auto,))}
        if percentage and self._levels:
            level = percentage_to_ordered_list_item(self._levels, percentage)
            return {self._layout.speed: bytes((level,))}
        return {}


def _level(value: EnumValue) -> int:
    return int(value.key.removeprefix("level_"))
