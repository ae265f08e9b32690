"""Demand response: the event model every aggregator protocol feeds.

Nothing here imports Home Assistant.
"""

from .duration import INFINITE, DurationError, parse_duration
from .model import DrEvent, EventError, EventStatus, Interval, OptState, SignalType
from .openadr3 import event_from_openadr3

__all__ = [
    "INFINITE",
    "DrEvent",
    "DurationError",
    "EventError",
    "EventStatus",
    "Interval",
    "OptState",
    "SignalType",
    "event_from_openadr3",
    "parse_duration",
]
