"""Day facts for the solar and EcoCute cards, from 30-minute slots."""

from datetime import date, datetime

from custom_components.denki.lib.savings.day_facts import day_facts, is_night
from custom_components.denki.lib.savings.scoring import DayFacts, Ledger
from custom_components.denki.lib.savings.slots import JST, SLOT

DAY = date(2026, 8, 4)
MIDNIGHT = datetime(2026, 8, 4, tzinfo=JST)


def _series(per_slot: dict[int, float], default: float = 0.0) -> dict[datetime, float]:
    """48 slots of DAY: slot n -> value (n = 0 is 00:00-00:30)."""
    return {MIDNIGHT + n * SLOT: per_slot.get(n, default) for n in range(48)}


def test_solar_self_consumption_from_generation_less_export() -> None:
    pv = _series(dict.fromkeys(range(18, 34), 0.5))  # 09:00-17:00: 8 kWh
    export = _series(dict.fromkeys(range(20, 30), 0.1))  # 1 kWh sold
    facts = day_facts(DAY, pv=pv, export=export)
    assert facts == DayFacts(DAY, pv_kwh=8.0, self_consumed_kwh=7.0)
    ledger = Ledger()
    ledger.record_day(facts)
    assert [str(award.card) for award in ledger.score().cards] == ["solar_self_consumption"]


def test_night_boiling_share() -> None:
    # 1 kWh a slot 01:00-05:00 (8 kWh, night) and 0.5 at 12:00 (day).
    boiling = _series({**dict.fromkeys(range(2, 10), 1.0), 24: 0.5})
    facts = day_facts(DAY, boiling=boiling)
    assert facts == DayFacts(DAY, boiling_kwh=8.5, night_boiling_kwh=8.0)
    ledger = Ledger()
    ledger.record_day(facts)
    assert [str(award.card) for award in ledger.score().cards] == ["ecocute_night_shift"]


def test_a_day_with_a_gap_gives_no_fact() -> None:
    pv = _series({})
    del pv[MIDNIGHT + 20 * SLOT]
    boiling = _series({3: 1.0})
    facts = day_facts(DAY, pv=pv, export=_series({}), boiling=boiling)
    assert facts == DayFacts(DAY, boiling_kwh=1.0, night_boiling_kwh=1.0)
    assert day_facts(DAY, pv=pv) is None
    assert day_facts(DAY) is None
    # Export without generation says nothing about self-consumption.
    assert day_facts(DAY, export=_series({})) is None


def test_self_consumption_is_never_negative_and_night_bounds() -> None:
    facts = day_facts(DAY, pv=_series({20: 1.0}), export=_series({20: 1.5}))
    assert facts is not None
    assert facts.self_consumed_kwh == 0.0
    assert is_night(datetime(2026, 8, 4, 23, 0, tzinfo=JST))
    assert is_night(datetime(2026, 8, 4, 6, 30, tzinfo=JST))
    assert not is_night(datetime(2026, 8, 4, 7, 0, tzinfo=JST))
    assert not is_night(datetime(2026, 8, 4, 22, 30, tzinfo=JST))
