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
    "delivered_strict_pct",
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


def test_a_person_s_appliance_leaves_what_the_home_could_deliver() -> None:
    """From a person's change on, the appliance is theirs in the counterfactual and the full
    curtailment; the strict figure (`delivered_strict_pct`) keeps the pre-event settings."""
    from bench.bench_season import OURS, fully_curtailed, household_prior, watched

    prior = {
        OURS["climate"]: {0xB0: b"\x42", 0xB3: bytes((26,))},
        OURS["water_heater"]: {0xB0: b"\x41"},
        OURS["battery"]: {0xDA: b"\x42"},  # charging
        OURS["light"]: {0xB0: bytes((100,))},
    }
    now = {key: dict(values) for key, values in prior.items()}
    now[OURS["battery"]][0xDA] = b"\x41"  # a person set rapid charging

    assert household_prior(prior, now, frozenset()) is prior
    mixed = household_prior(prior, now, frozenset({"battery"}))
    assert watched(mixed)["battery"] == b"\x41"
    assert watched(mixed)["climate"] == bytes((26,))

    everything = watched(fully_curtailed(prior))
    assert everything["battery"] == b"\x43"  # discharging
    assert everything["water_heater"] == b"\x43"  # manual stop
    assert everything["climate"] == bytes((28,))
    without_battery = watched(fully_curtailed(mixed, withdrawn=frozenset({"battery"})))
    assert without_battery["battery"] == b"\x41"  # the person's, not Denki's
    assert without_battery["water_heater"] == b"\x43"
    assert prior[OURS["battery"]][0xDA] == b"\x42"  # nothing copied was changed
