"""ECHONET Lite: frames, services and property maps. Nothing here imports Home Assistant."""

from .errors import EchonetError, FrameError
from .esv import ESV, RESPONSES
from .frame import CONTROLLER, EOJ, NODE_PROFILE, Frame, Property, decode_frame, encode_frame
from .property_map import decode_property_map, encode_property_map

__all__ = [
    "CONTROLLER",
    "EOJ",
    "ESV",
    "NODE_PROFILE",
    "RESPONSES",
    "EchonetError",
    "Frame",
    "FrameError",
    "Property",
    "decode_frame",
    "decode_property_map",
    "encode_frame",
    "encode_property_map",
]
