"""Similar homes' use from the published figures, and the household's whole days beside it."""

import copy
from datetime import date, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.denki.lib.savings import JST, SLOT
from custom_components.denki.lib.savings.comparison import (
    DATA_FILE,
    HOUSEHOLD_SIZES,
    MIN_DAYS,
    ComparisonDataError,
    Region,
    SimilarHomes,
    Verdict,
    compare,
    daily_use,
    load_household_use,
    read_household_use,
)

RAW: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
TODAY = date(2026, 8, 3)


def test_every_figure_names_its_survey_year_table_and_address() -> None:
    sourced = [RAW["national"], RAW["regional_base"], RAW["household_size"]]
    sourced += RAW["regions"].values()
    for entry in sourced:
        assert "家庭部門のCO2排出実態統計調査" in entry["survey"]
        assert entry["fiscal_year"] in (2021, 2022)
        assert entry["table"]
        assert entry["url"].startswith("https://www.env.go.jp/earth/ondanka/kateico2tokei/")
        assert isinstance(entry["verified"], bool)
    assert set(RAW["regions"]) == {region.value for region in Region}
    assert set(RAW["household_size"]["sizes"]) == {str(size) for size in HOUSEHOLD_SIZES}


def test_a_figure_not_checked_is_not_there_rather_than_guessed() -> None:
    for key, entry in RAW["regions"].items():
        assert (entry["kwh_per_year"] is None) is (not entry["verified"]), key
    use = load_household_use()
    known = {region for region, kwh in use.regions.items() if kwh is not None}
    assert known == {Region.HOKKAIDO, Region.HOKURIKU}


def test_the_published_figures() -> None:
    use = load_household_use()
    # 14.22 GJ a year (FY2022) at the survey's 3.6 MJ a kWh.
    assert use.national_kwh == pytest.approx(14.22e3 / 3.6, abs=0.5)
    assert use.regional_base_kwh == 4175
    assert use.regions[Region.HOKURIKU] == 5833
    assert use.regions[Region.HOKKAIDO] == 3719
    assert [use.size_co2[size] for size in HOUSEHOLD_SIZES] == [1.04, 1.77, 2.29, 2.53, 2.93, 3.82]
    assert use.all_co2 == 1.74
    assert use.national_source.fiscal_year == 2022
    assert use.size_source.verified


def test_similar_homes_by_size_and_region() -> None:
    use = load_household_use()
    three = use.similar(3)
    assert three == SimilarHomes(3, None, pytest.approx(3950 * 2.29 / 1.74))
    assert three.kwh_per_day == pytest.approx(3950 * 2.29 / 1.74 / 365)
    hokuriku = use.similar(4, Region.HOKURIKU)
    assert hokuriku.region is Region.HOKURIKU
    assert hokuriku.kwh_per_year == pytest.approx(3950 * 2.53 / 1.74 * 5833 / 4175)
    # A region whose figure is not known: all of Japan, and said so by region None.
    assert use.similar(3, Region.KANTO_KOSHIN) == three
    # Seven persons are in the survey's "6 or more".
    assert use.similar(7) == use.similar(6)
    assert use.similar(7).size == 6
    with pytest.raises(ValueError, match="at least one person"):
        use.similar(0)


def _day_slots(day: date, kwh_a_slot: float) -> dict[datetime, float]:
    start = datetime(day.year, day.month, day.day, tzinfo=JST)
    return {start + index * SLOT: kwh_a_slot for index in range(48)}


def test_daily_use_counts_whole_days_before_today_only() -> None:
    slots: dict[datetime, float] = {}
    for back in range(1, 40):
        slots |= _day_slots(TODAY - timedelta(days=back), 0.25)
    slots |= _day_slots(TODAY, 0.25)  # today is not over
    gap = datetime(2026, 7, 20, 12, 0, tzinfo=JST)
    del slots[gap]  # a day with a slot missing is not counted short
    used = daily_use(slots, TODAY)
    assert len(used) == 29
    assert min(used) == TODAY - timedelta(days=30)
    assert max(used) == TODAY - timedelta(days=1)
    assert date(2026, 7, 20) not in used
    assert set(used.values()) == {12.0}
    assert daily_use(slots, TODAY, days=3) == {TODAY - timedelta(days=n): 12.0 for n in (3, 2, 1)}
    assert daily_use({}, TODAY) == {}


@pytest.mark.parametrize(
    ("kwh_a_day", "verdict", "percent"),
    [
        (8.0, Verdict.BETTER, 44),
        (13.5, Verdict.BETTER, 5),  # 5.2 % less
        (13.6, Verdict.ABOUT, 4),  # 4.5 % less: about the same
        (14.0, Verdict.ABOUT, 2),
        (14.9, Verdict.ABOUT, 5),
        (15.1, Verdict.ABOVE, 6),
        (20.0, Verdict.ABOVE, 40),
    ],
)
def test_the_verdict(kwh_a_day: float, verdict: Verdict, percent: int) -> None:
    similar = SimilarHomes(3, None, 14.24 * 365)
    use = {TODAY - timedelta(days=n): kwh_a_day for n in range(1, 11)}
    result = compare(use, similar)
    assert result is not None
    assert result.days == 10
    assert result.kwh_per_day == pytest.approx(kwh_a_day)
    assert result.ratio == pytest.approx(kwh_a_day / 14.24)
    assert result.verdict is verdict
    assert result.percent == percent


def test_no_comparison_before_a_week_of_whole_days() -> None:
    similar = SimilarHomes(1, None, 2000.0)
    week = {TODAY - timedelta(days=n): 5.0 for n in range(1, MIN_DAYS + 1)}
    assert compare(week, similar) is not None
    del week[TODAY - timedelta(days=1)]
    assert compare(week, similar) is None
    assert compare({}, similar, min_days=0) is None


def test_percent_rounds_half_up_as_the_card_does() -> None:
    similar = SimilarHomes(2, None, 365.0)  # 1 kWh a day
    result = compare({TODAY - timedelta(days=n): 0.875 for n in range(1, 8)}, similar)
    assert result is not None
    assert result.percent == 13  # 12.5 % up, where Python's round() would say 12


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    change(data)
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("national"),
        lambda d: d["national"].update(kwh_per_year=-1),
        lambda d: d["national"].update(kwh_per_year=True),
        lambda d: d["national"].pop("url"),
        lambda d: d["regional_base"].update(fiscal_year="FY"),
        lambda d: d["household_size"]["sizes"].pop("6"),
        lambda d: d["household_size"]["all"].update(t_co2_per_year=0),
        lambda d: d["regions"].pop("okinawa"),
        lambda d: d["regions"]["hokuriku"].update(kwh_per_year="5833"),
    ],
)
def test_a_data_file_that_does_not_read_says_so(change: Any) -> None:
    with pytest.raises(ComparisonDataError):
        read_household_use(_broken(change))


def test_an_unchecked_figure_is_not_used_even_when_present() -> None:
    data = _broken(lambda d: d["regions"]["kinki"].update(kwh_per_year=4000, verified=False))
    assert read_household_use(data).regions[Region.KINKI] is None
    data = _broken(lambda d: d["regions"]["kinki"].update(kwh_per_year=4000, verified=True))
    assert read_household_use(data).regions[Region.KINKI] == 4000
