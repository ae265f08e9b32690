"""The automatic response's plan: what each role may do, the limits, overrides and the way back."""

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.denki.lib.dr import INFINITE, DrEvent, Interval, OptState
from custom_components.denki.lib.dr.response import (
    STATE,
    Command,
    Demand,
    Depth,
    Limits,
    Role,
    Snapshot,
    Step,
    demand_at,
    is_override,
    is_restored,
    plan,
    respond,
    should_respond,
    step_kw,
)

START = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)  # 17:00 JST
LIMITS = Limits()


def _event(payloads: dict[str, tuple[float | int | str | bool, ...]], **kw: object) -> DrEvent:
    return DrEvent(
        event_id="e1",
        program_id="p",
        intervals=(Interval(0, START, timedelta(hours=2), payloads),),
        source="test",
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("payloads", "expected"),
    [
        ({"SIMPLE": (0,)}, False),
        ({"SIMPLE": (1,)}, True),
        ({"SIMPLE": (3,)}, True),
        ({"IMPORT_CAPACITY_LIMIT": (2.5,)}, True),
        ({"ALERT_GRID_EMERGENCY": ("x",)}, True),
        ({"DISPATCH_SETPOINT_RELATIVE": (-1.0,)}, True),
        ({"DISPATCH_SETPOINT_RELATIVE": (1.0,)}, False),
        ({"PRICE": (45.0,)}, False),
        ({"SIMPLE": (True,)}, False),
    ],
)
def test_which_signals_are_answered(
    payloads: dict[str, tuple[float | int | str | bool, ...]], expected: bool
) -> None:
    assert should_respond(_event(payloads), START + timedelta(minutes=1), LIMITS) is expected


def test_level_threshold_timing_and_opt_out() -> None:
    event = _event({"SIMPLE": (1,)})
    assert not should_respond(event, START + timedelta(minutes=1), Limits(min_level=2))
    assert not should_respond(event, START - timedelta(minutes=1), LIMITS)
    assert not should_respond(event, START + timedelta(hours=2), LIMITS)
    assert not should_respond(event.with_opt(OptState.OPT_OUT), START, LIMITS)
    assert should_respond(event.with_opt(OptState.OPT_IN), START, LIMITS)


def test_an_absurdly_long_event_is_not_answered() -> None:
    long = DrEvent("e2", "p", (Interval(0, START, timedelta(hours=25), {"SIMPLE": (2,)}),), "t")
    assert not should_respond(long, START, LIMITS)
    forever = DrEvent("e3", "p", (Interval(0, START, INFINITE, {"SIMPLE": (2,)}),), "t")
    assert not should_respond(forever, START, LIMITS)
    assert should_respond(long, START, Limits(longest=timedelta(hours=26)))


def _climate(mode: str, temperature: float, step: float | None = 1.0) -> Snapshot:
    attributes: dict[str, object] = {"temperature": temperature}
    if step is not None:
        attributes["target_temp_step"] = step
    return Snapshot("climate.living", Role.CLIMATE, mode, attributes)


@pytest.mark.parametrize(
    ("mode", "now", "target"),
    [
        ("cool", 26.0, 28.0),  # +2
        ("cool", 27.0, 28.0),  # capped by the comfort limit
        ("cool", 28.0, None),  # already at the limit
        ("cool", 29.0, None),  # above it: never pushed further
        ("dry", 25.0, 27.0),
        ("heat", 22.0, 20.0),  # -2
        ("heat", 19.0, 18.0),  # capped
        ("heat", 18.0, None),
        ("heat", 17.0, None),
        ("fan_only", 25.0, None),
        ("off", 25.0, None),
        ("auto", 25.0, None),
    ],
)
def test_climate_within_comfort_limits(mode: str, now: float, target: float | None) -> None:
    steps = plan([_climate(mode, now)], LIMITS)
    if target is None:
        assert steps == []
        return
    (step,) = steps
    assert step.curtail == Command("climate", "set_temperature", {"temperature": target})
    assert step.restore == Command("climate", "set_temperature", {"temperature": now})
    assert (step.watch, step.prior, step.target) == ("temperature", now, target)


