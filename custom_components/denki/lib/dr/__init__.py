"""Demand response: the event model every aggregator protocol feeds.

Nothing here imports Home Assistant.
"""

from .duration import INFINITE, DurationError, parse_duration
from .model import DrEvent, EventError, EventStatus, Interval, OptState, SignalType
from .openadr3 import event_from_openadr3
from .store import Change, ChangeKind, EventStore

__all__ = [
    "INFINITE",
    "Change",
    "ChangeKind",
    "DrEvent",
    "DurationError",
    "EventError",
    "EventStatus",
    "EventStore",
    "Interval",
    "OptState",
    "SignalType",
    "event_from_openadr3",
    "parse_duration",
]
