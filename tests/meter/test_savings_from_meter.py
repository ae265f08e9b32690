"""A savings entry counting a Denki meter's import takes the meter's own 30-minute record.

A new household gets a baseline and the week's challenge on its first day,
instead of after weeks of readings; a stop's missing half-hours are filled
the next hour. The meter is the simulator with 45 days of records, behind the
pty dongle, on Home Assistant's frozen clock.
"""

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
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
from custom_components.denki.lib.broute.errors import DongleError
from custom_components.denki.lib.dr import DrEvent, Interval
from custom_components.denki.lib.savings import (
    JST,
    SLOT,
    WEEKDAY_RULE,
    WEEKEND_OR_HOLIDAY_RULE,
    Flag,
    compute_savings,
    japanese_holidays,
)
from custom_components.denki.lib.savings.challenges import reference, week_of
from custom_components.denki.meter.statistics import MeterBackfill
from custom_components.denki.savings.tracker import SavingsTracker

from .conftest import Home

IMPORTED = "sensor.smart_meter_energy_imported"


def _savings_entry(hass: HomeAssistant) -> MockConfigEntry:
    """A savings entry counting the meter's import, added (not set up)."""
    savings = MockConfigEntry(
        domain=DOMAIN,
        title="Savings",
        unique_id=EntryKind.SAVINGS,
        data={CONF_KIND: EntryKind.SAVINGS, CONF_ENERGY_ENTITY: IMPORTED, CONF_YEN_PER_KWH: 31.0},
    )
    savings.add_to_hass(hass)
    return savings


async def _savings(hass: HomeAssistant) -> SavingsTracker:
    """A savings entry counting the meter's import, set up, with its first fill done."""
    savings = _savings_entry(hass)
    assert await hass.config_entries.async_setup(savings.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    tracker: SavingsTracker = savings.runtime_data
    return tracker


def _challenge_state(hass: HomeAssistant, tracker: SavingsTracker) -> Any:
    """The state of the savings entry's challenge sensor, which the card shows."""
    entity_id = next(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), tracker.entry.entry_id)
        if entity.unique_id.endswith("_challenge")
    )
    return hass.states.get(entity_id)


def _meter_record(home: Home, meter_entry: MockConfigEntry, end: datetime) -> dict[datetime, float]:
    """The meter's own kWh in each half hour of the 35 days before `end`."""
    history = home.meter.history
    scale = meter_entry.runtime_data.link.scale
    assert history is not None
    assert scale is not None
    record = {}
    for index in range(1, 35 * 48 + 1):
        slot = end - SLOT * index
        before, after = history.counts_at(slot), history.counts_at(slot + SLOT)
        assert before is not None
        assert after is not None
        low, high = scale.kwh(before[0]), scale.kwh(after[0])
        assert low is not None
        assert high is not None
        record[slot] = high - low
    return record


def _has_its_first_day(
    hass: HomeAssistant, tracker: SavingsTracker, record: dict[datetime, float]
) -> None:
    """The baseline of an event today and this week's challenge, from the meter's record."""
    today = dt_util.now(JST).date()
    challenge = tracker.challenge
    assert challenge is not None
    assert challenge.week == week_of(today)
    holidays = japanese_holidays()
    assert challenge.reference_kwh == pytest.approx(
        reference(record, challenge.kind, challenge.week, holidays), abs=1e-6
    )
    assert tracker.progress is not None
    state = _challenge_state(hass, tracker)
    assert state.state == str(tracker.progress.days_met)
    assert state.attributes["challenge"] == str(challenge.kind)  # not "needs 5 days of use"
    assert state.attributes["days_needed"] == challenge.days_needed

    start = datetime.combine(today, datetime.min.time(), JST).replace(hour=17)
    result = compute_savings(
        tracker.slots.complete, start, start + timedelta(hours=2), is_holiday=holidays
    )
    assert result.rule in (WEEKDAY_RULE, WEEKEND_OR_HOLIDAY_RULE)
    assert len(result.kept_days) == result.rule.keep  # High 4 of 5 (or 2 of 3), not fewer
    assert Flag.INSUFFICIENT_DAYS not in result.flags


