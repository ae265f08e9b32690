"""The savings card in a real browser: Debian's Chromium, driven by Playwright.

The card is loaded into an empty page with a `hass` object shaped like the
frontend's (entity registry entries and states), so what is tested is the
card alone: its texts in Japanese and English, its narrow and wide layouts,
theme colours, the editor and the card picker entry. Nothing leaves the
browser: the page has no network.
"""

from collections.abc import AsyncIterator
from pathlib import Path
import shutil
from typing import Any

from playwright.async_api import async_playwright
import pytest

from custom_components.denki.savings.card import CARD_FILE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/setup installs it as root)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEYS = {
    "points": ("sensor.savings_points", "150", {}),
    "level": ("sensor.savings_level", "2", {"level_points": 100, "next_level_points": 300}),
    "level_progress": ("sensor.savings_level_progress", "25", {}),
    "streak": ("sensor.savings_streak", "4", {"best_streak": 6}),
    "shields": ("sensor.savings_shields", "1", {}),
    "challenge": (
        "sensor.savings_challenge",
        "2",
        {
            "challenge": "evening_peak",
            "week": "2026-08-03",
            "target_percent": 10,
            "limit_kwh": 3.6,
            "days_needed": 3,
            "completed": False,
            "days": {"2026-08-03": 3.2, "2026-08-04": 4.0, "2026-08-05": 2.4},
            "missing_days": ["2026-08-06"],
        },
    ),
    "cards": (
        "sensor.savings_cards",
        "2",
        {
            "cards": [
                {"card": "first_challenge", "rarity": "common", "first_earned": "", "times": 1},
                {"card": "peak_shaver", "rarity": "rare", "first_earned": "", "times": 3},
            ]
        },
    ),
    "last_event_saved": ("sensor.savings_last_event_saved", "unknown", {}),
    "last_event_saved_yen": ("sensor.savings_last_event_saved_yen", "unknown", {}),
}


SCRIPT = Path(CARD_FILE).read_text(encoding="utf-8")


