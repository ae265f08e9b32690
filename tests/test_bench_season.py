"""The season bench, short: two days, two events, through its own Home Assistant.

Behaviour only (`bench.bench_season` prints the figures): the events were
published and answered, the restart and the outage happened, every
appliance was put back, and the JSON figures have their keys.
"""

import pytest

from bench.bench_season import measure

KEYS = (
    "answered_pct",
    "delivered_pct",
    "comfort_violations",
    "unrestored",
    "savings_error_pct",
    "reports_lost",
    "points",
    "cards",
    "events",
    "seed",
    "override_rate",
    "runtime_s",
)


@pytest.mark.timeout(240)
async def test_a_short_season_answers_and_puts_back(socket_enabled: None) -> None:
    season = await measure(seed=1, override_rate=0.0, days=2, events=2, warmup_days=4)
    figures = season.figures()
    assert set(KEYS) <= set(figures)
    assert figures["events"] == 2
    assert all(event.prior for event in season.events)  # every event was published
    assert figures["events_asked"] >= 1
    assert figures["answered_pct"] == 100.0
    assert figures["unrestored"] == 0
    assert figures["comfort_violations"] == 0
    assert season.restart_done
    assert season.outage_done
