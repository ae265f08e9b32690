"""The responder: when a plan starts, who joins and leaves it, what is put back, and storage."""

import copy
from datetime import UTC, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.denki.lib.dr import DrEvent, EventStore, Interval, OptState
from custom_components.denki.lib.dr.responder import (
    NOTHING,
    Decision,
    EntityState,
    Replan,
    Responder,
    Response,
    Seen,
    stored_dict,
)
from custom_components.denki.lib.dr.response import (
    Demand,
    Depth,
    Limits,
    Role,
    Snapshot,
    Step,
    respond,
)

T0 = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
LIMITS = Limits()
FULL = Demand(Depth.FULL)
CLIMATE = "climate.living"
EV = "switch.ev_charger"
LIGHT = "light.porch"
SNAPSHOTS = (
    Snapshot(CLIMATE, Role.CLIMATE, "cool", {"temperature": 26, "target_temp_step": 1}),
    Snapshot(EV, Role.EV, "on"),
    Snapshot(LIGHT, Role.LIGHT, "on", {"brightness": 204}),
)


def event(
    event_id: str = "ev-1", level: int = 2, opt: OptState = OptState.AUTOMATIC, hours: float = 2
) -> DrEvent:
    return DrEvent(
        event_id=event_id,
        program_id="p",
        source="test",
        intervals=(Interval(0, T0, timedelta(hours=hours), {"SIMPLE": (level,)}),),
        opt=opt,
    )


def start(
    responder: Responder,
    ev: DrEvent,
    *,
    automatic: bool = True,
    baseline_kw: float | None = 2.0,
    at: datetime = T0,
) -> Decision:
    return responder.start(ev, at, automatic=automatic, limits=LIMITS, baseline_kw=baseline_kw)


def curtailing() -> Responder:
    """A responder whose plan for ev-1 holds the three appliances."""
    responder = Responder()
    assert start(responder, event()) == Decision(begin=True)
    assert responder.replan(SNAPSHOTS, LIMITS, FULL, power_kw=None) is not None
    return responder


def in_force(responder: Responder) -> Response:
    assert responder.response is not None
    return responder.response


def entities(steps: tuple[Step, ...] | list[Step] | None) -> list[str]:
    assert steps is not None
    return [step.entity_id for step in steps]


# --- start -> curtail -------------------------------------------------------------------


def test_the_start_of_an_event_begins_a_plan_and_the_plan_curtails_each_appliance() -> None:
    responder = Responder()
    assert start(responder, event(), baseline_kw=1.75) == Decision(begin=True)
    response = responder.response
    assert response is not None
    assert response.events == {"ev-1"}
    assert response.started == T0
    assert response.baseline_kw == 1.75
    assert response.steps == []
    assert responder.participated == {"ev-1": True}

    replan = responder.replan(SNAPSHOTS, LIMITS, FULL, power_kw=None)
    assert replan is not None
    steps = replan.curtail
    assert entities(steps) == [CLIMATE, EV, LIGHT]
    assert [step.target for step in steps] == [28, "off", 102]
    assert replan.give_back == ()
    assert response.steps == list(steps)
    assert responder.watched() == sorted([CLIMATE, EV, LIGHT])
    # Made again at the same demand (another event joins, an interval begins) nothing moves,
    # whether the appliances are read as they were or as the plan left them.
    assert responder.replan(SNAPSHOTS, LIMITS, FULL, power_kw=None) == Replan()
    curtailed = (
        Snapshot(CLIMATE, Role.CLIMATE, "cool", {"temperature": 28, "target_temp_step": 1}),
        Snapshot(EV, Role.EV, "off"),
        Snapshot(LIGHT, Role.LIGHT, "on", {"brightness": 102}),
    )
    assert responder.replan(curtailed, LIMITS, FULL, power_kw=None) == Replan()


def test_no_plan_to_make_without_a_response() -> None:
    assert Responder().replan(SNAPSHOTS, LIMITS, FULL, power_kw=None) is None


