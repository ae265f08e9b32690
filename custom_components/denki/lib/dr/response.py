"""The automatic response to a demand-response event: a plan, and the way back.

Nothing here talks to a device. `plan()` looks at the appliances the
household put in the plan, as `Snapshot`s of their current state, and returns
one `Step` per appliance it may change: the command that curtails, the
command that puts the appliance back exactly as it was, and the value to
watch. The Home Assistant half sends the commands, stores the steps (so a
restart mid-event still knows the way back) and feeds every later change of
a watched value to `is_override()`: a person who changes an appliance during
an event takes it out of the plan, and it is then neither touched again nor
"restored" over that person's choice.

What each role may do, within the household's `Limits`:

- climate: cooling (or dry) setpoint up by at most `climate_offset` degC and
  never above `cooling_max`; heating setpoint down by at most
  `climate_offset` and never below `heating_min`. Other modes are left.
- water heater (EcoCute): boiling postponed, by choosing the "manual stop"
  operation (or "off" where a heater has no such operation).
- storage battery / V2H: a select set to the discharging option.
- EV charger: a switch turned off (charging paused).
- light: brightness down to `light_percent` % of what it was; lights that
  are off stay off.

Comfort limits are checked here, once, for every step: a plan never contains
a command that crosses them.

How far the home goes follows the event, interval by interval
(`demand_at` reads what is in force; `respond` turns it into steps):

- SIMPLE level 1 (moderate) asks for what costs no comfort, plus a little:
  the battery discharges, the EV pauses, the EcoCute postpones boiling and
  air conditioners move half the household's offset. Lights stay.
- SIMPLE level 2 (high) and 3 (emergency), and a grid emergency alert, use
  everything within the household's limits. Level 3 cannot go further than
  2: the limits are the household's, never crossed.
- An import capacity limit (or an absolute dispatch setpoint, or a negative
  relative one) is a size in kW: the home takes just enough appliances, in
  `ORDER`, each counted at its measured draw where known and at
  `ESTIMATED_KW` where not, until the draw it expects is within the limit.
  With no way to know the household's draw, every appliance is used.
- An export capacity limit while the home exports more than it allows: a
  battery charges (never discharges), and nothing that would raise the
  export (pausing the EV, postponing boiling) is done.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
import math
from typing import Any, Self

from .model import DrEvent, SignalType

STATE = "state"
"""The watched "attribute" that means the entity's state itself."""


class Role(StrEnum):
    """What an appliance in the plan may be asked to do."""

    CLIMATE = "climate"
    WATER_HEATER = "water_heater"
    BATTERY = "battery"
    EV = "ev"
    LIGHT = "light"


@dataclass(frozen=True, slots=True)
class Limits:
    """The household's limits for the automatic response (the entry's options)."""

    climate_offset: float = 2.0
    cooling_max: float = 28.0
    heating_min: float = 18.0
    light_percent: int = 50
    battery_option: str = "discharging"
    battery_charge_option: str = "charging"
    """The battery's option that absorbs a surplus, for an export limit."""
    min_level: int = 1
    """The lowest SIMPLE level the home answers (1 moderate, 2 high, 3 emergency)."""
    longest: timedelta = timedelta(hours=24)
    """An event longer than this is shown, never answered: a day of a warmer room is no DR."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An appliance as it is now: its state and the attributes that matter."""

    entity_id: str
    role: Role
    state: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """The state (for `STATE`) or an attribute."""
        return self.state if name == STATE else self.attributes.get(name)


