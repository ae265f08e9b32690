"""Light entities of ECHONET Lite general and mono-functional lighting (0x0290, 0x0291).

Power is 0x80; brightness is the illuminance level 0xB0 in percent, which
Home Assistant shows on its 0-255 scale.
"""

from typing import Any

from homeassistant.components.light import LightEntity
from homeassistant.components.light.const import ATTR_BRIGHTNESS, ColorMode
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.color import brightness_to_value, value_to_brightness

from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

LIGHTING = frozenset({0x0290, 0x0291})
EPC_POWER = 0x80
EPC_LEVEL = 0xB0
ON, OFF = 0x30, 0x31
SCALE = (1, 100)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a light entity for each lighting object."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, dedicated_entities(LIGHTING, ApplianceLight)
    )


class ApplianceLight(ApplianceEntity, LightEntity):
    """A light, dimmable when it has an illuminance level."""

    _attr_name = None

    def __init__(self, coordinator: ObjectCoordinator) -> None:
        """Dimmable if the light lets us set its level."""
        super().__init__(coordinator, "light", (EPC_POWER, EPC_LEVEL))
        settable = coordinator.info.set_map if coordinator.settable else frozenset()
        mode = ColorMode.BRIGHTNESS if EPC_LEVEL in settable else ColorMode.ONOFF
        self._attr_color_mode = mode
        self._attr_supported_color_modes = {mode}

    @property
    def is_on(self) -> bool | None:
        """Whether the light is on."""
        edt = self.raw(EPC_POWER)
        return None if edt is None or len(edt) != 1 else edt[0] == ON

    @property
    def brightness(self) -> int | None:
        """The level on Home Assistant's scale."""
        edt = self.raw(EPC_LEVEL)
        if edt is None or len(edt) != 1 or edt[0] > 100:
            return None
        return value_to_brightness(SCALE, edt[0])

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn on, at a brightness if given."""
        values = {EPC_POWER: bytes((ON,))}
        if (brightness := kwargs.get(ATTR_BRIGHTNESS)) is not None:
            level = max(1, round(brightness_to_value(SCALE, brightness)))
            values[EPC_LEVEL] = bytes((level,))
        await self.async_set_values(dict(values))

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn off."""
        await self.async_set_values({EPC_POWER: bytes((OFF,))})
