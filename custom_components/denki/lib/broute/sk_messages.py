"""What a Wi-SUN dongle says over its serial port, as typed values.

Two dialects of the SK command set are in use. ROHM's BP35A1 (inside the
Tessera RL7023 Stick-D/IPS) reports no radio "side"; the BP35C0/BP35C2 family
(inside the RL7023 Stick-D/DSS and Ratoc RS-WSUHA) adds a side field to
EVENT, EPANDESC and ERXUDP and a link-quality field to ERXUDP.
"""

from dataclasses import dataclass, field
from enum import StrEnum, unique


@unique
class Dialect(StrEnum):
    """The SK dialect a dongle speaks, detected from the dongle itself."""

    BP35A1 = "bp35a1"
    """No side fields: ROHM BP35A1, Tessera RL7023 Stick-D/IPS."""

    BP35C = "bp35c"
    """Side fields: ROHM BP35C0/BP35C2, RL7023 Stick-D/DSS, Ratoc RS-WSUHA."""


@unique
class DongleFamily(StrEnum):
    """The command set a dongle speaks, told apart by what it answers."""

    SK = "sk"
    """ROHM's text SK command set (SKVER, SKJOIN, …), in one of the `Dialect`s."""

    J11 = "j11"
    """ROHM's binary J11 command set: BP35C0-J11, RATOC RS-WSUHA-J11 (`j11`)."""


# Commands whose arguments are secrets: their echo never keeps the arguments.
SECRET_COMMANDS = frozenset({"SKSETPWD", "SKSETRBID", "SKSETPSK"})


@dataclass(frozen=True, slots=True)
class Echo:
    """The dongle repeating a command it was sent (echo back, register SFE).

    The arguments of a command that carries a secret are not kept.
    """

    command: str
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ok:
    """`OK`, optionally with a value (ROPT answers `OK 01`)."""

    value: str | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    """`FAIL ERxx`: the command was refused, with its error code."""

    code: str

    @property
    def number(self) -> int | None:
        """The error number (ER04 → 4), or None when the code is not ERnn."""
        if self.code.startswith("ER") and self.code[2:].isdigit():
            return int(self.code[2:])
        return None


@dataclass(frozen=True, slots=True)
class Reply:
    """A one-line answer such as `EINFO …`, `EVER 1.2.10` or `ESREG 0`."""

    keyword: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SkEvent:
    """`EVENT nn sender [side] [param]`; the number is hexadecimal (EVENT 25 = 0x25)."""

    code: int
    sender: str
    side: int | None = None
    param: int | None = None


@dataclass(frozen=True, slots=True)
class PanDescriptor:
    """One `EPANDESC` block: a PAN found by an active scan."""

    channel: int
    channel_page: int
    pan_id: int
    mac: str
    lqi: int
    side: int | None = None
    pair_id: str | None = None


@dataclass(frozen=True, slots=True)
class UdpReceived:
    """`ERXUDP`: a UDP datagram the dongle received."""

    sender: str
    destination: str
    remote_port: int
    local_port: int
    sender_mac: str
    secured: bool
    data: bytes = field(repr=False)
    lqi: int | None = None
    side: int | None = None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """Bytes that make no sense as SK output, and why; the stream goes on after them."""

    reason: str
    text: str = field(repr=False)


type SkMessage = Echo | Ok | Fail | Reply | SkEvent | PanDescriptor | UdpReceived | Unparsed