@dataclass(frozen=True, slots=True)
class Command:
    """A Home Assistant action on one entity."""

    domain: str
    service: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {"domain": self.domain, "service": self.service, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        return cls(str(data["domain"]), str(data["service"]), dict(data["data"]))


@dataclass(frozen=True, slots=True)
class Step:
    """One appliance's part in the plan."""

    entity_id: str
    role: Role
    curtail: Command
    restore: Command
    watch: str
    """The state (`STATE`) or attribute the commands change."""
    prior: Any
    """The watched value before the event: what `restore` sets back."""
    target: Any
    """The watched value `curtail` sets."""
    kw: float | None = None
    """How much the step lowers the home's draw, in kW, as reckoned when it was first planned."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for the store that survives a restart."""
        data = {
            "entity_id": self.entity_id,
            "role": self.role.value,
            "curtail": self.curtail.as_dict(),
            "restore": self.restore.as_dict(),
            "watch": self.watch,
            "prior": self.prior,
            "target": self.target,
        }
        if self.kw is not None:  # files written before sizing existed stay as they were
            data["kw"] = self.kw
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        kw = data.get("kw")
        return cls(
            entity_id=str(data["entity_id"]),
            role=Role(data["role"]),
            curtail=Command.from_dict(data["curtail"]),
            restore=Command.from_dict(data["restore"]),
            watch=str(data["watch"]),
            prior=data["prior"],
            target=data["target"],
            kw=None if kw is None else float(kw),
        )


def should_respond(event: DrEvent, moment: datetime, limits: Limits) -> bool:
    """Whether the event asks for less consumption at that moment.

    Never for an event longer than `limits.longest` (an "until further
    notice" event included). Otherwise: SIMPLE at or above the household's lowest level, an import limit, a grid
    emergency alert, or a negative relative dispatch. A price alone is shown,
    not acted on: whether a price is worth a warmer room is the household's
    call (a blueprint can make it).
    """
    if not event.participating or event.end - event.start > limits.longest:
        return False
    level = event.value_at(SignalType.SIMPLE, moment)
    if (
        isinstance(level, (int, float))
        and not isinstance(level, bool)
        and level >= limits.min_level
    ):
        return True
    if event.value_at(SignalType.IMPORT_CAPACITY_LIMIT, moment) is not None:
        return True
    if event.value_at(SignalType.ALERT_GRID_EMERGENCY, moment) is not None:
        return True
    relative = event.value_at(SignalType.DISPATCH_SETPOINT_RELATIVE, moment)
    return isinstance(relative, (int, float)) and not isinstance(relative, bool) and relative < 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _climate(snapshot: Snapshot, limits: Limits, offset: float) -> Step | None:
    current = _number(snapshot.attributes.get("temperature"))
    if current is None:
        return None
    if snapshot.state in ("cool", "dry"):
        target = min(current + offset, max(limits.cooling_max, current))
        if target <= current:
            return None
    elif snapshot.state == "heat":
        target = max(current - offset, min(limits.heating_min, current))
        if target >= current:
            return None
    else:
        return None
    step = snapshot.attributes.get("target_temp_step")
    if (increment := _number(step)) and increment > 0:
        # Round toward the prior setpoint so the limit is never crossed; but
        # a part of the offset smaller than one step still moves one step
        # (level 1's half offset on a 1-degree air conditioner), within limits.
        units = (target - current) / increment
        whole = math.floor(units) if units > 0 else math.ceil(units)
        if whole == 0 and offset < limits.climate_offset:
            whole = 1 if units > 0 else -1
            bound = (
                max(limits.cooling_max, current) if units > 0 else min(limits.heating_min, current)
            )
            if (current + increment * whole - bound) * whole > 0:
                whole = 0
        target = current + increment * whole
        if target == current:
            return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("climate", "set_temperature", {"temperature": target}),
        Command("climate", "set_temperature", {"temperature": current}),
        "temperature",
        current,
        target,
    )


def _water_heater(snapshot: Snapshot) -> Step | None:
    operations = snapshot.attributes.get("operation_list") or ()
    stop = next((name for name in ("manual_stop", "off") if name in operations), None)
    if stop is None or snapshot.state in (stop, "off", "unavailable", "unknown"):
        return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("water_heater", "set_operation_mode", {"operation_mode": stop}),
        Command("water_heater", "set_operation_mode", {"operation_mode": snapshot.state}),
        STATE,
        snapshot.state,
        stop,
    )


def _battery(snapshot: Snapshot, option: str) -> Step | None:
    """The battery's select set to `option` (discharging to curtail, charging to absorb)."""
    options = snapshot.attributes.get("options") or ()
    if option not in options or snapshot.state not in options or snapshot.state == option:
        return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("select", "select_option", {"option": option}),
        Command("select", "select_option", {"option": snapshot.state}),
        STATE,
        snapshot.state,
        option,
    )


def _ev(snapshot: Snapshot) -> Step | None:
    if snapshot.state != "on":
        return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("switch", "turn_off"),
        Command("switch", "turn_on"),
        STATE,
        "on",
        "off",
    )


def _light(snapshot: Snapshot, limits: Limits) -> Step | None:
    brightness = _number(snapshot.attributes.get("brightness"))
    if snapshot.state != "on" or brightness is None:
        return None
    target = max(1, round(brightness * limits.light_percent / 100))
    if target >= brightness:
        return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("light", "turn_on", {"brightness": target}),
        Command("light", "turn_on", {"brightness": int(brightness)}),
        "brightness",
        int(brightness),
        target,
    )


class Depth(IntEnum):
    """How far the home goes for the demand in force."""

    NONE = 0
    MODERATE = 1
    """SIMPLE level 1: no comfort cost, and half the household's climate offset."""
    FULL = 2
    """SIMPLE level 2 or 3, a grid emergency: everything within the household's limits."""


