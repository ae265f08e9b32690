"""The base entity of the appliances: one device per ECHONET Lite object, named by identity, not IP."""

from collections.abc import Callable, Collection, Iterable

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import DOMAIN
from ..lib.echonet.classes import DecodedValue, PropertyValueError, decode_value, encode_value
from ..lib.echonet.manufacturers import manufacturer_name
from .hub import AppliancesConfigEntry, ObjectCoordinator, class_name
from .plan import PlannedEntity, plan


class ApplianceEntity(CoordinatorEntity[ObjectCoordinator]):
    """An entity of one ECHONET Lite object: a device per object, named by identity, not IP.

    The entity tells its coordinator which properties it shows when it is
    added (enabled), so that disabled entities cost no traffic.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: ObjectCoordinator, key: str, epcs: Iterable[int]) -> None:
        """Identify the entity by its object's key and `key`; poll `epcs` while it is enabled."""
        super().__init__(coordinator)
        self._epcs = tuple(epcs)
        info = coordinator.info
        node = coordinator.node
        language = coordinator.hass.config.language
        self._language = language
        self._attr_unique_id = f"{coordinator.key}-{key}"
        maker = info.manufacturer if info.manufacturer is not None else node.manufacturer
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.key)},
            name=class_name(info.eoj.class_id, language),
            manufacturer=manufacturer_name(maker, language)
            or (f"0x{maker:06X}" if maker is not None else None),
            model=info.product_code or class_name(info.eoj.class_id, "en"),
            model_id=f"0x{info.eoj.class_id:04X}",
            serial_number=info.serial_number,
            sw_version=f"Release {info.release}" if info.release else None,
        )

    async def async_added_to_hass(self) -> None:
        """Start polling this entity's properties."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.want(self._epcs))

    def raw(self, epc: int) -> bytes | None:
        """The last EDT of `epc`, if read."""
        data = self.coordinator.data
        return None if data is None else data.get(epc)

    def decoded(self, epc: int) -> DecodedValue | None:
        """The last value of `epc`, decoded; None if unread or not decodable."""
        edt = self.raw(epc)
        if edt is None:
            return None
        try:
            return decode_value(self.coordinator.info.eoj.class_id, epc, edt)
        except PropertyValueError:
            return None

    async def async_set_values(self, values: dict[int, object]) -> None:
        """Encode and set property values (raising translated errors)."""
        class_id = self.coordinator.info.eoj.class_id
        try:
            encoded = {epc: encode_value(class_id, epc, value) for epc, value in values.items()}
        except PropertyValueError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_value",
                translation_placeholders={"error": str(err)},
            ) from err
        await self.coordinator.async_set(encoded)


class PlannedApplianceEntity(ApplianceEntity):
    """An entity `plan` made of one property: named, enabled and categorised as planned."""

    def __init__(
        self,
        coordinator: ObjectCoordinator,
        planned: PlannedEntity,
        epcs: Iterable[int] | None = None,
    ) -> None:
        """Show property `planned.epc`; poll `epcs` (that property alone by default)."""
        super().__init__(coordinator, planned.key, (planned.epc,) if epcs is None else epcs)
        self._epc = planned.epc
        # The name comes from Home Assistant's translations of the class data.
        self._attr_translation_key = planned.translation_key
        self._attr_translation_placeholders = planned.translation_placeholders
        self._attr_entity_registry_enabled_default = planned.enabled
        self._attr_entity_category = planned.category


def new_objects_signal(entry: AppliancesConfigEntry) -> str:
    """The signal that tells the platforms of `entry` about objects found after set-up."""
    return f"{DOMAIN}_appliances_new_{entry.entry_id}"


def async_setup_appliance_platform(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_for: Callable[[ObjectCoordinator], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every object, now and as objects are found."""

    @callback
    def _add(coordinators: list[ObjectCoordinator]) -> None:
        entities = [entity for c in coordinators for entity in entities_for(c)]
        if entities:
            async_add_entities(entities)

    _add(list(entry.runtime_data.coordinators.values()))
    entry.async_on_unload(async_dispatcher_connect(hass, new_objects_signal(entry), _add))


def planned_entities[EntityT: Entity](
    platform: Platform, make: Callable[[ObjectCoordinator, PlannedEntity], EntityT]
) -> Callable[[ObjectCoordinator], list[EntityT]]:
    """For a generated platform: one entity per property `plan` gives that platform, per object."""

    def _entities(coordinator: ObjectCoordinator) -> list[EntityT]:
        return [
            make(coordinator, planned)
            for planned in plan(coordinator.info, coordinator.settable)
            if planned.platform is platform
        ]

    return _entities


def dedicated_entities[EntityT: Entity](
    classes: Collection[int], make: Callable[[ObjectCoordinator], EntityT]
) -> Callable[[ObjectCoordinator], list[EntityT]]:
    """For a platform of its own (climate, cover, …): one entity per object of `classes`."""

    def _entities(coordinator: ObjectCoordinator) -> list[EntityT]:
        return [make(coordinator)] if coordinator.info.eoj.class_id in classes else []

    return _entities
