"""The savings entry in Home Assistant: the flow, slots from a real sensor's states, the weekly
challenge, points, cards and the reward event, across restarts."""

from datetime import date, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.denki.const import (
    CONF_ENERGY_ENTITY,
    CONF_KIND,
    CONF_YEN_PER_KWH,
    DOMAIN,
    SIGNAL_DR_RESULT,
    EntryKind,
)
from custom_components.denki.diagnostics import async_get_config_entry_diagnostics
from custom_components.denki.lib.dr import DrEvent, Interval
from custom_components.denki.lib.savings import JST, SLOT
from custom_components.denki.lib.savings.accumulate import SlotAccumulator
from custom_components.denki.lib.savings.scoring import Ledger

ENERGY = "sensor.grid_import"
ENERGY_ATTRIBUTES = {
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",
}
WEEK = date(2026, 8, 3)  # a Monday


def _usual_history() -> dict[str, Any]:
    """Four weeks before WEEK: 0.5 kWh each evening slot (4.0 an evening), 0.2 otherwise."""
    slots = SlotAccumulator()
    for n in range(1, 29):
        day = WEEK - timedelta(days=n)
        start = datetime(day.year, day.month, day.day, tzinfo=JST)
        for index in range(48):
            slot = start + index * SLOT
            slots.slots[slot] = 0.5 if 17 <= slot.hour < 21 else 0.2
    return {"slots": slots.to_dict(), "ledger": Ledger().to_dict(), "challenge": None}


def _entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Savings",
        unique_id=EntryKind.SAVINGS,
        data={CONF_KIND: EntryKind.SAVINGS, CONF_ENERGY_ENTITY: ENERGY, CONF_YEN_PER_KWH: 31.0},
    )


async def _set_up_monday_with_four_usual_weeks(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The entry, set up at 08:00 on WEEK's Monday, with `_usual_history` stored."""
    entry = _entry()
    key = f"{DOMAIN}.savings.{entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": _usual_history()}
    freezer.move_to(datetime(2026, 8, 3, 8, 0, tzinfo=JST))
    hass.states.async_set(ENERGY, "1000.000", ENERGY_ATTRIBUTES)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _state(hass: HomeAssistant, key: str) -> Any:
    registry = er.async_get(hass)
    entity_id = next(
        e.entity_id for e in registry.entities.values() if e.unique_id.endswith(f"_{key}")
    )
    return hass.states.get(entity_id)


async def _evening(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, day: date, total: float, per_slot: float
) -> float:
    """Readings every 10 minutes from 16:50 to 21:10 on `day`; returns the new total."""
    moment = datetime(day.year, day.month, day.day, 16, 50, tzinfo=JST)
    freezer.move_to(moment)
    hass.states.async_set(ENERGY, f"{total:.3f}", ENERGY_ATTRIBUTES)
    while moment < datetime(day.year, day.month, day.day, 21, 10, tzinfo=JST):
        moment += timedelta(minutes=10)
        freezer.move_to(moment)
        total += per_slot / 3
        hass.states.async_set(ENERGY, f"{total:.3f}", ENERGY_ATTRIBUTES)
        await hass.async_block_till_done()
    return total