def plan(snapshots: Iterable[Snapshot], limits: Limits, depth: Depth = Depth.FULL) -> list[Step]:
    """The steps that curtail these appliances within the limits (one at most each)."""
    steps: list[Step] = []
    if depth is Depth.NONE:
        return steps
    offset = limits.climate_offset if depth is Depth.FULL else limits.climate_offset / 2
    for snapshot in snapshots:
        match snapshot.role:
            case Role.CLIMATE:
                step = _climate(snapshot, limits, offset)
            case Role.WATER_HEATER:
                step = _water_heater(snapshot)
            case Role.BATTERY:
                step = _battery(snapshot, limits.battery_option)
            case Role.EV:
                step = _ev(snapshot)
            case Role.LIGHT:
                step = _light(snapshot, limits) if depth is Depth.FULL else None
        if step is not None:
            steps.append(step)
    return steps


# --- the demand in force, and the plan sized to it ---------------------------------------


@dataclass(frozen=True, slots=True)
class Demand:
    """What the events the home answers ask for at one moment, taken together."""

    depth: Depth = Depth.NONE
    """From the SIMPLE level (or a grid emergency alert)."""
    import_limit_kw: float | None = None
    """The most the home may draw (the lowest limit or absolute setpoint in force)."""
    reduce_kw: float | None = None
    """A reduction asked in kW (a negative relative dispatch setpoint, as a positive number)."""
    export_limit_kw: float | None = None
    """The most the home may export."""


def _level_depth(level: float) -> Depth:
    if level >= 2:
        return Depth.FULL
    return Depth.MODERATE if level >= 1 else Depth.NONE


def demand_at(events: Iterable[DrEvent], moment: datetime, limits: Limits) -> Demand:
    """What these events ask of the home at that moment (the strongest of each kind)."""
    depth = Depth.NONE
    imports: list[float] = []
    reduce: list[float] = []
    exports: list[float] = []
    for event in events:
        if not event.participating:
            continue
        level = _number(event.value_at(SignalType.SIMPLE, moment))
        if level is not None and level >= limits.min_level:
            depth = max(depth, _level_depth(level))
        if event.value_at(SignalType.ALERT_GRID_EMERGENCY, moment) is not None:
            depth = Depth.FULL
        imports.extend(
            value
            for signal in (SignalType.IMPORT_CAPACITY_LIMIT, SignalType.DISPATCH_SETPOINT)
            if (value := _number(event.value_at(signal, moment))) is not None
        )
        relative = _number(event.value_at(SignalType.DISPATCH_SETPOINT_RELATIVE, moment))
        if relative is not None and relative < 0:
            reduce.append(-relative)
        if (value := _number(event.value_at(SignalType.EXPORT_CAPACITY_LIMIT, moment))) is not None:
            exports.append(value)
    return Demand(
        depth=depth,
        import_limit_kw=min(imports) if imports else None,
        reduce_kw=max(reduce) if reduce else None,
        export_limit_kw=min(exports) if exports else None,
    )


ORDER: tuple[Role, ...] = (Role.BATTERY, Role.EV, Role.WATER_HEATER, Role.CLIMATE, Role.LIGHT)
"""The order in which a size in kW takes appliances: least comfort given up per kW first.

A battery discharging costs the household nothing it feels; a paused EV
charge and a postponed EcoCute boil are made up later from the same night
(the car and the tank are full by morning); an air conditioner's setpoint is
felt, and in a Japanese summer it is a health matter, so it comes after
them; a dimmed light is felt at once and gives back tens of watts.
"""

ESTIMATED_KW: Mapping[Role, float] = {
    Role.BATTERY: 2.0,
    Role.EV: 3.0,
    Role.WATER_HEATER: 1.0,
    Role.CLIMATE: 0.03,
    Role.LIGHT: 0.04,
}
"""What a step saves when the appliance's own draw is not measured (climate: per degC; light: at full).

- EV: 3.0 kW, the normal 200 V / 15 A charging of Japanese home chargers.
- Battery: 2.0 kW, the low end of the rated outputs of home storage batteries
  (a discharging battery can offset at most what the home draws); twice that
  when it was charging, which stops too.
- EcoCute: 1.0 kW, a 4.5 kW-heat heat pump (the usual class for 370-460 L
  tanks) at a coefficient of performance above 4; only while it boils.
- Air conditioner: 0.03 kW per degree, from the Agency for Natural Resources
  and Energy's figure (省エネポータルサイト, 無理のない省エネ節約): a 2.2 kW
  unit cooling at 28 instead of 27 degC saves 30.24 kWh over 112 days of
  9 hours. With its draw measured: 10 % of that draw per degree (the figure
  commonly given for a one-degree change, and the lower of cooling's and
  heating's).
- Light: 0.04 kW at full brightness (an LED ceiling light for a 6-10 tatami
  room), saved in proportion to the dimming.
"""

CLIMATE_SHARE_PER_DEGREE = 0.1
CHARGING = frozenset({"charging", "rapid_charging"})
"""A battery's options that draw from the home: discharging instead gives up twice its estimate."""