def test_climate_rounds_toward_the_prior_setpoint() -> None:
    (step,) = plan([_climate("cool", 26.5, step=1.0)], Limits(cooling_max=28.0))
    assert step.target == 27.5  # 28.5 would cross 28
    assert plan([_climate("cool", 27.5, step=1.0)], LIMITS) == []
    (half,) = plan([_climate("cool", 27.5, step=0.5)], LIMITS)
    assert half.target == 28.0
    (none,) = plan([_climate("cool", 26.3, step=None)], LIMITS)
    assert none.target == 28.0


def test_water_heater_boiling_postponed() -> None:
    ecocute = Snapshot(
        "water_heater.eco",
        Role.WATER_HEATER,
        "automatic",
        {"operation_list": ["automatic", "manual_heating", "manual_stop"]},
    )
    (step,) = plan([ecocute], LIMITS)
    assert step.curtail.data == {"operation_mode": "manual_stop"}
    assert step.restore.data == {"operation_mode": "automatic"}
    assert step.watch == STATE
    other = Snapshot("water_heater.g", Role.WATER_HEATER, "eco", {"operation_list": ["eco", "off"]})
    assert plan([other], LIMITS)[0].curtail.data == {"operation_mode": "off"}
    stopped = Snapshot("water_heater.eco", Role.WATER_HEATER, "manual_stop", ecocute.attributes)
    assert plan([stopped], LIMITS) == []
    assert plan([Snapshot("water_heater.x", Role.WATER_HEATER, "on", {})], LIMITS) == []


def test_battery_ev_and_light() -> None:
    battery = Snapshot(
        "select.battery_mode",
        Role.BATTERY,
        "standby",
        {"options": ["charging", "discharging", "standby"]},
    )
    ev = Snapshot("switch.ev_charging", Role.EV, "on")
    light = Snapshot("light.dining", Role.LIGHT, "on", {"brightness": 200})
    dim = Snapshot("light.hall", Role.LIGHT, "on", {"brightness": 1})
    off = Snapshot("light.bed", Role.LIGHT, "off", {"brightness": None})
    steps = {step.entity_id: step for step in plan([battery, ev, light, dim, off], LIMITS)}
    assert set(steps) == {"select.battery_mode", "switch.ev_charging", "light.dining"}
    assert steps["select.battery_mode"].curtail.data == {"option": "discharging"}
    assert steps["select.battery_mode"].restore.data == {"option": "standby"}
    assert steps["switch.ev_charging"].curtail == Command("switch", "turn_off")
    assert steps["switch.ev_charging"].restore == Command("switch", "turn_on")
    assert steps["light.dining"].curtail.data == {"brightness": 100}
    assert steps["light.dining"].restore.data == {"brightness": 200}
    assert plan([Snapshot("switch.ev", Role.EV, "off")], LIMITS) == []
    discharging = Snapshot("select.b", Role.BATTERY, "discharging", battery.attributes)
    assert plan([discharging], LIMITS) == []
    no_option = Snapshot("select.b", Role.BATTERY, "auto", {"options": ["auto", "manual"]})
    assert plan([no_option], LIMITS) == []


def test_override_is_a_change_to_anything_but_the_target() -> None:
    (step,) = plan([_climate("cool", 26.0)], LIMITS)
    assert not is_override(step, 26.0, 28.0)  # Denki's own command arriving
    assert not is_override(step, 28.0, 28.0)  # another attribute changed
    assert not is_override(step, 26.0, 26.0)  # the device refused: nothing moved
    assert not is_override(step, 28.0, None)  # unavailable is not a person
    assert is_override(step, 28.0, 25.0)  # someone cooled the room again
    assert is_override(step, 26.0, 24.0)
    (light,) = plan([Snapshot("light.l", Role.LIGHT, "on", {"brightness": 200})], LIMITS)
    assert not is_override(light, 200, 102)  # percent round trip
    assert is_override(light, 100, 180)
    assert is_restored(step, 26.0)
    assert not is_restored(step, 28.0)


