"""The card's next event (what Denki will do, the opt-out), past events and similar homes.

In Debian's Chromium, as `test_savings_card`: the card on a page with a
`hass` shaped like the frontend's, whose `callService` records its calls.
The page is served from a made-up origin by Playwright's router, which also
serves the similar homes' figures from the integration's own data file, so
nothing leaves the browser. The comparison is held to the Python reference
(`lib.savings.comparison`), and screenshots in both languages, both themes
and a phone's and a desktop's width are kept in build/test-artifacts/.
"""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Route, async_playwright
import pytest

from custom_components.denki.lib.savings.comparison import (
    DATA_FILE,
    HOUSEHOLD_SIZES,
    Region,
    compare,
    load_household_use,
)

from .test_savings_card import CHROMIUM, FLAGS, SCRIPT, fake_hass

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/setup installs it as root)",
)
ARTIFACTS = Path(__file__).parents[2] / "build" / "test-artifacts"
ORIGIN = "http://denki.test"
NEXT = "sensor.aggregator_next_event_start"
START = "2026-08-05T08:00:00+00:00"  # 17:00 in Japan, a Wednesday
END = "2026-08-05T10:30:00+00:00"
PLANNED = [
    {
        "entity_id": "climate.living",
        "role": "climate",
        "watch": "temperature",
        "from": 26,
        "to": 28,
    },
    {"entity_id": "switch.ev", "role": "ev", "watch": "state", "from": "on", "to": "off"},
    {
        "entity_id": "water_heater.ecocute",
        "role": "water_heater",
        "watch": "state",
        "from": "auto",
        "to": "manual_stop",
    },
    {
        "entity_id": "select.battery",
        "role": "battery",
        "watch": "state",
        "from": "auto",
        "to": "discharging",
    },
    {"entity_id": "light.porch", "role": "light", "watch": "brightness", "from": 204, "to": 102},
]
NAMES = {
    "en": {
        "climate.living": "Living room AC",
        "switch.ev": "EV charger",
        "water_heater.ecocute": "EcoCute",
        "select.battery": "Storage battery",
        "light.porch": "Porch light",
    },
    "ja": {
        "climate.living": "リビングのエアコン",
        "switch.ev": "EV 充電器",
        "water_heater.ecocute": "エコキュート",
        "select.battery": "蓄電池",
        "light.porch": "玄関の照明",
    },
}
TODAY = date(2026, 8, 6)
EVENTS = [
    {
        "event_id": "e1",
        "start": "2026-07-22T08:00:00+00:00",
        "end": "2026-07-22T10:00:00+00:00",
        "participated": True,
        "saved_kwh": 0.6,
    },
    {
        "event_id": "e2",
        "start": "2026-07-29T08:00:00+00:00",
        "end": "2026-07-29T10:00:00+00:00",
        "participated": False,
        "saved_kwh": 0.4,
    },
    {
        "event_id": "e3",
        "start": "2026-08-03T08:00:00+00:00",
        "end": "2026-08-03T10:00:00+00:00",
        "participated": True,
        "saved_kwh": 1.2,
    },
    {
        "event_id": "e4",
        "start": "2026-08-04T08:00:00+00:00",
        "end": "2026-08-04T10:00:00+00:00",
        "participated": True,
        "saved_kwh": None,
    },
]
LIGHT = {
    "--primary-text-color": "#212121",
    "--secondary-text-color": "#727272",
    "--card-background-color": "#ffffff",
    "--primary-background-color": "#fafafa",
    "--primary-color": "#03a9f4",
    "--divider-color": "rgba(0, 0, 0, 0.12)",
}
DARK = {
    "--primary-text-color": "#e1e1e1",
    "--secondary-text-color": "#9b9b9b",
    "--card-background-color": "#1c1c1c",
    "--primary-background-color": "#111111",
    "--primary-color": "#03a9f4",
    "--divider-color": "rgba(225, 225, 225, 0.12)",
    "--success-color": "#66bb6a",
    "--warning-color": "#ffa726",
}


