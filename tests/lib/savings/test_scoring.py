"""Points, streaks, shields, levels and cards, worked out by hand; the ledger never counts twice."""

from datetime import date, datetime, timedelta
import json
import random

import pytest

from custom_components.denki.lib.savings import JST
from custom_components.denki.lib.savings.scoring import (
    CHALLENGE_POINTS,
    PARTICIPATION_POINTS,
    Card,
    ChallengeOutcome,
    DayFacts,
    EventOutcome,
    Ledger,
    Rarity,
    level_of,
    level_threshold,
    replay,
)

FIRST = datetime(2026, 7, 6, 17, 0, tzinfo=JST)  # a Monday


def event(
    n: int, saved: float | None, *, participated: bool = True, baseline: float | None = None
) -> EventOutcome:
    """The n-th event, one a day at 17:00-19:00."""
    start = FIRST + timedelta(days=n)
    return EventOutcome(f"ev{n}", start, start + timedelta(hours=2), participated, saved, baseline)


def test_points_for_taking_part_and_for_each_kwh_with_the_streak_bonus() -> None:
    ledger = Ledger()
    ledger.record_event(event(0, 1.234))  # 20 + 123.4 -> 143
    ledger.record_event(event(1, 0.5))  # streak 1 before: 20 + 50 x 1.05 = 72.5 -> 73 (half up)
    ledger.record_event(event(2, 2.0))  # streak 2 before: 20 + 200 x 1.10 = 240
    score = ledger.score()
    assert [e.points for e in score.events] == [143, 73, 240]
    assert [e.streak_bonus for e in score.events] == pytest.approx([0, 0.05, 0.10])
    assert score.points == 143 + 73 + 240
    assert score.saved_kwh == pytest.approx(3.734)
    assert score.streak == score.best_streak == 3


def test_the_streak_bonus_stops_at_fifty_percent() -> None:
    ledger = Ledger()
    for n in range(15):
        ledger.record_event(event(n, 1.0))
    bonuses = [e.streak_bonus for e in ledger.score().events]
    assert bonuses[10] == pytest.approx(0.5)
    assert bonuses[14] == pytest.approx(0.5)
    assert ledger.score().events[14].saving_points == 150


def test_an_opt_out_or_a_zero_saving_is_a_miss_and_a_streak_of_ten_is_kept_at_ten() -> None:
    ledger = Ledger()
    for n in range(12):
        ledger.record_event(event(n, 1.0))
    ledger.record_event(event(12, 1.0, participated=False))  # opted out: no points at all
    ledger.record_event(event(13, 0.0))  # took part, saved nothing: participation points only
    score = ledger.score()
    assert [e.streak_after for e in score.events[-3:]] == [12, 10, 10]
    assert score.events[-2].points == 0
    assert score.events[-1].points == PARTICIPATION_POINTS
    assert score.best_streak == 12
    # Below the floor a miss starts again from zero.
    short = Ledger()
    for n in range(7):
        short.record_event(event(n, 1.0))
    short.record_event(event(7, None, participated=False))
    assert short.score().streak == 0


def test_an_event_without_meter_data_neither_grows_nor_breaks_the_streak() -> None:
    ledger = Ledger()
    for n in range(3):
        ledger.record_event(event(n, 1.0))
    ledger.record_event(event(3, None))
    score = ledger.score()
    assert score.streak == 3
    assert score.events[-1].points == PARTICIPATION_POINTS
    assert not score.events[-1].success


def test_a_completed_challenge_earns_points_and_a_shield_that_saves_the_streak() -> None:
    ledger = Ledger()
    for n in range(3):
        ledger.record_event(event(n, 1.0))  # Mon-Wed of the week of 2026-07-06
    ledger.record_challenge(ChallengeOutcome(date(2026, 7, 6), "evening_peak", completed=True))
    ledger.record_event(event(8, 1.0, participated=False))  # the next Tuesday
    score = ledger.score()
    assert score.events[-1].shield_used
    assert score.streak == 3
    assert score.shields == 0
    assert score.points == 3 * 120 + 5 + 10 + CHALLENGE_POINTS  # bonuses: 0, 5 and 10 points
    assert Card.SHIELD_SAVED_STREAK in {c.card for c in score.cards}
    # A missed week earns nothing.
    ledger.record_challenge(ChallengeOutcome(date(2026, 7, 13), "daily_total", completed=False))
    assert ledger.score().points == score.points


