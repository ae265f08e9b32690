"""Serve the savings card and load it into every frontend page: no resource to add by hand.

Beside it, the published figures of similar homes' use (`lib.savings.comparison`):
the card compares with them in the browser, since the household size and region
are the card's own settings.
"""

from pathlib import Path

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from ..const import DOMAIN, LOGGER
from ..lib.savings.comparison import DATA_FILE

CARD_FILE = Path(__file__).parent / "frontend" / "denki-savings-card.js"
CARD_URL = f"/{DOMAIN}/denki-savings-card.js"
HOUSEHOLD_USE_URL = f"/{DOMAIN}/household_use.json"
"""The card fetches the figures of similar homes here (the same file the Python side reads)."""
DATA_CARD_REGISTERED = f"{DOMAIN}_card_registered"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card's file and add it to the modules every page loads, once.

    Without the frontend (a headless install) there is nothing to add it to.
    The URL carries the integration's version, so an update reaches browsers
    that cached the old file. The card asks for the figures of similar homes
    with its own version too; they are small and are not cached for long.
    """
    if hass.data.get(DATA_CARD_REGISTERED) or DATA_EXTRA_MODULE_URL not in hass.data:
        return
    version = (await async_get_integration(hass, DOMAIN)).version
    await hass.http.async_register_static_paths(
        [
            StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True),
            StaticPathConfig(HOUSEHOLD_USE_URL, str(DATA_FILE), cache_headers=False),
        ]
    )
    add_extra_js_url(hass, f"{CARD_URL}?v={version}")
    hass.data[DATA_CARD_REGISTERED] = True
    LOGGER.debug("Savings card served at %s", CARD_URL)