def test_steps_survive_json() -> None:
    steps = plan(
        [
            _climate("heat", 22.0),
            Snapshot("switch.ev", Role.EV, "on"),
        ],
        LIMITS,
    )
    assert [Step.from_dict(step.as_dict()) for step in steps] == steps


# --- the demand in force, interval by interval, and the plan sized to it -----------------

AC = _climate("cool", 26.0)
EV_ON = Snapshot("switch.ev", Role.EV, "on")
ECOCUTE = Snapshot(
    "water_heater.eco",
    Role.WATER_HEATER,
    "automatic",
    {"operation_list": ["automatic", "manual_stop"]},
)
BATTERY = Snapshot(
    "select.battery", Role.BATTERY, "standby", {"options": ["charging", "discharging", "standby"]}
)
LIGHT = Snapshot("light.dining", Role.LIGHT, "on", {"brightness": 200})
HOME = (LIGHT, AC, ECOCUTE, EV_ON, BATTERY)


def _targets(steps: list[Step]) -> dict[str, object]:
    return {step.entity_id: step.target for step in steps}


def test_demand_follows_each_interval_and_each_part_of_a_split_one() -> None:
    event = DrEvent(
        "e1",
        "p",
        (
            Interval(0, START, timedelta(hours=1), {"SIMPLE": (1,)}),
            Interval(1, START + timedelta(hours=1), timedelta(hours=1), {"SIMPLE": (0, 2)}),
            Interval(
                2, START + timedelta(hours=2), timedelta(hours=1), {"IMPORT_CAPACITY_LIMIT": (3.0,)}
            ),
        ),
        "t",
    )
    hour = timedelta(hours=1)
    assert event.boundaries() == [
        START,
        START + hour,
        START + hour * 1.5,
        START + hour * 2,
        START + hour * 3,
    ]
    assert demand_at([event], START, LIMITS) == Demand(Depth.MODERATE)
    assert demand_at([event], START + hour, LIMITS) == Demand()
    assert demand_at([event], START + hour * 1.5, LIMITS) == Demand(Depth.FULL)
    assert demand_at([event], START + hour * 2, LIMITS) == Demand(import_limit_kw=3.0)
    assert demand_at([event.with_opt(OptState.OPT_OUT)], START, LIMITS) == Demand()
    assert demand_at([event], START, Limits(min_level=2)) == Demand()


def test_demand_of_several_events_takes_the_strongest_of_each_kind() -> None:
    def one(payloads: dict[str, tuple[float | int | str | bool, ...]]) -> DrEvent:
        return DrEvent("x", "p", (Interval(0, START, timedelta(hours=1), payloads),), "t")

    events = [
        one({"SIMPLE": (1,), "IMPORT_CAPACITY_LIMIT": (4.0,)}),
        one({"IMPORT_CAPACITY_LIMIT": (2.5,), "EXPORT_CAPACITY_LIMIT": (3.0,)}),
        one({"DISPATCH_SETPOINT_RELATIVE": (-0.5,), "DISPATCH_SETPOINT": (3.5,)}),
        one({"ALERT_GRID_EMERGENCY": ("x",), "DISPATCH_SETPOINT_RELATIVE": (-1.5,)}),
    ]
    assert demand_at(events, START, LIMITS) == Demand(
        Depth.FULL, import_limit_kw=2.5, reduce_kw=1.5, export_limit_kw=3.0
    )


def test_level_1_costs_no_comfort_and_level_2_uses_every_limit() -> None:
    moderate = respond(HOME, LIMITS, Demand(Depth.MODERATE), power_kw=None)
    assert _targets(moderate) == {
        "climate.living": 27.0,  # half the household's 2 degC
        "water_heater.eco": "manual_stop",
        "switch.ev": "off",
        "select.battery": "discharging",
    }
    full = respond(HOME, LIMITS, Demand(Depth.FULL), power_kw=None)
    assert _targets(full) == {**_targets(moderate), "climate.living": 28.0, "light.dining": 100}
    assert respond(HOME, LIMITS, Demand(), power_kw=None) == []
    # Half an offset smaller than the setpoint's step still moves one step, never past the limit.
    (step,) = respond(
        [_climate("cool", 27.0, 1.0)],
        Limits(climate_offset=1.0),
        Demand(Depth.MODERATE),
        power_kw=None,
    )
    assert step.target == 28.0
    assert (
        respond(
            [_climate("cool", 27.5, 1.0)],
            Limits(climate_offset=1.0),
            Demand(Depth.MODERATE),
            power_kw=None,
        )
        == []
    )


