"""Diagnostics: what support needs, with the B-route ID, passwords and secrets redacted.

Each kind of entry says what it runs (`kinds.KindHandler.diagnostics`); this
module hands over and holds the one list of what is never shown.
"""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KEY_PASSWORD,
    CONF_NODE_ID,
    CONF_PASSWORD,
    CONF_RBID,
    CONF_USERNAME,
    CONF_VEN,
)
from .kinds import handler_for

TO_REDACT = frozenset(
    {
        CONF_RBID,
        CONF_PASSWORD,
        CONF_NODE_ID,
        CONF_CLIENT_ID,
        CONF_CLIENT_SECRET,
        CONF_KEY_PASSWORD,
        CONF_USERNAME,
        CONF_VEN,
    }
)


def redacted_entry(entry: ConfigEntry, also: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The entry as a dict, without its secrets (nor the keys in `also`)."""
    redacted: dict[str, Any] = async_redact_data(entry.as_dict(), TO_REDACT | also)
    return redacted


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry
) -> dict[str, Any]:
    """The entry (secrets redacted) and the state of what it runs."""
    return await handler_for(entry).diagnostics(hass, entry)
