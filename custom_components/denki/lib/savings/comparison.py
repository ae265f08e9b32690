"""The household's use beside similar Japanese homes', from published statistics.

Showing a household what similar homes use (a descriptive norm) moves
above-average users down, but also below-average users up: the boomerang
effect. Adding approval for doing well (an injunctive cue, a smiley) keeps
the low users low (Schultz et al. 2007, "The constructive, destructive, and
reconstructive power of social norms", Psychological Science 18(5)). So
`compare` returns a `Verdict`, and the card shows a smiley and "better than
similar homes" for `Verdict.BETTER` and `Verdict.ABOUT`, never a frown.

The figures are the Ministry of the Environment's 家庭部門のCO2排出実態統計調査
(Survey on the actual state of CO2 emissions in the household sector), kept
in `data/household_use.json` with each figure's survey, year, table and URL;
a figure that could not be checked is null there and is not used. The card
reads the same file (Denki serves it beside the card), because the household
size and region are the card's settings, which the server never sees; this
module is its reference implementation and the one the tests hold the card
to, and `daily_use` gives the card the household's own whole days.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import json
import math
from pathlib import Path
from typing import Any, Final

from .slots import SLOT, midnight

DATA_FILE: Final = Path(__file__).parent / "data" / "household_use.json"
"""The published figures, with their sources."""
DAYS_A_YEAR: Final = 365
LARGEST_SIZE: Final = 6
"""The survey's largest household size: 6 persons or more."""
HOUSEHOLD_SIZES: Final = tuple(range(1, LARGEST_SIZE + 1))
COMPARED_DAYS: Final = 30
"""The whole days before today that the household's use is taken from."""
MIN_DAYS: Final = 7
"""Whole days of the household's use a comparison needs: a week, so that weekends count."""
BETTER_BELOW: Final = 0.95
"""Below this share of similar homes' use: better than similar homes."""
ABOUT_UP_TO: Final = 1.05
"""Up to this share: about the same as similar homes."""
SLOTS_A_DAY: Final = 48


class Region(StrEnum):
    """The survey's ten regions (地方)."""

    HOKKAIDO = "hokkaido"
    TOHOKU = "tohoku"
    KANTO_KOSHIN = "kanto_koshin"
    HOKURIKU = "hokuriku"
    TOKAI = "tokai"
    KINKI = "kinki"
    CHUGOKU = "chugoku"
    SHIKOKU = "shikoku"
    KYUSHU = "kyushu"
    OKINAWA = "okinawa"


class Verdict(StrEnum):
    """How the household's use compares; the card's words and smiley follow it."""

    BETTER = "better"
    ABOUT = "about"
    ABOVE = "above"


class ComparisonDataError(ValueError):
    """The data file does not read: a figure missing, of the wrong type, or not positive."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a figure was published."""

    survey: str
    fiscal_year: int
    table: str
    url: str
    verified: bool


@dataclass(frozen=True, slots=True)
class SimilarHomes:
    """The average use of homes of a household size, in a region or nationwide."""

    size: int
    region: Region | None
    """None when the comparison is with all of Japan: none asked, or its figure is not known."""
    kwh_per_year: float

    @property
    def kwh_per_day(self) -> float:
        """The yearly figure spread evenly over the year (no monthly profile)."""
        return self.kwh_per_year / DAYS_A_YEAR


@dataclass(frozen=True, slots=True)
class HouseholdUse:
    """The published figures the comparison is made from."""

    national_kwh: float
    """All households, nationwide, kWh a year."""
    national_source: Source
    regional_base_kwh: float
    """All households nationwide in the year of the regional figures: what they are divided by."""
    regions: Mapping[Region, float | None]
    """Each region's kWh a year; None where the figure could not be checked."""
    region_source: Source
    size_co2: Mapping[int, float]
    """CO2 from electricity by household size (t a year), 6 meaning 6 or more."""
    all_co2: float
    size_source: Source

    def similar(self, size: int, region: Region | None = None) -> SimilarHomes:
        """The homes of `size` persons (6 or more as 6) in `region`, or nationwide."""
        if size < 1:
            raise ValueError(f"a household has at least one person, not {size}")
        size = min(size, LARGEST_SIZE)
        kwh = self.national_kwh * self.size_co2[size] / self.all_co2
        regional = None if region is None else self.regions.get(region)
        if regional is None:
            return SimilarHomes(size, None, kwh)
        return SimilarHomes(size, region, kwh * regional / self.regional_base_kwh)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The household's use a day beside similar homes'."""

    days: int
    """Whole days of the household's use compared."""
    kwh_per_day: float
    similar: SimilarHomes
    ratio: float
    """The household's use a day over similar homes'."""
    verdict: Verdict
    percent: int
    """How far from similar homes, in whole percent, either way."""


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ComparisonDataError(f"{what} is {value!r}, not a positive number")
    return float(value)


