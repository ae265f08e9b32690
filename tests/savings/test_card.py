"""The savings card is served by the integration and loaded by every frontend page."""

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.denki.const import DOMAIN
from custom_components.denki.savings.card import CARD_FILE, CARD_URL


async def test_the_card_is_served_and_added_to_every_page(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    urls = hass.data[DATA_EXTRA_MODULE_URL].urls
    assert [url for url in urls if url.startswith(CARD_URL)] == [f"{CARD_URL}?v=0.1.0"]
    client = await hass_client()
    response = await client.get(CARD_URL)
    assert response.status == 200
    body = await response.text()
    assert body == CARD_FILE.read_text(encoding="utf-8")
    assert 'customElements.define("denki-savings-card"' in body


async def test_without_the_frontend_nothing_is_registered(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert DATA_EXTRA_MODULE_URL not in hass.data
