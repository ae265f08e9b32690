"""The registry that maps each entry kind to the code that sets it up.

`__init__.py` holds no per-kind logic: it looks the entry's kind up here and
hands over. Each kind's module registers a `KindHandler` when it lands.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .const import EntryKind

type SetupFn = Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]
type UnloadFn = Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]
type RemoveFn = Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]


async def _nothing_to_unload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Release nothing: for kinds whose runtime data needs no closing."""


async def _nothing_to_remove(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Leave nothing behind: for kinds that keep nothing outside the entry."""


@dataclass(frozen=True, kw_only=True, slots=True)
class KindHandler:
    """How one kind of entry is set up and torn down.

    `async_setup` prepares `entry.runtime_data` (and raises
    `ConfigEntryNotReady` / `ConfigEntryAuthFailed` as Home Assistant expects)
    before the platforms are forwarded; `async_unload` closes what it opened
    after the platforms are unloaded.
    """

    platforms: tuple[Platform, ...]
    async_setup: SetupFn
    async_unload: UnloadFn = _nothing_to_unload
    async_remove: RemoveFn = _nothing_to_remove
    """Called when the entry is deleted, after its unload."""


KIND_HANDLERS: dict[EntryKind, KindHandler] = {}
