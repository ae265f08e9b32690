"""Switches of ECHONET Lite appliances: settable on/off properties (operation status and alike)."""

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PlannedApplianceEntity, async_setup_appliance_platform, planned_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator
from .plan import PlannedEntity, on_code

# One request in flight per node is the client's rule; entities need not queue.


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for each settable two-state property of each object."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, planned_entities(Platform.SWITCH, ApplianceSwitch)
    )


class ApplianceSwitch(PlannedApplianceEntity, SwitchEntity):
    """A settable two-state property."""

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Switch property `planned.epc` between its two codes."""
        super().__init__(coordinator, planned)
        self._on = on_code(planned.known_spec)
        self._off = next(v.raw for v in planned.known_spec.value.enum if v.raw != self._on)

    @property
    def is_on(self) -> bool | None:
        """Whether the property holds its "on" code."""
        edt = self.raw(self._epc)
        if edt is None or len(edt) != 1:
            return None
        return edt[0] == self._on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Set the "on" code."""
        await self.async_set_values({self._epc: bytes((self._on,))})

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Set the "off" code."""
        await self.async_set_values({self._epc: bytes((self._off,))})