def use_days(kwh_a_day: float, days: int = 30) -> dict[str, float]:
    return {(TODAY - timedelta(days=n)).isoformat(): kwh_a_day for n in range(1, days + 1)}


def event_state(opt: str = "automatic", planned: list[Any] | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "event_id": "evt-1",
        "program": "p",
        "name": "Summer peak",
        "start": START,
        "end": END,
        "opt": opt,
        "source": "openadr3",
        "level_max": 2,
        "intervals": [{"start": START, "end": END, "level": 2}],
    }
    if planned is not None:
        attributes["planned"] = planned
    return {"entity_id": NEXT, "state": START, "attributes": attributes}


def full_hass(
    language: str,
    *,
    opt: str = "automatic",
    planned: list[Any] | None = PLANNED,
    event: bool = True,
    kwh_a_day: float = 10.0,
) -> dict[str, Any]:
    """Every part shown: a next event with its plan, past events and 30 whole days of use."""
    challenge = fake_hass(language)["states"]["sensor.savings_challenge"]["attributes"]
    hass = fake_hass(
        language,
        last_event_saved=(
            "1.2",
            {
                "slots": [],
                "events": EVENTS,
                "month_saved_kwh": 1.2,
                "month_saved_yen": 37.2,
                "total_saved_kwh": 1.8,
            },
        ),
        last_event_saved_yen=("37.2", {}),
        challenge=("2", {**challenge, "use_days": use_days(kwh_a_day)}),
    )
    hass["config"] = {"time_zone": "Asia/Tokyo", "unit_system": {"temperature": "°C"}}
    for entity_id, name in NAMES[language].items():
        hass["states"][entity_id] = {
            "entity_id": entity_id,
            "state": "on",
            "attributes": {"friendly_name": name},
        }
    if event:
        hass["entities"][NEXT] = {
            "entity_id": NEXT,
            "platform": "denki",
            "translation_key": "next_event_start",
        }
        hass["states"][NEXT] = event_state(opt, planned)
    return hass


