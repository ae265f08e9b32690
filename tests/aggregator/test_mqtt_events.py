"""The MQTT aggregator profile's event lifecycle, through a real broker to the entities."""

from datetime import timedelta
import json
from typing import Any

import aiomqtt
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.denki.lib.dr.mqtt_profile import SCHEMA

from .conftest import TOPICS, mqtt_cancel, mqtt_entry, mqtt_event, set_up, until


async def test_announced_modified_listed_and_cancelled(
    hass: HomeAssistant, broker_port: int, aggregator: aiomqtt.Client
) -> None:
    entry = mqtt_entry(broker_port)
    await set_up(hass, entry)
    hub = entry.runtime_data
    told: list[tuple[str, str]] = []
    hub.add_change_listener(lambda kind, event, data: told.append((kind, event.event_id)))
    start = dt_util.utcnow() + timedelta(hours=1)

    await aggregator.publish(
        TOPICS.events, mqtt_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [1]}), qos=1
    )
    await until(lambda: ("announced", "ev-1") in told)
    await aggregator.publish(
        TOPICS.events, mqtt_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [2]}), qos=1
    )
    await until(lambda: ("modified", "ev-1") in told)
    # The same message again (a QoS 1 redelivery) tells nothing new.
    await aggregator.publish(
        TOPICS.events, mqtt_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [2]}), qos=1
    )
    await aggregator.publish(
        TOPICS.events,
        mqtt_event("ev-2", start, timedelta(hours=2), {"IMPORT_CAPACITY_LIMIT": [2.5]}),
        qos=1,
    )
    await until(lambda: ("announced", "ev-2") in told)

    # A full list without ev-1: it is cancelled, ev-2 stays.
    listed: dict[str, Any] = json.loads(
        mqtt_event("ev-2", start, timedelta(hours=2), {"IMPORT_CAPACITY_LIMIT": [2.5]})
    )["event"]
    await aggregator.publish(
        TOPICS.events, json.dumps({"schema": SCHEMA, "type": "events", "events": [listed]}), qos=1
    )
    await until(lambda: ("cancelled", "ev-1") in told)
    await aggregator.publish(TOPICS.events, mqtt_cancel("ev-2"), qos=1)
    await until(lambda: ("cancelled", "ev-2") in told)
    assert told == [
        ("announced", "ev-1"),
        ("modified", "ev-1"),
        ("announced", "ev-2"),
        ("cancelled", "ev-1"),
        ("cancelled", "ev-2"),
    ]
    calendar = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": "calendar.aggregator", "duration": {"hours": 6}},
        blocking=True,
        return_response=True,
    )
    assert calendar["calendar.aggregator"]["events"] == []
    assert hass.states.get("sensor.aggregator_next_event_start").state == "unknown"
    await hass.config_entries.async_unload(entry.entry_id)
