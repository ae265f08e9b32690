"""The savings book without Home Assistant: readings, DR events, weeks, day facts, the store.

The household of these tests uses 0.5 kWh a slot in the evening (17:00-21:00)
and 0.2 otherwise over the four weeks before WEEK; worked out by hand, an
event 17:00-19:00 has a baseline of 0.5 kWh a slot.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.denki.lib.savings import SLOT
from custom_components.denki.lib.savings.accumulate import SlotAccumulator
from custom_components.denki.lib.savings.book import (
    CARD_EARNED,
    CHALLENGE_COMPLETED,
    GIVE_UP_AFTER,
    KEEP,
    SETTLE_AFTER,
    Award,
    FactCounter,
    PendingEvent,
    SavingsBook,
    Update,
)
from custom_components.denki.lib.savings.challenges import ChallengeKind
from custom_components.denki.lib.savings.scoring import ChallengeOutcome

from .series_builder import at, no_holidays

WEEK = date(2026, 8, 3)  # a Monday
NEXT_WEEK = WEEK + timedelta(days=7)
EVENT_START = at(WEEK, 17)
EVENT_END = at(WEEK, 19)
TEN_MINUTES = timedelta(minutes=10)


def usual(slot: datetime) -> float:
    """The household's use in `slot` over the four weeks before WEEK (kWh)."""
    return 0.5 if 17 <= slot.hour < 21 else 0.2


def book_with_history() -> SavingsBook:
    """A book on WEEK's Monday with four usual weeks of slots and this week's challenge."""
    book = SavingsBook(WEEK, no_holidays)
    for n in range(1, 29):
        day = WEEK - timedelta(days=n)
        for index in range(48):
            slot = at(day, 0) + index * SLOT
            book.slots.slots[slot] = usual(slot)
    book.begin_day(WEEK)
    return book