async def test_a_savings_entry_added_beside_a_meter_has_its_baseline_and_challenge_at_once(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """The household adds the savings entry beside a meter whose 35 days are read at once.

    No hour, no midnight passes: the first read of the meter's record brings
    the baseline and this week's challenge, not "a challenge starts once
    Denki has five days of your use".
    """
    now = dt_util.utcnow().astimezone(JST)
    freezer.move_to(now.replace(hour=20, minute=10, second=0, microsecond=0))
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # its own back-fill ran too

    tracker = await _savings(hass)

    end = dt_util.utcnow().astimezone(JST).replace(minute=0)
    assert tracker.meter_until == end
    _has_its_first_day(hass, tracker, _meter_record(home, meter_entry, end))


async def test_a_meter_loaded_after_the_savings_is_read_as_soon_as_its_entry_has_loaded(
    hass: HomeAssistant, home: Home, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant set the savings entry up first; the meter's entry loads a minute later."""
    now = dt_util.utcnow().astimezone(JST)
    freezer.move_to(now.replace(hour=20, minute=10, second=0, microsecond=0))
    tracker = await _savings(hass)
    assert tracker.challenge is None
    assert tracker.meter_until is None

    freezer.tick(timedelta(minutes=1))
    meter_entry = MockConfigEntry(
        domain=DOMAIN,
        title="Smart meter (B-route)",
        data=home.entry_data(),
        unique_id="FE00001653494D30303030303030303031",
    )
    meter_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    end = dt_util.utcnow().astimezone(JST).replace(minute=0)
    assert tracker.meter_until == end  # read without waiting for the hour
    _has_its_first_day(hass, tracker, _meter_record(home, meter_entry, end))


async def test_a_first_read_the_meter_refused_is_asked_again_once_its_back_fill_ran(
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = dt_util.utcnow().astimezone(JST)
    freezer.move_to(now.replace(hour=20, minute=10, second=0, microsecond=0))
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    backfill: MeterBackfill = meter_entry.runtime_data.backfill
    answer = MeterBackfill.async_half_hours
    refusals = [DongleError("the radio is busy")]

    async def half_hours(self: MeterBackfill, start: datetime, end: datetime) -> Any:
        if refusals:
            raise refusals.pop()
        return await answer(self, start, end)

    monkeypatch.setattr(MeterBackfill, "async_half_hours", half_hours)
    tracker = await _savings(hass)
    assert tracker.challenge is None
    assert tracker.meter_until is None

    backfill.schedule()  # as its hourly timer, or the meter's coming back, would
    assert backfill.task is not None
    await backfill.task
    await hass.async_block_till_done(wait_background_tasks=True)

    end = dt_util.utcnow().astimezone(JST).replace(minute=0)
    assert tracker.meter_until == end
    _has_its_first_day(hass, tracker, _meter_record(home, meter_entry, end))

    # Read once it ran, the meter is not asked again at the next run.
    requests = home.meter.requests
    backfill.schedule()
    assert backfill.task is not None
    await backfill.task
    await hass.async_block_till_done(wait_background_tasks=True)
    assert tracker.meter_until == end
    assert home.meter.requests - requests <= 4  # the back-fill's own clock and scale only


async def test_a_new_savings_entry_takes_35_days_from_the_meter_and_scores_its_first_event(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    history = home.meter.history
    assert history is not None
    now = dt_util.utcnow().astimezone(JST)
    freezer.move_to(now.replace(hour=20, minute=10, second=0, microsecond=0))
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(IMPORTED) is not None

    tracker = await _savings(hass)

    # Every slot of the 35 days before the current one, each the meter's own count difference.
    end = dt_util.utcnow().astimezone(JST).replace(minute=0)
    assert tracker.meter_until == end
    wanted = [end - timedelta(minutes=30) * i for i in range(1, 35 * 48 + 1)]
    assert all(slot in tracker.slots.slots for slot in wanted)
    scale = meter_entry.runtime_data.link.scale
    assert scale is not None
    wrong = []
    for slot in wanted:
        before, after = history.counts_at(slot), history.counts_at(slot + timedelta(minutes=30))
        assert before is not None
        assert after is not None
        low, high = scale.kwh(before[0]), scale.kwh(after[0])
        assert low is not None
        assert high is not None
        if abs(tracker.slots.slots[slot] - (high - low)) > 1e-6:
            wrong.append(slot)
    assert wrong == []

    # The next hour asks the meter only for what is new: one day's record, not 35.
    requests = home.meter.requests
    freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert tracker.meter_until == end + timedelta(hours=1)
    assert 0 < home.meter.requests - requests <= 8

    # An event of 17:00-19:00 today is scored against a baseline at once.
    start = end.replace(hour=17)
    event = DrEvent(
        "first", "kanto-dr", (Interval(0, start, timedelta(hours=2), {"SIMPLE": (2,)}),), "mqtt"
    )
    async_dispatcher_send(hass, SIGNAL_DR_RESULT, "aggregator-entry", event, True)
    await hass.async_block_till_done()
    assert tracker.pending_events == {}
    assert tracker.last_result is not None
    assert tracker.last_result["saved_kwh"] is not None
    assert tracker.last_result["missing_slots"] == []


async def test_the_half_hour_a_start_cut_in_two_is_scored_from_the_meters_record_within_a_minute(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant starts at 17:12: its readings hold only 18 of the 30 minutes of 17:00.

    An event ending at 17:30 must not be credited with the 12 minutes nobody
    read: the half hour is partial until the meter's own count replaces it,
    which is asked for as soon as the event's last slot closes.
    """
    history = home.meter.history
    assert history is not None
    now = dt_util.utcnow().astimezone(JST)
    freezer.move_to(now.replace(hour=17, minute=12, second=0, microsecond=0))
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    tracker = await _savings(hass)
    slot = dt_util.utcnow().astimezone(JST).replace(minute=0)
    end = slot + timedelta(minutes=30)

    async def poll() -> None:
        freezer.tick(timedelta(seconds=15))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)

    while dt_util.utcnow() < end - timedelta(seconds=15):
        await poll()
    assert slot in tracker.slots.partial
    assert slot not in tracker.slots.complete
    read_part = tracker.slots.slots[slot]

    event = DrEvent(
        "cut",
        "kanto-dr",
        (Interval(0, slot + timedelta(minutes=5), timedelta(minutes=25), {"SIMPLE": (2,)}),),
        "mqtt",
    )
    async_dispatcher_send(hass, SIGNAL_DR_RESULT, "aggregator-entry", event, True)
    await hass.async_block_till_done()
    assert "cut" in tracker.pending_events
    while "cut" in tracker.pending_events and dt_util.utcnow() < end + timedelta(minutes=1):
        await poll()
    settled_after = dt_util.utcnow() - end
    assert tracker.pending_events == {}, "not scored within a minute of the end"
    assert settled_after <= timedelta(seconds=30)

    scale = meter_entry.runtime_data.link.scale
    assert scale is not None
    before, after = history.counts_at(slot), history.counts_at(end)
    assert before is not None
    assert after is not None
    low, high = scale.kwh(before[0]), scale.kwh(after[0])
    assert low is not None
    assert high is not None
    assert slot not in tracker.slots.partial
    assert tracker.slots.slots[slot] == round(high - low, 6)
    assert read_part < high - low  # the 12 unread minutes are in the meter's count
    assert tracker.last_result is not None
    assert tracker.last_result["missing_slots"] == []
    assert tracker.last_result["slots"][0]["actual"] == round(high - low, 3)
