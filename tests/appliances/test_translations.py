"""Generated entities take their names and states from Home Assistant's translation files."""

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.denki.appliances.plan import state_key
from scripts import appliance_translations

from .conftest import BATTERY, Lan, appliances_entry, set_up

TRANSLATIONS = Path(appliance_translations.ROOT)


def test_the_generated_translations_are_up_to_date() -> None:
    # A class data change (a pyhems upgrade) without a run of the script fails here.
    assert appliance_translations.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("manualHeating", "manual_heating"),
        ("prioritizingElectricitySales", "prioritizing_electricity_sales"),
        ("level_10", "level_10"),
        ("true", "true"),
        ("modeOff", "mode_off"),
    ],
)
def test_state_keys_are_lower_snake_case(key: str, expected: str) -> None:
    assert state_key(key) == expected


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_every_entity_has_its_translation_in_both_languages(
    hass: HomeAssistant, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    entry = appliances_entry(lan)
    await set_up(hass, entry)
    files = {
        name: json.loads((TRANSLATIONS / "translations" / f"{name}.json").read_text())["entity"]
        for name in ("en", "ja")
    }
    checked = 0
    for registered in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        key = registered.translation_key
        if key is None:
            continue
        for language, entity in files.items():
            assert key in entity.get(registered.domain, {}), (language, registered.entity_id)
            state = hass.states.get(registered.entity_id)
            options = state.attributes.get("options") if state else None
            for option in options or ():
                assert option in entity[registered.domain][key]["state"], (language, option)
        checked += 1
    assert checked > 50
    await hass.config_entries.async_unload(entry.entry_id)


async def test_names_follow_home_assistants_language(
    hass: HomeAssistant, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    hass.config.language = "ja"
    entry = appliances_entry(lan)
    await set_up(hass, entry)
    suffix = f"{int.from_bytes(BATTERY.to_bytes()):06x}-da"
    mode = next(
        e.entity_id
        for e in entity_registry.entities.values()
        if e.domain == "select" and e.unique_id.endswith(suffix)
    )
    state = hass.states.get(mode)
    assert state is not None
    assert state.attributes["friendly_name"] == "蓄電池 運転モード設定"
    assert state.state == "charging"  # the state is a key; its label is translated
    await hass.config_entries.async_unload(entry.entry_id)
