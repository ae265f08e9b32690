"""Actions of Denki: the household's choice for a demand-response event."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from ..const import CONF_KIND, DOMAIN, EntryKind
from ..lib.dr import DrEvent, EventStatus, OptState
from .hub import AggregatorHub

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_EVENT_ID = "event_id"
SERVICE_OPT_IN = "opt_in"
SERVICE_OPT_OUT = "opt_out"

SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_EVENT_ID): cv.string,
    }
)


def _hub(hass: HomeAssistant, entry_id: str | None, event_id: str | None = None) -> AggregatorHub:
    """The aggregator asked for, or the one that knows the event, or the only one there is."""
    entries = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == EntryKind.AGGREGATOR
        and (entry_id is None or entry.entry_id == entry_id)
    ]
    if entry_id is None and event_id is not None and len(entries) > 1:
        # The card knows an event's id, not its entry: the loaded aggregator that holds it.
        holding = [
            entry
            for entry in entries
            if entry.state is ConfigEntryState.LOADED
            and entry.runtime_data.store.get(event_id) is not None
        ]
        if len(holding) == 1:
            entries = holding
    if not entries:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="aggregator_not_found"
        )
    if len(entries) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="aggregator_ambiguous"
        )
    entry = entries[0]
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="aggregator_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    hub: AggregatorHub = entry.runtime_data
    return hub


def _event(hub: AggregatorHub, event_id: str | None) -> DrEvent:
    """The event asked for, or the one in force, or the next one; never one that is over."""
    now = dt_util.utcnow()
    if event_id is not None:
        event = hub.store.get(event_id)
        if event is None or event.status_at(now) not in (EventStatus.PENDING, EventStatus.ACTIVE):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="event_not_found",
                translation_placeholders={"event": event_id},
            )
        return event
    event = hub.current() or hub.store.next_pending(now)
    if event is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_event")
    return event


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register `denki.opt_in` and `denki.opt_out`."""

    async def _set(call: ServiceCall, opt: OptState) -> ServiceResponse:
        hub = _hub(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), call.data.get(ATTR_EVENT_ID))
        event = _event(hub, call.data.get(ATTR_EVENT_ID))
        event = await hub.async_set_opt(event.event_id, opt)
        return {"event_id": event.event_id, "opt": str(event.opt)}

    async def _opt_in(call: ServiceCall) -> ServiceResponse:
        return await _set(call, OptState.OPT_IN)

    async def _opt_out(call: ServiceCall) -> ServiceResponse:
        return await _set(call, OptState.OPT_OUT)

    hass.services.async_register(
        DOMAIN, SERVICE_OPT_IN, _opt_in, schema=SCHEMA, supports_response=SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_OPT_OUT,
        _opt_out,
        schema=SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
