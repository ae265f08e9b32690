"""The blueprints in the repository: valid for Home Assistant, and doing what they say."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

from simulators.openadr3_vtn import VtnState
from tests.aggregator.conftest import oa3_entry, oa3_event, set_up

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "denki"


def _install(hass: HomeAssistant) -> None:
    target = Path(hass.config.path("blueprints", "automation", "denki"))
    target.mkdir(parents=True, exist_ok=True)
    for path in BLUEPRINTS.glob("*.yaml"):
        shutil.copy(path, target / path.name)


@pytest.mark.parametrize("path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_blueprint_is_valid(path: Path) -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert blueprint.metadata["source_url"].endswith(path.name)


async def _automation(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    _install(hass)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": name,
                "use_blueprint": {"path": f"denki/{name}.yaml", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()


async def test_notify_runs_the_actions_for_the_chosen_kinds(hass: HomeAssistant) -> None:
    calls = async_mock_service(hass, "test", "notice")
    await _automation(
        hass,
        "dr_event_notify",
        {
            "dr_event": "event.aggregator_demand_response_event",
            "event_types": ["announced", "result"],
            "actions": [
                {
                    "action": "test.notice",
                    "data": {"text": "{{ event_type }} {{ event_name }} {{ participated }}"},
                }
            ],
        },
    )
    for kind, extra in (("announced", {}), ("started", {}), ("result", {"participated": True})):
        hass.states.async_set(
            "event.aggregator_demand_response_event",
            dt_util.utcnow().isoformat() + kind,
            {"event_type": kind, "event_id": "ev-1", "name": "Peak", "program": "p", **extra},
        )
        await hass.async_block_till_done()
    assert [call.data["text"] for call in calls] == ["announced Peak None", "result Peak True"]


async def test_precool_lowers_the_setpoint_before_the_event(
    hass: HomeAssistant,
    vtn: tuple[VtnState, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    state, base = vtn
    now = datetime(2026, 8, 3, 6, 0, tzinfo=UTC)
    freezer.move_to(now)
    start = now + timedelta(hours=2)
    state.events.append(oa3_event("ev-1", start, timedelta(hours=1), {"SIMPLE": [2]}))
    await set_up(hass, oa3_entry(base))
    hass.states.async_set("climate.living", "cool", {"temperature": 26})
    hass.states.async_set("climate.bedroom", "heat", {"temperature": 20})
    hass.states.async_set("climate.study", "off", {"temperature": 24})
    calls = async_mock_service(hass, "climate", "set_temperature")
    await _automation(
        hass,
        "dr_precool",
        {
            "calendar": "calendar.aggregator",
            "climates": ["climate.living", "climate.bedroom", "climate.study"],
            "offset": "-00:30:00",
            "degrees": 1.5,
        },
    )
    freezer.move_to(start - timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert calls == []
    freezer.move_to(start - timedelta(minutes=29))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert sorted((c.data["entity_id"][0], c.data["temperature"]) for c in calls) == [
        ("climate.bedroom", 21.5),
        ("climate.living", 24.5),
    ]
    # The calendar trigger's refresh timer ends with the automation.
    await hass.services.async_call("automation", "turn_off", {"entity_id": "all"}, blocking=True)
