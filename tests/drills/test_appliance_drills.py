"""Fault drill of the appliances entry: one node of the simulated home falls silent.

While it is silent the poller backs off (10 s, doubling, up to 320 s), so a
silent node costs almost no traffic; it comes back as a restarted node does,
announcing its instance list, and is polled again at once.

The home is the appliances tests' (three ECHONET Lite nodes on loopback UDP);
the clock is moved in steps and the objects' coordinators poll on their own
timers, as they do in Home Assistant.
"""

from collections.abc import AsyncIterator
from datetime import timedelta
import logging

from freezegun.api import TickingDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki import lan as denki_lan
from custom_components.denki.lib.echonet import MULTICAST_GROUP, RetryPolicy
from tests.appliances.conftest import LIVING, Lan, appliances_entry, set_up, until as wait_until

from .conftest import DrillLog, Figure, advance, one_window, watch

STEP = timedelta(minutes=2)
SILENCE = timedelta(minutes=10)


@pytest.fixture
async def quick_home(
    hass: HomeAssistant, lan: Lan, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MockConfigEntry]:
    """The appliances entry on the simulated home, with a silent object known in 2 s.

    A silent object costs its poll two requests (the poller's rule) of two 0.5 s
    attempts here, instead of 1 + 2 + 4 s each: ten minutes of silence in seconds.
    Loopback answers in well under a millisecond, so the nodes that do answer are
    never taken for silent.
    """
    monkeypatch.setattr(denki_lan, "RETRY", RetryPolicy(timeout=0.5, attempts=2, max_timeout=0.5))
    entry = appliances_entry(lan)
    await set_up(hass, entry)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _live(hass: HomeAssistant, clock: TickingDateTimeFactory, delta: timedelta) -> None:
    """Move the clock; the coordinators' timers fall due and they poll."""
    advance(clock, delta)
    await hass.async_block_till_done()


async def test_an_appliance_silent_for_ten_minutes(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    quick_home: MockConfigEntry,
    lan: Lan,
    entity_registry: er.EntityRegistry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """The living room's node answers nothing for ten minutes; the other two keep answering."""
    coordinators = quick_home.runtime_data.coordinators.values()
    silent_keys = tuple(c.key for c in coordinators if c.node.address == LIVING)
    assert len(silent_keys) == 2  # the air conditioner and the EcoCute
    entities = [
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, quick_home.entry_id)
        if hass.states.get(e.entity_id) is not None
    ]
    silent = [e for e in entities if entity_registry.async_get(e).unique_id.startswith(silent_keys)]  # type: ignore[union-attr]
    others = [e for e in entities if e not in silent]
    assert silent
    assert others
    seen = watch(hass, entities)
    await _live(hass, clock, STEP)
    node = lan.nodes[LIVING]

    drill_log.mark("fault")
    fell_silent = dt_util.utcnow()
    node.drop = 10**9
    for coordinator in coordinators:  # the next poll, without waiting for the timers
        await coordinator.async_refresh()
    while dt_util.utcnow() < fell_silent + SILENCE - STEP / 2:
        await _live(hass, clock, STEP)
    advance(clock, fell_silent + SILENCE - dt_util.utcnow())
    drill_log.mark("recover")
    node.drop = 0
    # Back, as a node that restarts: it announces its instance list (ECHONET Lite's start-up
    # INF of 0xD5), which ends the poller's back-off at once.
    client = quick_home.runtime_data.client
    heard = client.last_heard(LIVING)
    node.announce((MULTICAST_GROUP, lan.port))
    await wait_until(lambda: client.last_heard(LIVING) != heard)
    answers = dt_util.utcnow()
    for coordinator in coordinators:
        await coordinator.async_refresh()
    await _live(hass, clock, STEP)

    started = drill_log.lines("fault", "recover", logging.INFO)
    recovered = drill_log.lines("recover", None, logging.INFO)
    windows = {entity_id: seen.windows(entity_id) for entity_id in entities}
    since, until = windows[silent[0]][0]
    outage = ((until or since) - since).total_seconds()
    figure(
        f"DRILL appliance-silent-10min: {len(silent)} entities of the silent node unavailable "
        f"{outage:.0f} s, {sum(bool(windows[e]) for e in others)}/{len(others)} entities of "
        f"the other nodes ever unavailable, log lines {len(started)} start / "
        f"{len(recovered)} recover"
    )
    assert drill_log.crashes() == []
    assert all(one_window(windows[e], fell_silent, answers) for e in silent), windows
    assert all(windows[e] == [] for e in others), windows
    assert all(hass.states.get(e).state != "unavailable" for e in entities)  # type: ignore[union-attr]
    drill_log.check_once_each_way(started, recovered)
