"""Selects of ECHONET Lite appliances: settable properties with more than two states."""

from homeassistant.components.select import SelectEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PlannedApplianceEntity, async_setup_appliance_platform, planned_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator
from .plan import PlannedEntity, state_key


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select for each settable multi-state property of each object."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, planned_entities(Platform.SELECT, ApplianceSelect)
    )


class ApplianceSelect(PlannedApplianceEntity, SelectEntity):
    """A settable enum property; options are the class data's keys in snake case, translated."""

    def __init__(self, coordinator: ObjectCoordinator, planned: PlannedEntity) -> None:
        """Offer the states of property `planned.epc`."""
        super().__init__(coordinator, planned)
        self._planned = planned
        self._attr_options = planned.options

    @property
    def current_option(self) -> str | None:
        """The state the device reports."""
        decoded = self.decoded(self._epc)
        if decoded is None or decoded.enum is None:
            return None
        return state_key(decoded.enum.key)

    async def async_select_option(self, option: str) -> None:
        """Set the chosen state."""
        await self.async_set_values({self._epc: self._planned.raw_key(option)})