@pytest.mark.parametrize(
    ("ev", "automatic"),
    [
        (event(level=0), True),  # below the household's lowest level
        (event(hours=25), True),  # longer than a day: shown, never answered
        (event(), False),  # automatic response off, no opt-in
        (event(opt=OptState.OPT_OUT), True),
    ],
)
def test_an_event_the_home_does_not_answer_begins_nothing(ev: DrEvent, automatic: bool) -> None:
    responder = Responder()
    assert start(responder, ev, automatic=automatic) == NOTHING
    assert responder.response is None
    assert responder.participated == {}


def test_an_opt_in_is_answered_with_the_automatic_response_off() -> None:
    responder = Responder()
    assert start(responder, event(opt=OptState.OPT_IN), automatic=False) == Decision(begin=True)


# --- several events --------------------------------------------------------------------


def test_a_second_event_joins_the_plan_and_only_the_last_one_out_restores() -> None:
    responder = curtailing()
    assert start(responder, event("ev-2"), baseline_kw=9.9) == Decision(begin=True)
    response = responder.response
    assert response is not None
    assert response.events == {"ev-1", "ev-2"}
    assert response.baseline_kw == 2.0  # the first event's baseline stays
    assert responder.participated == {"ev-1": True, "ev-2": True}

    participated, decision = responder.end(event("ev-1"))
    assert participated is True
    assert decision == Decision(begin=True)  # made again for what ev-2 alone asks
    assert responder.response is response

    participated, decision = responder.end(event("ev-2"))
    assert participated is True
    assert entities(decision.restore) == [CLIMATE, EV, LIGHT]
    assert decision.begin is False
    assert responder.response is None


def test_an_event_outside_the_plan_leaving_changes_nothing() -> None:
    responder = curtailing()
    assert responder.leave("ev-other") == NOTHING
    assert Responder().leave("ev-1") == NOTHING
    participated, decision = Responder().end(event())
    assert (participated, decision) == (False, NOTHING)


def test_the_last_event_out_restores_only_what_nobody_changed() -> None:
    responder = curtailing()
    seen = responder.appliance_changed(
        CLIMATE, EntityState("cool", {"temperature": 28}), EntityState("cool", {"temperature": 25})
    )
    assert seen is Seen.OVERRIDDEN
    _, decision = responder.end(event())
    assert entities(decision.restore) == [EV, LIGHT]
    assert decision.restore is not None
    assert [step.restore.as_dict()["service"] for step in decision.restore] == [
        "turn_on",
        "turn_on",
    ]


def test_a_cancelled_event_restores_like_an_ended_one() -> None:
    responder = curtailing()
    assert entities(responder.leave("ev-1").restore) == [CLIMATE, EV, LIGHT]


# --- the household's choice -------------------------------------------------------------


def opt(
    responder: Responder, ev: DrEvent, *, active: bool = True, automatic: bool = True
) -> Decision:
    return responder.opt(
        ev, ev.opt, active=active, now=T0, automatic=automatic, limits=LIMITS, baseline_kw=1.0
    )


def test_opting_out_mid_event_restores_now_and_the_event_is_not_counted() -> None:
    responder = curtailing()
    out = event(opt=OptState.OPT_OUT)
    decision = opt(responder, out)
    assert entities(decision.restore) == [CLIMATE, EV, LIGHT]
    assert responder.response is None
    assert responder.participated == {"ev-1": False}
    participated, decision = responder.end(out)
    assert (participated, decision) == (False, NOTHING)


def test_opting_out_of_one_of_two_events_keeps_the_plan() -> None:
    responder = curtailing()
    start(responder, event("ev-2"))
    assert opt(responder, event("ev-2", opt=OptState.OPT_OUT)) == Decision(begin=True)
    assert responder.response is not None
    assert responder.response.events == {"ev-1"}
    assert responder.participated == {"ev-1": True, "ev-2": False}


def test_opting_in_to_an_event_in_force_begins_the_plan() -> None:
    responder = Responder()
    ev = event(opt=OptState.OPT_IN)
    assert opt(responder, ev, active=False, automatic=False) == NOTHING
    assert responder.response is None
    assert opt(responder, ev, active=True, automatic=False) == Decision(begin=True)
    assert in_force(responder).baseline_kw == 1.0
    # Opting in again to an event the plan answers already does nothing.
    assert opt(responder, ev, active=True, automatic=False) == NOTHING


