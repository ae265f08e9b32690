"""One helper that reads a Home Assistant state as a number in the unit asked for."""

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfEnergy, UnitOfPower
from homeassistant.core import State
from homeassistant.util.unit_conversion import BaseUnitConverter, EnergyConverter, PowerConverter


def state_in(state: State | None, converter: type[BaseUnitConverter], unit: str) -> float | None:
    """The state's value converted from its own unit to `unit`; None when it is not one."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        return converter.convert(
            float(state.state), state.attributes.get("unit_of_measurement"), unit
        )
    except ValueError, TypeError, KeyError, AttributeError:
        return None


def kilowatts(state: State | None) -> float | None:
    """A power state in kW, to the watt; None when it is not one."""
    value = state_in(state, PowerConverter, UnitOfPower.KILO_WATT)
    return None if value is None else round(value, 3)


def kilowatt_hours(state: State | None) -> float | None:
    """An energy state in kWh; None when it is not one."""
    return state_in(state, EnergyConverter, UnitOfEnergy.KILO_WATT_HOUR)
