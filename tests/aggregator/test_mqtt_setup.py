"""An MQTT aggregator entry whose broker is out of reach at setup: not loaded, retried, then loaded.

The broker is amqtt, in process on loopback: started once and stopped, so
nothing listens on its port when the entry is set up, then started again on
the same port.
"""

from collections.abc import AsyncIterator
from datetime import timedelta

from amqtt.broker import Broker
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.net import amqtt_config, free_port

from .conftest import mqtt_entry, until


@pytest.fixture
async def stopped_broker(socket_enabled: None) -> AsyncIterator[tuple[int, list[Broker]]]:
    """A port where an amqtt broker ran and stopped; the test starts the next one there."""
    port = free_port()
    first = Broker(amqtt_config(port))
    await first.start()
    await first.shutdown()
    brokers: list[Broker] = []
    yield port, brokers
    for broker in brokers:
        await broker.shutdown()


async def test_an_unreachable_broker_is_retried_and_the_entry_loads_once_it_is_back(
    hass: HomeAssistant, stopped_broker: tuple[int, list[Broker]]
) -> None:
    port, brokers = stopped_broker
    entry = mqtt_entry(port)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    # The reason shown on the entry is the translated one, with where it tried.
    assert entry.reason is not None
    assert "The aggregator cannot be reached" in entry.reason
    assert f"127.0.0.1:{port}" in entry.reason

    broker = Broker(amqtt_config(port))
    await broker.start()
    brokers.append(broker)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await until(lambda: entry.state is ConfigEntryState.LOADED)
    await until(lambda: entry.runtime_data.source.connected)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
