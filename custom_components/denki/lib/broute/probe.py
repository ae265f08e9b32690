"""Which command set a dongle speaks, SK (text) or J11 (binary), told by asking it.

`open_dongle` opens a port and returns the driver for what answers there:
`SkDongle` when `SKVER` is answered, `J11Dongle` when Get Version
Information is (broute_j11/commands.py lines 214-216). SK is asked first, so
that an SK dongle (every dongle Denki knew before J11) sees nothing it did
not see before: text without a J11 unique code is nothing to a J11 dongle,
which looks for the unique code (broute_j11/codec.py lines 227-234), while
binary bytes before an SK command would make that command fail.

`probe` does the same read-only (`SKVER`, `SKINFO`, `ROPT`; the J11
version), says what it found, and closes the port.
"""

import asyncio
import contextlib
import logging

import serial

from . import j11
from .dongle import COMMAND_TIMEOUT, DongleInfo, SkDongle, open_serial
from .errors import DongleCommandError, DongleDisconnectedError, DongleError, DongleTimeoutError
from .j11_session import J11Dongle
from .sk_messages import DongleFamily

_LOGGER = logging.getLogger(__name__)

FAMILY_WAIT = 3.0
"""Seconds each command set's question waits for its answer while telling them apart: a J11
dongle opened for the first time costs this long (its SK question goes unanswered)."""
_SK_ANSWERS = (b"EVER", b"OK", b"FAIL")

type AnyDongle = SkDongle | J11Dongle


def _sk_status(seen: bytes) -> bool | None:
    """Whether the SK answer in `seen` is complete; None while it is still coming.

    True once its status line (`OK`, or `FAIL ...`) has ended: CR, LF or both,
    as a BP35A1 1.2.10 ends some lines with CR alone.
    """
    lines = seen.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    # The last piece has no line end yet: only the ended lines count.
    if any(line.strip() == b"OK" or line.startswith(b"FAIL") for line in lines[:-1]):
        return True
    return None


async def _sk_answers(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, within: float
) -> bool:
    """Whether `SKVER` gets an SK answer, read to its end (`EVER x.y.z`, then `OK`).

    Read up to the status line, and no further: what the driver reads next is
    its own commands' answers, with no time spent draining (and no wait on a
    clock a test may hold still).
    """
    writer.write(b"SKVER\r\n")
    seen = bytearray()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while _sk_status(bytes(seen)) is None:
                chunk = await reader.read(4096)
                if not chunk:
                    break
                seen += chunk
                if j11.RESPONSE_UNIQUE_CODE.to_bytes(4) in seen:
                    return False  # a J11 dongle answering the text with a frame
    return _sk_status(bytes(seen)) is True or any(answer in seen for answer in _SK_ANSWERS)


async def _j11_answers(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, within: float
) -> bool:
    """Whether Get Version Information gets its J11 response."""
    writer.write(j11.version_request())
    decoder = j11.J11StreamDecoder()
    expected = j11.response_code(j11.Command.GET_VERSION)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while chunk := await reader.read(4096):
                if any(frame.command == expected for frame in decoder.feed(chunk)):
                    return True
    return False


async def _drain(reader: asyncio.StreamReader, within: float = 0.2) -> None:
    """Read what is left of an answer so the driver starts on a clean stream."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while await reader.read(4096):
                pass


async def _ask_families(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    order: tuple[DongleFamily, DongleFamily],
    within: float,
) -> AnyDongle | None:
    """Ask each command set in `order`; the driver of the first that answers, else None."""
    for family in order:
        if family is DongleFamily.SK:
            # A J11 request asked before holds no CR: end the line it left, if any.
            if family is not order[0]:
                writer.write(b"\r\n")
                await _drain(reader)
            if await _sk_answers(reader, writer, within):
                return SkDongle(reader, writer)
        elif await _j11_answers(reader, writer, within):
            # Frames carry their length: the J11 driver's decoder finds the next one itself.
            return J11Dongle(reader, writer)
    return None


async def open_dongle(
    port: str, *, within: float = FAMILY_WAIT, prefer: DongleFamily = DongleFamily.SK
) -> AnyDongle:
    """Open `port` and return a started driver for the command set it speaks.

    `prefer` is asked first: SK unless the port is known to hold a J11 dongle
    (`MeterLink` remembers what it found), which then answers at once.
    Raises PortInUseError or DongleDisconnectedError when the port cannot be
    opened, DongleTimeoutError when neither command set is answered.
    """
    reader, writer = await open_serial(port)
    dongle: AnyDongle | None = None
    order = (
        (DongleFamily.SK, DongleFamily.J11)
        if prefer is DongleFamily.SK
        else (DongleFamily.J11, DongleFamily.SK)
    )
    try:
        try:
            dongle = await _ask_families(reader, writer, order, within)
        except (OSError, serial.SerialException) as err:
            raise DongleDisconnectedError(f"the dongle's port failed: {err}") from err
    finally:
        if dongle is None:
            # Leave no J11 request as the start of an SK dongle's next command line.
            with contextlib.suppress(Exception):
                writer.write(b"\r\n")
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    if dongle is None:
        raise DongleTimeoutError(f"neither SK nor J11 commands were answered on {port}")
    dongle.start()
    return dongle


async def probe(port: str, within: float = COMMAND_TIMEOUT) -> DongleInfo | None:
    """What the dongle on `port` says of itself, SK or J11, read-only; None if nothing answers.

    `within` bounds the whole probe. An SK dongle gives its dialect, MAC,
    firmware and payload mode (`SkDongle.detect`); a J11 dongle a DongleInfo
    with `family` DongleFamily.J11, `version` its firmware ("1.2.3") and
    `firmware_id`. Raises PortInUseError when another program holds the port
    and DongleDisconnectedError when it cannot be opened.
    """
    try:
        async with asyncio.timeout(within):
            dongle = await open_dongle(port, within=min(FAMILY_WAIT, within / 3))
            try:
                return await dongle.detect()
            finally:
                await dongle.close()
    except TimeoutError:
        _LOGGER.debug("Nothing on the port answered the probe in time")
        return None
    except DongleTimeoutError as err:
        _LOGGER.debug("Nothing on the port answered the probe: %s", err)
        return None
    except DongleCommandError as err:
        _LOGGER.debug("The dongle refused a question of the probe: %s", err)
        return None
    except DongleError as err:
        if type(err) is not DongleError:
            raise  # the port is gone or held by another program: the caller says so
        _LOGGER.debug("The dongle answered the probe with something unusable: %s", err)
        return None
