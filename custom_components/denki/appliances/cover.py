"""Cover entities of ECHONET Lite blinds, shutters, curtains, gates, windows and doors (0x0260-0x0266).

Open, close and stop are the open/close setting (0xE0: 0x41 open, 0x42
close, 0x43 stop); the position is the degree of opening (0xE1, percent
open, 100 fully open), which such devices move to when it is set; a blind's
slat angle (0xE2, 0-180 degrees) is the tilt. Whether it is closed, opening
or closing comes from the open/closed status (0xEA) when the device reports
it, and otherwise from the position.

These classes are read-only until the household allows them in the options
(a door, a gate or a window is a way into the home).
"""

from typing import Any

from homeassistant.components.cover import CoverEntity
from homeassistant.components.cover.const import (
    ATTR_POSITION,
    ATTR_TILT_POSITION,
    CoverDeviceClass,
    CoverEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

DEVICE_CLASSES: dict[int, CoverDeviceClass] = {
    0x0260: CoverDeviceClass.BLIND,  # electrically operated blind/shade
    0x0261: CoverDeviceClass.SHUTTER,  # electrically operated shutter
    0x0262: CoverDeviceClass.CURTAIN,  # electrically operated curtain
    0x0263: CoverDeviceClass.SHUTTER,  # electrically operated rain sliding door/shutter
    0x0264: CoverDeviceClass.GATE,  # electrically operated gate
    0x0265: CoverDeviceClass.WINDOW,  # electrically operated window
    0x0266: CoverDeviceClass.DOOR,  # automatically operated entrance door/sliding door
}
EPC_COMMAND = 0xE0
EPC_POSITION = 0xE1
EPC_TILT = 0xE2
EPC_STATUS = 0xEA
OPEN, CLOSE, STOP = 0x41, 0x42, 0x43
FULLY_OPEN, FULLY_CLOSED, OPENING, CLOSING = 0x41, 0x42, 0x43, 0x44
TILT_MAX = 180


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a cover entity for each blind, shutter, curtain, gate, window or door."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, dedicated_entities(DEVICE_CLASSES, ApplianceCover)
    )


class ApplianceCover(ApplianceEntity, CoverEntity):
    """A motorised cover: open, close, stop, and a position and tilt where it has them."""

    _attr_name = None

    def __init__(self, coordinator: ObjectCoordinator) -> None:
        """Offer what the device lets us set."""
        super().__init__(coordinator, "cover", (EPC_COMMAND, EPC_POSITION, EPC_TILT, EPC_STATUS))
        info = coordinator.info
        self._attr_device_class = DEVICE_CLASSES[info.eoj.class_id]
        self._readable = info.get_map
        settable = info.set_map if coordinator.settable else frozenset()
        features = CoverEntityFeature(0)
        if EPC_COMMAND in settable:
            features |= CoverEntityFeature.OPEN | CoverEntityFeature.CLOSE | CoverEntityFeature.STOP
        if EPC_POSITION in settable:
            features |= CoverEntityFeature.SET_POSITION
        if EPC_TILT in settable:
            features |= CoverEntityFeature.SET_TILT_POSITION
        self._attr_supported_features = features

    def _byte(self, epc: int) -> int | None:
        edt = self.raw(epc)
        return edt[0] if edt is not None and len(edt) == 1 else None

    @property
    def current_cover_position(self) -> int | None:
        """Percent open."""
        value = self._byte(EPC_POSITION)
        if value is not None and value <= 100:
            return value
        status = self._byte(EPC_STATUS)
        return {FULLY_OPEN: 100, FULLY_CLOSED: 0}.get(status) if status is not None else None

    @property
    def current_cover_tilt_position(self) -> int | None:
        """The slat angle as percent of 180 degrees."""
        value = self._byte(EPC_TILT)
        if value is None or value > TILT_MAX:
            return None
        return round(value * 100 / TILT_MAX)

    @property
    def is_closed(self) -> bool | None:
        """Fully closed, by its status, or else by its position."""
        status = self._byte(EPC_STATUS)
        if status is not None and EPC_STATUS in self._readable:
            return status == FULLY_CLOSED
        position = self.current_cover_position
        return None if position is None else position == 0

    @property
    def is_opening(self) -> bool | None:
        """Whether it is opening now (known only from the status)."""
        status = self._byte(EPC_STATUS)
        return None if status is None else status == OPENING

    @property
    def is_closing(self) -> bool | None:
        """Whether it is closing now (known only from the status)."""
        status = self._byte(EPC_STATUS)
        return None if status is None else status == CLOSING

    async def async_open_cover(self, **kwargs: Any) -> None:
        """Open."""
        await self.async_set_values({EPC_COMMAND: bytes((OPEN,))})

    async def async_close_cover(self, **kwargs: Any) -> None:
        """Close."""
        await self.async_set_values({EPC_COMMAND: bytes((CLOSE,))})

    async def async_stop_cover(self, **kwargs: Any) -> None:
        """Stop where it is."""
        await self.async_set_values({EPC_COMMAND: bytes((STOP,))})

    async def async_set_cover_position(self, **kwargs: Any) -> None:
        """Move to a percent open."""
        position = int(kwargs[ATTR_POSITION])
        await self.async_set_values({EPC_POSITION: bytes((max(0, min(100, position)),))})

    async def async_set_cover_tilt_position(self, **kwargs: Any) -> None:
        """Turn the slats to a percent of 180 degrees."""
        tilt = max(0, min(100, int(kwargs[ATTR_TILT_POSITION])))
        await self.async_set_values({EPC_TILT: bytes((round(tilt * TILT_MAX / 100),))})
