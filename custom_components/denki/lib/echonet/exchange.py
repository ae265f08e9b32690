"""What the ECHONET Lite client returns: answers, discovered nodes, timeouts."""

from dataclasses import dataclass

from .errors import EchonetError
from .esv import ESV
from .frame import EOJ, Frame

_SET_ANSWERS = frozenset({ESV.SET_RES, ESV.SETC_SNA, ESV.SETI_SNA})


@dataclass(frozen=True, slots=True)
class Reply:
    """A node's answer to one request.

    Attributes:
        address: The IPv4 address of the node that answered (the node asked).
        frame: The answer as received.
    """

    address: str
    frame: Frame

    @property
    def ok(self) -> bool:
        """Whether the node did all that was asked (not a "not possible" answer)."""
        return not self.frame.esv.is_failure

    @property
    def values(self) -> dict[int, bytes]:
        """EDT by EPC of the properties a Get or INF_REQ answer carries data for."""
        if self.frame.esv in _SET_ANSWERS:
            return {}
        return {prop.epc: prop.edt for prop in self.frame.properties if prop.edt}

    @property
    def refused(self) -> frozenset[int]:
        """The EPCs the node could not get or set.

        A Get_SNA (or INF_SNA) names them with an empty EDT; a SetC_SNA (or
        SetI_SNA) names them by echoing the EDT it refused, the accepted
        ones with an empty EDT.
        """
        if not self.frame.esv.is_failure:
            return frozenset()
        refused_when_empty = self.frame.esv not in _SET_ANSWERS
        return frozenset(
            prop.epc for prop in self.frame.properties if (not prop.edt) == refused_when_empty
        )


@dataclass(frozen=True, slots=True)
class DiscoveredNode:
    """A node that answered discovery.

    Attributes:
        address: Its IPv4 address.
        instances: The objects its node profile lists (0xD6), empty if it
            did not give a well-formed list.
    """

    address: str
    instances: tuple[EOJ, ...]


class EchonetTimeoutError(EchonetError):
    """A node did not answer a request, however often it was sent."""

    def __init__(self, address: str, eoj: EOJ, esv: ESV, waited: tuple[float, ...]) -> None:
        """Say who did not answer what, and how long each attempt waited."""
        super().__init__(
            f"{address} did not answer {esv.name} to {eoj} "
            f"({len(waited)} attempts, {sum(waited):.1f} s)"
        )
        self.address = address
        self.eoj = eoj
        self.esv = esv
        self.waited = waited
