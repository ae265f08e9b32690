"""Every platform of every kind of entry, as a whole: registry entries and states, snapshotted.

The appliances' eleven platforms are snapshotted by tests/appliances/test_entities.py over the
same simulated LAN; the other kinds are here: the low-voltage meter, the high-voltage meter
(0x028A and the bidirectional 0x028F), the aggregator on an OpenADR 3 VTN (with an event in
force and one to come) and on the MQTT profile (with one event announced), and savings.
"""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from syrupy.assertion import SnapshotAssertion

from .conftest import SCENARIOS, Rig, init_integration, only_platform

CASES = [
    pytest.param(name, platform, id=f"{name}-{platform}")
    for name, scenario in SCENARIOS.items()
    if name != "appliances"  # tests/appliances/test_entities.py
    for platform in scenario.platforms
]


@pytest.mark.parametrize(("rig", "platform"), CASES, indirect=["rig"])
@pytest.mark.usefixtures("frozen", "entity_registry_enabled_by_default")
async def test_platform(  # noqa: PLR0917 - pytest fixtures
    hass: HomeAssistant,
    rig: Rig,
    platform: Platform,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = rig.default_entry()
    only_platform(monkeypatch, entry, platform)
    await init_integration(hass, rig, entry)
    assert er.async_entries_for_config_entry(entity_registry, entry.entry_id), platform
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def test_every_kind_and_platform_is_covered() -> None:
    """A kind or platform added later needs a scenario here (or in the appliances' test)."""
    covered = {(SCENARIOS[str(case.values[0])].handler, case.values[1]) for case in CASES}
    appliances = SCENARIOS["appliances"]
    covered |= {(appliances.handler, platform) for platform in appliances.platforms}
    from custom_components.denki.kinds import KIND_HANDLERS

    assert covered == {
        (key, platform) for key, handler in KIND_HANDLERS.items() for platform in handler.platforms
    }
