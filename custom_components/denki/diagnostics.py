"""Diagnostics: what support needs, without the B-route ID or password."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .aggregator_entry import AggregatorHub
from .appliances import diagnostics as appliances_diagnostics
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KEY_PASSWORD,
    CONF_KIND,
    CONF_NODE_ID,
    CONF_PASSWORD,
    CONF_RBID,
    CONF_USERNAME,
    CONF_VEN,
    EntryKind,
)
from .coordinator import MeterConfigEntry
from .meter_hv import HvMeterRuntimeData, is_high_voltage
from .meter_statistics import MeterBackfill
from .savings_entry import SavingsTracker

TO_REDACT = {
    CONF_RBID,
    CONF_PASSWORD,
    CONF_NODE_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KEY_PASSWORD,
    CONF_USERNAME,
    CONF_VEN,
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: MeterConfigEntry
) -> dict[str, Any]:
    """The entry (secrets redacted) and the state of what it runs."""
    if entry.data.get(CONF_KIND) == EntryKind.APPLIANCES:
        return {
            "entry": async_redact_data(entry.as_dict(), TO_REDACT),
            **appliances_diagnostics(entry.runtime_data),  # type: ignore[arg-type]
        }
    if entry.data.get(CONF_KIND) == EntryKind.SAVINGS:
        return {
            "entry": async_redact_data(entry.as_dict(), TO_REDACT),
            **savings_diagnostics(entry.runtime_data),  # type: ignore[arg-type]
        }
    if entry.data.get(CONF_KIND) == EntryKind.AGGREGATOR:
        return {
            # The unique ID and title hold the client or VEN ID: the household's name there.
            "entry": async_redact_data(entry.as_dict(), TO_REDACT | {"unique_id", "title"}),
            **aggregator_diagnostics(entry.runtime_data),  # type: ignore[arg-type]
        }
    if is_high_voltage(entry):
        return {
            "entry": async_redact_data(entry.as_dict(), TO_REDACT),
            **hv_meter_diagnostics(entry.runtime_data),  # type: ignore[arg-type]
        }
    data = entry.runtime_data
    link = data.link
    session = link.session
    coordinator = data.coordinator
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "link": {
            "connected": link.connected,
            "joins": link.joins,
            "scale": asdict(link.scale) if link.scale else None,
            "last_success": link.last_success.isoformat() if link.last_success else None,
            "datagrams_dropped": session.dropped if session else None,
            "events_ignored": session.events_ignored if session else None,
            "lines_unparsed": link.lines_unparsed,
        },
        "last_update_success": coordinator.last_update_success,
        "reading": asdict(coordinator.data) if coordinator.data else None,
        "backfill": _backfill_status(data.backfill),
    }


def savings_diagnostics(tracker: SavingsTracker) -> dict[str, Any]:
    """How much use is recorded, the ledger's size, the score and the challenge."""
    slots = sorted(tracker.slots.slots)
    score = tracker.score
    challenge = tracker.challenge
    return {
        "energy_entity": tracker.energy_entity,
        "slots": {
            "count": len(slots),
            "partial": sorted(slot.isoformat() for slot in tracker.slots.partial),
            "first": slots[0].isoformat() if slots else None,
            "last": slots[-1].isoformat() if slots else None,
            "last_reading": tracker.slots.last_time.isoformat()
            if tracker.slots.last_time
            else None,
        },
        "ledger": {
            "events": len(tracker.ledger.events),
            "challenges": len(tracker.ledger.challenges),
            "days": len(tracker.ledger.days),
        },
        "score": {
            "points": score.points,
            "level": score.level,
            "streak": score.streak,
            "best_streak": score.best_streak,
            "shields": score.shields,
            "cards": [str(award.card) for award in score.cards],
        },
        "challenge": None
        if challenge is None
        else {
            "week": challenge.week.isoformat(),
            "kind": str(challenge.kind),
            "target": challenge.target,
            "reference_kwh": round(challenge.reference_kwh, 3),
            "days_met": tracker.progress.days_met if tracker.progress else None,
        },
    }


def aggregator_diagnostics(hub: AggregatorHub) -> dict[str, Any]:
    """The events known, the plan in force, what awaits restoring, and the link."""
    response = hub.response
    return {
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
        "response": None if response is None else response.as_dict(),
        "restore_pending": [step.entity_id for step in hub.restore_pending],
    }


def hv_meter_diagnostics(data: HvMeterRuntimeData) -> dict[str, Any]:
    """The high-voltage meter's class, scaling and last reading, and the back-fill."""
    meter, coordinator = data.meter, data.coordinator
    return {
        "meter": {
            "host": meter.host,
            "class": f"0x{meter.object.eoj.class_id:04X}" if meter.object else None,
            "scales": asdict(meter.scales) if meter.scales else None,
        },
        "last_update_success": coordinator.last_update_success,
        "reading": asdict(coordinator.data) if coordinator.data else None,
        "backfill": _backfill_status(data.backfill),
    }


def _backfill_status(backfill: MeterBackfill) -> dict[str, Any]:
    """Where either kind of meter's statistics back-fill stands, its times in ISO form."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in asdict(backfill.status).items()
    }
