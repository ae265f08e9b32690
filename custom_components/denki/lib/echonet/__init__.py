"""ECHONET Lite: frames, services and property maps. Nothing here imports Home Assistant."""

from .client import EchonetClient, Listener, UnconfirmedError
from .controller_node import ControllerNode
from .errors import EchonetError, FrameError
from .esv import ESV, RESPONSES
from .exchange import DiscoveredNode, EchonetTimeoutError, Reply
from .frame import CONTROLLER, EOJ, NODE_PROFILE, Frame, Property, decode_frame, encode_frame
from .node_profile import decode_instance_list, encode_class_list, encode_instance_list
from .property_map import decode_property_map, encode_property_map
from .retry import RetryPolicy
from .transport import (
    ECHONET_PORT,
    MULTICAST_GROUP,
    EchonetCounters,
    EchonetTransport,
    TransportError,
)

__all__ = [
    "CONTROLLER",
    "ECHONET_PORT",
    "EOJ",
    "ESV",
    "MULTICAST_GROUP",
    "NODE_PROFILE",
    "RESPONSES",
    "ControllerNode",
    "DiscoveredNode",
    "EchonetClient",
    "EchonetCounters",
    "EchonetError",
    "EchonetTimeoutError",
    "EchonetTransport",
    "Frame",
    "FrameError",
    "Listener",
    "Property",
    "Reply",
    "RetryPolicy",
    "TransportError",
    "UnconfirmedError",
    "decode_frame",
    "decode_instance_list",
    "decode_property_map",
    "encode_class_list",
    "encode_frame",
    "encode_instance_list",
    "encode_property_map",
]
