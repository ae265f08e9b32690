"""Setting up and tearing down the savings entry, and what its diagnostics show."""

from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from ..const import EntryKind
from ..diagnostics import redacted_entry
from ..kinds import KIND_HANDLERS, KindHandler
from .entities import async_setup_savings_event, async_setup_savings_sensors
from .tracker import SavingsConfigEntry, SavingsTracker


async def async_setup_savings(hass: HomeAssistant, entry: SavingsConfigEntry) -> None:
    """Load the stored savings and start following the energy sensor."""
    tracker = SavingsTracker(hass, entry)
    await tracker.async_start()
    entry.runtime_data = tracker


async def async_unload_savings(hass: HomeAssistant, entry: SavingsConfigEntry) -> None:
    """Write the state now rather than after the save delay."""
    await entry.runtime_data.async_stop()


async def async_savings_diagnostics(
    hass: HomeAssistant, entry: SavingsConfigEntry
) -> dict[str, Any]:
    """How much use is recorded, the ledger's size, the score and the challenge."""
    tracker = entry.runtime_data
    slots = sorted(tracker.slots.slots)
    score = tracker.score
    challenge = tracker.challenge
    return {
        "entry": redacted_entry(entry),
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


KIND_HANDLERS[EntryKind.SAVINGS] = KindHandler[SavingsTracker](
    platforms={
        Platform.SENSOR: async_setup_savings_sensors,
        Platform.EVENT: async_setup_savings_event,
    },
    async_setup=async_setup_savings,
    async_unload=async_unload_savings,
    diagnostics=async_savings_diagnostics,
)
