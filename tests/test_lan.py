"""One ECHONET Lite port per interface, shared and counted (`lan`), on real loopback sockets."""

import asyncio
import socket

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
import pytest

from custom_components.denki import lan
from custom_components.denki.lib.echonet import ControllerNode, TransportError
from tests.net import free_port

INTERFACE = "127.0.15.1"


@pytest.fixture
def port(socket_enabled: None) -> int:
    return free_port()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((INTERFACE, port))
        except OSError:
            return False
    return True


async def test_one_client_per_port_closed_by_the_last_user(hass: HomeAssistant, port: int) -> None:
    first, second = await asyncio.gather(
        lan.async_acquire(hass, INTERFACE, port), lan.async_acquire(hass, INTERFACE, port)
    )
    assert first is second
    assert lan.users(hass, INTERFACE, port) == 2
    lan.async_release(hass, first)
    assert lan.users(hass, INTERFACE, port) == 1
    assert not _bindable(port)
    lan.async_release(hass, second)
    assert lan.users(hass, INTERFACE, port) == 0
    assert _bindable(port)
    # Releasing what is no longer held changes nothing.
    lan.async_release(hass, first)
    assert lan.users(hass, INTERFACE, port) == 0


async def test_other_ports_and_interfaces_are_other_clients(hass: HomeAssistant, port: int) -> None:
    other_port = free_port()
    a = await lan.async_acquire(hass, INTERFACE, port)
    b = await lan.async_acquire(hass, INTERFACE, other_port)
    c = await lan.async_acquire(hass, "127.0.15.2", port)
    assert len({id(a), id(b), id(c)}) == 3
    for client in (a, b, c):
        lan.async_release(hass, client)


async def test_the_identity_asked_for_is_the_one_answered_with(
    hass: HomeAssistant, port: int
) -> None:
    """A meter may open the port first; the appliances entry's stored identity then wins."""
    meter = await lan.async_acquire(hass, INTERFACE, port)
    node = ControllerNode(unique_id=bytes(range(13)))
    appliances = await lan.async_acquire(hass, INTERFACE, port, node=node)
    assert appliances is meter
    assert meter.node is node
    lan.async_release(hass, meter)
    lan.async_release(hass, appliances)


async def test_a_port_another_program_holds(hass: HomeAssistant, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind((INTERFACE, port))
        with pytest.raises(TransportError):
            await lan.async_acquire(hass, INTERFACE, port)
        with pytest.raises(ConfigEntryNotReady) as raised:
            await lan.async_acquire_for_entry(hass, INTERFACE, port)
        assert raised.value.translation_key == "echonet_port_unavailable"
        assert lan.users(hass, INTERFACE, port) == 0
    # Nothing half-open was kept: the next try opens it.
    async with lan.async_borrow(hass, INTERFACE, port) as client:
        assert lan.users(hass, INTERFACE, port) == 1
        assert client.has_multicast
    assert lan.users(hass, INTERFACE, port) == 0
    assert _bindable(port)


async def test_a_borrow_is_given_back_when_its_block_fails(hass: HomeAssistant, port: int) -> None:
    with pytest.raises(RuntimeError):
        async with lan.async_borrow(hass, INTERFACE, port):
            raise RuntimeError("the flow's check failed")
    assert lan.users(hass, INTERFACE, port) == 0
    assert _bindable(port)
