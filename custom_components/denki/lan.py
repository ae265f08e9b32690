"""ECHONET Lite on the home LAN: one UDP port per interface, shared by whoever needs it.

UDP 3610 can be bound once per address. An appliances entry, each
high-voltage meter entry on the same interface, the config flows that ask
the LAN, and the background discovery all use the one `EchonetClient` that
the first of them opened; it closes when the last one lets go. Each user
adds its own listeners and removes them when it is done, so sharing the
port changes nothing in what each of them sees: answers are matched to the
request (and the host) that asked, whoever sent it.

The client always joins the ECHONET Lite multicast group, which discovery
needs; a meter alone does not, but loses nothing by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import ipaddress

from homeassistant.components import network
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.util.hass_dict import HassKey

from .const import CONF_HOSTS, CONF_INTERFACE, DOMAIN
from .lib.echonet import (
    ECHONET_PORT,
    ControllerNode,
    EchonetClient,
    EchonetTransport,
    RetryPolicy,
    TransportError,
)

LISTEN_PORT = ECHONET_PORT
"""The UDP port new entries use: 3610, but in tests."""
MULTICAST_LOOP = False
"""Whether our multicast reaches this host's own sockets; tests with simulated nodes set it."""
RETRY = RetryPolicy()
"""Timeouts of every request: 3, 6 and 12 s, a LAN device's pace; tests on loopback shorten them."""


@dataclass
class _Port:
    client: EchonetClient
    users: int = 0


@dataclass
class _Ports:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    open: dict[tuple[str, int], _Port] = field(default_factory=dict)


_DATA: HassKey[_Ports] = HassKey(f"{DOMAIN}_echonet_ports")


def _key(interface: str, port: int) -> tuple[str, int]:
    """The registry's key of a port: the address in canonical form (ValueError if not IPv4)."""
    return str(ipaddress.IPv4Address(interface)), port


def _ports(hass: HomeAssistant) -> _Ports:
    ports = hass.data.get(_DATA)
    if ports is None:
        ports = hass.data[_DATA] = _Ports()
    return ports


async def async_acquire(
    hass: HomeAssistant, interface: str, port: int, *, node: ControllerNode | None = None
) -> EchonetClient:
    """The client on `interface`:`port`, opened if nobody holds it yet; `async_release` it.

    Args:
        hass: Home Assistant.
        interface: The local IPv4 address.
        port: The UDP port.
        node: Our node's identity to answer with (the appliances entry keeps
            one across restarts); the client's stays as it is if None.

    Raises:
        TransportError: The port cannot be opened (another program holds it).
        ValueError: `interface` is not an IPv4 address.
    """
    key = _key(interface, port)
    ports = _ports(hass)
    async with ports.lock:
        held = ports.open.get(key)
        if held is None:
            transport = EchonetTransport(interface, port=port, multicast_loop=MULTICAST_LOOP)
            client = EchonetClient(transport, retry=RETRY, node=node)
            await client.start()
            held = ports.open[key] = _Port(client)
        elif node is not None:
            held.client.node = node
        held.users += 1
        return held.client


def async_release(hass: HomeAssistant, client: EchonetClient) -> None:
    """Let go of a client from `async_acquire`; the last to let go closes it."""
    ports = _ports(hass)
    for key, held in ports.open.items():
        if held.client is client:
            held.users -= 1
            if held.users <= 0:
                del ports.open[key]
                client.close()
            return


def users(hass: HomeAssistant, interface: str, port: int) -> int:
    """How many hold the client on `interface`:`port` (0: the port is closed)."""
    held = _ports(hass).open.get(_key(interface, port))
    return 0 if held is None else held.users


@asynccontextmanager
async def async_borrow(
    hass: HomeAssistant, interface: str, port: int
) -> AsyncIterator[EchonetClient]:
    """The client on `interface`:`port` for the length of a `with` block.

    Raises:
        TransportError: The port cannot be opened (another program holds it).
    """
    client = await async_acquire(hass, interface, port)
    try:
        yield client
    finally:
        async_release(hass, client)


async def async_acquire_for_entry(
    hass: HomeAssistant, interface: str, port: int, *, node: ControllerNode | None = None
) -> EchonetClient:
    """`async_acquire` for an entry's setup: a port in use means the entry is not ready yet.

    Raises:
        ConfigEntryNotReady: The port cannot be opened; Home Assistant retries.
    """
    try:
        return await async_acquire(hass, interface, port, node=node)
    except TransportError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="echonet_port_unavailable",
            translation_placeholders={"interface": interface, "port": str(port)},
        ) from err


def parse_hosts(interface: str, text: str) -> tuple[list[str], dict[str, str]]:
    """The interface checked, and the IPv4 hosts of a comma or space separated list."""
    try:
        ipaddress.IPv4Address(interface)
    except ValueError:
        return [], {CONF_INTERFACE: "invalid_interface"}
    hosts: list[str] = []
    for item in text.replace(",", " ").split():
        try:
            hosts.append(str(ipaddress.IPv4Address(item)))
        except ValueError:
            return [], {CONF_HOSTS: "invalid_host"}
    return sorted(set(hosts), key=ipaddress.IPv4Address), {}


async def async_interface_addresses(hass: HomeAssistant) -> list[SelectOptionDict]:
    """The IPv4 addresses of this host's enabled interfaces, to choose the LAN by."""
    return [
        SelectOptionDict(value=address, label=f"{address} ({name})")
        for address, name in await async_enabled_ipv4(hass)
    ]


async def async_enabled_ipv4(hass: HomeAssistant) -> list[tuple[str, str]]:
    """Each IPv4 address, with its adapter's name, of the adapters Home Assistant enables."""
    return [
        (address["address"], adapter["name"])
        for adapter in await network.async_get_adapters(hass)
        if adapter["enabled"]
        for address in adapter["ipv4"]
    ]
