"""Serve the savings card and load it into every frontend page: no resource to add by hand."""

from pathlib import Path

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from ..const import DOMAIN, LOGGER

CARD_FILE = Path(__file__).parent / "frontend" / "denki-savings-card.js"
CARD_URL = f"/{DOMAIN}/denki-savings-card.js"
DATA_CARD_REGISTERED = f"{DOMAIN}_card_registered"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card's file and add it to the modules every page loads, once.

    Without the frontend (a headless install) there is nothing to add it to.
    The URL carries the integration's version, so an update reaches browsers
    that cached the old file.
    """
    if hass.data.get(DATA_CARD_REGISTERED) or DATA_EXTRA_MODULE_URL not in hass.data:
        return
    version = (await async_get_integration(hass, DOMAIN)).version
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    add_extra_js_url(hass, f"{CARD_URL}?v={version}")
    hass.data[DATA_CARD_REGISTERED] = True
    LOGGER.debug("Savings card served at %s", CARD_URL)
