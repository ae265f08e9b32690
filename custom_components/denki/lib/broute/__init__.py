"""The B-route: a Wi-SUN dongle (SK or J11 command set) and the smart meter behind it.

Nothing here imports Home Assistant.
"""

from .sk_messages import (
    Dialect,
    DongleFamily,
    Echo,
    Fail,
    Ok,
    PanDescriptor,
    Reply,
    SkEvent,
    SkMessage,
    UdpReceived,
    Unparsed,
)
from .sk_parser import MAX_UDP_PAYLOAD, SkStreamParser

__all__ = [
    "MAX_UDP_PAYLOAD",
    "Dialect",
    "DongleFamily",
    "Echo",
    "Fail",
    "Ok",
    "PanDescriptor",
    "Reply",
    "SkEvent",
    "SkMessage",
    "SkStreamParser",
    "UdpReceived",
    "Unparsed",
]
