"""Device triggers: 'when the aggregator's DR event starts', picked from its device."""

from datetime import timedelta

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_get_device_automations

from custom_components.denki.aggregator.entities import EVENT_TYPES
from custom_components.denki.const import DOMAIN
from custom_components.denki.lib.dr import DrEvent
from custom_components.denki.lib.dr.model import Interval
from simulators.openadr3_vtn import VtnState

from .conftest import oa3_entry, set_up


async def test_an_aggregators_device_offers_a_trigger_per_change_and_fires_it(
    hass: HomeAssistant,
    vtn: tuple[VtnState, str],
    device_registry: dr.DeviceRegistry,
    service_calls: list[ServiceCall],
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    ours = sorted(t["type"] for t in triggers if t["domain"] == DOMAIN)
    assert ours == sorted(EVENT_TYPES)

    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device.id,
                        "type": kind,
                    },
                    "action": {
                        "service": "test.automation",
                        "data_template": {
                            "kind": kind,
                            "event_id": "{{ trigger.event.event_id }}",
                        },
                    },
                }
                for kind in ("announced", "started")
            ]
        },
    )
    now = dt_util.utcnow()
    event = DrEvent(
        "ev-trigger",
        "kanto-dr",
        (Interval(0, now - timedelta(minutes=1), timedelta(hours=1), {"SIMPLE": (1,)}),),
        "openadr3",
    )
    entry.runtime_data.receive(event)
    await hass.async_block_till_done()
    fired = sorted((call.data["kind"], call.data["event_id"]) for call in service_calls)
    assert fired == [("announced", "ev-trigger"), ("started", "ev-trigger")]


async def test_another_device_has_no_dr_triggers(
    hass: HomeAssistant, vtn: tuple[VtnState, str], device_registry: dr.DeviceRegistry
) -> None:
    _, base = vtn
    entry = oa3_entry(base)
    await set_up(hass, entry)
    other = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "something-else")}
    )
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, other.id)
    assert [t for t in triggers if t["domain"] == DOMAIN] == []
