"""Every sensor the class data can make has a device and state class that mean what they say.

Walks every class and property of the class data, as `scripts/appliance_translations.py`
does (every entity `plan` can make, settable or not, and each number of a property of
several), so a pyhems upgrade that brings a new stored-energy property is checked too.
"""

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.components.sensor.const import DEVICE_CLASS_STATE_CLASSES
from homeassistant.const import PERCENTAGE, Platform

from custom_components.denki.appliances.plan import (
    PlannedEntity,
    numeric_fields,
    plan_fields,
    plan_one,
)
from custom_components.denki.lib.echonet.classes import CLASSES, property_spec


def _every_sensor() -> list[tuple[int, PlannedEntity, str]]:
    """(class, planned sensor, the key of what it shows) for all the class data can make."""
    out = []
    for class_id, spec in CLASSES.items():
        for epc in sorted(set(spec.properties) | set(range(0x80, 0xA0))):
            prop = property_spec(class_id, epc)
            if prop is None:
                continue
            variants = [plan_one(class_id, epc, settable) for settable in (False, True)]
            if numeric_fields(prop):
                variants += plan_fields(class_id, epc, prop, ())
            for planned in variants:
                if planned.platform is not Platform.SENSOR:
                    continue
                key = prop.key if planned.field is None else prop.value.fields[planned.field].key
                out.append((class_id, planned, key))
    return out


SENSORS = _every_sensor()


def test_the_walk_sees_the_energy_properties() -> None:
    """The walk is not empty: it meets counters, stored energy and states of charge."""
    classes = {planned.device_class for _, planned, _ in SENSORS}
    assert {
        SensorDeviceClass.ENERGY,
        SensorDeviceClass.ENERGY_STORAGE,
        SensorDeviceClass.BATTERY,
    } <= classes
    assert sum(p.state_class is SensorStateClass.TOTAL_INCREASING for _, p, _ in SENSORS) > 40


def test_a_total_increasing_sensor_is_a_cumulative_property() -> None:
    wrong = [
        f"0x{class_id:04X} 0x{planned.epc:02X} {key}"
        for class_id, planned, key in SENSORS
        if planned.state_class is SensorStateClass.TOTAL_INCREASING and "cumulative" not in key
    ]
    assert wrong == []


def test_a_battery_sensor_is_a_state_of_charge() -> None:
    wrong = [
        f"0x{class_id:04X} 0x{planned.epc:02X} {key}"
        for class_id, planned, key in SENSORS
        if planned.device_class is SensorDeviceClass.BATTERY
        and not (planned.unit == PERCENTAGE and "remaining_stored_electricity" in key)
    ]
    assert wrong == []


def test_stored_energy_is_energy_storage_not_a_total() -> None:
    """A battery's remaining stored electricity (0xE2, Wh) goes down: a measurement."""
    by_key = {
        (class_id, planned.epc): planned
        for class_id, planned, _ in SENSORS
        if planned.field is None and not planned.key.endswith("_set")
    }
    for class_id, epc in ((0x027D, 0xE2), (0x027E, 0xE2), (0x027E, 0xC2), (0x02A1, 0xE2)):
        planned = by_key[class_id, epc]
        assert planned.device_class is SensorDeviceClass.ENERGY_STORAGE, (class_id, epc)
        assert planned.state_class is SensorStateClass.MEASUREMENT, (class_id, epc)
    # A vehicle battery's remaining chargeable capacity is stored energy, not a battery level.
    assert by_key[0x027E, 0xCF].device_class is SensorDeviceClass.ENERGY_STORAGE
    # The cumulative charging counter stays a total.
    assert by_key[0x027D, 0xD8].state_class is SensorStateClass.TOTAL_INCREASING


def test_every_state_class_is_one_home_assistant_allows_for_its_device_class() -> None:
    wrong = [
        f"0x{class_id:04X} 0x{planned.epc:02X} {key}: {planned.device_class} {planned.state_class}"
        for class_id, planned, key in SENSORS
        if planned.device_class in DEVICE_CLASS_STATE_CLASSES
        and planned.state_class is not None
        and planned.state_class not in DEVICE_CLASS_STATE_CLASSES[planned.device_class]
    ]
    assert wrong == []
