"""Entities of the aggregator entry: the calendar, event, sensors and binary sensors of DR events."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.components.event import EventEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..entity import ServiceEntity
from ..lib.dr import DrEvent, SignalType
from ..lib.dr.response import Step
from .hub import AggregatorConfigEntry, AggregatorHub

LONGEST_SHOWN = timedelta(days=366)
"""An event "until further notice" is shown this long in the calendar."""
EVENT_TYPES = ["announced", "modified", "cancelled", "started", "ended", "result"]


class AggregatorEntity(ServiceEntity):
    """An entity of the aggregator entry, under one service device."""

    def __init__(self, hub: AggregatorHub, key: str) -> None:
        """Name the entity after `key`."""
        super().__init__(hub.entry, key, "aggregator")
        self.hub = hub

    async def async_added_to_hass(self) -> None:
        """Follow the hub."""
        self.async_on_remove(self.hub.add_listener(self._on_hub))

    @callback
    def _on_hub(self) -> None:
        self.async_write_ha_state()


def summary(event: DrEvent) -> str:
    """The calendar's line for an event: its name, or its program."""
    return event.name or event.program_id


def describe(event: DrEvent) -> str:
    """The signals of an event, interval by interval, for the calendar's description."""
    lines = []
    for interval in event.intervals:
        values = ", ".join(
            f"{kind} {'/'.join(str(v) for v in values)}"
            for kind, values in sorted(interval.payloads.items())
        )
        start = dt_util.as_local(interval.start).strftime("%H:%M")
        lines.append(f"{start} {values}".strip())
    return "\n".join(lines)


def attributes(event: DrEvent | None) -> dict[str, Any]:
    """What automations want to know of an event."""
    if event is None:
        return {}
    return {
        "event_id": event.event_id,
        "program": event.program_id,
        "name": event.name,
        "start": event.start.isoformat(),
        "end": None if event.end - event.start > LONGEST_SHOWN else event.end.isoformat(),
        "opt": str(event.opt),
        "source": event.source,
    }


VALUE_NAMES: dict[str, str] = {
    SignalType.SIMPLE: "level",
    SignalType.PRICE: "price",
    "REWARD": "reward",
    SignalType.IMPORT_CAPACITY_LIMIT: "import_limit",
    SignalType.EXPORT_CAPACITY_LIMIT: "export_limit",
    SignalType.DISPATCH_SETPOINT: "dispatch_setpoint",
    SignalType.DISPATCH_SETPOINT_RELATIVE: "dispatch_setpoint_relative",
    SignalType.ALERT_GRID_EMERGENCY: "grid_emergency",
}
"""Attribute names of the payload types an automation most often asks about."""
HIGHEST = ("level", "price", "reward")
LOWEST = ("import_limit", "export_limit")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def upcoming_values(event: DrEvent | None) -> dict[str, Any]:
    """An event's values, interval by interval, so an automation can decide before it starts.

    Each interval: its start and end, and each payload under a plain name
    (level, price, reward, import_limit, export_limit, …; other types under
    their OpenADR name), one value, or a list when the payload splits the
    interval. Beside them the event's highest level, price and reward and
    its lowest import and export limits, over every interval.
    """
    if event is None:
        return {}
    intervals: list[dict[str, Any]] = []
    extremes: dict[str, list[float]] = {}
    for interval in event.intervals:
        item: dict[str, Any] = {
            "start": interval.start.isoformat(),
            "end": None
            if interval.end - interval.start > LONGEST_SHOWN
            else interval.end.isoformat(),
        }
        for kind, values in sorted(interval.payloads.items()):
            name = VALUE_NAMES.get(kind, kind.lower())
            item[name] = values[0] if len(values) == 1 else list(values)
            numbers = [n for n in map(_number, values) if n is not None]
            if numbers and name in (*HIGHEST, *LOWEST):
                extremes.setdefault(name, []).extend(numbers)
        intervals.append(item)
    summary: dict[str, Any] = {}
    for name, numbers in extremes.items():
        if name in HIGHEST:
            summary[f"{name}_max"] = max(numbers)
        else:
            summary[f"{name}_min"] = min(numbers)
    return {**attributes(event), **summary, "intervals": intervals}


def planned(steps: list[Step]) -> list[dict[str, Any]]:
    """What the automatic response would do, appliance by appliance, for the card and automations."""
    return [
        {
            "entity_id": step.entity_id,
            "role": step.role.value,
            "watch": step.watch,
            "from": step.prior,
            "to": step.target,
        }
        for step in steps
    ]


def _calendar_event(event: DrEvent) -> CalendarEvent:
    end = min(event.end, event.start + LONGEST_SHOWN)
    return CalendarEvent(
        start=dt_util.as_local(event.start),
        end=dt_util.as_local(end),
        summary=summary(event),
        description=describe(event),
        uid=event.event_id,
    )


