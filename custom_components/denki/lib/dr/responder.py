"""The automatic response over time: which plan is in force, and what to put back.

`response.plan()` makes one plan from the appliances as they are;
`Responder` decides when. It holds the plan in force (for which events, its
steps, who left it), the steps still to be put back and whether the
household took part in each event, and answers each input with a decision
for the Home Assistant half to carry out. It never calls a device, reads a
clock or writes a file:

- `start` (an event began): `Decision.begin` asks for a plan. The caller
  reads the appliances and the demand in force and gives them to `replan`,
  which returns what to curtail and what to give back. A second event while
  a plan is in force joins that plan, and the plan is made again.
- `boundary` (an interval of an event in the plan began or ended, or such an
  event was modified): the plan is made again for the new demand. A higher
  level or a tighter limit adds appliances or depth, a lower one gives back.
- `leave` / `end` / `opt` (an event was cancelled, ended or opted out of):
  the last event out ends the plan, and `Decision.restore` holds the steps to
  put back, except those a person changed during the event; while other
  events remain, the plan is made again for them.
- `take_restore` / `restored`: the caller sends the restore commands and tells
  which succeeded; those that failed wait in `restore_pending`.
- `appliance_changed`: a watched appliance's state moved. Either a person
  overrode it (it leaves the plan), or an appliance awaiting restoration
  answers again (retry now), or nothing.

`as_dict` / `load` use the keys the aggregator entry has always stored
("response", "restore", "participated"), so files written before this
class existed read unchanged.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from .model import DrEvent, OptState
from .response import (
    STATE,
    Demand,
    Limits,
    Snapshot,
    Step,
    is_override,
    respond,
    same_value,
    should_respond,
    step_kw,
)
from .store import EventStore

UNAVAILABLE = "unavailable"
UNKNOWN = "unknown"
_ABSENT = (UNAVAILABLE, UNKNOWN)


@dataclass(slots=True)
class Response:
    """The plan in force: for which events, its steps, and who left it."""

    events: set[str]
    steps: list[Step]
    started: datetime
    baseline_kw: float | None = None
    overridden: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly."""
        return {
            "events": sorted(self.events),
            "steps": [step.as_dict() for step in self.steps],
            "started": self.started.isoformat(),
            "baseline_kw": self.baseline_kw,
            "overridden": sorted(self.overridden),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        return cls(
            events=set(data["events"]),
            steps=[Step.from_dict(step) for step in data["steps"]],
            started=datetime.fromisoformat(data["started"]),
            baseline_kw=data.get("baseline_kw"),
            overridden=set(data.get("overridden", ())),
        )


@dataclass(frozen=True, slots=True)
class EntityState:
    """An entity's state as a plain value: the state and its attributes."""

    state: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def absent(self) -> bool:
        """Whether the entity does not answer (unavailable or unknown)."""
        return self.state in _ABSENT

    def value(self, name: str) -> Any:
        """The state (for `response.STATE`) or an attribute."""
        return self.state if name == STATE else self.attributes.get(name)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the caller does after an input (nothing, when both fields are empty)."""

    begin: bool = False
    """Make the plan (again): read the appliances and the demand, and give them to `replan`."""
    restore: tuple[Step, ...] | None = None
    """The plan ended: put these back (with whatever awaits restoring), then watch anew."""


NOTHING = Decision()


@dataclass(frozen=True, slots=True)
class Replan:
    """What a new plan changes: steps to send now, and steps to give back."""

    curtail: tuple[Step, ...] = ()
    """New steps, and steps whose target moved (deeper or shallower); their `prior` is kept."""
    give_back: tuple[Step, ...] = ()
    """Appliances the demand no longer needs: put them back now, mid-event."""


def _unwound(snapshot: Snapshot, step: Step) -> Snapshot:
    """The appliance as it would be without the step: its watched value at the prior."""
    if step.watch == STATE:
        return replace(snapshot, state=step.prior)
    return replace(snapshot, attributes={**snapshot.attributes, step.watch: step.prior})


class Seen(StrEnum):
    """What a watched appliance's change means."""

    NOTHING = "nothing"
    OVERRIDDEN = "overridden"
    """A person changed it: it has left the plan (store and show that)."""
    RETRY_RESTORE = "retry_restore"
    """An appliance awaiting restoration answers again: put back what waits, now."""


class Responder:
    """The plan in force, what awaits restoring, and who took part: decisions, no I/O."""

    def __init__(self) -> None:
        """No plan, nothing to put back."""
        self.response: Response | None = None
        self.restore_pending: list[Step] = []
        self.participated: dict[str, bool] = {}

    # --- events -----------------------------------------------------------------------

    def start(
        self,
        event: DrEvent,
        now: datetime,
        *,
        automatic: bool,
        limits: Limits,
        baseline_kw: float | None,
    ) -> Decision:
        """An event is in force: answer it if the household takes part and it asks for less."""
        chosen = automatic or event.opt is OptState.OPT_IN
        if not chosen or not _asks(event, now, limits):
            return NOTHING
        self.participated[event.event_id] = True
        if self.response is not None:
            self.response.events.add(event.event_id)  # the plan in force answers it too
        else:
            self.response = Response({event.event_id}, [], now, baseline_kw)
        return Decision(begin=True)

    def boundary(self) -> Decision:
        """An interval began or ended, or an event in the plan changed: plan again."""
        return NOTHING if self.response is None else Decision(begin=True)

    def end(self, event: DrEvent) -> tuple[bool, Decision]:
        """An event ended: whether the household took part, and what to put back."""
        participated = event.participating and self.participated.get(event.event_id, False)
        return participated, self.leave(event.event_id)

    def leave(self, event_id: str) -> Decision:
        """The event no longer needs the plan; the last one out puts everything back."""
        response = self.response
        if response is None or event_id not in response.events:
            return NOTHING
        response.events.discard(event_id)
        if response.events:
            return Decision(begin=True)  # the events that remain may ask for less
        self.response = None
        return Decision(
            restore=tuple(s for s in response.steps if s.entity_id not in response.overridden)
        )

    def opt(
        self,
        event: DrEvent,
        opt: OptState,
        *,
        active: bool,
        now: datetime,
        automatic: bool,
        limits: Limits,
        baseline_kw: float | None,
    ) -> Decision:
        """The household opted in or out (`event` already carries the choice).

        Opting out puts the appliances back if it was the plan's last event;
        opting in to an event in force (`active`) that the plan does not answer
        yet answers it.
        """
        if opt is OptState.OPT_OUT:
            self.participated[event.event_id] = False
            return self.leave(event.event_id)
        if active and (self.response is None or event.event_id not in self.response.events):
            return self.start(
                event, now, automatic=automatic, limits=limits, baseline_kw=baseline_kw
            )
        return NOTHING

    # --- the plan and the way back --------------------------------------------------------

    def replan(
        self,
        snapshots: Iterable[Snapshot],
        limits: Limits,
        demand: Demand,
        *,
        power_kw: float | None,
        draws: Mapping[str, float] | None = None,
        keep: bool = False,
    ) -> Replan | None:
        """Fit the plan in force to `demand`; None without a plan.

        `snapshots` are the appliances as they are now; one the plan holds
        (or one still awaiting restoration) is read at its prior value, so
        the new plan starts from the household's own setting and a step
        keeps its way back. `power_kw` is the home's draw now, with the
        plan's curtailment in it; the plan's own steps are added back to
        size an import limit (the draw before the plan when unknown). An
        appliance a person took over, or one that does not answer now, is
        left as it is. With `keep` (the demand has not changed: a restart, a
        person's override, an event joining at the same level), nothing in
        force is given back: what an estimate says is no longer needed was
        sized for this very demand, and the meter's reading is not a second
        opinion of the same thing; only what is missing is added.
        """
        response = self.response
        if response is None:
            return None
        held = {step.entity_id: step for step in response.steps}
        pending = {step.entity_id: step for step in self.restore_pending}
        free: list[Snapshot] = []
        for snapshot in snapshots:
            if snapshot.entity_id in response.overridden:
                continue
            prior = held.get(snapshot.entity_id) or pending.get(snapshot.entity_id)
            free.append(snapshot if prior is None else _unwound(snapshot, prior))
        present = {snapshot.entity_id for snapshot in free}
        in_force = [s for s in response.steps if s.entity_id in present]
        uncurtailed = (
            response.baseline_kw
            if power_kw is None
            else power_kw + sum(step_kw(step) for step in in_force)
        )
        wanted = {
            step.entity_id: step
            for step in respond(free, limits, demand, power_kw=uncurtailed, draws=draws)
        }
        steps: list[Step] = []
        curtail: list[Step] = []
        give_back: list[Step] = []
        for step in response.steps:
            if step.entity_id not in present:
                steps.append(step)  # a person's, or it does not answer: left as it is
                continue
            new = wanted.pop(step.entity_id, None)
            if new is None and keep:
                steps.append(step)
            elif new is None:
                give_back.append(step)
            elif same_value(step.watch, new.target, step.target):
                steps.append(step)
            else:
                steps.append(new)
                curtail.append(new)
        for new in wanted.values():
            steps.append(new)
            curtail.append(new)
        if taken := {step.entity_id for step in curtail} & pending.keys():
            self.restore_pending = [s for s in self.restore_pending if s.entity_id not in taken]
        response.steps = steps
        return Replan(tuple(curtail), tuple(give_back))

    def take_restore(self, steps: Iterable[Step]) -> list[Step]:
        """The steps to put back now: those awaiting restoration and `steps`, one per entity."""
        todo = {step.entity_id: step for step in [*self.restore_pending, *steps]}
        self.restore_pending = []
        return list(todo.values())

    def restored(self, steps: Sequence[Step], results: Sequence[bool]) -> list[Step]:
        """The outcome of `take_restore`'s steps; return those that wait for another try."""
        failed = [step for step, done in zip(steps, results, strict=True) if not done]
        self.restore_pending = failed
        return failed

    def watched(self) -> list[str]:
        """The entities to follow: the plan's (for overrides) and those awaiting restoration."""
        entities = {step.entity_id for step in self.restore_pending}
        if self.response is not None:
            entities |= {step.entity_id for step in self.response.steps}
        return sorted(entities)

    def appliance_changed(
        self, entity_id: str, old: EntityState | None, new: EntityState | None
    ) -> Seen:
        """A watched entity changed from `old` to `new` (None: it did not exist)."""
        if new is None:
            return Seen.NOTHING
        if any(step.entity_id == entity_id for step in self.restore_pending) and not new.absent:
            return Seen.RETRY_RESTORE if old is None or old.absent else Seen.NOTHING
        response = self.response
        if response is None or entity_id in response.overridden or old is None:
            return Seen.NOTHING
        step = next((s for s in response.steps if s.entity_id == entity_id), None)
        if step is None:
            return Seen.NOTHING
        if not is_override(step, old.value(step.watch), new.value(step.watch)):
            return Seen.NOTHING
        response.overridden.add(entity_id)
        return Seen.OVERRIDDEN

    def curtailed_kw(self) -> float:
        """The draw the plan in force takes off: each step's kW, a person's left out; 0 without.

        Each step is counted at what it was reckoned to give up when planned
        (the appliance's measured draw, or its estimate). The meter's drop
        against the half hour before the event is no measure of it: the
        household's other load moves too (a setting sun's PV alone can
        raise the net draw by more than an air conditioner's +2 degC saves).
        """
        response = self.response
        if response is None:
            return 0.0
        return round(
            sum(step_kw(s) for s in response.steps if s.entity_id not in response.overridden), 3
        )

    # --- storage ------------------------------------------------------------------------

    def as_dict(self, store: EventStore) -> dict[str, Any]:
        """The stored keys (beside the store's "events"); forgotten events' choices dropped."""
        return {
            "response": self.response.as_dict() if self.response else None,
            "restore": [step.as_dict() for step in self.restore_pending],
            "participated": {
                event_id: value
                for event_id, value in self.participated.items()
                if store.get(event_id) is not None
            },
        }

    def load(self, stored: Mapping[str, Any]) -> None:
        """Read what `as_dict` wrote, key by key (KeyError, TypeError, ValueError if unreadable).

        In order (the plan, what awaits restoring, the choices): what read
        before a key that does not read is kept, as the entry always did.
        """
        self.response = Response.from_dict(stored["response"]) if stored.get("response") else None
        self.restore_pending = [Step.from_dict(s) for s in stored.get("restore", ())]
        self.participated = dict(stored.get("participated", {}))


def _asks(event: DrEvent, now: datetime, limits: Limits) -> bool:
    """Whether the event asks for less now or at any later boundary of it."""
    return any(
        should_respond(event, moment, limits)
        for moment in (now, *event.boundaries())
        if now <= moment < event.end
    )


def stored_dict(store: EventStore, responder: Responder) -> dict[str, Any]:
    """What the aggregator entry stores: the events, then the responder's keys."""
    return {"events": store.as_dict(), **responder.as_dict(store)}