def test_a_miss_with_no_streak_keeps_the_shield_for_one_that_has_one() -> None:
    ledger = Ledger()
    ledger.record_challenge(ChallengeOutcome(date(2026, 7, 6), "evening_peak", completed=True))
    ledger.record_event(event(7, 0.0))  # a miss before any success: nothing to save
    assert ledger.score().shields == 1
    assert not ledger.score().events[-1].shield_used
    ledger.record_event(event(8, 1.0))
    ledger.record_event(event(9, None, participated=False))  # now the streak of one is saved
    score = ledger.score()
    assert score.events[-1].shield_used
    assert (score.streak, score.shields) == (1, 0)


def test_shields_are_held_two_at_most() -> None:
    ledger = Ledger()
    for week in range(4):
        ledger.record_challenge(
            ChallengeOutcome(date(2026, 7, 6) + timedelta(weeks=week), "daily_total", True)
        )
    assert ledger.score().shields == 2


def test_levels() -> None:
    assert [level_threshold(n) for n in (1, 2, 3, 4, 5)] == [0, 100, 300, 600, 1000]
    assert [level_of(p) for p in (0, 99, 100, 299, 300, 1000)] == [1, 1, 2, 2, 3, 5]
    ledger = Ledger()
    ledger.record_event(event(0, 1.3))  # 150 points: level 2, a quarter of the way to 3
    score = ledger.score()
    assert (score.level, score.level_points, score.next_level_points) == (2, 100, 300)
    assert score.level_progress == pytest.approx(0.25)
    with pytest.raises(ValueError, match="start at 1"):
        level_threshold(0)


def test_cards_are_earned_when_their_rule_first_holds() -> None:
    ledger = Ledger()
    ledger.record_event(event(0, 0.1, baseline=2.0))
    for n in range(1, 5):
        ledger.record_event(event(n, 1.0, baseline=3.0))  # 33 %: peak shaver each time
    ledger.record_event(event(5, 6.5, baseline=30.0))  # 21.6 %: not a peak shaver; 10.6 kWh in all
    score = ledger.score()
    cards = {award.card: award for award in score.cards}
    assert cards[Card.FIRST_EVENT].first_earned == event(0, 0).end
    assert cards[Card.STREAK_5].first_earned == event(4, 0).end
    assert cards[Card.PEAK_SHAVER].times == 4
    assert cards[Card.PEAK_SHAVER].first_earned == event(1, 0).end
    assert cards[Card.SAVED_10_KWH].first_earned == event(5, 0).end
    assert Card.STREAK_10 not in cards
    assert [award.card for award in score.cards][:2] == [Card.FIRST_EVENT, Card.PEAK_SHAVER]
    assert Card.STREAK_10.rarity is Rarity.EPIC
    assert Card.FIRST_EVENT.rarity is Rarity.COMMON


