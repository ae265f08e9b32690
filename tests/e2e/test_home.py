"""The whole home end to end: scripts/develop's Home Assistant, the simulated home, Chromium.

What a household sees and lives with, through the real parts: the login
page, the Energy dashboard fed by Denki's sensors, the savings card in each
user's language, a DR event from the simulated aggregator shown on the
calendar, answered by the simulated appliances within the household's
limits and put back exactly at its end, also across a Home Assistant
restart in the middle of it. The appliances are read over ECHONET Lite
straight from the simulated devices, not from Home Assistant's states.
Screenshots are kept in build/test-artifacts/e2e-*.png.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any
import urllib.error

from playwright.async_api import Browser, Page, async_playwright
import pytest

from tests.frontend.test_savings_card import CHROMIUM, FLAGS

from .conftest import HALF_HOUR
from .home_api import DevelopHome, echonet_get, login, request, until, ws

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("develop"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (scripts/setup installs it as root)",
    ),
]
ARTIFACTS = Path(__file__).parents[2] / "build" / "test-artifacts"
AIR_CONDITIONER = ("127.0.11.21", 0x013001)
ECO_CUTE = ("127.0.11.21", 0x026B01)
SETPOINT, BOILING = 0xB3, 0xB0
MANUAL_STOP = 0x43
COOLING_MAX = 28  # the aggregator entry's default limits
OFFSET = 2

DEEP_TEXT = """(selector) => {
  const texts = [];
  const walk = (node, inside) => {
    const here = inside || (node.matches && node.matches(selector));
    if (node.nodeType === Node.TEXT_NODE) { if (inside) texts.push(node.textContent); return; }
    if (node.shadowRoot) walk(node.shadowRoot, here);
    for (const child of node.childNodes || []) walk(child, here);
  };
  walk(document, false);
  return texts.join(" ").replace(/\\s+/g, " ").trim();
}"""
"""The text under every element matching a selector, through all the shadow roots."""

CARD_STATE = """() => {
  const found = { defined: !!customElements.get("denki-savings-card"), cards: 0, drawn: 0, errors: 0 };
  const walk = (node) => {
    if (node.localName === "denki-savings-card") {
      found.cards += 1;
      if (node.shadowRoot && node.shadowRoot.childNodes.length) found.drawn += 1;
    }
    if (node.localName === "hui-error-card") found.errors += 1;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes || []) walk(child);
  };
  walk(document);
  return found;
}"""
"""Whether the card is defined, how many are in the page and drawn, and error cards."""


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium through Playwright."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def logged_in(  # noqa: PLR0917 - who logs in where, in which language
    chromium: Browser, home: DevelopHome, path: str, user: str, password: str, locale: str = "ja-JP"
) -> tuple[Page, list[str]]:
    """A page opened at `path` after logging in on Home Assistant's login page; its errors.

    The browser speaks `locale`, as a household's own browser would.
    """
    context = await chromium.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # Shown with a failing test's captured output: what the page said along the way.
    page.on("console", lambda m: print(f"console {m.type}: {m.text[:300]}"))  # noqa: T201
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{home.base}{path}")
    await page.locator('input[name="username"]').fill(user)
    await page.locator('input[name="password"]').fill(password)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**{path}**", timeout=60_000)
    return page, errors


async def deep_text(
    page: Page, selector: str, expect: str | re.Pattern[str], seconds: float = 60
) -> str:
    """The text under `selector` once it holds `expect` (what it held, if it never does)."""
    seen = [""]

    async def check() -> str | None:
        text: str = await page.evaluate(DEEP_TEXT, selector)
        seen[0] = text
        found = expect.search(text) if isinstance(expect, re.Pattern) else expect in text
        return text if found else None

    try:
        return str(await until(check, seconds, f"{selector} showing {expect!r}", interval=0.5))
    except AssertionError as err:
        raise AssertionError(f"{err}; it showed {seen[0][:300]!r}") from None


def appliances() -> dict[str, int]:
    """The air conditioner's setpoint and the EcoCute's boiling setting, read from the devices."""
    setpoint = echonet_get(*AIR_CONDITIONER, [SETPOINT])[SETPOINT][0]
    boiling = echonet_get(*ECO_CUTE, [BOILING])[BOILING][0]
    return {"setpoint": setpoint, "boiling": boiling}


async def read_appliances() -> dict[str, int]:
    """`appliances()` off the event loop."""
    return await asyncio.to_thread(appliances)


def announce(
    home: DevelopHome, start_in: float, minutes: float = 0, ends_at: datetime | None = None
) -> tuple[str, datetime, datetime]:
    """A DR event from the simulated aggregator (OpenADR 3 and its MQTT notifier).

    It lasts `minutes`, or ends at `ends_at` on the home's clocks. Its start and
    end are returned on this process's clock, for waiting.
    """
    body: dict[str, Any] = {"start_in": start_in, "minutes": minutes, "level": 2}
    if ends_at is not None:
        body["ends_at"] = ends_at.isoformat()
    start = home.now().timestamp() + start_in
    event_id = request(f"{home.control}/events", body)["id"]
    begins = datetime.fromtimestamp(int(start), UTC)
    ends = ends_at or datetime.fromtimestamp(int(start) + int(minutes * 60), UTC)
    return event_id, home.real(begins), home.real(ends)


def next_half_hour(moment: datetime, at_least: float) -> datetime:
    """The first :00 or :30 at least `at_least` seconds after `moment`."""
    later = int(moment.timestamp() + at_least)
    return datetime.fromtimestamp(-(-later // HALF_HOUR) * HALF_HOUR, UTC)


async def wait_until(moment: datetime, extra: float = 0) -> None:
    """Sleep until a wall-clock moment (plus `extra` seconds)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds() + extra))