# --- overrides ----------------------------------------------------------------------------


def test_an_override_is_a_person_s_change_and_counts_once() -> None:
    responder = curtailing()
    before, curtailed = (
        EntityState("cool", {"temperature": 26}),
        EntityState("cool", {"temperature": 28}),
    )
    # Denki's own command (to the target), a repeat, and an appliance dropping off are no override.
    assert responder.appliance_changed(CLIMATE, before, curtailed) is Seen.NOTHING
    assert responder.appliance_changed(CLIMATE, curtailed, curtailed) is Seen.NOTHING
    assert (
        responder.appliance_changed(CLIMATE, curtailed, EntityState("unavailable")) is Seen.NOTHING
    )
    assert responder.appliance_changed(CLIMATE, None, curtailed) is Seen.NOTHING
    assert responder.appliance_changed(CLIMATE, curtailed, None) is Seen.NOTHING
    assert responder.appliance_changed("climate.other", curtailed, before) is Seen.NOTHING

    person = EntityState("cool", {"temperature": 24})
    assert responder.appliance_changed(CLIMATE, curtailed, person) is Seen.OVERRIDDEN
    assert responder.response is not None
    assert responder.response.overridden == {CLIMATE}
    assert responder.appliance_changed(CLIMATE, person, before) is Seen.NOTHING  # left already


def test_an_override_of_the_state_itself() -> None:
    responder = curtailing()
    assert responder.appliance_changed(EV, EntityState("on"), EntityState("off")) is Seen.NOTHING
    assert responder.appliance_changed(EV, EntityState("off"), EntityState("on")) is Seen.OVERRIDDEN


def test_no_override_without_a_plan() -> None:
    assert Responder().appliance_changed(EV, EntityState("off"), EntityState("on")) is Seen.NOTHING


# --- the way back ---------------------------------------------------------------------------


def test_a_restore_that_fails_is_retried_when_the_appliance_comes_back() -> None:
    responder = curtailing()
    _, decision = responder.end(event())
    assert decision.restore is not None
    todo = responder.take_restore(decision.restore)
    assert entities(todo) == [CLIMATE, EV, LIGHT]
    assert responder.restore_pending == []
    waiting = responder.restored(todo, [True, False, True])
    assert entities(waiting) == [EV]
    assert entities(responder.restore_pending) == [EV]
    assert responder.watched() == [EV]

    # Still unavailable, or a change between two available states: no retry.
    assert (
        responder.appliance_changed(EV, EntityState("on"), EntityState("unavailable"))
        is Seen.NOTHING
    )
    assert (
        responder.appliance_changed(EV, EntityState("unknown"), EntityState("unavailable"))
        is Seen.NOTHING
    )
    assert responder.appliance_changed(EV, EntityState("off"), EntityState("on")) is Seen.NOTHING
    # Back: retry now.
    assert (
        responder.appliance_changed(EV, EntityState("unavailable"), EntityState("off"))
        is Seen.RETRY_RESTORE
    )
    assert responder.appliance_changed(EV, None, EntityState("off")) is Seen.RETRY_RESTORE

    retry = responder.take_restore(())
    assert entities(retry) == [EV]
    assert responder.restored(retry, [True]) == []
    assert responder.restore_pending == []
    assert responder.watched() == []


def test_a_new_restore_of_an_entity_awaiting_one_replaces_it() -> None:
    responder = curtailing()
    _, decision = responder.end(event())
    assert decision.restore is not None
    first = responder.take_restore(decision.restore)
    responder.restored(first, [False, False, True])
    newer = next(step for step in first if step.entity_id == EV)
    newer = Step.from_dict({**newer.as_dict(), "prior": "later"})
    todo = responder.take_restore([newer])
    assert entities(todo) == [CLIMATE, EV]  # one step per entity, the newer one
    assert next(step for step in todo if step.entity_id == EV).prior == "later"
    with pytest.raises(ValueError, match="zip"):
        responder.restored(todo, [True])  # a result per step, no fewer


