"""The uplink bench's own checks on a short day: what it reports is what was delivered."""

import pytest

from bench.bench_dr_uplink import DEADBANDS, DenkiRun, Tally, max_error, measure


@pytest.mark.usefixtures("socket_enabled")
async def test_the_bench_delivers_the_series_within_the_deadband_and_loses_nothing() -> None:
    results = await measure(readings=36)
    day = results["day"]
    naive, denki, lossless = results["naive"], results["denki"], results["lossless"]
    assert isinstance(naive, Tally)
    assert isinstance(denki, DenkiRun)
    assert isinstance(lossless, DenkiRun)
    assert len(naive.received) == 36
    assert max_error(day, denki.rebuilt) <= max(DEADBANDS.values()) + 1e-9  # type: ignore[arg-type]
    assert lossless.rebuilt == day  # deadband 0: the very series
    assert denki.in_order
    assert denki.duplicates == 0
    assert denki.tally.wire < lossless.tally.wire < naive.wire