def test_four_weeks_in_a_row_and_day_cards() -> None:
    ledger = Ledger()
    weeks = [date(2026, 7, 6) + timedelta(weeks=n) for n in range(6)]
    completed = [True, True, True, False, True, True]  # a miss in the middle: no run of 4
    for week, done in zip(weeks, completed, strict=True):
        ledger.record_challenge(ChallengeOutcome(week, "evening_peak", done))
    cards = {award.card for award in ledger.score().cards}
    assert Card.FIRST_CHALLENGE in cards
    assert Card.FOUR_WEEK_RUN not in cards
    ledger.record_challenge(ChallengeOutcome(weeks[-1] + timedelta(weeks=1), "evening_peak", True))
    ledger.record_challenge(ChallengeOutcome(weeks[-1] + timedelta(weeks=2), "evening_peak", True))
    awards = {award.card: award for award in ledger.score().cards}
    assert awards[Card.FOUR_WEEK_RUN].first_earned == datetime(2026, 8, 31, tzinfo=JST)

    days = Ledger()
    days.record_day(DayFacts(date(2026, 7, 6), pv_kwh=12.0, self_consumed_kwh=10.0))  # 83 %
    days.record_day(DayFacts(date(2026, 7, 7), pv_kwh=4.0, self_consumed_kwh=4.0))  # too little
    days.record_day(DayFacts(date(2026, 7, 8), pv_kwh=12.0, self_consumed_kwh=9.0))  # 75 %
    days.record_day(DayFacts(date(2026, 7, 9), boiling_kwh=5.0, night_boiling_kwh=4.6))  # 92 %
    days.record_day(DayFacts(date(2026, 7, 10), boiling_kwh=5.0, night_boiling_kwh=4.0))
    awards = {award.card: award for award in days.score().cards}
    assert awards[Card.SOLAR_SELF_CONSUMPTION].times == 1
    assert awards[Card.SOLAR_SELF_CONSUMPTION].first_earned == datetime(2026, 7, 7, tzinfo=JST)
    assert awards[Card.ECOCUTE_NIGHT_SHIFT].times == 1


def test_replaying_the_same_records_never_counts_twice_and_a_revision_replaces() -> None:
    records = [event(n, 1.0) for n in range(5)]
    records.append(ChallengeOutcome(date(2026, 7, 6), "evening_peak", True))
    ledger = Ledger()
    assert replay(ledger, records) == 6
    first = ledger.score()
    assert replay(ledger, records) == 0
    assert replay(ledger, list(reversed(records))) == 0
    assert ledger.score() == first
    # The meter back-fill revises event 2: its saving is replaced, not added.
    assert ledger.record_event(event(2, 1.5))
    revised = ledger.score()
    assert revised.points == first.points + round(50 * 1.10)
    assert revised.saved_kwh == pytest.approx(5.5)


def test_the_order_records_arrive_in_does_not_matter() -> None:
    records: list[EventOutcome | ChallengeOutcome | DayFacts] = [
        event(n, 0.0 if n % 4 == 3 else 1.0, participated=n != 9) for n in range(20)
    ]
    records += [
        ChallengeOutcome(date(2026, 7, 6) + timedelta(weeks=w), "x", w != 1) for w in (0, 1)
    ]
    records += [DayFacts(date(2026, 7, 7), pv_kwh=10.0, self_consumed_kwh=9.0)]
    expected = Ledger()
    replay(expected, records)
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    ledger = Ledger()
    replay(ledger, shuffled)
    assert ledger.score() == expected.score()


def test_the_ledger_survives_a_restart_through_json() -> None:
    ledger = Ledger()
    replay(
        ledger,
        [
            event(0, 1.25, baseline=3.0),
            event(1, None),
            event(2, 0.0, participated=False),
            ChallengeOutcome(date(2026, 7, 6), "morning_peak", True),
            DayFacts(date(2026, 7, 6), boiling_kwh=4.0, night_boiling_kwh=3.9),
        ],
    )
    restored = Ledger.from_dict(json.loads(json.dumps(ledger.to_dict())))
    assert restored == ledger
    assert restored.score() == ledger.score()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"version": 99}, "unknown savings ledger version"),
        ({"version": 1, "events": [{"id": "x"}]}, "does not read"),
        (
            {"version": 1, "challenges": [{"week": "2026-07-07", "kind": "x", "completed": True}]},
            "not a Monday",
        ),
        ({"version": 1, "days": [{"day": "2026-07-07", "pv_kwh": "12"}]}, "does not read"),
    ],
)
def test_a_damaged_ledger_is_refused_with_a_reason(data: dict[str, object], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Ledger.from_dict(data)


def test_outcomes_refuse_what_no_computation_gives() -> None:
    with pytest.raises(ValueError, match="never negative"):
        event(0, -0.1)
    with pytest.raises(ValueError, match="aware start before its end"):
        EventOutcome("x", FIRST, FIRST, True, 1.0)