def test_watched_covers_the_plan_and_what_awaits_restoring() -> None:
    responder = curtailing()
    assert responder.response is not None
    attic = {**responder.response.steps[0].as_dict(), "entity_id": "climate.attic"}
    responder.restore_pending = [Step.from_dict(attic)]
    assert responder.watched() == ["climate.attic", CLIMATE, LIGHT, EV]


def test_curtailed_kw_is_what_the_plan_takes_off_without_a_person_s_appliances() -> None:
    responder = Responder()
    assert responder.curtailed_kw() == 0.0
    start(responder, event(), baseline_kw=2.0)
    draws = {EV: 6.0}
    assert responder.replan(SNAPSHOTS, LIMITS, FULL, power_kw=None, draws=draws) is not None
    # The climate +2 degC unmeasured (0.06), the EV measured (6.0), the light at half (0.02).
    assert responder.curtailed_kw() == 6.08
    responder.appliance_changed(EV, EntityState("off"), EntityState("on"))
    assert responder.curtailed_kw() == 0.08


# --- storage --------------------------------------------------------------------------------

# What the aggregator entry stored before `Responder` existed (AggregatorHub._to_dict, then
# through JSON): a plan for ev-1 with the climate left by a person, an EV charger awaiting
# restoration after an earlier event, and an old event's choice.
STORED_TODAY: dict[str, Any] = {
    "events": {
        "version": 1,
        "events": [
            {
                "event_id": "ev-1",
                "program_id": "p",
                "source": "mqtt",
                "name": None,
                "priority": None,
                "modified": None,
                "cancelled": False,
                "opt": "automatic",
                "intervals": [
                    {
                        "id": 0,
                        "start": "2026-08-03T08:00:00+00:00",
                        "seconds": 7200.0,
                        "payloads": {"SIMPLE": [2]},
                    }
                ],
            }
        ],
        "told": {"ev-1": "active"},
    },
    "response": {
        "events": ["ev-1"],
        "steps": [
            {
                "entity_id": "climate.living",
                "role": "climate",
                "curtail": {
                    "domain": "climate",
                    "service": "set_temperature",
                    "data": {"temperature": 28.0},
                },
                "restore": {
                    "domain": "climate",
                    "service": "set_temperature",
                    "data": {"temperature": 26.0},
                },
                "watch": "temperature",
                "prior": 26.0,
                "target": 28.0,
            },
            {
                "entity_id": "light.porch",
                "role": "light",
                "curtail": {"domain": "light", "service": "turn_on", "data": {"brightness": 102}},
                "restore": {"domain": "light", "service": "turn_on", "data": {"brightness": 204}},
                "watch": "brightness",
                "prior": 204,
                "target": 102,
            },
        ],
        "started": "2026-08-03T08:00:00.412000+00:00",
        "baseline_kw": 1.733,
        "overridden": ["climate.living"],
    },
    "restore": [
        {
            "entity_id": "switch.ev_charger",
            "role": "ev",
            "curtail": {"domain": "switch", "service": "turn_off", "data": {}},
            "restore": {"domain": "switch", "service": "turn_on", "data": {}},
            "watch": "state",
            "prior": "on",
            "target": "off",
        }
    ],
    "participated": {"ev-1": True},
}


def test_a_file_stored_by_the_current_version_loads_unchanged() -> None:
    stored = json.loads(json.dumps(STORED_TODAY))
    store = EventStore.from_dict(stored["events"])
    responder = Responder()
    responder.load(stored)

    response = responder.response
    assert response is not None
    assert response.events == {"ev-1"}
    assert response.started == datetime(2026, 8, 3, 8, 0, 0, 412000, tzinfo=UTC)
    assert response.baseline_kw == 1.733
    assert response.overridden == {CLIMATE}
    assert entities(response.steps) == [CLIMATE, LIGHT]
    assert entities(responder.restore_pending) == [EV]
    assert responder.participated == {"ev-1": True}
    # Written back key for key, value for value.
    assert stored_dict(store, responder) == STORED_TODAY
    assert list(stored_dict(store, responder)) == ["events", "response", "restore", "participated"]


