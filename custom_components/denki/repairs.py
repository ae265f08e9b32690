"""Repair flows: the alerts a person acknowledges once they have looked into them."""

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

ACKNOWLEDGED = ("settings_changed_", "unknown_set_request_")
"""Issues that only need a person to confirm they have seen them (and checked the device
or the network); nothing is changed by confirming."""


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """A confirmation that closes the alert."""
    if not issue_id.startswith(ACKNOWLEDGED):
        raise ValueError(f"no repair flow for {issue_id}")
    return ConfirmRepairFlow()
