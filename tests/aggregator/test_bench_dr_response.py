"""The response bench, once: its own Home Assistant curtails the simulated home and puts it back.

Behaviour only (`bench.bench_dr_response` prints the times): the event
curtails all four appliances, its cancellation puts them back, an
interval boundary from SIMPLE 1 to 2 deepens the plan, and the sequential
baselines leave them as they were.
"""

from bench.bench_dr_response import measure
from tests.aggregator.test_response import CURTAILED


async def test_one_run_curtails_and_restores(socket_enabled: None) -> None:
    results = await measure(1)
    assert results.curtailed == [CURTAILED]
    assert results.before != CURTAILED
    assert results.after == results.before
    assert len(results.denki) == len(results.restore) == len(results.sequential) == 1
    # The interval change was re-planned after its boundary, not before.
    (interval,) = results.interval
    assert interval > 0
    assert len(results.sequential_two) == 1