def test_restart_with_a_stored_plan_goes_on_where_it_was() -> None:
    responder = Responder()
    responder.load(copy.deepcopy(STORED_TODAY))
    assert responder.watched() == [CLIMATE, LIGHT, EV]
    # The climate a person changed stays theirs; the waiting EV charger is put back too.
    _, decision = responder.end(event())
    assert entities(decision.restore) == [LIGHT]
    assert decision.restore is not None
    assert entities(responder.take_restore(decision.restore)) == [EV, LIGHT]


def test_the_stored_keys_when_idle_and_forgotten_events_choices_dropped() -> None:
    responder = Responder()
    responder.participated = {"ev-old": False}
    assert responder.as_dict(EventStore()) == {"response": None, "restore": [], "participated": {}}
    # An older file may lack the restore and participated keys.
    fresh = Responder()
    fresh.load({"events": STORED_TODAY["events"], "response": None})
    assert (fresh.response, fresh.restore_pending, fresh.participated) == (None, [], {})


def test_an_unreadable_key_raises_and_what_read_before_it_stays() -> None:
    stored = copy.deepcopy(STORED_TODAY)
    del stored["restore"][0]["watch"]
    responder = Responder()
    with pytest.raises(KeyError, match="watch"):
        responder.load(stored)
    assert responder.response is not None  # read before "restore", as the entry always did
    assert responder.restore_pending == []
    assert responder.participated == {}


def test_response_round_trip() -> None:
    response = Response.from_dict(STORED_TODAY["response"])
    assert response.as_dict() == STORED_TODAY["response"]


# --- the plan made again at every boundary ---------------------------------------------------

BATTERY = "select.battery"
HOME = (
    *SNAPSHOTS,
    Snapshot(BATTERY, Role.BATTERY, "standby", {"options": ["charging", "discharging", "standby"]}),
)


def test_a_higher_level_adds_depth_and_a_lower_one_gives_back() -> None:
    responder = Responder()
    start(responder, event(level=1))
    first = responder.replan(HOME, LIMITS, Demand(Depth.MODERATE), power_kw=None)
    assert first is not None
    assert {s.entity_id: s.target for s in first.curtail} == {
        CLIMATE: 27,
        EV: "off",
        BATTERY: "discharging",
    }

    # Level 2: the climate goes to +2 (its prior kept) and the light is dimmed.
    now = (
        Snapshot(CLIMATE, Role.CLIMATE, "cool", {"temperature": 27, "target_temp_step": 1}),
        Snapshot(EV, Role.EV, "off"),
        Snapshot(LIGHT, Role.LIGHT, "on", {"brightness": 204}),
        Snapshot(BATTERY, Role.BATTERY, "discharging", HOME[3].attributes),
    )
    deeper = responder.replan(now, LIMITS, FULL, power_kw=None)
    assert deeper is not None
    assert [(s.entity_id, s.prior, s.target) for s in deeper.curtail] == [
        (CLIMATE, 26, 28),
        (LIGHT, 204, 102),
    ]
    assert deeper.give_back == ()
    # Denki's own move from 27 to 28 is not a person's.
    seen = responder.appliance_changed(
        CLIMATE, EntityState("cool", {"temperature": 27}), EntityState("cool", {"temperature": 28})
    )
    assert seen is Seen.NOTHING

    # Level 0 for an interval: everything is given back, the plan stays for the event.
    back = responder.replan(now, LIMITS, Demand(), power_kw=None)
    assert back is not None
    assert sorted(entities(back.give_back)) == sorted([CLIMATE, EV, LIGHT, BATTERY])
    assert [s.prior for s in back.give_back if s.entity_id == CLIMATE] == [26]
    assert in_force(responder).steps == []
    assert in_force(responder).events == {"ev-1"}


def test_an_import_limit_that_shrinks_adds_appliances_counting_what_is_curtailed() -> None:
    responder = Responder()
    start(responder, event())
    first = responder.replan(HOME, LIMITS, Demand(import_limit_kw=4.0), power_kw=5.5)
    assert first is not None
    assert entities(first.curtail) == [BATTERY]  # 2 kW covers 1.5
    # The meter now reads 3.5 kW (the battery's 2 kW is in it); the limit drops to 0.45 kW:
    # 5.5 kW without Denki, 5.05 kW to find: the EV (3 kW) too, and then the climate (0.06).
    shrunk = responder.replan(HOME, LIMITS, Demand(import_limit_kw=0.45), power_kw=3.5)
    assert shrunk is not None
    assert entities(shrunk.curtail) == [EV, CLIMATE]
    # The limit is lifted to 5 kW: only what is still needed stays.
    lifted = responder.replan(HOME, LIMITS, Demand(import_limit_kw=5.0), power_kw=0.4)
    assert lifted is not None
    assert sorted(entities(lifted.give_back)) == sorted([EV, CLIMATE])
    assert entities(in_force(responder).steps) == [BATTERY]


