"""The savings card on the states the integration itself produced, in Debian's Chromium.

The savings entry runs in the Home Assistant harness through four usual
weeks and a scored DR event (`tests.savings.test_savings_entry.score_an_event`);
its entities' registry entries and states, as the frontend receives them
(JSON), become the card's `hass`. What a person reads is asserted in
Japanese and English, the page must log no error, and a screenshot of each
is kept in build/test-artifacts/ for a human to look at.
"""

import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import JSONEncoder
from playwright.async_api import async_playwright
import pytest

from tests.savings.test_savings_entry import score_an_event

from .test_savings_card import CHROMIUM, FLAGS, SCRIPT

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/setup installs it as root)",
)
ARTIFACTS = Path(__file__).parents[2] / "build" / "test-artifacts"


def frontend_hass(hass: HomeAssistant, entry_id: str, language: str) -> dict[str, Any]:
    """The frontend's view of the entry's entities: registry entries and JSON states."""
    registry = er.async_get(hass)
    entities: dict[str, Any] = {}
    states: dict[str, Any] = {}
    for entity in er.async_entries_for_config_entry(registry, entry_id):
        state = hass.states.get(entity.entity_id)
        assert state is not None
        entities[entity.entity_id] = {
            "entity_id": entity.entity_id,
            "platform": entity.platform,
            "translation_key": entity.translation_key,
        }
        states[entity.entity_id] = json.loads(json.dumps(state.as_dict(), cls=JSONEncoder))
    return {
        "language": language,
        "locale": {"language": language},
        "entities": entities,
        "states": states,
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", ["100 ポイント", "前回のイベント", "0.8 kWh 節電、約 25 円", "はじめてのイベント"]),
        ("en", ["100 points", "Last event", "0.8 kWh saved, about ¥25", "First event"]),
    ],
)
async def test_the_card_reads_what_the_integration_produced(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    language: str,
    expected: list[str],
) -> None:
    entry = await score_an_event(hass, hass_storage, freezer)
    view = frontend_hass(hass, entry.entry_id, language)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 520, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.set_content(
                '<div id="box" style="width:480px; --primary-color: rgb(3, 169, 244)"></div>'
            )
            await page.add_script_tag(content=SCRIPT)
            await page.evaluate(
                """(hass) => {
                    const card = document.createElement("denki-savings-card");
                    card.setConfig({type: "custom:denki-savings-card"});
                    card.hass = hass;
                    document.getElementById("box").appendChild(card);
                }""",
                view,
            )
            text = await page.evaluate(
                "document.querySelector('denki-savings-card').shadowRoot.textContent"
            )
            bars = await page.evaluate(
                "document.querySelector('denki-savings-card').shadowRoot"
                ".querySelectorAll('rect.baseline').length"
            )
            legend = await page.evaluate(
                "(() => { const r = document.querySelector('denki-savings-card').shadowRoot;"
                " return [getComputedStyle(r.querySelector('.key-actual')).color,"
                " getComputedStyle(r.querySelector('rect.actual')).fill]; })()"
            )
            await page.locator("#box").screenshot(
                path=str(ARTIFACTS / f"savings-card-{language}.png")
            )
        finally:
            await browser.close()
    for phrase in expected:
        assert phrase in text, phrase
    assert bars == 4  # one baseline bar per half hour of the event
    assert legend == ["rgb(3, 169, 244)", "rgb(3, 169, 244)"]  # the key has its bars' colour
    assert errors == []
