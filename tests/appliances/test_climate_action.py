"""The climate entity says what the unit does (hvac_action), and no mode it is not in."""

from homeassistant.components.climate import ATTR_HVAC_ACTION, HVACAction, HVACMode
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.appliances.climate import IDLE_WATTS
from custom_components.denki.lib.echonet import CONTROLLER, ESV, Frame, Property

from .conftest import AIRCON, LIVING, Lan, entity_id_of, until


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    for coordinator in entry.runtime_data.coordinators.values():
        await coordinator.async_refresh()
    await hass.async_block_till_done()


async def _announce(
    hass: HomeAssistant, entry: MockConfigEntry, lan: Lan, epc: int, edt: bytes
) -> None:
    """The unit changes a property (its remote control) and announces it, as units do."""
    node = lan.nodes[LIVING]
    node.objects[AIRCON][epc] = edt
    node.send(
        Frame(0x4321, AIRCON, CONTROLLER, ESV.INF, (Property(epc, edt),)),
        ("127.0.11.1", lan.port),
    )
    hub = entry.runtime_data
    aircon = next(c for c in hub.coordinators.values() if c.info.eoj == AIRCON)
    await until(lambda: (aircon.data or {}).get(epc) == edt)
    await hass.async_block_till_done()


async def test_hvac_action_from_the_units_state_and_draw(
    hass: HomeAssistant, loaded: MockConfigEntry, lan: Lan, entity_registry: er.EntityRegistry
) -> None:
    climate = entity_id_of(entity_registry, "climate", "-climate")
    node = lan.nodes[LIVING].objects[AIRCON]

    def state() -> tuple[str, object]:
        current = hass.states.get(climate)
        assert current is not None
        return current.state, current.attributes.get(ATTR_HVAC_ACTION)

    # Cooling and drawing 620 W: cooling.
    assert state() == (HVACMode.COOL, HVACAction.COOLING)
    # The compressor stopped (the setpoint reached): on, in cooling mode, but idle.
    node[0x84] = (IDLE_WATTS - 30).to_bytes(2)
    await _refresh(hass, loaded)
    assert state() == (HVACMode.COOL, HVACAction.IDLE)
    # Fan only: the fan runs whatever the draw.
    await _announce(hass, loaded, lan, 0xB0, b"\x45")
    assert state() == (HVACMode.FAN_ONLY, HVACAction.FAN)
    # Heating at full draw.
    node[0x84] = (900).to_bytes(2)
    await _announce(hass, loaded, lan, 0xB0, b"\x43")
    await _refresh(hass, loaded)
    assert state() == (HVACMode.HEAT, HVACAction.HEATING)
    # "Other" (0x40), a maker's own mode: not shown as automatic, nor any action guessed.
    await _announce(hass, loaded, lan, 0xB0, b"\x40")
    assert state() == (STATE_UNKNOWN, None)
    # Off.
    await _announce(hass, loaded, lan, 0x80, b"\x31")
    assert state() == (HVACMode.OFF, HVACAction.OFF)