def denki_problems(home: DevelopHome, since: int) -> list[str]:
    """Warnings and errors from Denki, or blocking calls it made, in the log after line `since`."""
    lines = home.log.read_text(errors="replace").splitlines()[since:]
    return [
        line
        for line in lines
        if ("custom_components.denki" in line and (" WARNING " in line or " ERROR " in line))
        or ("Detected blocking call" in line and "denki" in line)
    ]


def log_length(home: DevelopHome) -> int:
    """How many lines Home Assistant's log has now."""
    return len(home.log.read_text(errors="replace").splitlines())


@pytest.mark.timeout(HALF_HOUR + 600)
async def test_a_dr_event_is_shown_answered_within_limits_undone_exactly_and_scored(
    develop: DevelopHome, socket_enabled: None
) -> None:
    """First in this module: the home's clocks were set for this event to end on the half hour.

    Savings are scored per half hour against the ERAB baseline, so the card can
    show the event's saving only once its last half hour is over; ending the
    event on one lets the test check that it does within a minute.
    """
    since = log_length(develop)
    before = await read_appliances()
    token = login(develop.base, develop.username, develop.password)
    points_before = int(await _denki_state(develop, token, "points"))
    ends_at = next_half_hour(develop.now(), at_least=100)
    event_id, begins, ends = announce(develop, start_in=40, ends_at=ends_at)

    async with browser() as chromium:
        page, errors = await logged_in(
            chromium, develop, "/denki-home", develop.username, develop.password
        )
        # The calendar card lists the event (pushed by the VTN's MQTT notifier).
        await deep_text(page, "hui-calendar-card", f"Simulated peak {event_id.split('-')[1]}", 60)
        await page.screenshot(path=ARTIFACTS / "e2e-calendar.png", full_page=True)

        await wait_until(begins)
        during = await until(
            lambda: _changed(before), 20, "the appliances curtailed at the start", interval=0.5
        )
        assert (
            before["setpoint"] < during["setpoint"] <= min(before["setpoint"] + OFFSET, COOLING_MAX)
        )
        assert during["boiling"] == MANUAL_STOP
        token = login(develop.base, develop.username, develop.password)
        assert await _denki_state(develop, token, "event_active") == "on"
        assert await _denki_state(develop, token, "appliances_in_plan") == "2"
        await page.screenshot(path=ARTIFACTS / "e2e-during-event.png", full_page=True)

        await wait_until(ends)
        await until(lambda: _equal(before), 20, "the appliances put back at the end", interval=0.5)

        # Within a minute of the end the card shows the measured saving and the points
        # (the event's line, "… kWh 節電、約 … 円", not the "10 kWh 節電" card's name). The
        # dashboard is opened again, as a household would come back to it.
        await page.goto(f"{develop.base}/denki-home")
        try:
            text = await deep_text(
                page, "denki-savings-card", re.compile(r"-?[\d.,]+ kWh 節電、約 -?[\d.,]+ 円"), 60
            )
        finally:
            await page.screenshot(path=ARTIFACTS / "e2e-scored.png", full_page=True)
        shown_at = datetime.now(UTC)
        token = login(develop.base, develop.username, develop.password)
        saved = float(await _denki_state(develop, token, "last_event_saved"))
        points = int(await _denki_state(develop, token, "points"))
        assert (shown_at - ends).total_seconds() <= 60
        assert points >= points_before + 20  # taking part is worth 20 points, whatever it saved
        assert f"{saved:,.3f}".rstrip("0").rstrip(".") in text, text
        assert f"{points:,} ポイント" in text, text
        assert not [e for e in errors if "denki" in e.lower()], errors
    assert denki_problems(develop, since) == []


