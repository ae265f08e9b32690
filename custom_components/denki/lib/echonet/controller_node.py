"""Our own ECHONET Lite node: a node profile (0x0EF001) and a controller (0x05FF01).

Devices and other controllers may ask a controller about itself: some only
send notifications to nodes they have discovered. `ControllerNode.answer`
turns a request addressed to one of our two objects into its answer: Get
into Get_Res, or Get_SNA naming (with an empty EDT) the properties we lack;
INF_REQ likewise into INF or INF_SNA. We have nothing a peer may set, so
SetC, SetI and SetGet are refused with their "not possible" answers.
`ControllerNode.announcement` is the instance-list notification (INF of
0xD5 from the node profile to every node profile) a node sends at start, as
SonyCSL/OpenECHO's `Echo.start()` does (src/com/sonycsl/echo/Echo.java).
"""

from dataclasses import dataclass, field
import secrets

from .esv import ESV
from .frame import CONTROLLER, EOJ, NODE_PROFILE, Frame, Property
from .node_profile import (
    EPC_ANNOUNCEMENT_MAP,
    EPC_CLASS_COUNT,
    EPC_CLASS_LIST,
    EPC_GET_MAP,
    EPC_IDENTIFICATION,
    EPC_INSTANCE_COUNT,
    EPC_INSTANCE_LIST,
    EPC_INSTANCE_LIST_NOTIFICATION,
    EPC_MANUFACTURER,
    EPC_OPERATING_STATUS,
    EPC_SET_MAP,
    EPC_VERSION,
    encode_class_list,
    encode_instance_list,
)
from .property_map import encode_property_map

EXPERIMENTAL_MANUFACTURER = 0xFFFFFF
"""The manufacturer code of nodes not registered with the ECHONET Consortium."""

NODE_PROFILE_VERSION = bytes((1, 14, 0x01, 0x00))
"""Version 1.14, message format 1 only (node profile 0x82)."""

CONTROLLER_RELEASE = bytes((0, 0, ord("R"), 0))
"""Appendix release R (device object super class 0x82)."""

ON = b"\x30"
NO_FAULT = b"\x42"
LOCATION_NOT_SET = b"\x00"
EPC_INSTALLATION_LOCATION = 0x81
EPC_FAULT_STATUS = 0x88
_OBJECTS = (CONTROLLER,)
_REFUSALS = {ESV.SETC: ESV.SETC_SNA, ESV.SETI: ESV.SETI_SNA, ESV.SETGET: ESV.SETGET_SNA}


def _with_maps(values: dict[int, bytes], announced: set[int]) -> dict[int, bytes]:
    """Add the announcement, Set and Get property maps to an object's values."""
    values[EPC_ANNOUNCEMENT_MAP] = encode_property_map(announced)
    values[EPC_SET_MAP] = encode_property_map(())
    values[EPC_GET_MAP] = encode_property_map({*values, EPC_GET_MAP})
    return values


@dataclass(frozen=True, slots=True)
class ControllerNode:
    """The properties our node discloses, and how it answers requests.

    Attributes:
        manufacturer_code: Three-byte ECHONET manufacturer code (0x8A).
        unique_id: The 13 bytes that make our identification number (0x83)
            unique; keep them across restarts so peers recognise us.
    """

    manufacturer_code: int = EXPERIMENTAL_MANUFACTURER
    unique_id: bytes = field(default_factory=lambda: secrets.token_bytes(13))

    def __post_init__(self) -> None:
        """Check the sizes the properties carry."""
        if not 0 <= self.manufacturer_code <= 0xFFFFFF:
            raise ValueError("a manufacturer code is three bytes")
        if len(self.unique_id) != 13:
            raise ValueError("the unique part of an identification number is 13 bytes")

    def properties(self, eoj: EOJ) -> dict[int, bytes] | None:
        """Every property value of one of our objects by EPC, or None if it is not ours."""
        manufacturer = self.manufacturer_code.to_bytes(3)
        if eoj == NODE_PROFILE:
            values = {
                EPC_OPERATING_STATUS: ON,
                EPC_VERSION: NODE_PROFILE_VERSION,
                EPC_IDENTIFICATION: b"\xfe" + manufacturer + self.unique_id,
                EPC_MANUFACTURER: manufacturer,
                EPC_INSTANCE_COUNT: len(_OBJECTS).to_bytes(3),
                EPC_CLASS_COUNT: (len({eoj.class_id for eoj in _OBJECTS}) + 1).to_bytes(2),
                EPC_INSTANCE_LIST: encode_instance_list(_OBJECTS),
                EPC_CLASS_LIST: encode_class_list(_OBJECTS),
            }
            return _with_maps(values, {EPC_OPERATING_STATUS, EPC_INSTANCE_LIST_NOTIFICATION})
        if eoj == CONTROLLER:
            values = {
                EPC_OPERATING_STATUS: ON,
                EPC_INSTALLATION_LOCATION: LOCATION_NOT_SET,
                EPC_VERSION: CONTROLLER_RELEASE,
                EPC_FAULT_STATUS: NO_FAULT,
                EPC_MANUFACTURER: manufacturer,
            }
            return _with_maps(
                values, {EPC_OPERATING_STATUS, EPC_INSTALLATION_LOCATION, EPC_FAULT_STATUS}
            )
        return None

    def announcement(self, tid: int) -> Frame:
        """Our instance-list notification: INF of 0xD5 from our node profile to the group's."""
        instances = encode_instance_list(_OBJECTS)
        return Frame(
            tid,
            NODE_PROFILE,
            NODE_PROFILE,
            ESV.INF,
            (Property(EPC_INSTANCE_LIST_NOTIFICATION, instances),),
        )

    def owns(self, eoj: EOJ) -> EOJ | None:
        """Which of our objects a destination names (instance 0: every instance), if any."""
        for ours in (NODE_PROFILE, CONTROLLER):
            if eoj == ours or (eoj.instance == 0 and eoj.class_id == ours.class_id):
                return ours
        return None

    def answer(self, request: Frame) -> Frame | None:
        """The answer to a request for one of our objects; None if it needs none.

        A request for an object we do not have is not answered (specification
        part II, 4.2.2), nor is anything but a request.
        """
        ours = self.owns(request.deoj)
        if ours is None or not request.esv.is_request:
            return None
        values = self.properties(ours) or {}
        refusal = _REFUSALS.get(request.esv)
        if refusal is not None:
            esv = refusal
            properties = request.properties
            get_properties = tuple(
                Property(prop.epc, values.get(prop.epc, b"")) for prop in request.get_properties
            )
        else:
            properties = tuple(
                Property(prop.epc, values.get(prop.epc, b"")) for prop in request.properties
            )
            get_properties = ()
            complete = all(prop.epc in values for prop in request.properties)
            success, failure = (
                (ESV.GET_RES, ESV.GET_SNA) if request.esv == ESV.GET else (ESV.INF, ESV.INF_SNA)
            )
            esv = success if complete else failure
        return Frame(request.tid, ours, request.seoj, esv, properties, get_properties)
