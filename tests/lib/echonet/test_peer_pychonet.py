"""An independent ECHONET Lite implementation, pychonet (PyPI, MIT), against ours.

pychonet's client (the one Home Assistant's echonetlite integration uses)
discovers our controller node and reads its property maps over real UDP on
loopback; its decoder reads the frames our client sends to a simulated node.
"""

import asyncio
from collections.abc import AsyncIterator

from pychonet import echonetapiclient
from pychonet.echonetapiclient import ECHONETAPIClient
from pychonet.lib.functions import decodeEchonetMsg
from pychonet.lib.udpserver import UDPServer
import pytest

from custom_components.denki.lib.echonet import EchonetClient

from .conftest import AIRCON, CLIENT, NodeFactory, client_transport, eventually

PEER = "127.0.10.9"
NODE = "127.0.10.5"


@pytest.fixture
async def pychonet_api(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ECHONETAPIClient]:
    # pychonet sends to port 3610 only; the test's nodes use the test's port.
    monkeypatch.setattr(echonetapiclient, "ENL_PORT", port)
    server = UDPServer(local_ip=PEER)
    server.run(PEER, port, loop=asyncio.get_running_loop())
    api = ECHONETAPIClient(server)
    api._logger = lambda *args: None
    api._message_timeout = 30  # tenths of a second
    yield api
    server.close()


async def test_pychonet_discovers_our_node(
    pychonet_api: ECHONETAPIClient, client: EchonetClient
) -> None:
    # Manufacturer, product code (we have none: Get_SNA), identification, instance list.
    assert await pychonet_api.discover(CLIENT)
    state = pychonet_api._state[CLIENT]
    assert state["discovered"] is True
    assert list(state["instances"]) == [0x05]
    assert list(state["instances"][0x05]) == [0xFF]
    assert list(state["instances"][0x05][0xFF]) == [0x01]
    assert state["manufacturer"] == "Experimental"
    # pychonet drops the 0xFE that marks an identification number of our format.
    assert state["uid"] == (b"\xff\xff\xff" + client.node.unique_id).hex()

    assert await pychonet_api.getAllPropertyMaps(CLIENT, 0x05, 0xFF, 0x01)
    controller = state["instances"][0x05][0xFF][0x01]
    assert sorted(controller[0x9F]) == [0x80, 0x81, 0x82, 0x88, 0x8A, 0x9D, 0x9E, 0x9F]
    assert sorted(controller[0x9D]) == [0x80, 0x81, 0x88]
    assert controller[0x9E] == []


async def test_pychonet_finds_our_node_by_multicast(
    pychonet_api: ECHONETAPIClient, port: int, group: str
) -> None:
    found: list[str] = []

    async def discovered(host: str) -> None:
        found.append(host)

    pychonet_api._discover_callback = discovered
    # pychonet waits for an answer from the group address itself, which never comes.
    pychonet_api._message_timeout = 3
    async with EchonetClient(client_transport(port, group=group)):
        await pychonet_api.discover()  # Get 0xD6 to 224.0.23.0
        await eventually(lambda: bool(found))
    assert found == [CLIENT]


async def test_pychonet_reads_the_frames_our_client_sends(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, {AIRCON: {0x80: b"\x30", 0xB3: b"\x1a"}}, settable=frozenset({0xB3}))
    await client.get(NODE, AIRCON, [0x80, 0xB3])
    await client.set_c(NODE, AIRCON, {0xB3: b"\x1b"})
    get, setc = (decodeEchonetMsg(raw) for raw in node.raw)
    for message, frame in ((get, node.requests[0]), (setc, node.requests[1])):
        assert message["TID"] == frame.tid
        assert (message["SEOJGC"], message["SEOJCC"], message["SEOJCI"]) == (0x05, 0xFF, 0x01)
        assert (message["DEOJGC"], message["DEOJCC"], message["DEOJCI"]) == (0x01, 0x30, 0x01)
    assert get["ESV"] == 0x62
    assert [(opc["EPC"], opc["PDC"]) for opc in get["OPC"]] == [(0x80, 0), (0xB3, 0)]
    assert setc["ESV"] == 0x61
    assert [(opc["EPC"], opc["EDT"]) for opc in setc["OPC"]] == [(0xB3, b"\x1b")]