def _source(data: Mapping[str, Any], what: str) -> Source:
    try:
        return Source(
            survey=str(data["survey"]),
            fiscal_year=int(data["fiscal_year"]),
            table=str(data["table"]),
            url=str(data["url"]),
            verified=bool(data["verified"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ComparisonDataError(f"{what} names no complete source: {err}") from err


def read_household_use(data: Mapping[str, Any]) -> HouseholdUse:
    """Read the data file's content; ComparisonDataError when it does not read."""
    try:
        national = data["national"]
        base = data["regional_base"]
        regions_data = data["regions"]
        sizes = data["household_size"]
        size_entries = sizes["sizes"]
        regions: dict[Region, float | None] = {}
        for region in Region:
            entry = regions_data[region.value]
            figure = entry["kwh_per_year"]
            # Only a checked figure is used: an unchecked one is no better than a guess.
            regions[region] = (
                _positive(figure, region.value)
                if figure is not None and entry["verified"] is True
                else None
            )
        size_co2 = {
            size: _positive(size_entries[str(size)]["t_co2_per_year"], f"size {size}")
            for size in HOUSEHOLD_SIZES
        }
        return HouseholdUse(
            national_kwh=_positive(national["kwh_per_year"], "national"),
            national_source=_source(national, "national"),
            regional_base_kwh=_positive(base["kwh_per_year"], "regional_base"),
            regions=regions,
            region_source=_source(base, "regional_base"),
            size_co2=size_co2,
            all_co2=_positive(sizes["all"]["t_co2_per_year"], "all sizes"),
            size_source=_source(sizes, "household_size"),
        )
    except (KeyError, TypeError) as err:
        raise ComparisonDataError(f"the household use data lacks {err}") from err


def load_household_use(path: Path = DATA_FILE) -> HouseholdUse:
    """Read the data file (blocking: run it in an executor from an event loop)."""
    return read_household_use(json.loads(path.read_text(encoding="utf-8")))


def daily_use(
    slots: Mapping[datetime, float], today: date, days: int = COMPARED_DAYS
) -> dict[date, float]:
    """The household's kWh of each whole day (every slot in) of the `days` before `today`.

    `slots` are 30-minute slots in Japan; a day with a slot missing is left
    out rather than counted short.
    """
    used: dict[date, float] = {}
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        start = midnight(day)
        kwh = [slots.get(start + index * SLOT) for index in range(SLOTS_A_DAY)]
        if all(value is not None for value in kwh):
            used[day] = math.fsum(value for value in kwh if value is not None)
    return used


def _half_up(value: float) -> int:
    """Round as the card does (JavaScript's Math.round for non-negative numbers)."""
    return math.floor(value + 0.5)


def compare(
    use: Mapping[date, float], similar: SimilarHomes, min_days: int = MIN_DAYS
) -> Comparison | None:
    """The household's whole days (`daily_use`) beside `similar`; None with fewer than `min_days`."""
    if not use or len(use) < min_days:
        return None
    per_day = math.fsum(use.values()) / len(use)
    ratio = per_day / similar.kwh_per_day
    if ratio < BETTER_BELOW:
        verdict = Verdict.BETTER
    elif ratio <= ABOUT_UP_TO:
        verdict = Verdict.ABOUT
    else:
        verdict = Verdict.ABOVE
    return Comparison(
        days=len(use),
        kwh_per_day=per_day,
        similar=similar,
        ratio=ratio,
        verdict=verdict,
        percent=_half_up(abs(1 - ratio) * 100),
    )
