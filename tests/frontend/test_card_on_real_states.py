"""The savings card on the states the integration itself produced, in Debian's Chromium.

The savings entry runs in the Home Assistant harness through four usual
weeks and a scored DR event (`tests.savings.test_savings_entry.score_an_event`);
its entities' registry entries and states, as the frontend receives them
(JSON), become the card's `hass`. What a person reads is asserted in
Japanese and English, the comparison with similar homes is the Python
reference's on the household's own whole days, the page must log no error,
and a screenshot of each is kept in build/test-artifacts/ for a human to
look at. The page's origin is made up and served by Playwright's router,
the similar homes' figures from the file Denki serves.
"""

from datetime import date
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import JSONEncoder
from homeassistant.setup import async_setup_component
from playwright.async_api import Route, async_playwright
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.const import DOMAIN
from custom_components.denki.lib.savings.comparison import (
    DATA_FILE,
    Region,
    compare,
    load_household_use,
)
from custom_components.denki.savings.card import HOUSEHOLD_USE_URL
from tests.savings.test_savings_entry import score_an_event

from .test_savings_card import CHROMIUM, FLAGS, SCRIPT

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/setup installs it as root)",
)
ARTIFACTS = Path(__file__).parents[2] / "build" / "test-artifacts"
ORIGIN = "http://denki.test"


async def _route(route: Route) -> None:
    if route.request.url.startswith(f"{ORIGIN}{HOUSEHOLD_USE_URL}"):
        await route.fulfill(body=DATA_FILE.read_bytes(), content_type="application/json")
    else:
        await route.fulfill(
            body="<!doctype html><html><body></body></html>", content_type="text/html"
        )


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
        (
            "ja",
            [
                "100 ポイント",
                "前回のイベント",
                "0.8 kWh 節電、約 25 円",
                "はじめてのイベント",
                "今月 0.8 kWh、約 25 円",
                "2 人・北陸・直近 28 日",
            ],
        ),
        (
            "en",
            [
                "100 points",
                "Last event",
                "0.8 kWh saved, about ¥25",
                "First event",
                "This month 0.8 kWh, about ¥25",
                "2 people · Hokuriku · last 28 days",
            ],
        ),
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
            await page.route(f"{ORIGIN}/**", _route)
            await page.goto(f"{ORIGIN}/")
            await page.set_content(
                '<div id="box" style="width:480px; --primary-color: rgb(3, 169, 244)"></div>'
            )
            await page.add_script_tag(content=SCRIPT)
            await page.evaluate(
                """(hass) => {
                    const card = document.createElement("denki-savings-card");
                    card.setConfig({
                        type: "custom:denki-savings-card", household_size: 2, region: "hokuriku"
                    });
                    card.hass = hass;
                    document.getElementById("box").appendChild(card);
                }""",
                view,
            )
            await page.wait_for_function(
                "document.querySelector('denki-savings-card').shadowRoot"
                ".querySelector('.compare .verdict')"
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
            shown = await page.evaluate(
                "(() => { const r = document.querySelector('denki-savings-card').shadowRoot;"
                " return [r.querySelector('.verdict').classList[1],"
                " r.querySelector('.num[data-kind=yours]').textContent,"
                " r.querySelector('.num[data-kind=similar]').textContent,"
                " r.querySelectorAll('svg.history rect.saved').length]; })()"
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
    # The household's own whole days (12 kWh each of the four usual weeks) beside similar
    # homes, as the Python reference compares them.
    challenge = next(
        state for state in view["states"].values() if "use_days" in state["attributes"]
    )
    use = {date.fromisoformat(d): kwh for d, kwh in challenge["attributes"]["use_days"].items()}
    assert len(use) == 28
    assert set(use.values()) == {12.0}
    reference = compare(use, load_household_use().similar(2, Region.HOKURIKU))
    assert reference is not None
    per_day = {"ja": "1 日 {} kWh", "en": "{} kWh a day"}[language]
    assert shown == [
        str(reference.verdict),
        per_day.format("12"),
        per_day.format(f"{reference.similar.kwh_per_day:.1f}"),
        1,  # the event scored
    ]
    assert errors == []


async def test_the_figures_of_similar_homes_are_served_beside_the_card(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert DATA_EXTRA_MODULE_URL in hass.data
    client = await hass_client()
    response = await client.get(f"{HOUSEHOLD_USE_URL}?v=0.2.0")
    assert response.status == 200
    assert await response.json() == json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert HOUSEHOLD_USE_URL in (await (await client.get("/denki/denki-savings-card.js")).text())