@pytest.mark.timeout(300)
async def test_energy_dashboard_and_savings_card_for_a_japanese_and_an_english_user(
    develop: DevelopHome, socket_enabled: None
) -> None:
    token = login(develop.base, develop.username, develop.password)
    prefs, registry = await ws(
        develop.base, token, {"type": "energy/get_prefs"}, {"type": "config/entity_registry/list"}
    )
    denki = {e["entity_id"]: e for e in registry if e["platform"] == "denki"}
    grid = next(s for s in prefs["energy_sources"] if s["type"] == "grid")
    solar = [s for s in prefs["energy_sources"] if s["type"] == "solar"]
    assert denki[grid["stat_energy_from"]]["unique_id"].endswith("_energy_import")
    assert denki[grid["stat_energy_to"]]["unique_id"].endswith("_energy_export")
    assert len(solar) == 1
    assert solar[0]["stat_energy_from"] in denki

    # A second user, who reads English.
    (user,) = await ws(
        develop.base,
        token,
        {"type": "config/auth/create", "name": "Reader", "group_ids": ["system-users"]},
    )
    await ws(
        develop.base,
        token,
        {
            "type": "config/auth_provider/homeassistant/create",
            "user_id": user["user"]["id"],
            "username": "reader",
            "password": "reader-e2e-2026",
        },
    )
    reader = login(develop.base, "reader", "reader-e2e-2026")
    await ws(
        develop.base,
        reader,
        {
            "type": "frontend/set_user_data",
            "key": "language",
            "value": {"language": "en", "number_format": "language", "time_format": "language"},
        },
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with browser() as chromium:
        page, errors = await logged_in(
            chromium, develop, "/energy", develop.username, develop.password
        )
        try:
            # The first visit loads the energy panel's code and asks the recorder: give it time.
            for node in ("solar", "grid"):
                await page.locator(
                    f"hui-energy-distribution-card .circle-container.{node}"
                ).wait_for(timeout=120_000)
        finally:
            await page.screenshot(path=ARTIFACTS / "e2e-energy-ja.png", full_page=True)
        await page.goto(f"{develop.base}/denki-home")
        text = await deep_text(page, "denki-savings-card", "節電")
        assert "Savings" not in text
        await page.screenshot(path=ARTIFACTS / "e2e-denki-ja.png", full_page=True)
        assert not [e for e in errors if "denki" in e.lower()], errors

        page, errors = await logged_in(
            chromium, develop, "/denki-home", "reader", "reader-e2e-2026", "en-US"
        )
        try:
            try:
                text = await deep_text(page, "denki-savings-card", "Savings", seconds=30)
            except AssertionError as err:
                # Seen in several runs on a loaded 2-core machine: the reader's
                # fresh page showed an error card where the savings card goes, no
                # console error, and the card's module loaded. Home Assistant's
                # frontend makes an error card of a custom card not defined within
                # its 2-s grace and swaps it when it is defined; a household reloads.
                # Said here, with what the page held, so that the cause can be told.
                state = await page.evaluate(CARD_STATE)
                print(f"No English card after 30 s ({err}); the page: {state}; reloading")  # noqa: T201
                await page.reload()
                text = await deep_text(page, "denki-savings-card", "Savings")
        finally:
            await page.screenshot(path=ARTIFACTS / "e2e-denki-en.png", full_page=True)
        assert "節電" not in text
        assert not [e for e in errors if "denki" in e.lower()], errors


@pytest.mark.timeout(500)
async def test_a_restart_in_the_middle_of_an_event_still_puts_everything_back(
    develop: DevelopHome, socket_enabled: None
) -> None:
    since = log_length(develop)
    before = await read_appliances()
    _, begins, ends = announce(develop, start_in=20, minutes=2.5)
    await wait_until(begins)
    await until(lambda: _changed(before), 20, "the appliances curtailed", interval=0.5)

    token = login(develop.base, develop.username, develop.password)
    request(f"{develop.base}/api/services/homeassistant/restart", {}, token=token)
    await until(_down(develop), 60, "Home Assistant going down for its restart", interval=0.2)
    await until(_entries_loaded(develop), 180, "Home Assistant back with Denki loaded")
    assert datetime.now(UTC) < ends, "the restart outlasted the event: the test proves nothing"
    # Still curtailed after the restart: the plan came back from storage.
    assert (await read_appliances()) != before

    await wait_until(ends)
    await until(
        lambda: _equal(before), 30, "the appliances put back after the restart", interval=0.5
    )
    assert denki_problems(develop, since) == []


async def _denki_state(home: DevelopHome, token: str, key: str) -> str:
    """The state of the Denki entity whose unique id ends with `key`."""
    (entities,) = await ws(home.base, token, {"type": "config/entity_registry/list"})
    entity_id = next(
        e["entity_id"]
        for e in entities
        if e["platform"] == "denki" and e["unique_id"].endswith(f"_{key}")
    )
    answer = await asyncio.to_thread(request, f"{home.base}/api/states/{entity_id}", token=token)
    state: str = answer["state"]
    return state


async def _changed(before: dict[str, int]) -> dict[str, int] | None:
    now = await read_appliances()
    return (
        now
        if now["setpoint"] != before["setpoint"] and now["boiling"] != before["boiling"]
        else None
    )


async def _equal(before: dict[str, int]) -> bool:
    return await read_appliances() == before


def _down(home: DevelopHome) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            await asyncio.to_thread(request, f"{home.base}/api/onboarding")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            return True
        return False

    return check


def _entries_loaded(home: DevelopHome) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            token = await asyncio.to_thread(login, home.base, home.username, home.password)
            entries: list[dict[str, Any]] = await asyncio.to_thread(
                request, f"{home.base}/api/config/config_entries/entry", token=token
            )
        except (
            urllib.error.URLError,
            ConnectionError,
            TimeoutError,
            AssertionError,
            json.JSONDecodeError,
        ):
            return False
        states = [e["state"] for e in entries if e["domain"] == "denki"]
        return len(states) == 4 and set(states) == {"loaded"}

    return check
