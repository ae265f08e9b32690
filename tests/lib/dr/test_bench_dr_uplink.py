"""The uplink bench's own checks on a short day: what it reports is what was delivered."""

import pytest

from bench.bench_dr_uplink import DEADBANDS, check, measure, within_deadbands


@pytest.mark.usefixtures("socket_enabled")
async def test_the_bench_delivers_the_series_within_the_deadband_and_loses_nothing() -> None:
    results = await measure(readings=24)
    check(results)
    denki, lossless = results.denki, results.lossless
    assert results.delivered == results.day
    assert len(results.naive.received) == 24
    assert within_deadbands(results.delivered, denki.rebuilt, DEADBANDS)
    assert lossless.rebuilt == results.delivered  # deadband 0: the very series
    for run in (denki, lossless):
        assert run.complete  # nothing lost
        assert run.unique == run.sent
        assert run.in_order
        assert run.duplicates == 0
    assert denki.tally.wire < lossless.tally.wire < results.naive.wire