class DrCalendar(AggregatorEntity, CalendarEntity):
    """Every DR event the aggregator sent (ended ones are kept a week; cancelled ones are not shown)."""

    def __init__(self, hub: AggregatorHub) -> None:
        """The calendar of the entry."""
        super().__init__(hub, "events")
        self._attr_name = None

    @property
    def event(self) -> CalendarEvent | None:
        """The event in force, or the next one."""
        now = dt_util.utcnow()
        event = self.hub.current() or self.hub.store.next_pending(now)
        return None if event is None else _calendar_event(event)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The events that overlap the range."""
        return [
            _calendar_event(event)
            for event in self.hub.store.events
            if not event.cancelled and event.start < end_date and event.end > start_date
        ]


class DrEventEntity(AggregatorEntity, EventEntity):
    """Each change of an event, once: announced, modified, cancelled, started, ended, result."""

    _attr_event_types = EVENT_TYPES

    def __init__(self, hub: AggregatorHub) -> None:
        """The event entity of the entry."""
        super().__init__(hub, "dr_event")

    async def async_added_to_hass(self) -> None:
        """Listen for the hub's changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.add_change_listener(self._on_change))

    @callback
    def _on_hub(self) -> None:
        """The event entity shows changes, not the hub's state."""

    @callback
    def _on_change(self, kind: str, event: DrEvent, data: dict[str, Any]) -> None:
        self._trigger_event(kind, {**attributes(event), **data})
        self.async_write_ha_state()


@dataclass(frozen=True, kw_only=True)
class DrSensorDescription(SensorEntityDescription):
    """A sensor of the aggregator entry."""

    value_fn: Callable[[AggregatorHub], StateType | datetime]


def _next_start(hub: AggregatorHub) -> datetime | None:
    event = hub.store.next_pending(dt_util.utcnow())
    return None if event is None else event.start


SENSORS: tuple[DrSensorDescription, ...] = (
    DrSensorDescription(
        key="next_event_start",
        translation_key="next_event_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_start,
    ),
    DrSensorDescription(
        key="dr_level",
        translation_key="dr_level",
        value_fn=lambda hub: hub.value_now(SignalType.SIMPLE),
    ),
    DrSensorDescription(
        key="import_limit",
        translation_key="import_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        value_fn=lambda hub: hub.value_now(SignalType.IMPORT_CAPACITY_LIMIT),
    ),
    DrSensorDescription(
        key="dr_price",
        translation_key="dr_price",
        value_fn=lambda hub: hub.value_now(SignalType.PRICE),
    ),
    DrSensorDescription(
        key="curtailed_power",
        translation_key="curtailed_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        value_fn=lambda hub: hub.curtailed_kw,
    ),
    DrSensorDescription(
        key="appliances_in_plan",
        translation_key="appliances_in_plan",
        value_fn=lambda hub: (
            0 if hub.response is None else len(hub.response.steps) - len(hub.response.overridden)
        ),
    ),
    DrSensorDescription(
        key="reports_pending",
        translation_key="reports_pending",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda hub: hub.source.pending_reports(),
    ),
)


class DrSensor(AggregatorEntity, SensorEntity):
    """A value of the events in force."""

    entity_description: DrSensorDescription
    # The next event's intervals are for automations, not for the recorder's history.
    _unrecorded_attributes = frozenset({"intervals", "planned"})

    def __init__(self, hub: AggregatorHub, description: DrSensorDescription) -> None:
        """Show `description`'s value."""
        super().__init__(hub, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType | datetime:
        """The value now."""
        return self.entity_description.value_fn(self.hub)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The next event's values (next-event sensor); the plan's appliances (appliances sensor)."""
        if self.entity_description.key == "next_event_start":
            upcoming = self.hub.store.next_pending(dt_util.utcnow())
            if upcoming is None:
                return None
            return {**upcoming_values(upcoming), "planned": planned(self.hub.preview(upcoming))}
        response = self.hub.response
        if self.entity_description.key != "appliances_in_plan" or response is None:
            return None
        return {
            "curtailed": [
                s.entity_id for s in response.steps if s.entity_id not in response.overridden
            ],
            "left_by_a_person": sorted(response.overridden),
        }


class ActiveSensor(AggregatorEntity, BinarySensorEntity):
    """On while an event is in force."""

    def __init__(self, hub: AggregatorHub) -> None:
        """The "event active" binary sensor."""
        super().__init__(hub, "event_active")

    @property
    def is_on(self) -> bool:
        """Whether an event is in force."""
        return self.hub.current() is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The event in force."""
        return attributes(self.hub.current())


class LinkSensor(AggregatorEntity, BinarySensorEntity):
    """Whether the aggregator is reachable."""

    entity_description = BinarySensorEntityDescription(
        key="aggregator_link",
        translation_key="aggregator_link",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
    )

    def __init__(self, hub: AggregatorHub) -> None:
        """The connectivity binary sensor."""
        super().__init__(hub, "aggregator_link")

    @property
    def is_on(self) -> bool:
        """Whether the last exchange with the aggregator worked."""
        return bool(self.hub.source.connected)


async def async_setup_aggregator_sensors(
    hass: HomeAssistant,
    entry: AggregatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of an aggregator entry."""
    async_add_entities(DrSensor(entry.runtime_data, description) for description in SENSORS)


async def async_setup_aggregator_binary_sensors(
    hass: HomeAssistant,
    entry: AggregatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of an aggregator entry."""
    async_add_entities([ActiveSensor(entry.runtime_data), LinkSensor(entry.runtime_data)])


async def async_setup_aggregator_calendar(
    hass: HomeAssistant,
    entry: AggregatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calendar of DR events."""
    async_add_entities([DrCalendar(entry.runtime_data)])


async def async_setup_aggregator_event(
    hass: HomeAssistant,
    entry: AggregatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of DR event changes."""
    async_add_entities([DrEventEntity(entry.runtime_data)])