def feed(
    book: SavingsBook,
    start: datetime,
    end: datetime,
    per_slot: Callable[[datetime], float],
    total: float = 1000.0,
) -> tuple[float, list[Update]]:
    """Readings every 10 minutes from `start` to `end` (both included), `per_slot` kWh a slot.

    Each reading that changed a slot refreshes the progress, as the tracker does;
    returns the counter's last total and those updates.
    """
    updates: list[Update] = []
    moment = start
    book.reading(moment, total)
    while moment < end:
        total += per_slot(moment.replace(minute=moment.minute // 30 * 30)) / 3
        moment += TEN_MINUTES
        if book.reading(moment, round(total, 6)):
            updates.append(book.refresh())
    return total, updates


def event_day(slot: datetime) -> float:
    """WEEK's Monday: 0.3 kWh a slot in the event (17:00-19:00), usual otherwise."""
    return 0.3 if EVENT_START <= slot < EVENT_END else usual(slot)


def constant(kwh: float) -> Callable[[datetime], float]:
    """The same use in every slot."""
    return lambda slot: kwh


def awards_of(updates: list[Update]) -> list[Award]:
    return [award for update in updates for award in update.awards]


# --- readings -------------------------------------------------------------------------------


def test_a_reading_stream_fills_slots_and_a_gap_leaves_them_partial() -> None:
    book = SavingsBook(WEEK, no_holidays)
    assert book.reading(at(WEEK, 10, 0), 100.0) is False  # the first reading: nothing to spread
    assert book.reading(at(WEEK, 10, 10), 100.1) is True
    for minute, total in ((20, 100.2), (30, 100.3), (40, 100.5)):
        assert book.reading(at(WEEK, 10, minute), total) is True
    assert book.slots.slots == {
        at(WEEK, 10, 0): pytest.approx(0.3),
        at(WEEK, 10, 30): pytest.approx(0.2),
    }
    assert book.reading(at(WEEK, 10, 40), 100.5) is False  # reported again: not newer
    assert book.reading(at(WEEK, 10, 35), 100.4) is False  # older than the last one
    # An hour without readings: its energy is not guessed, the slots at its edges are partial.
    assert book.reading(at(WEEK, 11, 40), 101.0) is False
    assert book.slots.partial == {at(WEEK, 10, 30), at(WEEK, 11, 30)}
    assert book.slots.complete == {at(WEEK, 10, 0): pytest.approx(0.3)}
    assert book.slots.last_time == at(WEEK, 11, 40)


def test_a_reading_refreshes_the_progress_only_when_the_challenge_sees_it() -> None:
    book = book_with_history()
    assert book.challenge is not None
    assert book.challenge.kind is ChallengeKind.EVENING_PEAK
    # Morning readings: the evening challenge does not look at them.
    total, morning = feed(book, at(WEEK, 8), at(WEEK, 12), usual)
    assert len(morning) == 24
    assert not any(update.changed for update in morning)
    # The evening counts once its last slot has some energy (20:40); until 21:00 it grows.
    _, evening = feed(book, at(WEEK, 16, 50), at(WEEK, 21, 10), constant(0.4), total)
    assert [update.changed for update in evening] == [False] * 22 + [True] * 3 + [False]
    assert book.progress is not None
    assert book.progress.used_kwh == {WEEK: pytest.approx(3.2)}
    assert book.progress.days_met == 1


# --- demand-response events -----------------------------------------------------------------


def test_an_event_waits_for_its_last_slot_then_is_scored_measured() -> None:
    book = book_with_history()
    total, _ = feed(book, at(WEEK, 8), at(WEEK, 18, 50), event_day)
    assert book.event_result("ev-1", EVENT_START, EVENT_END, participated=True) is True
    assert book.pending_events == {"ev-1": PendingEvent(EVENT_START, EVENT_END, True)}

    waiting = book.settle(EVENT_END)  # the reading that closes 18:30-19:00 is not in yet
    assert waiting.outcomes == ()
    assert waiting.look_again_in == SETTLE_AFTER
    assert waiting.update == Update()
    assert not book.event_closed()

    book.reading(EVENT_END, round(total + 0.1, 6))  # 0.3 in 18:30-19:00, with 18:30-18:50's
    assert book.event_closed()
    settled = book.settle(EVENT_END + timedelta(seconds=5))
    (outcome,) = settled.outcomes
    assert outcome.event_id == "ev-1"
    assert outcome.participated is True
    assert outcome.saved_kwh == pytest.approx(0.8)  # 4 slots x (0.5 - 0.3)
    assert outcome.baseline_kwh == pytest.approx(2.0)
    assert settled.look_again_in is None
    assert settled.wants_meter is False
    assert book.pending_events == {}
    assert book.ledger.events["ev-1"] == outcome
    assert book.last_result is not None
    assert book.last_result["saved_kwh"] == 0.8
    assert [s["baseline"] for s in book.last_result["slots"]] == [0.5] * 4
    assert [s["actual"] for s in book.last_result["slots"]] == [0.3] * 4
    assert book.last_result["missing_slots"] == []


def test_a_settled_event_earns_points_and_cards_once() -> None:
    book = book_with_history()
    feed(book, at(WEEK, 8), EVENT_END, event_day)
    book.event_result("ev-1", EVENT_START, EVENT_END, participated=True)
    settled = book.settle(EVENT_END)
    assert settled.update.changed is True
    assert settled.update.awards == (
        Award(CARD_EARNED, {"card": "first_event", "rarity": "common"}),
        Award(CARD_EARNED, {"card": "peak_shaver", "rarity": "rare"}),  # 0.8 of 2.0 saved
    )
    assert book.score.points == 100  # 20 for taking part + 100 per kWh
    # The same result again is not scored twice, and nothing is announced again.
    assert book.event_result("ev-1", EVENT_START, EVENT_END, participated=True) is False
    assert book.pending_events == {}
    again = book.settle(EVENT_END + timedelta(hours=1))
    assert again.outcomes == ()
    assert again.update.awards == ()
    assert book.refresh(rescore=True).awards == ()
    assert book.score.points == 100


def test_an_event_missing_slots_asks_the_meter_then_settles_partial() -> None:
    """The readings stop at 18:00: two slots of four are measured, the others stay missing."""
    book = book_with_history()
    feed(book, at(WEEK, 8), at(WEEK, 18), event_day)
    book.event_result("ev-1", EVENT_START, EVENT_END, participated=True)
    assert book.settle(EVENT_END).look_again_in == SETTLE_AFTER
    later = book.settle(EVENT_END + timedelta(minutes=40))
    assert later.outcomes == ()
    assert later.wants_meter is True
    assert later.look_again_in == timedelta(minutes=30)
    nearly = book.settle(EVENT_END + GIVE_UP_AFTER - timedelta(minutes=10))
    assert nearly.look_again_in == timedelta(minutes=10)  # no later than the give-up time
    assert "ev-1" in book.pending_events
    (outcome,) = book.settle(EVENT_END + GIVE_UP_AFTER).outcomes
    assert outcome.saved_kwh == pytest.approx(0.4)  # the two measured slots
    assert book.last_result is not None
    assert book.last_result["missing_slots"] == [
        at(WEEK, 18).isoformat(),
        at(WEEK, 18, 30).isoformat(),
    ]
    assert [s["actual"] is None for s in book.last_result["slots"]] == [False, False, True, True]


def test_an_event_with_no_slot_measured_credits_no_kwh_and_an_opt_out_none() -> None:
    book = book_with_history()
    feed(book, at(WEEK, 8), at(WEEK, 16), event_day)  # nothing from 16:00 on
    book.event_result("ev-1", EVENT_START, EVENT_END, participated=True)
    book.event_result("ev-2", EVENT_START, EVENT_END, participated=False)
    outcomes = {o.event_id: o for o in book.settle(EVENT_END + GIVE_UP_AFTER).outcomes}
    assert outcomes["ev-1"].participated is True
    assert outcomes["ev-1"].saved_kwh is None
    assert outcomes["ev-1"].baseline_kwh == pytest.approx(2.0)
    assert outcomes["ev-2"].participated is False
    assert outcomes["ev-2"].saved_kwh is None
    assert book.last_result is not None
    assert book.last_result["event_id"] == "ev-1"
    assert book.last_result["saved_kwh"] is None
    assert book.score.points == 20  # taking part, nothing measured


def test_an_events_slots_are_whole_and_end_at_midnight() -> None:
    book = SavingsBook(WEEK, no_holidays)
    book.event_result("short", at(WEEK, 17, 5), at(WEEK, 18, 10), participated=True)
    book.event_result("late", at(WEEK, 23), at(WEEK + timedelta(days=1), 1), participated=True)
    assert book.pending_events == {
        "short": PendingEvent(at(WEEK, 17), at(WEEK, 18, 30), True),
        "late": PendingEvent(at(WEEK, 23), at(WEEK + timedelta(days=1), 0), True),
    }


# --- weeks and days -------------------------------------------------------------------------


def test_a_completed_week_is_settled_on_monday_into_points_and_a_new_challenge() -> None:
    book = book_with_history()
    challenge = book.challenge
    assert challenge is not None
    assert (challenge.week, challenge.kind, challenge.target) == (
        WEEK,
        ChallengeKind.EVENING_PEAK,
        0.1,
    )
    assert challenge.limit_kwh == pytest.approx(3.6)
    updates: list[Update] = []
    total = 1000.0
    for offset, per_slot in enumerate((0.4, 0.5, 0.3, 0.44)):  # 3.2, 4.0, 2.4, 3.52 kWh
        day = WEEK + timedelta(days=offset)
        updates.append(book.begin_day(day))
        total, fed = feed(book, at(day, 16, 50), at(day, 21, 10), constant(per_slot), total)
        updates += fed
    assert book.progress is not None
    assert book.progress.days_met == 3
    assert awards_of(updates) == [Award(CHALLENGE_COMPLETED, {"challenge": "evening_peak"})]
    assert book.ledger.challenges == {}

    monday = book.begin_day(NEXT_WEEK)
    assert book.ledger.challenges == {WEEK: ChallengeOutcome(WEEK, "evening_peak", True)}
    assert monday.changed is True
    assert monday.awards == (Award(CARD_EARNED, {"card": "first_challenge", "rarity": "common"}),)
    assert (book.score.points, book.score.shields) == (50, 1)
    assert book.challenge is not None
    assert (book.challenge.week, book.challenge.kind, book.challenge.target) == (
        NEXT_WEEK,
        ChallengeKind.MORNING_PEAK,
        0.15,
    )
    # Another hour of the same Monday changes no week.
    assert book.begin_day(NEXT_WEEK).awards == ()
    assert book.challenge.kind is ChallengeKind.MORNING_PEAK


def test_a_new_day_forgets_slots_older_than_kept() -> None:
    book = book_with_history()
    oldest = min(book.slots.slots)
    book.begin_day(oldest.date() + KEEP + timedelta(days=1))
    assert oldest not in book.slots.slots
    assert min(book.slots.slots) == at(oldest.date() + timedelta(days=1), 0)


def test_day_facts_from_the_counters_earn_the_solar_card() -> None:
    book = SavingsBook(WEEK, no_holidays)
    book.counters["gone"] = SlotAccumulator()  # a counter taken out of the options
    book.use_counters({"pv": FactCounter.PV, "sold": FactCounter.EXPORT})
    assert set(book.counters) == {"pv", "sold"}
    assert book.begin_day(WEEK).awards == ()
    assert book.facts_until == WEEK - timedelta(days=1)  # counting starts today
    assert book.counter_reading("nobody", at(WEEK, 8), 1.0) is False

    # Tuesday: 10 kWh generated from 09:00 to 17:00, 1 kWh of it sold; from Monday 08:00 on.
    moment = at(WEEK, 8)
    generated = sold = 0.0
    while moment < at(WEEK + timedelta(days=2), 1):
        moment += TEN_MINUTES
        if at(WEEK + timedelta(days=1), 9) < moment <= at(WEEK + timedelta(days=1), 17):
            generated += 10 / 48
            sold += 1 / 48
        book.counter_reading("pv", moment, 500 + generated)
        book.counter_reading("sold", moment, 20 + sold)
    update = book.begin_day(WEEK + timedelta(days=2))
    assert WEEK not in book.ledger.days  # Monday began at 08:00: not whole
    facts = book.ledger.days[WEEK + timedelta(days=1)]
    assert facts.pv_kwh == pytest.approx(10.0, abs=0.01)
    assert facts.self_consumed_kwh == pytest.approx(9.0, abs=0.01)
    assert book.facts_until == WEEK + timedelta(days=1)
    assert update.awards == (
        Award(CARD_EARNED, {"card": "solar_self_consumption", "rarity": "rare"}),
    )


# --- the meter's own record -----------------------------------------------------------------


def test_the_meters_record_fills_what_the_readings_missed() -> None:
    book = SavingsBook(WEEK, no_holidays)
    total, _ = feed(book, at(WEEK, 10, 10), at(WEEK, 12, 10), usual)  # 10:00 only in part
    first = book.meter_gap(at(WEEK, 12, 15))
    assert (first.start, first.end) == (at(WEEK, 12) - KEEP, at(WEEK, 12))
    assert first.first_missing == first.start
    record = {first.start - SLOT: 9.0} | {first.start + n * SLOT: 0.25 for n in range(35 * 48 + 1)}
    added = book.meter_filled(first, record)
    # Every slot but the three the readings hold whole (10:30-12:00); not the current one.
    assert added == 35 * 48 - 3
    assert book.slots.slots[at(WEEK, 10)] == 0.25  # the partial slot replaced
    assert book.slots.slots[at(WEEK, 10, 30)] == pytest.approx(0.2)  # the readings' kept
    assert first.start - SLOT not in book.slots.slots  # asked for before: not taken
    assert book.slots.slots[at(WEEK, 12)] == pytest.approx(
        0.2 / 3, abs=1e-5
    )  # the current one kept
    assert book.meter_until == at(WEEK, 12)
    # The next hour asks only since the last time.
    feed(book, at(WEEK, 12, 10), at(WEEK, 13, 10), usual, total)
    nxt = book.meter_gap(at(WEEK, 13, 20))
    assert (nxt.start, nxt.end, nxt.first_missing) == (at(WEEK, 12), at(WEEK, 13), None)
    assert book.meter_filled(nxt, {}) == 0
    assert book.meter_until == at(WEEK, 13)


def test_the_meters_record_brings_this_weeks_challenge_at_once() -> None:
    """A new household beside a smart meter, on a Wednesday: no five days of waiting.

    The book began the day with no slots, so no challenge; the meter's record
    of the 35 days before comes in the first read, and this week's challenge
    is made from it there and then.
    """
    wednesday = WEEK + timedelta(days=2)
    book = SavingsBook(wednesday, no_holidays)
    book.begin_day(wednesday)
    assert book.challenge is None
    gap = book.meter_gap(at(wednesday, 12, 15))
    record = {gap.start + n * SLOT: usual(gap.start + n * SLOT) for n in range(35 * 48)}

    assert book.meter_filled(gap, record) == 35 * 48
    update = book.refresh(rescore=True)

    assert update.changed is True
    assert book.challenge is not None
    assert (book.challenge.week, book.challenge.kind, book.challenge.target) == (
        WEEK,
        ChallengeKind.EVENING_PEAK,
        0.1,
    )
    assert book.challenge.reference_kwh == pytest.approx(4.0)  # 8 evening slots of 0.5
    assert book.progress is not None
    assert book.progress.used_kwh == {WEEK: pytest.approx(4.0), WEEK + timedelta(days=1): 4.0}
    stored = json.loads(json.dumps(book.to_dict()))
    assert SavingsBook.from_dict(stored, wednesday, no_holidays).challenge == book.challenge


def test_the_meters_record_never_moves_a_challenge_already_set() -> None:
    book = book_with_history()
    challenge = book.challenge
    gap = book.meter_gap(at(WEEK, 12, 15))
    record = {gap.start + n * SLOT: 0.9 for n in range(35 * 48)}
    assert book.meter_filled(gap, record) > 0
    assert book.challenge is challenge


# --- the stored form ------------------------------------------------------------------------

STORED: dict[str, Any] = {
    "slots": {
        "slots": {
            "2026-08-03T17:00:00+09:00": 0.3,
            "2026-08-03T17:30:00+09:00": 0.125,
        },
        "last_time": "2026-08-03T17:50:00+09:00",
        "last_total": 1002.5,
        "partial": ["2026-08-03T17:30:00+09:00"],
    },
    "ledger": {
        "version": 1,
        "events": [
            {
                "id": "ev-0",
                "start": "2026-07-27T17:00:00+09:00",
                "end": "2026-07-27T19:00:00+09:00",
                "participated": True,
                "saved_kwh": 0.8,
                "baseline_kwh": 2.0,
            }
        ],
        "challenges": [{"week": "2026-07-27", "kind": "evening_peak", "completed": True}],
        "days": [
            {
                "day": "2026-08-02",
                "pv_kwh": 10.0,
                "self_consumed_kwh": 9.0,
                "boiling_kwh": None,
                "night_boiling_kwh": None,
            }
        ],
    },
    "challenge": {
        "week": "2026-08-03",
        "kind": "morning_peak",
        "target": 0.15,
        "reference_kwh": 1.8,
        "days_needed": 3,
    },
    "pending_events": {
        "ev-1": {
            "start": "2026-08-03T17:00:00+09:00",
            "end": "2026-08-03T19:00:00+09:00",
            "participated": True,
        }
    },
    "counters": {
        "pv_energy_entity": {
            "slots": {"2026-08-03T12:00:00+09:00": 1.5},
            "last_time": "2026-08-03T12:30:00+09:00",
            "last_total": 512.0,
            "partial": [],
        }
    },
    "facts_until": "2026-08-02",
    "last_result": {
        "event_id": "ev-0",
        "start": "2026-07-27T17:00:00+09:00",
        "end": "2026-07-27T19:00:00+09:00",
        "saved_kwh": 0.8,
        "slots": [{"start": "2026-07-27T17:00:00+09:00", "baseline": 0.5, "actual": 0.3}],
        "missing_slots": [],
    },
    "meter_until": "2026-08-03T17:30:00+09:00",
}
"""A store written by the tracker before the book existed, every key in use."""


def test_a_store_in_todays_format_reads_and_writes_back_the_same() -> None:
    book = SavingsBook.from_dict(json.loads(json.dumps(STORED)), WEEK, no_holidays)
    assert book.to_dict() == STORED
    assert list(book.to_dict()) == list(STORED)  # the same keys, in the same order
    assert book.pending_events == {"ev-1": PendingEvent(EVENT_START, EVENT_END, True)}
    assert book.slots.partial == {at(WEEK, 17, 30)}
    assert book.meter_until == at(WEEK, 17, 30)
    assert book.facts_until == date(2026, 8, 2)
    assert book.counters["pv_energy_entity"].last_total == 512.0
    # The score of what was stored: 100 for the event, 50 for the week.
    assert book.score.points == 150
    assert [str(award.card) for award in book.score.cards] == [
        "first_event",
        "peak_shaver",
        "solar_self_consumption",  # a day ends before a week on the same midnight
        "first_challenge",
    ]
    # Starting the day again announces nothing already earned and keeps the week's challenge.
    update = book.begin_day(WEEK)
    assert update.awards == ()
    assert book.challenge is not None
    assert book.challenge.kind is ChallengeKind.MORNING_PEAK


def test_an_older_store_without_the_later_keys_reads() -> None:
    older = {key: STORED[key] for key in ("slots", "ledger", "challenge")}
    book = SavingsBook.from_dict(older, WEEK, no_holidays)
    assert book.pending_events == {}
    assert book.counters == {}
    assert (book.facts_until, book.last_result, book.meter_until) == (None, None, None)
    assert book.to_dict()["pending_events"] == {}


@pytest.mark.parametrize(
    "broken",
    [
        {"slots": {"slots": {"yesterday": 1}}, "ledger": {"version": 1}},
        {**STORED, "ledger": {"version": 99}},
        {**STORED, "challenge": {"week": "2026-08-03"}},
        {**STORED, "pending_events": {"ev-1": {"start": "soon"}}},
        {key: value for key, value in STORED.items() if key != "slots"},
    ],
)
def test_a_store_that_does_not_read_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="the stored savings do not read"):
        SavingsBook.from_dict(broken, WEEK, no_holidays)


def test_a_restart_from_the_stored_dict_settles_as_the_running_book_would() -> None:
    """Stopped with an event pending: the book read back settles it as the one kept running."""
    running = book_with_history()
    total, _ = feed(running, at(WEEK, 8), at(WEEK, 18, 50), event_day)
    running.event_result("ev-1", EVENT_START, EVENT_END, participated=True)
    running.settle(EVENT_END)
    restarted = SavingsBook.from_dict(json.loads(json.dumps(running.to_dict())), WEEK, no_holidays)
    assert restarted.to_dict() == running.to_dict()
    assert restarted.score == running.score
    closing = round(total + 0.1, 6)
    for book in (running, restarted):
        book.reading(EVENT_END, closing)
    kept, read_back = running.settle(EVENT_END), restarted.settle(EVENT_END)
    # The store keeps slots to the mWh: the same outcome, to the float's last digits.
    ((kept_outcome,), (read_outcome,)) = kept.outcomes, read_back.outcomes
    assert read_outcome.event_id == kept_outcome.event_id == "ev-1"
    assert (read_outcome.start, read_outcome.end) == (kept_outcome.start, kept_outcome.end)
    assert read_outcome.saved_kwh == pytest.approx(kept_outcome.saved_kwh)
    assert read_outcome.saved_kwh == pytest.approx(0.8)
    assert read_outcome.baseline_kwh == pytest.approx(kept_outcome.baseline_kwh)
    assert read_back.update.awards == kept.update.awards
    assert len(read_back.update.awards) == 2
    assert restarted.last_result == running.last_result
    assert restarted.pending_events == running.pending_events == {}
    assert restarted.score.points == running.score.points == 100
