"""Weekly challenges from the household's own data, worked out by hand."""

from datetime import date, datetime, timedelta
import json

import pytest

from custom_components.denki.lib.savings import JST, SLOT
from custom_components.denki.lib.savings.challenges import (
    MAX_TARGET,
    MIN_TARGET,
    Challenge,
    ChallengeKind,
    make_challenge,
    next_target,
    progress,
    reference,
    week_of,
    window_use,
)
from custom_components.denki.lib.savings.scoring import ChallengeOutcome

from .series_builder import no_holidays

WEEK = date(2026, 8, 3)  # a Monday
EVENING = 0.5  # kWh per slot 17:00-21:00: 4.0 kWh an evening
MORNING = 0.3  # 07:00-10:00: 1.8 kWh a morning
OTHER = 0.2


def usual_day(series: dict[datetime, float], day: date, evening: float = EVENING) -> None:
    """A day of the household's usual use, with `evening` per evening slot."""
    start = datetime(day.year, day.month, day.day, tzinfo=JST)
    for index in range(48):
        slot = start + index * SLOT
        hour = slot.hour
        series[slot] = evening if 17 <= hour < 21 else MORNING if 7 <= hour < 10 else OTHER


def four_usual_weeks() -> dict[datetime, float]:
    series: dict[datetime, float] = {}
    for n in range(1, 29):
        usual_day(series, WEEK - timedelta(days=n))
    return series


def test_window_use_and_the_households_reference() -> None:
    series = four_usual_weeks()
    day = WEEK - timedelta(days=1)
    assert window_use(series, ChallengeKind.EVENING_PEAK, day) == pytest.approx(4.0)
    assert window_use(series, ChallengeKind.MORNING_PEAK, day) == pytest.approx(1.8)
    assert window_use(series, ChallengeKind.DAILY_TOTAL, day) == pytest.approx(
        4.0 + 1.8 + 34 * OTHER
    )
    # A missing slot makes the day unknown, never lower.
    del series[datetime(2026, 8, 2, 18, 30, tzinfo=JST)]
    assert window_use(series, ChallengeKind.EVENING_PEAK, day) is None
    assert reference(series, ChallengeKind.EVENING_PEAK, WEEK, no_holidays) == pytest.approx(4.0)


def test_the_first_challenge_is_the_evening_peak_ten_percent_below_the_households_own() -> None:
    challenge = make_challenge(four_usual_weeks(), WEEK, [], no_holidays)
    assert challenge == Challenge(WEEK, ChallengeKind.EVENING_PEAK, 0.10, pytest.approx(4.0), 3)  # type: ignore[arg-type]
    assert challenge is not None
    assert challenge.limit_kwh == pytest.approx(3.6)


def test_kinds_rotate_least_recently_used_first_and_the_target_follows_the_outcomes() -> None:
    series = four_usual_weeks()
    done = [ChallengeOutcome(WEEK - timedelta(weeks=1), "evening_peak", True)]
    second = make_challenge(series, WEEK, done, no_holidays)
    assert second is not None
    assert (second.kind, second.target, second.days_needed) == (ChallengeKind.MORNING_PEAK, 0.15, 3)
    done.insert(0, ChallengeOutcome(WEEK - timedelta(weeks=2), "morning_peak", False))
    third = make_challenge(series, WEEK, done, no_holidays)
    assert third is not None
    assert (third.kind, third.target, third.days_needed) == (ChallengeKind.DAILY_TOTAL, 0.10, 4)
    done.insert(0, ChallengeOutcome(WEEK - timedelta(weeks=3), "daily_total", True))
    fourth = make_challenge(series, WEEK, done, no_holidays)
    assert fourth is not None
    assert fourth.kind is ChallengeKind.DAILY_TOTAL  # used longest ago of the three


def test_the_target_stays_between_its_bounds() -> None:
    def weeks(outcomes: list[bool]) -> list[ChallengeOutcome]:
        return [
            ChallengeOutcome(WEEK - timedelta(weeks=len(outcomes) - i), "x", done)
            for i, done in enumerate(outcomes)
        ]

    assert next_target([]) == 0.10
    assert next_target(weeks([True] * 10)) == MAX_TARGET
    assert next_target(weeks([False] * 10)) == MIN_TARGET
    assert next_target(weeks([True] * 10 + [False])) == 0.20


def test_no_challenge_without_enough_history() -> None:
    series: dict[datetime, float] = {}
    for n in (1, 2, 3, 4):  # four weekdays before the week: a reference needs five days
        usual_day(series, WEEK - timedelta(days=n + 2))
    assert make_challenge(series, WEEK, [], no_holidays) is None
    with pytest.raises(ValueError, match="not a Monday"):
        make_challenge(series, WEEK + timedelta(days=1), [], no_holidays)


def test_progress_counts_complete_weekdays_at_or_below_the_limit() -> None:
    series = four_usual_weeks()
    challenge = make_challenge(series, WEEK, [], no_holidays)
    assert challenge is not None
    usual_day(series, WEEK, evening=0.44)  # Monday 3.52 kWh: met
    usual_day(series, WEEK + timedelta(days=1), evening=0.44)  # Tuesday: met
    usual_day(series, WEEK + timedelta(days=2))  # Wednesday 4.0: not met
    usual_day(series, WEEK + timedelta(days=3), evening=0.4)
    del series[datetime(2026, 8, 6, 20, 0, tzinfo=JST)]  # Thursday: a gap
    usual_day(series, WEEK + timedelta(days=5), evening=0.1)  # Saturday: not a weekday
    so_far = progress(challenge, series, no_holidays, today=WEEK + timedelta(days=4))
    assert so_far.days_met == 2
    assert so_far.missing_days == (date(2026, 8, 6),)
    assert not so_far.completed
    usual_day(series, WEEK + timedelta(days=4), evening=0.45)  # Friday 3.6 kWh: at the limit
    week = progress(challenge, series, no_holidays)
    assert sorted(week.used_kwh) == [date(2026, 8, d) for d in (3, 4, 5, 7)]
    assert week.days_met == 3
    assert week.completed
    assert week.outcome() == ChallengeOutcome(WEEK, "evening_peak", True)


def test_a_holiday_is_not_a_weekday_for_a_peak_challenge() -> None:
    series = four_usual_weeks()
    challenge = make_challenge(series, WEEK, [], no_holidays)
    assert challenge is not None
    for n in range(5):
        usual_day(series, WEEK + timedelta(days=n), evening=0.3)
    holiday = WEEK + timedelta(days=1)
    week = progress(challenge, series, lambda day: day == holiday)
    assert holiday not in week.used_kwh
    assert week.days_met == 4


def test_week_of() -> None:
    assert week_of(date(2026, 8, 9)) == WEEK
    assert week_of(WEEK) == WEEK


def test_a_challenge_survives_json() -> None:
    challenge = make_challenge(four_usual_weeks(), WEEK, [], no_holidays)
    assert challenge is not None
    assert Challenge.from_dict(json.loads(json.dumps(challenge.to_dict()))) == challenge
    with pytest.raises(ValueError, match="not_a_kind"):
        Challenge.from_dict({**challenge.to_dict(), "kind": "not_a_kind"})
