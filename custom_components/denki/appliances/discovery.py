"""Discovery of ECHONET Lite appliances before any appliances entry exists.

ECHONET Lite has nothing Home Assistant's zeroconf, SSDP or DHCP matchers can
see, so Denki asks itself: once Home Assistant has started, and then every
`REDISCOVER_INTERVAL`, it sends the multicast Get of the instance list (0xD6)
from each enabled IPv4 address that no appliances entry uses yet. An address
where devices answer is offered as a discovered "ECHONET Lite appliances"
entry, which the user confirms (or ignores, which Home Assistant remembers).

Discovery shares the address's ECHONET Lite port (`lan`): a high-voltage
meter entry there keeps it open; otherwise it is opened for the discovery
window only. When another program holds UDP 3610 on that address, that
address is skipped without a word above debug level.
"""

from datetime import datetime, timedelta

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started

from ..const import CONF_INTERFACE, CONF_KIND, CONF_NODES, DOMAIN, LOGGER, EntryKind
from ..lan import async_enabled_ipv4
from ..lib.echonet import TransportError
from . import hub as appliances

REDISCOVER_INTERVAL = timedelta(hours=1)
"""How often addresses without an appliances entry are asked again."""


async def async_discover(hass: HomeAssistant) -> list[str]:
    """Ask each enabled IPv4 address not yet in an entry; offer those where devices answer.

    Returns the addresses offered.
    """
    offered: list[str] = []
    for address in await _free_addresses(hass):
        try:
            found = await appliances.async_discover(hass, address, ())
        except TransportError as err:
            LOGGER.debug("No ECHONET Lite discovery on %s: %s", address, err)
            continue
        if not found:
            continue
        offered.append(address)
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={CONF_INTERFACE: address, CONF_NODES: len(found)},
        )
    return offered


async def _free_addresses(hass: HomeAssistant) -> list[str]:
    """Enabled IPv4 addresses that no appliances entry, ignored ones included, holds."""
    taken = {
        entry.data.get(CONF_INTERFACE)
        for entry in hass.config_entries.async_entries(DOMAIN, include_ignore=False)
        if entry.data.get(CONF_KIND) == EntryKind.APPLIANCES
    } | {
        entry.unique_id.removeprefix("appliances-")
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.source == SOURCE_IGNORE and entry.unique_id
    }
    return [address for address, _ in await async_enabled_ipv4(hass) if address not in taken]


@callback
def async_setup_discovery(hass: HomeAssistant) -> None:
    """Discover once Home Assistant has started, then every REDISCOVER_INTERVAL."""

    async def _discover(_: datetime) -> None:
        await async_discover(hass)

    @callback
    def _started(hass: HomeAssistant) -> None:
        hass.async_create_background_task(
            async_discover(hass), "denki ECHONET Lite discovery", eager_start=False
        )
        async_track_time_interval(
            hass,
            _discover,
            REDISCOVER_INTERVAL,
            name="denki ECHONET Lite discovery",
            cancel_on_shutdown=True,
        )

    async_at_started(hass, _started)
