"""The adaptive poller against simulated devices that choke on big Gets, over real UDP."""

import json

import pytest

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    ESV,
    EchonetClient,
    Frame,
    Property,
    poller as poller_module,
)
from custom_components.denki.lib.echonet.poller import AdaptivePoller, PairPolicy

from .conftest import AIRCON, CLIENT, NodeFactory, eventually

VALUES = {epc: bytes((epc,)) for epc in range(0xB0, 0xBC)}  # twelve properties
KEY = "fe000016-013001"


def _gets(node_requests: list) -> list[list[int]]:  # type: ignore[type-arg]
    return [[p.epc for p in f.properties] for f in node_requests if f.esv is ESV.GET]


async def test_a_willing_device_takes_one_get_per_cycle(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.60", {AIRCON: dict(VALUES)})
    poller = AdaptivePoller(client)
    result = await poller.poll(KEY, "127.0.10.60", AIRCON, VALUES)
    assert result.values == VALUES
    assert result.datagrams == 1
    assert not result.missing
    assert poller.capacity(KEY) is None
    assert len(_gets(node.requests)) == 1


async def test_short_answers_teach_the_capacity(client: EchonetClient, nodes: NodeFactory) -> None:
    node = await nodes("127.0.10.61", {AIRCON: dict(VALUES)})
    node.max_properties = 5
    poller = AdaptivePoller(client)
    first = await poller.poll(KEY, "127.0.10.61", AIRCON, VALUES)
    assert first.values == VALUES  # every value still arrives in the first cycle
    assert poller.capacity(KEY) == 5
    before = len(node.requests)
    second = await poller.poll(KEY, "127.0.10.61", AIRCON, VALUES)
    assert second.values == VALUES
    assert [len(g) for g in _gets(node.requests[before:])] == [5, 5, 2]
    assert second.datagrams == 3


async def test_timeouts_split_the_batch_and_teach_the_capacity(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.62", {AIRCON: dict(VALUES)})
    node.silent_over = 4
    poller = AdaptivePoller(client)
    first = await poller.poll(KEY, "127.0.10.62", AIRCON, VALUES)
    assert first.values == VALUES
    assert poller.capacity(KEY) == 3
    # Learned capacity survives a restart through JSON: no timeouts the next time.
    restored = AdaptivePoller(client, learned_capacity=json.loads(json.dumps(poller.learned())))
    before = len(node.requests)
    second = await restored.poll(KEY, "127.0.10.62", AIRCON, VALUES)
    assert second.values == VALUES
    assert second.datagrams == 4
    assert all(len(g) <= 3 for g in _gets(node.requests[before:]))


async def test_a_property_the_device_lacks_is_not_a_capacity(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    await nodes("127.0.10.63", {AIRCON: dict(VALUES)})
    poller = AdaptivePoller(client)
    result = await poller.poll(KEY, "127.0.10.63", AIRCON, [*VALUES, 0xF0])
    assert result.missing == {0xF0}
    assert poller.capacity(KEY) is None
    assert result.datagrams == 2  # the refused tail is asked once more, alone


async def test_pairs_kept_apart_by_policy(client: EchonetClient, nodes: NodeFactory) -> None:
    node = await nodes("127.0.10.64", {AIRCON: dict(VALUES)})
    policy = PairPolicy(frozenset({0xB0, 0xB3}), "test", manufacturer=0x0B, class_id=0x0130)
    poller = AdaptivePoller(client, policies=(policy,))
    result = await poller.poll(KEY, "127.0.10.64", AIRCON, VALUES, manufacturer=0x0B)
    assert result.values == VALUES
    gets = _gets(node.requests)
    assert not any({0xB0, 0xB3} <= set(g) for g in gets)
    # Another maker's device gets one frame.
    other = await poller.poll("other", "127.0.10.64", AIRCON, VALUES, manufacturer=0x06)
    assert other.datagrams == 1


async def test_a_silent_device_times_out_without_raising(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.65", {AIRCON: dict(VALUES)})
    node.drop = 1000
    poller = AdaptivePoller(client)
    result = await poller.poll(KEY, "127.0.10.65", AIRCON, [0x80, 0xB0])
    assert result.timed_out
    assert result.values == {}
    assert result.missing == {0x80, 0xB0}


async def test_a_silent_device_costs_two_requests_and_teaches_no_capacity(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.66", {AIRCON: dict(VALUES)})
    node.drop = 1000
    poller = AdaptivePoller(client)
    result = await poller.poll(KEY, "127.0.10.66", AIRCON, VALUES)
    assert result.timed_out
    assert result.datagrams == 2
    assert _gets(node.requests)[-1] == [0xB0]  # the one-property Get that says "silent"
    assert poller.capacity(KEY) is None
    # Back from a reboot, it gets everything in one Get again.
    node.drop = 0
    back = await poller.poll(KEY, "127.0.10.66", AIRCON, VALUES)
    assert back.values == VALUES
    assert back.datagrams == 1


SIXTY = {epc: bytes((epc,)) for epc in range(0xA0, 0xDC)}  # sixty properties


async def test_a_large_read_takes_one_get_as_the_property_map_allows(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.67", {AIRCON: dict(SIXTY)})
    poller = AdaptivePoller(client)
    result = await poller.poll(KEY, "127.0.10.67", AIRCON, SIXTY)
    assert result.values == SIXTY
    assert result.datagrams == 1
    assert [len(g) for g in _gets(node.requests)] == [60]


async def test_capacity_is_learned_back_upward(
    client: EchonetClient, nodes: NodeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_module, "PROBE_AFTER", 2)
    node = await nodes("127.0.10.68", {AIRCON: dict(VALUES)})
    node.max_properties = 3  # busy: it answers only three for a while
    poller = AdaptivePoller(client)
    await poller.poll(KEY, "127.0.10.68", AIRCON, VALUES)
    assert poller.capacity(KEY) == 3
    node.max_properties = None  # no longer busy
    sizes = []
    for _ in range(8):
        before = len(node.requests)
        result = await poller.poll(KEY, "127.0.10.68", AIRCON, VALUES)
        assert result.values == VALUES
        sizes.append(max(len(g) for g in _gets(node.requests[before:])))
    # Every two good cycles a larger Get, halfway to the twelve that were cut short.
    assert sizes == [3, 3, 7, 7, 7, 9, 9, 9]
    assert poller.capacity(KEY) == 9


async def test_a_lost_datagram_does_not_lower_a_proven_capacity(
    client: EchonetClient, nodes: NodeFactory
) -> None:
    node = await nodes("127.0.10.69", {AIRCON: dict(VALUES)})
    poller = AdaptivePoller(client)
    await poller.poll(KEY, "127.0.10.69", AIRCON, VALUES)  # twelve in one Get: proven
    node.drop = 3  # one whole request lost (all three attempts of the FAST policy)
    result = await poller.poll(KEY, "127.0.10.69", AIRCON, VALUES)
    assert result.values == VALUES
    assert poller.capacity(KEY) is None


def test_learned_capacities_are_restored(client: EchonetClient) -> None:
    poller = AdaptivePoller(client)
    assert poller.restore({KEY: 7, "bad": "x", "zero": 0, "flag": True}) == 1
    assert poller.learned() == {KEY: 7}


async def test_a_silent_node_backs_off_and_comes_back_on_any_datagram(
    client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    node = await nodes("127.0.10.70", {AIRCON: dict(VALUES)})
    node.drop = 1000
    poller = AdaptivePoller(client, backoff=True)
    first = await poller.poll(KEY, "127.0.10.70", AIRCON, VALUES)
    assert first.timed_out
    assert not first.skipped
    sent = len(node.requests)
    skipped = await poller.poll(KEY, "127.0.10.70", AIRCON, VALUES)
    assert (skipped.timed_out, skipped.skipped, skipped.datagrams) == (True, True, 0)
    assert len(node.requests) == sent
    # The wait doubles with each silent poll, up to minutes.
    clock = [0.0]
    poller = AdaptivePoller(client, backoff=True, clock=lambda: clock[0])
    waits = []
    for _ in range(8):
        await poller.poll(KEY, "127.0.10.70", AIRCON, [0x80])
        until = poller.silent_until("127.0.10.70")
        assert until is not None
        waits.append(until - clock[0])
        clock[0] = until
    assert waits == [10, 20, 40, 80, 160, 320, 320, 320]
    # Any frame from it (an announcement, say) ends the wait at once.
    poller = AdaptivePoller(client, backoff=True)
    await poller.poll(KEY, "127.0.10.70", AIRCON, [0x80])
    assert poller.silent_until("127.0.10.70") is not None
    node.drop = 0
    node.send(Frame(1, AIRCON, CONTROLLER, ESV.INF, (Property(0x80, b"\x30"),)), (CLIENT, port))
    await eventually(lambda: client.last_heard("127.0.10.70") is not None)
    back = await poller.poll(KEY, "127.0.10.70", AIRCON, VALUES)
    assert back.values == VALUES
    assert poller.silent_until("127.0.10.70") is None