def fake_hass(language: str, **overrides: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """What the card reads of the frontend's `hass`: registry entries and states."""
    entities: dict[str, Any] = {
        "sensor.other": {
            "entity_id": "sensor.other",
            "platform": "met",
            "translation_key": "points",
        }
    }
    states: dict[str, Any] = {"sensor.other": {"state": "999", "attributes": {}}}
    for key, (entity_id, default_state, default_attributes) in KEYS.items():
        state, attributes = overrides.get(key, (default_state, default_attributes))
        entities[entity_id] = {"entity_id": entity_id, "platform": "denki", "translation_key": key}
        states[entity_id] = {"entity_id": entity_id, "state": state, "attributes": attributes}
    return {
        "language": language,
        "locale": {"language": language},
        "entities": entities,
        "states": states,
    }


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    """A blank page in a fresh headless Chromium."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def render(page: Any, hass: dict[str, Any], config: dict[str, Any], width: int = 400) -> str:
    """A fresh page with the card in a box `width` px wide; the card's text."""
    await page.set_content(f'<div id="box" style="width:{width}px"></div>')
    await page.add_script_tag(content=SCRIPT)
    await page.evaluate(
        """([hass, config]) => {
            const card = document.createElement("denki-savings-card");
            card.setConfig(config);
            card.hass = hass;
            document.getElementById("box").appendChild(card);
        }""",
        [hass, config],
    )
    return str(
        await page.evaluate("document.querySelector('denki-savings-card').shadowRoot.textContent")
    )


async def card_eval(page: Any, script: str) -> Any:
    return await page.evaluate(
        f"(root => {script})(document.querySelector('denki-savings-card').shadowRoot)"
    )


async def test_japanese_for_a_japanese_user(page: Any) -> None:
    text = await render(page, fake_hass("ja"), {"type": "custom:denki-savings-card"})
    for expected in (
        "節電",
        "レベル 2",
        "150 ポイント",
        "あと 150 ポイントでレベル 3",
        "連続達成",
        "最高 6",
        "今週のチャレンジ",
        "平日 3 日、夕方のピーク\uff0817〜21 時\uff09をいつもより 10% 減らす",  # full-width ( )
        "2 / 3 日",
        "デマンドレスポンスのイベントはまだありません。",
        "カード 2 / 10",
        "はじめてのチャレンジ",
        "レア \u00d73",  # the multiplication sign
    ):
        assert expected in text, expected
    assert "This week" not in text
    # Days: 3.2 and 2.4 met, 4.0 not, Thursday missing.
    assert await card_eval(page, "root.querySelectorAll('.day.met').length") == 2
    assert await card_eval(page, "root.querySelectorAll('.day.missing').length") == 1
    assert await card_eval(page, "root.querySelectorAll('.tile.earned').length") == 2
    assert await card_eval(page, "root.querySelector('.bar > div').style.width") == "25%"


async def test_english_for_an_english_user_with_the_last_events_slots(page: Any) -> None:
    slots = [
        {"start": "17:00", "baseline": 1.0, "actual": 0.6},
        {"start": "17:30", "baseline": 1.1, "actual": 0.5},
        {"start": "18:00", "baseline": 0.9, "actual": 0.65},
    ]
    hass = fake_hass(
        "en",
        last_event_saved=("1.25", {"slots": slots}),
        last_event_saved_yen=("38.8", {}),
    )
    text = await render(page, hass, {"type": "custom:denki-savings-card", "title": "Our home"})
    for expected in (
        "Our home",
        "Level 2",
        "This week's challenge",
        "Evening peak (17:00-21:00) 10% below your usual on 3 weekdays",
        "2 / 3 days",
        "1.25 kWh saved, about ¥39",
        "Cards 2 / 10",
    ):
        assert expected in text, expected
    assert await card_eval(page, "root.querySelectorAll('svg rect.baseline').length") == 3
    assert await card_eval(page, "root.querySelectorAll('svg rect.actual').length") == 3


async def test_narrow_and_wide_layouts(page: Any) -> None:
    columns = "getComputedStyle(root.querySelector('.body')).gridTemplateColumns.split(' ').length"
    await render(page, fake_hass("en"), {"type": "custom:denki-savings-card"}, width=360)
    assert await card_eval(page, columns) == 1
    await render(page, fake_hass("en"), {"type": "custom:denki-savings-card"}, width=900)
    assert await card_eval(page, columns) == 2


async def test_colours_come_from_the_theme(page: Any) -> None:
    await render(page, fake_hass("en"), {"type": "custom:denki-savings-card"})
    colour = "getComputedStyle(root.querySelector('.card')).color"
    await page.evaluate(
        "document.body.style.setProperty('--primary-text-color', 'rgb(33, 33, 33)')"
    )
    assert await card_eval(page, colour) == "rgb(33, 33, 33)"
    await page.evaluate(
        "document.body.style.setProperty('--primary-text-color', 'rgb(225, 225, 225)')"
    )
    assert await card_eval(page, colour) == "rgb(225, 225, 225)"


async def test_without_the_savings_entities_it_says_so_and_the_cards_can_be_hidden(
    page: Any,
) -> None:
    empty = {"language": "ja", "entities": {}, "states": {}}
    text = await render(page, empty, {"type": "custom:denki-savings-card"})
    assert "節電エントリーが設定されていない" in text
    await render(page, fake_hass("en"), {"type": "custom:denki-savings-card", "show_cards": False})
    assert await card_eval(page, "root.querySelectorAll('.tile').length") == 0


async def test_a_title_is_text_never_markup(page: Any) -> None:
    await render(
        page, fake_hass("en"), {"type": "x", "title": '<img src=x onerror="window.hit=1">'}
    )
    assert await card_eval(page, "root.querySelector('img')") is None
    assert await page.evaluate("window.hit") is None


async def test_the_picker_entry_the_stub_and_the_editor(page: Any) -> None:
    await render(page, fake_hass("ja"), {"type": "custom:denki-savings-card"})
    picker = await page.evaluate("window.customCards.filter(c => c.type === 'denki-savings-card')")
    assert len(picker) == 1
    assert picker[0]["preview"] is True
    stub = await page.evaluate("customElements.get('denki-savings-card').getStubConfig()")
    assert stub == {"type": "custom:denki-savings-card", "show_cards": True}
    changes = await page.evaluate(
        """(hass) => {
            const editor = customElements.get("denki-savings-card").getConfigElement();
            const seen = [];
            editor.addEventListener("config-changed", (ev) => seen.push(ev.detail.config));
            editor.setConfig({ type: "custom:denki-savings-card", show_cards: true });
            editor.hass = hass;
            document.body.appendChild(editor);
            const title = editor.shadowRoot.querySelector("input[name=title]");
            title.value = "わが家";
            title.dispatchEvent(new Event("change"));
            const cards = editor.shadowRoot.querySelector("input[name=show_cards]");
            cards.checked = false;
            cards.dispatchEvent(new Event("change"));
            return { seen, label: editor.shadowRoot.textContent };
        }""",
        fake_hass("ja"),
    )
    assert changes["seen"] == [
        {"type": "custom:denki-savings-card", "show_cards": True, "title": "わが家"},
        {"type": "custom:denki-savings-card", "show_cards": False, "title": "わが家"},
    ]
    assert "カードのコレクションを表示" in changes["label"]