async def test_the_flow_takes_an_energy_counter_once_per_home(hass: HomeAssistant) -> None:
    hass.states.async_set(ENERGY, "100", ENERGY_ATTRIBUTES)
    hass.states.async_set(
        "sensor.power", "300", {"device_class": "power", "unit_of_measurement": "W"}
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "savings"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "savings"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_ENTITY: "sensor.power", CONF_YEN_PER_KWH: 31}
    )
    assert result["errors"] == {CONF_ENERGY_ENTITY: "not_an_energy_counter"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENERGY_ENTITY: ENERGY, CONF_YEN_PER_KWH: 29.8}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_KIND: "savings",
        CONF_ENERGY_ENTITY: ENERGY,
        CONF_YEN_PER_KWH: 29.8,
    }
    await hass.async_block_till_done()
    again = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    again = await hass.config_entries.flow.async_configure(
        again["flow_id"], {"next_step_id": "savings"}
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "savings_already_configured"


async def test_a_week_of_evenings_completes_the_challenge_and_earns_points_and_a_card(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up_monday_with_four_usual_weeks(hass, hass_storage, freezer)
    key = f"{DOMAIN}.savings.{entry.entry_id}"

    challenge = _state(hass, "challenge")
    assert challenge.state == "0"
    assert challenge.attributes["challenge"] == "evening_peak"
    assert challenge.attributes["limit_kwh"] == 3.6
    assert challenge.attributes["target_percent"] == 10
    assert challenge.attributes["days_needed"] == 3
    assert _state(hass, "points").state == "0"
    assert _state(hass, "level").state == "1"

    total = 1000.0
    total = await _evening(hass, freezer, WEEK, total, 0.4)  # 3.2 kWh: met
    assert _state(hass, "challenge").state == "1"
    total = await _evening(hass, freezer, WEEK + timedelta(days=1), total, 0.5)  # 4.0: not met
    total = await _evening(hass, freezer, WEEK + timedelta(days=2), total, 0.3)
    assert _state(hass, "challenge").state == "2"
    reward = _state(hass, "reward")
    total = await _evening(hass, freezer, WEEK + timedelta(days=3), total, 0.44)
    assert _state(hass, "challenge").state == "3"
    assert _state(hass, "challenge").attributes["completed"] is True
    announced = _state(hass, "reward")
    assert announced.state != reward.state
    assert announced.attributes["event_type"] == "challenge_completed"

    # The next Monday in Japan: the week is settled into the ledger.
    monday = datetime(2026, 8, 10, 0, 0, 30, tzinfo=JST)
    freezer.move_to(monday)
    async_fire_time_changed(hass, monday)
    await hass.async_block_till_done()
    assert _state(hass, "points").state == "50"
    assert _state(hass, "shields").state == "1"
    assert _state(hass, "cards").attributes["cards"][0]["card"] == "first_challenge"
    assert _state(hass, "reward").attributes["event_type"] == "card_earned"
    assert _state(hass, "reward").attributes["card"] == "first_challenge"
    nxt = _state(hass, "challenge")
    assert nxt.attributes["challenge"] == "morning_peak"
    assert nxt.attributes["target_percent"] == 15

    # A restart: nothing lost, nothing announced again.
    before = _state(hass, "reward").state
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, "points").state == "50"
    assert _state(hass, "challenge").attributes["challenge"] == "morning_peak"
    assert _state(hass, "reward").state == before
    stored = hass_storage[key]["data"]
    assert stored["ledger"]["challenges"] == [
        {"week": "2026-08-03", "kind": "evening_peak", "completed": True}
    ]


async def test_readings_in_wh_unavailable_and_garbage_are_handled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    entry = _entry()
    freezer.move_to(datetime(2026, 8, 3, 10, 0, tzinfo=JST))
    wh = {**ENERGY_ATTRIBUTES, "unit_of_measurement": "Wh"}
    hass.states.async_set(ENERGY, "5000", wh)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data
    points_reported = _state(hass, "points").last_reported  # the State object is updated in place
    freezer.move_to(datetime(2026, 8, 3, 10, 10, tzinfo=JST))
    hass.states.async_set(ENERGY, "5300", wh)
    freezer.move_to(datetime(2026, 8, 3, 10, 15, tzinfo=JST))
    hass.states.async_set(ENERGY, "unavailable", wh)
    freezer.move_to(datetime(2026, 8, 3, 10, 20, tzinfo=JST))
    hass.states.async_set(ENERGY, "5500", wh)
    freezer.move_to(datetime(2026, 8, 3, 10, 25, tzinfo=JST))
    hass.states.async_set(ENERGY, "5500", wh)  # reported again, unchanged
    with caplog.at_level(logging.WARNING):
        for value in ("lots", "more"):
            hass.states.async_set(ENERGY, value, wh)
            await hass.async_block_till_done()
    await hass.async_block_till_done()
    assert tracker.slots.slots == {datetime(2026, 8, 3, 10, 0, tzinfo=JST): pytest.approx(0.5)}
    assert tracker.slots.last_time == datetime(2026, 8, 3, 10, 25, tzinfo=JST)
    assert caplog.text.count("not an energy") == 1
    # Nothing the entities show changed (no challenge yet): no state was written again.
    assert _state(hass, "points").last_reported == points_reported


async def test_an_unreadable_store_is_kept_aside_and_the_entry_starts_afresh(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    entry = _entry()
    key = f"{DOMAIN}.savings.{entry.entry_id}"
    broken = {"slots": {"slots": {"yesterday": 1}}, "ledger": {"version": 1}}
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": broken}
    hass.states.async_set(ENERGY, "1", ENERGY_ATTRIBUTES)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert "Starting the savings afresh" in caplog.text
    assert hass_storage[f"{key}.unreadable"]["data"] == broken
    assert _state(hass, "points").state == "0"
    assert _state(hass, "challenge").state == "unknown"  # no history yet: no challenge


async def test_diagnostics_summarise_the_slots_ledger_score_and_challenge(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await _set_up_monday_with_four_usual_weeks(hass, hass_storage, freezer)
    # Called directly: the frozen clock would make the HTTP API's access token look expired.
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["energy_entity"] == ENERGY
    assert diagnostics["slots"]["count"] == 28 * 48
    assert diagnostics["slots"]["first"] == "2026-07-06T00:00:00+09:00"
    assert diagnostics["ledger"] == {"events": 0, "challenges": 0, "days": 0}
    assert diagnostics["score"]["points"] == 0
    assert diagnostics["challenge"]["kind"] == "evening_peak"
    assert diagnostics["challenge"]["reference_kwh"] == 4.0


EVENT = DrEvent(
    "ev-1",
    "kanto-dr",
    (Interval(0, datetime(2026, 8, 3, 17, 0, tzinfo=JST), timedelta(hours=2), {"SIMPLE": (2,)}),),
    "mqtt",
)


async def score_an_event(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Four usual weeks, then a Monday with EVENT (17:00-19:00) used 0.3 kWh a slot, not 0.5.

    Readings every 10 minutes from 08:00 to 20:00; the aggregator's result is
    dispatched at 19:00 just before that minute's reading, which closes the
    last slot: the event is scored then, not 35 minutes later.
    """
    entry = await _set_up_monday_with_four_usual_weeks(hass, hass_storage, freezer)
    total = 1000.0
    moment = datetime(2026, 8, 3, 8, 0, tzinfo=JST)
    end = datetime(2026, 8, 3, 19, 0, tzinfo=JST)
    while moment < datetime(2026, 8, 3, 20, 0, tzinfo=JST):
        moment += timedelta(minutes=10)
        freezer.move_to(moment)
        hour = (moment - timedelta(minutes=10)).hour
        total += (0.3 if 17 <= hour < 19 else 0.2 if hour < 17 else 0.5) / 3
        if moment == end:
            async_dispatcher_send(hass, SIGNAL_DR_RESULT, "aggregator-entry", EVENT, True)
            await hass.async_block_till_done()
            assert entry.runtime_data.pending_events  # not before the last slot is in
        hass.states.async_set(ENERGY, f"{total:.4f}", ENERGY_ATTRIBUTES)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done()
        if moment == end:
            assert entry.runtime_data.pending_events == {}  # the reading closed the last slot
    return entry


async def test_a_dr_event_is_scored_against_the_erab_baseline_once_its_slots_are_in(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """An aggregator's event 17:00-19:00 on a Monday: 0.3 kWh a slot against a usual 0.5."""
    entry = await score_an_event(hass, hass_storage, freezer)
    assert entry.runtime_data.pending_events == {}
    saved = _state(hass, "last_event_saved")
    assert float(saved.state) == pytest.approx(0.8, abs=0.01)
    assert [round(s["baseline"], 2) for s in saved.attributes["slots"]] == [0.5] * 4
    assert [round(s["actual"], 2) for s in saved.attributes["slots"]] == [0.3] * 4
    assert saved.attributes["missing_slots"] == []
    assert float(_state(hass, "last_event_saved_yen").state) == pytest.approx(24.8, abs=0.4)
    assert int(_state(hass, "points").state) == 100  # 20 for taking part + 100 per kWh
    # A restart neither loses nor repeats it; the same result arriving again changes nothing.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    async_dispatcher_send(hass, SIGNAL_DR_RESULT, "aggregator-entry", EVENT, True)
    await hass.async_block_till_done()
    assert int(_state(hass, "points").state) == 100
    assert entry.runtime_data.pending_events == {}


async def test_an_event_whose_last_slot_never_closes_waits_then_settles_with_what_there_is(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """The readings stop at 18:00 (a dongle pulled out): the event is not scored at its end, nor
    at 35 minutes, but 3 hours after it, with the two slots it measured and two missing."""
    entry = await _set_up_monday_with_four_usual_weeks(hass, hass_storage, freezer)
    total = 1000.0
    moment = datetime(2026, 8, 3, 8, 0, tzinfo=JST)
    while moment < datetime(2026, 8, 3, 18, 0, tzinfo=JST):
        moment += timedelta(minutes=10)
        freezer.move_to(moment)
        total += (0.3 if moment.hour >= 17 and moment.minute else 0.2) / 3
        hass.states.async_set(ENERGY, f"{total:.4f}", ENERGY_ATTRIBUTES)
        await hass.async_block_till_done()
    for moment, pending in (
        (datetime(2026, 8, 3, 19, 0, tzinfo=JST), True),
        (datetime(2026, 8, 3, 19, 40, tzinfo=JST), True),
        (datetime(2026, 8, 3, 21, 50, tzinfo=JST), True),
        (datetime(2026, 8, 3, 22, 10, tzinfo=JST), False),
    ):
        freezer.move_to(moment)
        if moment.hour == 19 and moment.minute == 0:
            async_dispatcher_send(hass, SIGNAL_DR_RESULT, "aggregator-entry", EVENT, True)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done()
        assert bool(entry.runtime_data.pending_events) is pending, moment
    saved = _state(hass, "last_event_saved")
    assert len(saved.attributes["missing_slots"]) == 2
    assert [s["actual"] is None for s in saved.attributes["slots"]] == [False, False, True, True]


async def test_options_and_a_solar_day_earn_the_solar_card(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """PV and export counters chosen in the options; a sunny Tuesday used at home earns a card."""
    pv, export = "sensor.pv_energy", "sensor.grid_export"
    hass.states.async_set(pv, "500.0", ENERGY_ATTRIBUTES)
    hass.states.async_set(export, "20.0", ENERGY_ATTRIBUTES)
    hass.states.async_set("sensor.power", "3", {"device_class": "power"})
    entry = await _set_up_monday_with_four_usual_weeks(hass, hass_storage, freezer)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "savings"
    form = {CONF_YEN_PER_KWH: 30, "dr_source": "all", "pv_energy_entity": "sensor.power"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {"pv_energy_entity": "not_an_energy_counter"}
    form |= {"pv_energy_entity": pv, "export_energy_entity": export}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    tracker = entry.runtime_data
    assert tracker.yen_per_kwh == 30
    rewards: list[dict[str, Any]] = []
    tracker.add_award_listener(lambda kind, data: rewards.append({"kind": kind, **data}))

    # Tuesday 4 August: 10 kWh from 09:00 to 17:00, 1 kWh of it sold; readings every 10 min.
    moment = datetime(2026, 8, 3, 8, 0, tzinfo=JST)
    generated = sold = 0.0
    while moment < datetime(2026, 8, 5, 1, 0, tzinfo=JST):
        moment += timedelta(minutes=10)
        freezer.move_to(moment)
        if (
            datetime(2026, 8, 4, 9, 0, tzinfo=JST)
            < moment
            <= datetime(2026, 8, 4, 17, 0, tzinfo=JST)
        ):
            generated += 10 / 48
            sold += 1 / 48
        hass.states.async_set(pv, f"{500 + generated:.4f}", ENERGY_ATTRIBUTES)
        hass.states.async_set(export, f"{20 + sold:.4f}", ENERGY_ATTRIBUTES)
        freezer.move_to(moment + timedelta(seconds=30))
        async_fire_time_changed(hass, moment + timedelta(seconds=30))
        await hass.async_block_till_done()
    assert date(2026, 8, 3) not in tracker.ledger.days  # Monday began at 08:00: not whole
    facts = tracker.ledger.days[date(2026, 8, 4)]
    assert facts.pv_kwh == pytest.approx(10.0, abs=0.01)
    assert facts.self_consumed_kwh == pytest.approx(9.0, abs=0.01)
    assert {"kind": "card_earned", "card": "solar_self_consumption", "rarity": "rare"} in rewards
    cards = _state(hass, "cards").attributes["cards"]
    assert [card["card"] for card in cards] == ["solar_self_consumption"]
