"""Fixtures of the high-voltage meter tests, loaded with `pytest_plugins` by the test_hv_* modules."""

from collections.abc import AsyncIterator

import pytest

from custom_components.denki import lan
from custom_components.denki.lib.echonet import RetryPolicy
from simulators.hv_meter import SimulatedHighVoltageMeter
from tests.meter.hv_fixtures import start_meter
from tests.net import free_port


@pytest.fixture
def hv_port(socket_enabled: None, monkeypatch: pytest.MonkeyPatch) -> int:
    """The test's UDP port, and retries short enough for loopback."""
    port = free_port()
    monkeypatch.setattr(lan, "LISTEN_PORT", port)
    monkeypatch.setattr(lan, "RETRY", RetryPolicy(timeout=0.3, attempts=2, max_timeout=0.6))
    return port


@pytest.fixture
async def hv_meter(hv_port: int) -> AsyncIterator[SimulatedHighVoltageMeter]:
    """A 0x028A meter at METER."""
    sim = await start_meter(hv_port)
    yield sim
    sim.close()


@pytest.fixture
async def hv_bidirectional(hv_port: int) -> AsyncIterator[SimulatedHighVoltageMeter]:
    """A 0x028F meter at METER."""
    sim = await start_meter(hv_port, bidirectional=True)
    yield sim
    sim.close()