async def _route(route: Route) -> None:
    url = route.request.url
    if url.startswith(f"{ORIGIN}/denki/household_use.json"):
        await route.fulfill(
            body=DATA_FILE.read_bytes(), content_type="application/json", status=200
        )
    elif url in (ORIGIN, f"{ORIGIN}/"):
        await route.fulfill(
            body="<!doctype html><html><body></body></html>", content_type="text/html"
        )
    else:
        await route.abort()


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    """A page of a made-up origin in a fresh headless Chromium; `page.errors` collects errors."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.errors = errors
            await page.route(f"{ORIGIN}/**", _route)
            await page.goto(f"{ORIGIN}/")
            await page.add_script_tag(content=SCRIPT)
            yield page
        finally:
            await browser.close()


async def render(
    page: Any,
    hass: dict[str, Any],
    config: dict[str, Any],
    *,
    width: int = 420,
    theme: dict[str, str] = LIGHT,
    fail_with: str | None = None,
) -> str:
    """The card in a box `width` px wide, in `theme`; its text once the figures are in."""
    await page.evaluate(
        """([hass, config, width, theme, failWith]) => {
            document.body.innerHTML = "";
            document.body.style.margin = "0";
            for (const [name, value] of Object.entries(theme)) document.body.style.setProperty(name, value);
            document.body.style.background = "var(--primary-background-color)";
            const style = document.createElement("style");
            style.textContent = "ha-card { display: block; background: var(--card-background-color);"
                + " border-radius: 12px; font-family: Roboto, 'Noto Sans CJK JP', sans-serif; }";
            document.body.appendChild(style);
            const box = document.createElement("div");
            box.id = "box";
            box.style.cssText = `width:${width}px; padding:8px; box-sizing:border-box`;
            document.body.appendChild(box);
            window.calls = [];
            hass.callService = (domain, service, data) => {
                window.calls.push([domain, service, data]);
                return failWith ? Promise.reject(new Error(failWith)) : Promise.resolve();
            };
            const card = document.createElement("denki-savings-card");
            card.setConfig(config);
            card.hass = hass;
            box.appendChild(card);
        }""",
        [hass, config, width, theme, fail_with],
    )
    if config.get("household_size"):
        await page.wait_for_function(
            "() => { const r = document.querySelector('denki-savings-card').shadowRoot;"
            " const c = r.querySelector('.compare'); return c && c.children.length > 1; }"
        )
    return str(
        await page.evaluate("document.querySelector('denki-savings-card').shadowRoot.textContent")
    )


async def card_eval(page: Any, script: str) -> Any:
    return await page.evaluate(
        f"(root => {script})(document.querySelector('denki-savings-card').shadowRoot)"
    )


PLAN_LINES = "Array.from(root.querySelectorAll('.plan li')).map(li => li.textContent)"


async def test_the_next_event_what_denki_will_do_and_the_opt_out_in_english(page: Any) -> None:
    text = await render(page, full_hass("en"), {"type": "custom:denki-savings-card"})
    assert "Next event" in text
    assert await card_eval(page, "root.querySelector('.next .when').textContent") == (
        "Wed, 8/5, 5:00 PM, for 2 h 30 min"
    )
    assert "Level 2 (high)" in text
    assert "What Denki will do" in text
    assert await card_eval(page, PLAN_LINES) == [
        "Living room AC: 26 → 28 °C",
        "EV charger: paused",
        "EcoCute: boiling postponed",
        "Storage battery: discharging",
        "Porch light: 80 % → 40 %",
    ]
    # The next event comes first, across the card.
    assert await card_eval(page, "root.querySelector('.body').firstElementChild.className") == (
        "wide next"
    )
    await page.locator("denki-savings-card button.opt").click()
    await page.wait_for_function("window.calls.length === 1")
    assert await page.evaluate("window.calls") == [["denki", "opt_out", {"event_id": "evt-1"}]]
    assert await card_eval(page, "root.querySelector('button.opt').disabled") is False
    assert page.errors == []


async def test_an_opted_out_event_in_japanese_offers_to_opt_in(page: Any) -> None:
    text = await render(page, full_hass("ja", opt="opt_out"), {"type": "custom:denki-savings-card"})
    assert "次のイベント" in text
    assert await card_eval(page, "root.querySelector('.next .when').textContent") == (
        "8/5(水) 17:00 から 2 時間 30 分"
    )
    assert "レベル 2（高）" in text  # noqa: RUF001
    assert "このイベントには参加しません。家電はそのままにします。" in text
    assert await card_eval(page, PLAN_LINES) == []  # nothing will be done
    assert await card_eval(page, "root.querySelector('button.opt').textContent") == "参加する"
    await page.locator("denki-savings-card button.opt").click()
    await page.wait_for_function("window.calls.length === 1")
    assert await page.evaluate("window.calls") == [["denki", "opt_in", {"event_id": "evt-1"}]]


async def test_japanese_plan_lines(page: Any) -> None:
    await render(page, full_hass("ja"), {"type": "custom:denki-savings-card"})
    assert await card_eval(page, PLAN_LINES) == [
        "リビングのエアコン：26 → 28 °C",  # noqa: RUF001
        "EV 充電器：充電を一時停止",  # noqa: RUF001
        "エコキュート：沸き上げを後回し",  # noqa: RUF001
        "蓄電池：放電",  # noqa: RUF001
        "玄関の照明：80 % → 40 %",  # noqa: RUF001
    ]
    assert await card_eval(page, "root.querySelector('button.opt').textContent") == "参加しない"


@pytest.mark.parametrize("planned", [None, []])
async def test_without_a_plan_it_says_what_the_level_means(
    page: Any, planned: list[Any] | None
) -> None:
    text = await render(page, full_hass("en", planned=planned), {"type": "x"})
    assert "Denki has nothing to change for it right now." in text
    assert "Level 2: the grid is tight." in text
    assert await card_eval(page, "root.querySelectorAll('.plan li').length") == 0
    assert await card_eval(page, "root.querySelector('button.opt').textContent") == "Opt out"


async def test_an_import_limit_without_a_level(page: Any) -> None:
    hass = full_hass("ja", planned=[])
    attributes = hass["states"][NEXT]["attributes"]
    del attributes["level_max"]
    attributes["import_limit_min"] = 2.5
    attributes["end"] = None  # until further notice
    text = await render(page, hass, {"type": "x"})
    assert "受電の上限：2.5 kW" in text  # noqa: RUF001
    assert "ご家庭の使用を 2.5 kW 未満に抑えてください" in text
    assert "（終了時刻未定）" in text  # noqa: RUF001


async def test_no_aggregator_or_no_event_hides_the_section(page: Any) -> None:
    await render(page, full_hass("en", event=False), {"type": "x"})
    assert await card_eval(page, "root.querySelector('.next')") is None
    hass = full_hass("en")
    hass["states"][NEXT] = {"entity_id": NEXT, "state": "unknown", "attributes": {}}
    await render(page, hass, {"type": "x"})
    assert await card_eval(page, "root.querySelector('.next')") is None


async def test_a_refused_opt_out_says_why(page: Any) -> None:
    await render(page, full_hass("en"), {"type": "x"}, fail_with="No event evt-1")
    await page.locator("denki-savings-card button.opt").click()
    await page.wait_for_function(
        "document.querySelector('denki-savings-card').shadowRoot.querySelector('.error')"
    )
    assert await card_eval(page, "root.querySelector('.error').textContent") == (
        "That did not go through: No event evt-1"
    )


async def test_the_soonest_of_two_aggregators_events_is_shown(page: Any) -> None:
    hass = full_hass("en")
    later = "sensor.other_aggregator_next_event_start"
    hass["entities"][later] = {
        "entity_id": later,
        "platform": "denki",
        "translation_key": "next_event_start",
    }
    state = event_state()
    state["attributes"] = {**state["attributes"], "event_id": "later", "start": END}
    hass["states"][later] = state
    await render(page, hass, {"type": "x"})
    assert await card_eval(page, "root.querySelector('.next').dataset.event") == "evt-1"


async def test_savings_this_month_and_the_chart_of_past_events(page: Any) -> None:
    text = await render(page, full_hass("en"), {"type": "x"})
    assert "Saved so far" in text
    assert "This month 1.2 kWh, about ¥37" in text
    assert "1.8 kWh in all" in text
    chart = "root.querySelector('svg.history')"
    assert await card_eval(page, f"{chart}.getAttribute('role')") == "img"
    assert await card_eval(page, f"{chart}.getAttribute('aria-label')") == (
        "Saved at each event: 7/22: 0.6 kWh, 7/29: opted out, 8/3: 1.2 kWh, 8/4: not measured"
    )
    assert await card_eval(page, "root.querySelectorAll('svg.history rect.saved').length") == 2
    assert await card_eval(page, "root.querySelectorAll('svg.history rect.none').length") == 1
    assert await card_eval(page, "root.querySelectorAll('svg.history rect.unmeasured').length") == 1
    heights = "Array.from(root.querySelectorAll('rect.saved')).map(r => +r.getAttribute('height'))"
    assert await card_eval(page, heights) == [29, 58]  # 0.6 and 1.2 kWh, the highest full
    text = await render(page, full_hass("ja"), {"type": "x"})
    assert "今月 1.2 kWh、約 37 円" in text
    assert "合計 1.8 kWh" in text


async def test_no_past_event_no_savings_section(page: Any) -> None:
    await render(page, fake_hass("en"), {"type": "x"})
    assert await card_eval(page, "root.querySelector('.savings')") is None
    assert await card_eval(page, "root.querySelector('.compare')") is None  # not configured


@pytest.mark.parametrize(
    ("language", "kwh_a_day", "config", "expected"),
    [
        (
            "en",
            10.0,
            {"household_size": 3},
            [
                "Compared with similar homes",
                "3 people · all of Japan · last 30 days",
                "Great! 30% less than similar homes.",
                "Your home10 kWh a day",
                "Similar homes14.2 kWh a day",
                (
                    "Source: Ministry of the Environment, Survey on CO2 emissions in the"
                    " household sector (FY2022)."
                ),
            ],
        ),
        (
            "ja",
            22.5,
            {"household_size": 4, "region": "hokuriku"},
            [
                "似た家庭との比較",
                "4 人・北陸・直近 30 日",
                "よい調子です。似た家庭とほぼ同じです。",
                "お宅1 日 22.5 kWh",
                "似た家庭1 日 22 kWh",
                "出典：環境省「家庭部門のCO2排出実態統計調査」（2021・2022 年度）",  # noqa: RUF001
            ],
        ),
        (
            "en",
            20.0,
            {"household_size": 2, "region": "kanto_koshin"},
            [
                "2 people · all of Japan · last 30 days",
                "82% more than similar homes. Moving use out of the evening peak helps.",
                (
                    "Denki has no checked figure for Kanto-Koshin yet, so this compares with"
                    " all of Japan."
                ),
            ],
        ),
    ],
)
async def test_the_comparison_with_similar_homes(
    page: Any, language: str, kwh_a_day: float, config: dict[str, Any], expected: list[str]
) -> None:
    text = await render(page, full_hass(language, kwh_a_day=kwh_a_day), {"type": "x", **config})
    for phrase in expected:
        assert phrase in text, phrase
    # The same as the Python reference, from the same file.
    region = Region(config["region"]) if "region" in config else None
    similar = load_household_use().similar(config["household_size"], region)
    reference = compare(
        {date.fromisoformat(d): kwh for d, kwh in use_days(kwh_a_day).items()}, similar
    )
    assert reference is not None
    assert await card_eval(page, "root.querySelector('.verdict').classList[1]") == str(
        reference.verdict
    )
    smileys = await card_eval(page, "root.querySelectorAll('.verdict svg.smiley').length")
    assert smileys == {"better": 2, "about": 1, "above": 0}[reference.verdict]
    if smileys:
        label = await card_eval(page, "root.querySelector('svg.smiley').getAttribute('aria-label')")
        assert label == {"en": "Well done", "ja": "よくできました"}[language]
    assert page.errors == []


async def test_the_card_computes_what_the_python_reference_does(page: Any) -> None:
    """Every size and region, and uses either side of the thresholds."""
    data = load_household_use()
    checks = await page.evaluate(
        """async () => {
            const data = await (await fetch("/denki/household_use.json")).json();
            const out = [];
            for (const size of [1, 2, 3, 4, 5, 6, 7]) {
                for (const region of [null, "hokkaido", "tohoku", "kanto_koshin", "hokuriku",
                        "tokai", "kinki", "chugoku", "shikoku", "kyushu", "okinawa"]) {
                    const similar = similarHomes(data, size, region);
                    for (const kwh of [3.3, 9.87, 14.24, 20.5]) {
                        const use = {};
                        for (let n = 1; n <= 9; n++) use[`2026-07-0${n}`] = kwh + n / 100;
                        out.push({size, region, kwh, similar, result: compareUse(use, similar)});
                    }
                }
            }
            return out;
        }"""
    )
    assert len(checks) == 7 * 11 * 4
    for check in checks:
        region = Region(check["region"]) if check["region"] else None
        similar = data.similar(check["size"], region)
        assert check["similar"]["kwh_per_year"] == pytest.approx(similar.kwh_per_year, rel=1e-12)
        assert check["similar"]["region"] == (similar.region and str(similar.region))
        assert check["similar"]["size"] == similar.size
        use = {date(2026, 7, n): check["kwh"] + n / 100 for n in range(1, 10)}
        reference = compare(use, similar)
        assert reference is not None
        assert check["result"]["verdict"] == str(reference.verdict)
        assert check["result"]["percent"] == reference.percent
        assert check["result"]["kwh_per_day"] == pytest.approx(reference.kwh_per_day)
    assert set(HOUSEHOLD_SIZES) <= {check["size"] for check in checks}


async def test_before_a_week_of_use_and_without_the_figures(page: Any) -> None:
    hass = full_hass("en")
    hass["states"]["sensor.savings_challenge"]["attributes"]["use_days"] = use_days(10.0, 6)
    text = await render(page, hass, {"type": "x", "household_size": 1})
    assert "Denki compares once it has 7 whole days of your use." in text
    # The figures cannot be fetched (a page without Denki's server): said, not thrown.
    await page.unroute(f"{ORIGIN}/**")
    await page.route(f"{ORIGIN}/denki/**", lambda route: route.abort())
    await page.evaluate("householdUse = null")
    text = await render(page, full_hass("ja"), {"type": "x", "household_size": 1})
    assert "似た家庭の数値を読み込めませんでした。" in text


async def test_the_editor_sets_the_household_size_and_region(page: Any) -> None:
    changes = await page.evaluate(
        """(hass) => {
            const editor = customElements.get("denki-savings-card").getConfigElement();
            const seen = [];
            editor.addEventListener("config-changed", (ev) => seen.push(ev.detail.config));
            editor.setConfig({ type: "custom:denki-savings-card" });
            editor.hass = hass;
            document.body.appendChild(editor);
            const size = editor.shadowRoot.querySelector("select[name=household_size]");
            size.value = "6";
            size.dispatchEvent(new Event("change"));
            const region = editor.shadowRoot.querySelector("select[name=region]");
            region.value = "okinawa";
            region.dispatchEvent(new Event("change"));
            size.value = "";
            size.dispatchEvent(new Event("change"));
            return {
                seen,
                sizes: Array.from(size.options).map((o) => o.textContent),
                regions: Array.from(region.options).map((o) => o.textContent),
            };
        }""",
        fake_hass("ja"),
    )
    assert changes["seen"] == [
        {"type": "custom:denki-savings-card", "household_size": 6},
        {"type": "custom:denki-savings-card", "household_size": 6, "region": "okinawa"},
        {"type": "custom:denki-savings-card", "region": "okinawa"},
    ]
    assert changes["sizes"] == ["未設定", "1 人", "2 人", "3 人", "4 人", "5 人", "6 人以上"]
    assert changes["regions"][0] == "未設定"
    assert changes["regions"][1:] == [
        "北海道",
        "東北",
        "関東甲信",
        "北陸",
        "東海",
        "近畿",
        "中国",
        "四国",
        "九州",
        "沖縄",
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize(("theme_name", "theme"), [("light", LIGHT), ("dark", DARK)])
@pytest.mark.parametrize("width", [390, 1280])
async def test_screenshots_in_both_languages_themes_and_widths(
    page: Any, language: str, theme_name: str, theme: dict[str, str], width: int
) -> None:
    """Every new part, for a person to look at; what each shows is asserted above."""
    await page.set_viewport_size({"width": width, "height": 900})
    config = {"type": "x", "household_size": 3, "region": "hokuriku"}
    text = await render(page, full_hass(language), config, width=width, theme=theme)
    for part in (".next", ".plan li", "svg.history", ".compare .verdict", "button.opt"):
        assert await card_eval(page, f"!!root.querySelector('{part}')"), part
    assert ("Next event" in text) is (language == "en")
    assert ("次のイベント" in text) is (language == "ja")
    # Two columns on a desktop, one on a phone; the theme's text colour is the card's.
    columns = "getComputedStyle(root.querySelector('.body')).gridTemplateColumns.split(' ').length"
    assert await card_eval(page, columns) == (2 if width > 600 else 1)
    colour = await card_eval(page, "getComputedStyle(root.querySelector('.card')).color")
    assert colour == {"light": "rgb(33, 33, 33)", "dark": "rgb(225, 225, 225)"}[theme_name]
    # Nothing wider than the phone's screen.
    overflow = "root.querySelector('.card').scrollWidth <= root.querySelector('.card').clientWidth"
    assert await card_eval(page, overflow)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.locator("#box").screenshot(
        path=str(ARTIFACTS / f"card-{language}-{theme_name}-{width}.png")
    )
    assert page.errors == []
