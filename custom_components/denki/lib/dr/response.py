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
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
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

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly, for the store that survives a restart."""
        return {
            "entity_id": self.entity_id,
            "role": self.role.value,
            "curtail": self.curtail.as_dict(),
            "restore": self.restore.as_dict(),
            "watch": self.watch,
            "prior": self.prior,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        return cls(
            entity_id=str(data["entity_id"]),
            role=Role(data["role"]),
            curtail=Command.from_dict(data["curtail"]),
            restore=Command.from_dict(data["restore"]),
            watch=str(data["watch"]),
            prior=data["prior"],
            target=data["target"],
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


def _climate(snapshot: Snapshot, limits: Limits) -> Step | None:
    current = _number(snapshot.attributes.get("temperature"))
    if current is None:
        return None
    if snapshot.state in ("cool", "dry"):
        target = min(current + limits.climate_offset, max(limits.cooling_max, current))
        if target <= current:
            return None
    elif snapshot.state == "heat":
        target = max(current - limits.climate_offset, min(limits.heating_min, current))
        if target >= current:
            return None
    else:
        return None
    step = snapshot.attributes.get("target_temp_step")
    if (increment := _number(step)) and increment > 0:
        # Round toward the prior setpoint so the limit is never crossed.
        units = (target - current) / increment
        target = current + increment * (math.floor(units) if units > 0 else math.ceil(units))
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


def _battery(snapshot: Snapshot, limits: Limits) -> Step | None:
    options = snapshot.attributes.get("options") or ()
    if limits.battery_option not in options or snapshot.state not in options:
        return None
    if snapshot.state == limits.battery_option:
        return None
    return Step(
        snapshot.entity_id,
        snapshot.role,
        Command("select", "select_option", {"option": limits.battery_option}),
        Command("select", "select_option", {"option": snapshot.state}),
        STATE,
        snapshot.state,
        limits.battery_option,
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


def plan(snapshots: Iterable[Snapshot], limits: Limits) -> list[Step]:
    """The steps that curtail these appliances within the limits (one at most each)."""
    steps: list[Step] = []
    for snapshot in snapshots:
        match snapshot.role:
            case Role.CLIMATE:
                step = _climate(snapshot, limits)
            case Role.WATER_HEATER:
                step = _water_heater(snapshot)
            case Role.BATTERY:
                step = _battery(snapshot, limits)
            case Role.EV:
                step = _ev(snapshot)
            case Role.LIGHT:
                step = _light(snapshot, limits)
        if step is not None:
            steps.append(step)
    return steps


def _same(a: Any, b: Any, tolerance: float) -> bool:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return abs(x - y) <= tolerance
    return bool(a == b)


_TOLERANCE = {"temperature": 0.05, "brightness": 3.0}
"""Brightness goes through percent on many lights (255 -> 100 -> 255), so +-3 is "the same"."""


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


def curtailed_kw(before_kw: float | None, now_kw: float | None) -> float | None:
    """The household's curtailment: its draw before the event less its draw now, at least 0."""
    if before_kw is None or now_kw is None:
        return None
    return round(max(0.0, before_kw - now_kw), 3)
