"""A building's LAN for the high-voltage meter entry: the meter on 127.0.14.2, HA on 127.0.14.1.

Shared by the test_hv_* modules of this folder; their fixtures are in `hv_plugin`. The meter is
`simulators.hv_meter` on its own loopback address, answering ECHONET Lite
over real UDP on the test's port; the entry's port and retry policy are
shortened through `lan.LISTEN_PORT` and `lan.RETRY`.
"""

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import CONF_HOST, CONF_INTERFACE, CONF_KIND, CONF_PORT, DOMAIN
from simulators.hv_meter import SimulatedHighVoltageMeter

INTERFACE = "127.0.14.1"
METER = "127.0.14.2"
OTHER = "127.0.14.3"
NOBODY = "127.0.14.9"
IDENTITY = "fe000016" + b"HV-METER-0001".hex()


def hv_entry_data(port: int, host: str = METER) -> dict[str, Any]:
    """What the config flow stores for a high-voltage meter."""
    return {CONF_KIND: "meter", CONF_HOST: host, CONF_INTERFACE: INTERFACE, CONF_PORT: port}


def hv_entry(port: int, host: str = METER) -> MockConfigEntry:
    """A high-voltage meter entry made as the config flow makes it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"High-voltage meter ({host})",
        data=hv_entry_data(port, host),
        unique_id=IDENTITY,
    )


async def start_meter(
    port: int, *, address: str = METER, bidirectional: bool = False
) -> SimulatedHighVoltageMeter:
    """A meter with 45 days of history on Home Assistant's clock."""
    sim = SimulatedHighVoltageMeter(address, port, dt_util.utcnow, bidirectional=bidirectional)
    await sim.start()
    return sim


async def submit_hv_meter(hass: HomeAssistant, host: str, interface: str = INTERFACE) -> Any:
    """Choose "High-voltage meter" in the menu and submit its form; the flow's next result."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "meter_hv" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "meter_hv"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter_hv"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: host, CONF_INTERFACE: interface}
    )
