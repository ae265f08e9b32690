"""Gets from hosts that are not appliances: counted, raised past the threshold, cleared when quiet.

A scanner node joins the simulated home (real UDP on loopback) and sends our
node Gets of its instance list, as a host walking the network does. The
threshold is made small (the library's `STRANGER_GETS` Gets within
`STRANGER_WINDOW`) so that the test takes seconds, not ten minutes.
"""

import asyncio
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.appliances import entry as appliances_entry
from custom_components.denki.const import DOMAIN
from custom_components.denki.lib.echonet import (
    CONTROLLER,
    ESV,
    NODE_PROFILE,
    Frame,
    Property,
    nodes as echonet_nodes,
)

from .conftest import AIRCON, INTERFACE, LIVING, Lan, until

SCANNER = "127.0.11.98"
GETS = 5
WINDOW = 1.0


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five Gets within a second raise the alert (60 within ten minutes in use)."""
    monkeypatch.setattr(echonet_nodes, "STRANGER_GETS", GETS)
    monkeypatch.setattr(echonet_nodes, "STRANGER_WINDOW", WINDOW)


async def test_unsolicited_gets_from_an_unknown_host_raise_and_clear_a_repair_issue(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    lan: Lan,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    hub = loaded.runtime_data
    issue_id = f"unknown_get_requests_{loaded.entry_id}"
    scanner = await lan.start(SCANNER, b"SCANNER-00001", {})
    get = Frame(9, CONTROLLER, NODE_PROFILE, ESV.GET, (Property(0xD6),))
    # An appliance asking about us is normal: never counted.
    for _ in range(GETS + 2):
        lan.nodes[LIVING].send(
            Frame(8, AIRCON, NODE_PROFILE, ESV.GET, (Property(0xD6),)), (INTERFACE, lan.port)
        )
    # Below the threshold: counted, not raised.
    for _ in range(GETS - 1):
        scanner.send(get, (INTERFACE, lan.port))
    await until(lambda: hub.directory.counters.unknown_gets == GETS - 1)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    # The threshold reached within the window: a warning, not fixable, naming the host.
    scanner.send(get, (INTERFACE, lan.port))
    await until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_key == "unknown_get_requests"
    assert issue.translation_placeholders == {
        "addresses": SCANNER,
        "count": str(GETS),
        "minutes": "0",
    }
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded)
    assert diagnostics["directory"]["unknown_gets"] == GETS
    assert diagnostics["directory"]["unknown_hosts"] == 1
    assert diagnostics["strangers"] == {SCANNER: GETS}
    assert diagnostics["stranger_alerts"] == {SCANNER: GETS}
    assert diagnostics["stranger_threshold"] == {"gets": GETS, "window_seconds": WINDOW}
    # Still sending: the check keeps the alert.
    scanner.send(get, (INTERFACE, lan.port))
    await until(lambda: hub.directory.counters.unknown_gets == GETS + 1)
    async_fire_time_changed(hass, dt_util.utcnow() + appliances_entry.STRANGER_CHECK)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    # Quiet for a whole window: the alert goes.
    await asyncio.sleep(WINDOW + 0.2)
    async_fire_time_changed(
        hass, dt_util.utcnow() + appliances_entry.STRANGER_CHECK + timedelta(seconds=61)
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hub.stranger_alerts == {}


async def test_the_alert_goes_when_the_entry_is_unloaded(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, issue_registry: ir.IssueRegistry
) -> None:
    issue_id = f"unknown_get_requests_{loaded.entry_id}"
    scanner = await lan.start(SCANNER, b"SCANNER-00001", {})
    for _ in range(GETS):
        scanner.send(
            Frame(9, CONTROLLER, NODE_PROFILE, ESV.GET, (Property(0xD6),)), (INTERFACE, lan.port)
        )
    await until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
