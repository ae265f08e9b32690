"""Which OpenADR 3 events a VEN acts on: pure functions, for polled and pushed events alike.

A VTN is trusted to filter, but not relied on: the reference VTN answers
GET /events?programID=X with every program's events, and an MQTT topic
wider than the VEN-scoped one (all events, or a program's events) carries
events targeted at other VENs (binding section 22.5: "must filter
client-side for events of specific interest"). So the VEN checks both the
program and the targets itself.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def program_of(obj: Mapping[str, Any]) -> str | None:
    """An event's programID (camelCase, or snake_case as the reference VTN pushes it)."""
    value = obj.get("programID", obj.get("program_id"))
    return None if value is None else str(value)


def in_program(obj: Mapping[str, Any], program_id: str | None) -> bool:
    """Whether an event object belongs to the configured program (any, when None or "")."""
    return not program_id or program_of(obj) == str(program_id)


def targets_match(obj: Mapping[str, Any], ven_targets: Iterable[str] | None) -> bool:
    """Whether an object's targets let this VEN act on it.

    OpenADR 3.1 targets are plain strings (definition, `target` schema); an
    object without targets is for every VEN, one with targets is for the VENs
    granted at least one of them in their ven or resource objects (User
    Guide section 7.10, "Targeting"). With `ven_targets` None (not known) the
    VTN's own filtering is trusted.
    """
    targets = obj.get("targets")
    if ven_targets is None or not targets:
        return True
    if not isinstance(targets, list):
        return True  # a 3.0 valuesMap shape: leave it to the VTN
    wanted = {str(t) for t in targets if isinstance(t, str)}
    return not wanted or bool(wanted & set(ven_targets))


def event_ignored(
    obj: Mapping[str, Any], program_id: str | None, ven_targets: Iterable[str] | None = None
) -> str | None:
    """Why this VEN does not act on an event object, or None when it does."""
    if not in_program(obj, program_id):
        return f"belongs to program {program_of(obj)!r}, not {program_id!r}"
    if not targets_match(obj, ven_targets):
        return f"targets {obj.get('targets')} are not this VEN's"
    return None


def events_for(
    objs: Iterable[Mapping[str, Any]],
    program_id: str | None,
    ven_targets: Iterable[str] | None = None,
) -> list[Mapping[str, Any]]:
    """The event objects this VEN acts on, in order."""
    targets = None if ven_targets is None else list(ven_targets)
    return [obj for obj in objs if event_ignored(obj, program_id, targets) is None]


def resolve_program(programs: Sequence[Mapping[str, Any]], wanted: str) -> str | None:
    """The id of the program `wanted` names: its id, else its programName; None if unseen."""
    for program in programs:
        if str(program.get("id")) == wanted:
            return wanted
    for program in programs:
        if program.get("programName", program.get("program_name")) == wanted:
            return str(program.get("id"))
    return None


def ven_targets(ven: Mapping[str, Any] | None) -> list[str] | None:
    """The targets granted to a ven object (None when there is no ven object)."""
    if ven is None:
        return None
    targets = ven.get("targets") or []
    return [str(t) for t in targets if isinstance(t, str)] if isinstance(targets, list) else []
