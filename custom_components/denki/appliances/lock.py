"""Lock entities of ECHONET Lite electric locks (0x026F).

Locked or unlocked is the lock setting 1 (0xE0: 0x41 lock, 0x42 unlock), the
main lock; the door guard, the door's open/closed status and the alarm stay
sensors of their own. Locks are read-only until the household allows the
class in the options: a lock that Home Assistant can open is a way into
the home.
"""

from typing import Any

from homeassistant.components.lock import LockEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import ApplianceEntity, async_setup_appliance_platform, dedicated_entities
from .hub import AppliancesConfigEntry, ObjectCoordinator

ELECTRIC_LOCK = 0x026F
EPC_LOCK = 0xE0
LOCK, UNLOCK = 0x41, 0x42


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AppliancesConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a lock entity for each electric lock."""
    async_setup_appliance_platform(
        hass, entry, async_add_entities, dedicated_entities((ELECTRIC_LOCK,), ApplianceLock)
    )


class ApplianceLock(ApplianceEntity, LockEntity):
    """An electric lock's main lock."""

    _attr_name = None

    def __init__(self, coordinator: ObjectCoordinator) -> None:
        """Show the main lock."""
        super().__init__(coordinator, "lock", (EPC_LOCK,))

    @property
    def is_locked(self) -> bool | None:
        """Whether the main lock is locked."""
        edt = self.raw(EPC_LOCK)
        if edt is None or len(edt) != 1 or edt[0] not in (LOCK, UNLOCK):
            return None
        return edt[0] == LOCK

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock (refused unless the options allow setting locks)."""
        await self.async_set_values({EPC_LOCK: bytes((LOCK,))})

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock (refused unless the options allow setting locks)."""
        await self.async_set_values({EPC_LOCK: bytes((UNLOCK,))})
