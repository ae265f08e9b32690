"""Device triggers of Denki: an aggregator's demand-response events, picked from its device.

"When the aggregator's DR event starts" (or is announced, modified, cancelled,
ends, or its result is known) in the automation editor, without knowing the
event entity or its event types. Each trigger follows the aggregator's event
entity (`aggregator/entities.py` `DrEventEntity`) and passes the event's
attributes (its id, program, times, signals) on as `trigger.event`.
"""

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HassJob,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .aggregator.entities import EVENT_TYPES
from .const import DOMAIN

EVENT_KEY = "dr_event"
"""The translation key (and unique-id suffix) of an aggregator's event entity."""

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(EVENT_TYPES)}
)


def _event_entity(hass: HomeAssistant, device_id: str) -> str | None:
    """The DR event entity of the aggregator device `device_id`, if it is one."""
    registry = er.async_get(hass)
    for entry in er.async_entries_for_device(registry, device_id):
        if (
            entry.platform == DOMAIN
            and entry.domain == "event"
            and entry.translation_key == EVENT_KEY
        ):
            return entry.entity_id
    return None


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """One trigger per kind of change, for an aggregator's device; none for other devices."""
    if _event_entity(hass, device_id) is None:
        return []
    return [
        {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in EVENT_TYPES
    ]


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the trigger's form, and that its device still is an aggregator's."""
    config = TRIGGER_SCHEMA(config)
    if _event_entity(hass, config[CONF_DEVICE_ID]) is None:
        raise InvalidDeviceAutomationConfig(
            translation_domain=DOMAIN,
            translation_key="not_an_aggregator_device",
            translation_placeholders={"device_id": config[CONF_DEVICE_ID]},
        )
    return config


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run `action` each time the aggregator's event entity tells a change of that kind."""
    entity_id = _event_entity(hass, config[CONF_DEVICE_ID])
    if entity_id is None:  # the device was removed since the config was checked
        return lambda: None
    kind = config[CONF_TYPE]
    job = HassJob(action, f"denki device trigger {kind}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or new.attributes.get("event_type") != kind:
            return
        if old is not None and old.state == new.state:
            return  # an attribute rewritten, not a new event
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                    CONF_TYPE: kind,
                    ATTR_ENTITY_ID: entity_id,
                    "event": dict(new.attributes),
                    "description": f"demand-response event {kind}",
                }
            },
            event.context,
        )

    return async_track_state_change_event(hass, entity_id, _changed)
