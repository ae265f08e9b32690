"""Sensors and the event entity of the savings entry: points, level, streak, challenge, cards."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfEnergy
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ..entity import ServiceEntity
from ..lib.savings import JST
from ..lib.savings.comparison import daily_use
from .tracker import SavingsConfigEntry, SavingsTracker

YEN = "JPY"
EVENTS_SHOWN = 12
"""Past events the card's chart shows, the latest last."""


class SavingsEntity(ServiceEntity):
    """An entity of the savings entry, under one service device; updated when the tracker changes."""

    def __init__(self, tracker: SavingsTracker, key: str) -> None:
        """Name the entity after `key`."""
        super().__init__(tracker.entry, key, "savings")
        self.tracker = tracker


@dataclass(frozen=True, kw_only=True)
class SavingsSensorDescription(SensorEntityDescription):
    """A sensor of the savings: how to read it from the tracker."""

    value_fn: Callable[[SavingsTracker], StateType]
    attributes_fn: Callable[[SavingsTracker], dict[str, Any]] | None = None


def _last_event_kwh(tracker: SavingsTracker) -> float | None:
    events = tracker.score.events
    outcome = tracker.ledger.events.get(events[-1].event_id) if events else None
    return None if outcome is None or outcome.saved_kwh is None else round(outcome.saved_kwh, 3)


def _last_event_yen(tracker: SavingsTracker) -> float | None:
    kwh = _last_event_kwh(tracker)
    return None if kwh is None else round(kwh * tracker.yen_per_kwh, 1)


def _saved_kwh(saved_kwh: float | None, participated: bool) -> float:
    """What an event counts towards the savings, as the score counts it."""
    return (saved_kwh or 0.0) if participated else 0.0


def _last_event_attributes(tracker: SavingsTracker) -> dict[str, Any]:
    """The last event slot by slot, the past events for the chart, and this month's savings."""
    events = sorted(tracker.ledger.events.values(), key=lambda e: (e.start, e.event_id))
    month = tracker.today.replace(day=1)
    month_kwh = sum(
        (
            _saved_kwh(e.saved_kwh, e.participated)
            for e in events
            if e.start.astimezone(JST).date() >= month
        ),
        0.0,
    )
    return {
        **(tracker.last_result or {}),
        "events": [
            {
                "event_id": e.event_id,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "participated": e.participated,
                "saved_kwh": None if e.saved_kwh is None else round(e.saved_kwh, 3),
            }
            for e in events[-EVENTS_SHOWN:]
        ],
        "month_saved_kwh": round(month_kwh, 3),
        "month_saved_yen": round(month_kwh * tracker.yen_per_kwh, 1),
        "total_saved_kwh": round(tracker.score.saved_kwh, 3),
    }


def _challenge_attributes(tracker: SavingsTracker) -> dict[str, Any]:
    # The whole days of the household's use, for the card's comparison with similar homes.
    use = {
        "use_days": {
            day.isoformat(): round(kwh, 3)
            for day, kwh in daily_use(tracker.slots.complete, tracker.today).items()
        }
    }
    progress = tracker.progress
    if progress is None:
        return use
    challenge = progress.challenge
    return {
        "challenge": str(challenge.kind),
        "week": challenge.week.isoformat(),
        "target_percent": round(challenge.target * 100),
        "limit_kwh": round(challenge.limit_kwh, 2),
        "days_needed": challenge.days_needed,
        "completed": progress.completed,
        "days": {day.isoformat(): round(kwh, 2) for day, kwh in sorted(progress.used_kwh.items())},
        "missing_days": [day.isoformat() for day in progress.missing_days if day < tracker.today],
        **use,
    }


SAVINGS_SENSORS: tuple[SavingsSensorDescription, ...] = (
    SavingsSensorDescription(
        key="points",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda tracker: tracker.score.points,
    ),
    SavingsSensorDescription(
        key="level",
        value_fn=lambda tracker: tracker.score.level,
        attributes_fn=lambda tracker: {
            "level_points": tracker.score.level_points,
            "next_level_points": tracker.score.next_level_points,
        },
    ),
    SavingsSensorDescription(
        key="level_progress",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda tracker: round(tracker.score.level_progress * 100),
    ),
    SavingsSensorDescription(
        key="streak",
        value_fn=lambda tracker: tracker.score.streak,
        attributes_fn=lambda tracker: {"best_streak": tracker.score.best_streak},
    ),
    SavingsSensorDescription(
        key="shields",
        value_fn=lambda tracker: tracker.score.shields,
    ),
    SavingsSensorDescription(
        key="challenge",
        value_fn=lambda tracker: tracker.progress.days_met if tracker.progress else None,
        attributes_fn=_challenge_attributes,
    ),
    SavingsSensorDescription(
        key="cards",
        value_fn=lambda tracker: len(tracker.score.cards),
        attributes_fn=lambda tracker: {
            "cards": [
                {
                    "card": str(award.card),
                    "rarity": str(award.card.rarity),
                    "first_earned": award.first_earned.isoformat(),
                    "times": award.times,
                }
                for award in tracker.score.cards
            ]
        },
    ),
    SavingsSensorDescription(
        key="last_event_saved",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        value_fn=_last_event_kwh,
        attributes_fn=_last_event_attributes,
    ),
    SavingsSensorDescription(
        key="last_event_saved_yen",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=YEN,
        value_fn=_last_event_yen,
    ),
)


class SavingsSensor(SavingsEntity, SensorEntity):
    """One figure of the savings."""

    entity_description: SavingsSensorDescription
    # The card's history and whole days are for the card, not for the recorder's history.
    _unrecorded_attributes = frozenset({"events", "use_days"})

    def __init__(self, tracker: SavingsTracker, description: SavingsSensorDescription) -> None:
        """Read `description` from `tracker`."""
        super().__init__(tracker, description.key)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Follow the tracker."""
        self.async_on_remove(self.tracker.add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> StateType:
        """The figure now."""
        return self.entity_description.value_fn(self.tracker)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Details the card shows."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.tracker)


class SavingsEvent(SavingsEntity, EventEntity):
    """Fires when a card is earned or the week's challenge is completed."""

    def __init__(self, tracker: SavingsTracker) -> None:
        """The entry's one event entity."""
        super().__init__(tracker, "reward")
        self._attr_event_types = ["card_earned", "challenge_completed"]

    async def async_added_to_hass(self) -> None:
        """Follow the tracker's awards."""
        self.async_on_remove(self.tracker.add_award_listener(self._on_award))

    @callback
    def _on_award(self, kind: str, data: dict[str, Any]) -> None:
        self._trigger_event(kind, data)
        self.async_write_ha_state()


async def async_setup_savings_sensors(
    hass: HomeAssistant,
    entry: SavingsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the savings sensors."""
    async_add_entities(SavingsSensor(entry.runtime_data, d) for d in SAVINGS_SENSORS)


async def async_setup_savings_event(
    hass: HomeAssistant,
    entry: SavingsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of rewards."""
    async_add_entities([SavingsEvent(entry.runtime_data)])
