"""The registry that maps each kind of entry to the package that runs it.

The integration's root holds no per-kind logic: `__init__.py`, the platform
modules and `diagnostics.py` look the entry's kind up here and hand over.
Each kind's package (`meter/`, `appliances/`, `aggregator/`, `savings/`)
registers a `KindHandler` typed by its own runtime data, so each narrows its
own entry and nothing is cast on the way. A high-voltage meter is a meter
entry too (same kind in the entry's data) but its own handler: it is chosen by
`handler_key`.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_HOST, CONF_KIND, DOMAIN, HV_METER, EntryKind

type SetupFn[T] = Callable[[HomeAssistant, ConfigEntry[T]], Awaitable[None]]
type RemoveFn = Callable[[HomeAssistant, ConfigEntry], Awaitable[None]]
type PlatformSetupFn[T] = Callable[
    [HomeAssistant, ConfigEntry[T], AddConfigEntryEntitiesCallback], Awaitable[None]
]
type DiagnosticsFn[T] = Callable[[HomeAssistant, ConfigEntry[T]], Awaitable[dict[str, Any]]]
type RemoveDeviceFn[T] = Callable[[HomeAssistant, ConfigEntry[T], DeviceEntry], bool]


async def _nothing_to_unload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Release nothing: for kinds whose runtime data needs no closing."""


async def _nothing_to_remove(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Leave nothing behind: for kinds that keep nothing outside the entry."""


async def _no_diagnostics(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, Any]:
    """No diagnostics beyond the entry itself (never used by a registered kind)."""
    return {}


def _keep_devices(hass: HomeAssistant, entry: ConfigEntry, device: DeviceEntry) -> bool:
    """A device of this kind is never removed by hand: it is the entry's own."""
    return False


@dataclass(frozen=True, kw_only=True, slots=True)
class KindHandler[T]:
    """How one kind of entry, with runtime data `T`, is set up, shown and torn down.

    `async_setup` prepares `entry.runtime_data` (and raises
    `ConfigEntryNotReady` / `ConfigEntryAuthFailed` as Home Assistant expects)
    before the platforms are forwarded; `async_unload` closes what it opened
    after the platforms are unloaded.
    """

    platforms: Mapping[Platform, PlatformSetupFn[T]]
    """Each platform the kind has, and the function that adds its entities."""
    async_setup: SetupFn[T]
    async_unload: SetupFn[T] = _nothing_to_unload
    async_remove: RemoveFn = _nothing_to_remove
    """Called when the entry is deleted, after its unload."""
    diagnostics: DiagnosticsFn[T] = _no_diagnostics
    """The entry (secrets redacted) and the state of what it runs."""
    remove_device: RemoveDeviceFn[T] = _keep_devices
    """Whether a person may remove `device` from the entry (and forget it)."""


KIND_HANDLERS: dict[str, KindHandler[Any]] = {}
"""By `handler_key`: each kind's value, and `HV_METER` for a high-voltage meter."""


def handler_key(entry: ConfigEntry) -> str:
    """The key of the entry's handler: its kind, or `HV_METER` for a meter on the LAN."""
    kind = str(entry.data.get(CONF_KIND))
    if kind == EntryKind.METER and CONF_HOST in entry.data:
        return HV_METER
    return kind


def handler_for(entry: ConfigEntry) -> KindHandler[Any]:
    """The handler of the entry's kind, or a translated error for a kind this version lacks."""
    key = handler_key(entry)
    try:
        return KIND_HANDLERS[key]
    except KeyError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unsupported_entry_kind",
            translation_placeholders={"kind": str(entry.data.get(CONF_KIND))},
        ) from err


async def async_setup_platform(
    platform: Platform,
    hass: HomeAssistant,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Hand a platform's set-up to the entry's kind (only kinds that have it are forwarded)."""
    await handler_for(entry).platforms[platform](hass, entry, async_add_entities)