def test_an_import_limit_takes_just_enough_appliances_in_order() -> None:
    # The home draws 6 kW; the limit 5 kW: the battery (2 kW estimated) is enough.
    steps = respond(HOME, LIMITS, Demand(import_limit_kw=5.0), power_kw=6.0)
    assert _targets(steps) == {"select.battery": "discharging"}
    assert steps[0].kw == 2.0
    # 3 kW: the battery, then the EV (3 kW) covers the 3 kW asked.
    steps = respond(HOME, LIMITS, Demand(import_limit_kw=3.0), power_kw=6.0)
    assert list(_targets(steps)) == ["select.battery", "switch.ev"]
    # 6.05 kW: then the EcoCute (1 kW), then the air conditioner at its full offset.
    steps = respond(HOME, LIMITS, Demand(import_limit_kw=0.5), power_kw=6.55)
    assert _targets(steps) == {
        "select.battery": "discharging",
        "switch.ev": "off",
        "water_heater.eco": "manual_stop",
        "climate.living": 28.0,
    }
    # Within the limit already: nothing. Unknown draw: everything the limits allow.
    assert respond(HOME, LIMITS, Demand(import_limit_kw=7.0), power_kw=6.0) == []
    assert len(respond(HOME, LIMITS, Demand(import_limit_kw=7.0), power_kw=None)) == 5


def test_measured_draws_size_the_plan_and_a_level_is_deepened_by_a_limit() -> None:
    draws = {"switch.ev": 6.0, "climate.living": 1.5}
    # The EV measured at 6 kW covers 4 kW alone after the battery.
    steps = respond(HOME, LIMITS, Demand(import_limit_kw=2.0), power_kw=8.0, draws=draws)
    assert [(s.entity_id, s.kw) for s in steps] == [("select.battery", 2.0), ("switch.ev", 6.0)]
    # Level 1 holds the climate at +1 (9.15 kW in all); a limit that needs more takes it to +2.
    steps = respond(
        HOME, LIMITS, Demand(Depth.MODERATE, import_limit_kw=0.5), power_kw=10.0, draws=draws
    )
    assert _targets(steps)["climate.living"] == 28.0
    assert step_kw(next(s for s in steps if s.role is Role.CLIMATE), 1.5) == 0.3  # 10 %/degC
    (unmeasured,) = plan([AC], LIMITS)
    assert step_kw(unmeasured) == 0.06  # 0.03 kW per degree


def test_an_export_limit_charges_the_battery_and_pushes_nothing_out() -> None:
    # Exporting 4 kW against a 2 kW limit: the battery charges; nothing is curtailed.
    steps = respond(HOME, LIMITS, Demand(Depth.FULL, export_limit_kw=2.0), power_kw=-4.0)
    assert _targets(steps) == {"select.battery": "charging"}
    # Within the export limit: the level is answered, but the battery does not discharge.
    steps = respond(HOME, LIMITS, Demand(Depth.FULL, export_limit_kw=2.0), power_kw=-1.0)
    assert "select.battery" not in _targets(steps)
    assert "climate.living" in _targets(steps)


def test_a_step_s_kw_survives_json_and_older_steps_read_without_it() -> None:
    (step,) = respond([EV_ON], LIMITS, Demand(Depth.FULL), power_kw=None)
    assert step.kw == 3.0
    assert Step.from_dict(step.as_dict()) == step
    older = step.as_dict()
    del older["kw"]
    assert Step.from_dict(older).kw is None
    assert "kw" not in Step.from_dict(older).as_dict()