def test_a_replan_leaves_a_person_s_appliance_and_one_that_does_not_answer() -> None:
    responder = curtailing()
    responder.appliance_changed(
        CLIMATE, EntityState("cool", {"temperature": 28}), EntityState("cool", {"temperature": 24})
    )
    # The light does not answer now (absent from what the caller read).
    replan = responder.replan([SNAPSHOTS[1]], LIMITS, Demand(), power_kw=None)
    assert replan is not None
    assert entities(replan.give_back) == [EV]
    assert entities(in_force(responder).steps) == [CLIMATE, LIGHT]


def test_an_appliance_awaiting_restoration_is_curtailed_again_from_its_prior() -> None:
    responder = curtailing()
    give_back = responder.replan(SNAPSHOTS, LIMITS, Demand(), power_kw=None)
    assert give_back is not None
    todo = responder.take_restore(give_back.give_back)
    responder.restored(todo, [True, False, True])  # the EV did not answer
    assert entities(responder.restore_pending) == [EV]
    # The level rises again while the EV still reads "off": its prior "on" is kept.
    again = responder.replan(
        (SNAPSHOTS[0], Snapshot(EV, Role.EV, "off"), SNAPSHOTS[2]), LIMITS, FULL, power_kw=None
    )
    assert again is not None
    ev_step = next(s for s in again.curtail if s.entity_id == EV)
    assert (ev_step.prior, ev_step.target) == ("on", "off")
    assert responder.restore_pending == []


def test_an_event_that_asks_only_in_a_later_interval_is_joined_at_its_start() -> None:
    later = DrEvent(
        "ev-late",
        "p",
        (
            Interval(0, T0, timedelta(hours=1), {"SIMPLE": (0,)}),
            Interval(1, T0 + timedelta(hours=1), timedelta(hours=1), {"SIMPLE": (2,)}),
        ),
        "test",
    )
    responder = Responder()
    assert start(responder, later) == Decision(begin=True)
    price_only = DrEvent(
        "ev-price", "p", (Interval(0, T0, timedelta(hours=1), {"PRICE": (40.0,)}),), "test"
    )
    assert start(Responder(), price_only) == NOTHING


def test_a_replan_at_the_same_demand_gives_nothing_back_but_adds_what_is_missing() -> None:
    """A restart or an override re-plans at the same limit: estimates do not undo the plan."""
    responder = Responder()
    start(responder, event())
    limit = Demand(import_limit_kw=2.5)
    first = responder.replan(HOME, LIMITS, limit, power_kw=6.0)
    assert first is not None
    assert entities(first.curtail) == [BATTERY, EV]
    # The meter now reads low (the battery did more than its estimate): without `keep` the EV
    # would be given back; with it, nothing is.
    assert responder.replan(HOME, LIMITS, limit, power_kw=-0.5, keep=True) == Replan()
    # A person takes the EV back: the others make it up.
    responder.appliance_changed(EV, EntityState("off"), EntityState("on"))
    more = responder.replan(HOME, LIMITS, limit, power_kw=5.0, keep=True)
    assert more is not None
    assert more.give_back == ()
    assert CLIMATE in entities(more.curtail)


def test_a_charging_battery_sent_to_discharge_counts_twice_its_estimate() -> None:
    charging = Snapshot(BATTERY, Role.BATTERY, "charging", HOME[3].attributes)
    (step,) = respond([charging], LIMITS, FULL, power_kw=None)
    assert step.kw == 4.0
    (idle,) = respond([HOME[3]], LIMITS, FULL, power_kw=None)
    assert idle.kw == 2.0
