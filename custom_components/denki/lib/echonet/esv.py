"""ECHONET Lite services (ESV): requests, answers and the "not possible" answers."""

from enum import IntEnum, unique


@unique
class ESV(IntEnum):
    """Every ESV of the ECHONET Lite specification, part II, 3.2.5."""

    SETI_SNA = 0x50
    SETC_SNA = 0x51
    GET_SNA = 0x52
    INF_SNA = 0x53
    SETGET_SNA = 0x5E
    SETI = 0x60
    SETC = 0x61
    GET = 0x62
    INF_REQ = 0x63
    SETGET = 0x6E
    SET_RES = 0x71
    GET_RES = 0x72
    INF = 0x73
    INFC = 0x74
    INFC_RES = 0x7A
    SETGET_RES = 0x7E

    @property
    def is_request(self) -> bool:
        """A service a controller sends to ask something of a node."""
        return 0x60 <= self <= 0x6F

    @property
    def is_failure(self) -> bool:
        """A "not possible" answer (0x5x)."""
        return 0x50 <= self <= 0x5F

    @property
    def has_get_list(self) -> bool:
        """SetGet and its answers carry a second property list (the Get part)."""
        return self in (ESV.SETGET, ESV.SETGET_RES, ESV.SETGET_SNA)


# What each request is answered with when it succeeds, and when it does not.
# SetI is answered only when it fails; INF_REQ is answered with an INF.
RESPONSES: dict[ESV, tuple[ESV | None, ESV]] = {
    ESV.SETI: (None, ESV.SETI_SNA),
    ESV.SETC: (ESV.SET_RES, ESV.SETC_SNA),
    ESV.GET: (ESV.GET_RES, ESV.GET_SNA),
    ESV.INF_REQ: (ESV.INF, ESV.INF_SNA),
    ESV.SETGET: (ESV.SETGET_RES, ESV.SETGET_SNA),
}
