"""Setting up, tearing down and deleting an aggregator entry, and what its diagnostics show."""

import shutil
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER, EntryKind
from ..diagnostics import redacted_entry
from ..kinds import KIND_HANDLERS, KindHandler
from ..lib.dr.responder import Response
from ..lib.dr.response import Step
from .entities import (
    async_setup_aggregator_binary_sensors,
    async_setup_aggregator_calendar,
    async_setup_aggregator_event,
    async_setup_aggregator_sensors,
)
from .hub import STORAGE_VERSION, AggregatorConfigEntry, AggregatorHub
from .source import outbox_folder
from .sources import make_source


async def async_setup_aggregator(hass: HomeAssistant, entry: AggregatorConfigEntry) -> None:
    """Load the events, connect to the aggregator and start answering."""
    hub = AggregatorHub(hass, entry, make_source(hass, entry))
    entry.runtime_data = hub
    try:
        await hub.async_start()
    except BaseException:
        await hub.source.async_stop()
        raise


async def async_unload_aggregator(hass: HomeAssistant, entry: AggregatorConfigEntry) -> None:
    """Disconnect; the response in force stays stored and resumes on the next start."""
    await entry.runtime_data.async_stop()


async def async_remove_aggregator(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The entry is deleted: put back whatever a response left curtailed, then forget it all.

    Runs after the unload, so from what the hub stored; an appliance that
    cannot be reached now stays as it is (logged), there is nobody left to
    retry.
    """
    storage: Store[dict[str, Any]] = Store(
        hass, STORAGE_VERSION, f"{DOMAIN}.aggregator.{entry.entry_id}"
    )
    stored = await storage.async_load() or {}
    steps: dict[str, Step] = {}
    try:
        if response := stored.get("response"):
            kept = Response.from_dict(response)
            steps.update((s.entity_id, s) for s in kept.steps if s.entity_id not in kept.overridden)
        steps.update((s.entity_id, s) for s in map(Step.from_dict, stored.get("restore", ())))
    except (KeyError, TypeError, ValueError) as err:
        LOGGER.warning("The stored demand-response plan does not read (%s); nothing put back", err)
    for step in steps.values():
        command = step.restore
        try:
            await hass.services.async_call(
                command.domain,
                command.service,
                {"entity_id": step.entity_id, **command.data},
                blocking=True,
            )
        except (HomeAssistantError, ValueError) as err:
            LOGGER.warning("Could not put back %s: %s", step.entity_id, err)
    await storage.async_remove()
    folder = outbox_folder(hass, entry)
    await hass.async_add_executor_job(shutil.rmtree, folder, True)


async def async_aggregator_diagnostics(
    hass: HomeAssistant, entry: AggregatorConfigEntry
) -> dict[str, Any]:
    """The events known, the plan in force, what awaits restoring, and the link."""
    hub = entry.runtime_data
    response = hub.response
    return {
        # The unique ID and title hold the client or VEN ID: the household's name there.
        "entry": redacted_entry(entry, frozenset({"unique_id", "title"})),
        "connected": hub.source.connected,
        "reports_pending": hub.source.pending_reports(),
        "events": [
            {
                "id": event.event_id,
                "program": event.program_id,
                "start": event.start.isoformat(),
                "end": event.end.isoformat(),
                "cancelled": event.cancelled,
                "opt": str(event.opt),
                "signals": sorted({k for i in event.intervals for k in i.payloads}),
            }
            for event in hub.store.events
        ],
        "refused": dict(hub.refused),
        # The protocol's own: for OpenADR 3 the token, the program, the notifier, and the
        # reports the VTN refused (refused_total, refused_latest with the VTN's reasons).
        "source": hub.source.diagnostics(),
        "response": None if response is None else response.as_dict(),
        "restore_pending": [step.entity_id for step in hub.restore_pending],
    }


KIND_HANDLERS[EntryKind.AGGREGATOR] = KindHandler[AggregatorHub](
    platforms={
        Platform.BINARY_SENSOR: async_setup_aggregator_binary_sensors,
        Platform.CALENDAR: async_setup_aggregator_calendar,
        Platform.EVENT: async_setup_aggregator_event,
        Platform.SENSOR: async_setup_aggregator_sensors,
    },
    async_setup=async_setup_aggregator,
    async_unload=async_unload_aggregator,
    async_remove=async_remove_aggregator,
    diagnostics=async_aggregator_diagnostics,
)