def step_kw(step: Step, draw_kw: float | None = None) -> float:
    """How much the step lowers the home's draw: from the appliance's measured draw if known."""
    if step.kw is not None:
        return step.kw
    draw = None if draw_kw is None or draw_kw < 0 else draw_kw
    match step.role:
        case Role.CLIMATE:
            degrees = abs(float(step.target) - float(step.prior))
            if draw is not None:
                return round(min(draw, draw * CLIMATE_SHARE_PER_DEGREE * degrees), 3)
            return round(ESTIMATED_KW[Role.CLIMATE] * degrees, 3)
        case Role.LIGHT:
            share = 1 - float(step.target) / float(step.prior) if step.prior else 0.0
            return round((ESTIMATED_KW[Role.LIGHT] if draw is None else draw) * share, 3)
        case Role.BATTERY if str(step.prior) in CHARGING:
            # From charging to discharging: its charge stops and its discharge starts.
            return 2 * ESTIMATED_KW[Role.BATTERY]
        case _:
            return ESTIMATED_KW[step.role] if draw is None else draw


def respond(
    snapshots: Sequence[Snapshot],
    limits: Limits,
    demand: Demand,
    *,
    power_kw: float | None,
    draws: Mapping[str, float] | None = None,
) -> list[Step]:
    """The steps for the demand in force, one at most per appliance, each with its `kw`.

    `snapshots` are the appliances as they would be without Denki (an
    appliance already curtailed is given at its prior value), `power_kw`
    the home's draw without Denki's curtailment (negative while it exports),
    `draws` each appliance's measured draw.
    """
    draws = draws or {}
    if (
        demand.export_limit_kw is not None
        and power_kw is not None
        and -power_kw > demand.export_limit_kw
    ):
        # Exporting more than allowed: absorb it, and curtail nothing.
        charges = (
            _battery(s, limits.battery_charge_option) for s in snapshots if s.role is Role.BATTERY
        )
        return [replace(s, kw=0.0) for s in charges if s is not None]
    chosen: dict[str, Step] = {
        step.entity_id: step for step in plan(snapshots, limits, demand.depth)
    }
    need = _needed_kw(demand, power_kw)
    if need is not None and need > 0:
        # By role, then the biggest first within a role: the fewest appliances.
        full = sorted(
            plan(snapshots, limits, Depth.FULL),
            key=lambda s: (ORDER.index(s.role), -step_kw(s, draws.get(s.entity_id))),
        )
        covered = sum(step_kw(s, draws.get(s.entity_id)) for s in chosen.values())
        for step in full:
            if covered >= need:
                break
            if (held := chosen.get(step.entity_id)) is not None:
                covered -= step_kw(held, draws.get(held.entity_id))
            chosen[step.entity_id] = step
            covered += step_kw(step, draws.get(step.entity_id))
    steps = [replace(s, kw=step_kw(s, draws.get(s.entity_id))) for s in chosen.values()]
    if demand.export_limit_kw is not None:
        # An export limit in force: never push more out (a battery stays as it is).
        steps = [s for s in steps if s.role is not Role.BATTERY]
    return steps


def _needed_kw(demand: Demand, power_kw: float | None) -> float | None:
    """How much lower the home's draw must be; infinite when it cannot be known."""
    need: float | None = None
    if demand.import_limit_kw is not None:
        need = math.inf if power_kw is None else power_kw - demand.import_limit_kw
    if demand.reduce_kw is not None:
        need = max(need or 0.0, demand.reduce_kw)
    return need


def _same(a: Any, b: Any, tolerance: float) -> bool:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return abs(x - y) <= tolerance
    return bool(a == b)


_TOLERANCE = {"temperature": 0.05, "brightness": 3.0}
"""Brightness goes through percent on many lights (255 -> 100 -> 255), so +-3 is "the same"."""


def same_value(watch: str, a: Any, b: Any) -> bool:
    """Whether two values of the watched state or attribute are the same, within tolerance."""
    return _same(a, b, _TOLERANCE.get(watch, 0.0))


def is_override(step: Step, old: Any, new: Any) -> bool:
    """Whether a change of the watched value from `old` to `new` is a person's.

    Denki's own command moves the value from the prior to the target, or
    not at all when a device refuses; anything else that moves it (to a
    value that is not the target) is someone else's choice.
    """
    tolerance = _TOLERANCE.get(step.watch, 0.0)
    if new is None or new in ("unavailable", "unknown") or _same(old, new, tolerance):
        return False
    return not _same(new, step.target, tolerance)


def is_restored(step: Step, value: Any) -> bool:
    """Whether the watched value is back at what it was before the event."""
    return _same(value, step.prior, _TOLERANCE.get(step.watch, 0.0))
