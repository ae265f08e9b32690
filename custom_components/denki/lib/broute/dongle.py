"""The Wi-SUN dongle driver: SK commands over an asyncio serial port.

One command is in flight at a time. What the dongle says is parsed by
`SkStreamParser`; replies (`OK`, `FAIL`, `E…` lines, echoes) go to the
command in flight, and what the radio brings (`EVENT`, `EPANDESC`, `ERXUDP`)
goes to the event queue, whether or not a command is running.

The dialect and the ERXUDP payload mode are read from the dongle itself
(`SKINFO`, `ROPT`), never asked of the user, and never changed: `WOPT` writes
to the dongle's flash, which allows a limited number of writes. momonga does
write it when ROPT says binary (momonga 0.7.0, momonga_sk_wrapper.py lines
164-170, "WOPT 01"); Denki instead reads binary payloads as they come, as
smdn/Smdn.Net.SkStackIP does (Protocol/SkStackEventParser.cs, TryExpectERXUDP
reads DATALEN raw bytes unless the format is HexAsciiText). So an RS-WSUHA-P,
which ships in binary mode (ROPT answers `OK 00`), works unchanged.

What Denki needs set is set in RAM registers with `SKSREG` only: on a
BP35C0/C2 that is `SKSREG SA2 1`, which adds the RSSI field to ERXUDP (as
momonga does, momonga_session_manager.py line 143); a dongle that refuses
SA2 keeps its 10-field ERXUDP, which the parser reads as well.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
import functools
import logging
from typing import Self

import serial
import serial_asyncio_fast

from .errors import (
    DongleCommandError,
    DongleDisconnectedError,
    DongleError,
    DongleTimeoutError,
    PortInUseError,
)
from .sk_messages import (
    SECRET_COMMANDS,
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
from .sk_parser import SkStreamParser

_CLOSE_SECONDS = 2.0
"""How long closing the port may take before it is left to the operating system."""
_LOGGER = logging.getLogger(__name__)

BAUDRATE = 115200
COMMAND_TIMEOUT = 5.0
ECHONET_LITE_PORT = 0x0E1A
_BP35A1_NO_SIDE = "FFFE"  # SKINFO's last field on a dongle without sides

type RadioMessage = SkEvent | PanDescriptor | UdpReceived


@dataclass(frozen=True, slots=True)
class DongleInfo:
    """What the dongle says of itself."""

    dialect: Dialect
    binary_payload: bool
    mac: str
    version: str | None
    ropt: int | None = None
    """What ROPT answered, or None where the dongle has no ROPT (old BP35A1
    firmware, the Tessera RL7023 sticks: FAIL ER04)."""
    rssi_field: bool = False
    """Whether `SKSREG SA2 1` was taken (BP35C0/C2): ERXUDP carries the RSSI."""
    family: DongleFamily = DongleFamily.SK
    """The command set: SK (text) or J11 (ROHM's binary frames). A J11 dongle
    (BP35C0-J11, RATOC RS-WSUHA-J11) has no SK dialect: its `dialect` is BP35C
    (the module it is built on), `binary_payload` True, `mac` "" (no J11
    command Denki uses reports it) and `version` its firmware, major.minor.revision."""
    firmware_id: int | None = None
    """A J11 dongle's firmware ID (Get Version Information); None on an SK dongle."""


ROPT_ASCII = 0x01
"""ROPT bit 0: ERXUDP payloads in hex ASCII (1) or raw bytes (0). The other bits
are other options (the BP35C0's bit 1 is the UART line end setting), so the
value is read by its bit, never compared with "00" or "01"."""


def ropt_value(text: str | None) -> int | None:
    """ROPT's answer (`OK 01`) as a number, or None when it is not hexadecimal."""
    if text is None:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def link_local_address(mac: str) -> str:
    """The IPv6 link-local address of a Wi-SUN MAC (what SKLL64 answers)."""
    raw = bytearray.fromhex(mac)
    if len(raw) != 8:
        raise ValueError(f"a Wi-SUN MAC has 8 bytes, not {len(raw)}")
    raw[0] ^= 0x02
    return "FE80:0000:0000:0000:" + ":".join(raw[i : i + 2].hex().upper() for i in range(0, 8, 2))


class _UnpluggableTransport(serial_asyncio_fast.SerialTransport):
    """A serial transport for which a vanishing port is an expected loss, not a crash.

    pyserial-asyncio-fast reports a failed write to the event loop's
    exception handler (Home Assistant logs that as an unhandled error with a
    traceback) before closing. Unplugging a USB dongle is a normal event
    here: the transport just closes with the error, the reader sees it, and
    the driver reports the dongle as disconnected once.
    """

    def _fatal_error(
        self, exc: BaseException, message: str = "Fatal error on serial transport"
    ) -> None:
        if isinstance(exc, (OSError, serial.SerialException)):
            self._abort(exc)
            return
        super()._fatal_error(exc, message)  # pragma: no cover - not an I/O error


async def open_serial(
    port: str, baudrate: int = BAUDRATE
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a dongle's serial port as a stream, locked for this program alone.

    Raises PortInUseError when another program holds it, DongleDisconnectedError
    when it cannot be opened. Both the SK and the J11 driver (`j11_session`) open
    their port here.
    """
    loop = asyncio.get_running_loop()
    try:
        # An exclusive lock (flock): a second program, or the probe CLI while Home
        # Assistant runs, is told the port is in use instead of sharing the session.
        instance = await loop.run_in_executor(
            None,
            functools.partial(serial.serial_for_url, port, baudrate=baudrate, exclusive=True),
        )
    except (OSError, serial.SerialException) as err:
        if "exclusively lock" in str(err):
            raise PortInUseError(f"{port} is in use by another program") from err
        raise DongleDisconnectedError(f"cannot open {port}: {err}") from err
    reader = asyncio.StreamReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport = _UnpluggableTransport(loop, protocol, instance)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


class SkDongle:
    """A Wi-SUN dongle on a serial port."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Drive the dongle behind an open stream; call `start()` next."""
        self._reader = reader
        self._writer = writer
        self._parser = SkStreamParser()
        self._lock = asyncio.Lock()
        self._replies: asyncio.Queue[SkMessage | DongleError] | None = None
        self.events: asyncio.Queue[RadioMessage | DongleError] = asyncio.Queue()
        self._read_task: asyncio.Task[None] | None = None
        self._closed = False
        self.disconnected: DongleDisconnectedError | None = None
        self.info: DongleInfo | None = None
        self.unparsed = 0

    @classmethod
    async def open(cls, port: str, baudrate: int = BAUDRATE) -> Self:
        """Open the serial port and start reading; raise DongleDisconnectedError if it cannot."""
        reader, writer = await open_serial(port, baudrate)
        dongle = cls(reader, writer)
        dongle.start()
        return dongle

    def start(self) -> None:
        """Start the task that reads the port."""
        self._read_task = asyncio.create_task(self._read_loop(), name="denki-wisun-reader")

    async def _read_loop(self) -> None:
        try:
            while data := await self._reader.read(4096):
                for message in self._parser.feed(data):
                    self._route(message)
            reason = "the dongle's port closed"
        except (OSError, serial.SerialException) as err:
            reason = f"the dongle's port failed: {err}"
        if self._closed:
            return
        # The caller reports the loss to the user, once; here it is a detail.
        _LOGGER.debug("Wi-SUN dongle disconnected: %s", reason)
        self.disconnected = DongleDisconnectedError(reason)
        if self._replies is not None:
            self._replies.put_nowait(self.disconnected)
        self.events.put_nowait(self.disconnected)

    def _route(self, message: SkMessage) -> None:
        if _LOGGER.isEnabledFor(logging.DEBUG):
            # The parser keeps no argument of a secret command's echo (SKSETPWD, SKSETRBID).
            _LOGGER.debug("Wi-SUN dongle -> %s", message)
        if isinstance(message, (SkEvent, PanDescriptor, UdpReceived)):
            self.events.put_nowait(message)
            return
        if isinstance(message, Unparsed):
            self.unparsed += 1
            _LOGGER.debug("Ignored output of the dongle (%s)", message.reason)
            return
        if self._replies is not None:
            self._replies.put_nowait(message)
        else:
            _LOGGER.debug("Ignored a reply with no command in flight: %s", type(message).__name__)

    async def command(
        self,
        command: str,
        *arguments: str,
        payload: bytes | None = None,
        within: float = COMMAND_TIMEOUT,
        done: Callable[[SkMessage], bool] | None = None,
    ) -> list[SkMessage]:
        """Send one command; return its replies up to and including `OK`.

        `payload` is sent raw after the arguments (SKSENDTO). `done` decides
        when the replies are complete instead of `OK`. Raises
        DongleCommandError on `FAIL`, DongleTimeoutError when the dongle does
        not finish in time, DongleDisconnectedError when the port is gone.
        The arguments of SKSETPWD and SKSETRBID are never logged.
        """
        if self.disconnected is not None:
            raise self.disconnected
        line = " ".join((command, *arguments))
        loggable = command if command in SECRET_COMMANDS else line
        async with self._lock:
            replies: asyncio.Queue[SkMessage | DongleError] = asyncio.Queue()
            self._replies = replies
            try:
                _LOGGER.debug("Wi-SUN dongle <- %s", loggable)
                self._writer.write(
                    line.encode("ascii") + (b" " + payload if payload is not None else b"\r\n")
                )
                collected: list[SkMessage] = []
                async with asyncio.timeout(within):
                    while True:
                        reply = await replies.get()
                        if isinstance(reply, DongleError):
                            raise reply
                        if isinstance(reply, Echo):
                            continue
                        if isinstance(reply, Fail):
                            raise DongleCommandError(command, reply.code)
                        collected.append(reply)
                        if done(reply) if done is not None else isinstance(reply, Ok):
                            return collected
            except TimeoutError:
                raise DongleTimeoutError(f"{command} got no answer within {within:g} s") from None
            finally:
                self._replies = None

    async def detect(self) -> DongleInfo:
        """Learn the dialect and the payload mode from the dongle itself."""
        version = None
        try:
            for reply in await self.command("SKVER"):
                if isinstance(reply, Reply) and reply.keyword == "EVER" and reply.fields:
                    version = reply.fields[0]
        except DongleCommandError:
            _LOGGER.debug("The dongle does not answer SKVER")
        einfo = [
            r for r in await self.command("SKINFO") if isinstance(r, Reply) and r.keyword == "EINFO"
        ]
        if not einfo or len(einfo[0].fields) < 5:
            raise DongleError("the dongle answered SKINFO without its EINFO line")
        fields = einfo[0].fields
        dialect = Dialect.BP35A1 if fields[-1].upper() == _BP35A1_NO_SIDE else Dialect.BP35C
        ropt: int | None = None
        try:
            answers = [r for r in await self.command("ROPT") if isinstance(r, Ok)]
            ropt = ropt_value(answers[-1].value) if answers else None
        except DongleCommandError:
            # No ROPT (old BP35A1 firmware; the Tessera sticks answer FAIL ER04):
            # such a dongle sends hex payloads, as momonga assumes too
            # (momonga_sk_wrapper.py lines 171-172).
            _LOGGER.debug("The dongle has no ROPT; assuming hex payloads")
        binary = ropt is not None and not ropt & ROPT_ASCII
        self._parser.configure(dialect, binary_payload=binary)
        self.info = DongleInfo(dialect, binary, fields[1], version, ropt, rssi_field=False)
        _LOGGER.debug(
            "Wi-SUN dongle %s (firmware %s): %s dialect, %s payloads",
            fields[1],
            version,
            dialect,
            "binary" if binary else "hex",
        )
        return self.info

    async def set_registers(self) -> None:
        """Set what a session needs in RAM registers (never WOPT or SKSAVE: flash wears).

        On a BP35C0/C2 that is `SKSREG SA2 1`, which adds the RSSI field to
        ERXUDP (momonga_session_manager.py line 143 does the same); a dongle
        that refuses it keeps its 10-field ERXUDP, which the parser reads too.
        `detect` stays read-only (a probe sends nothing that changes the dongle).
        """
        info = self.info
        if info is None:
            raise DongleError("detect() must run before the registers are set")
        if info.dialect is not Dialect.BP35C:
            return
        try:
            await self.command("SKSREG", "SA2", "1")
        except DongleCommandError:
            _LOGGER.debug("The dongle does not take SKSREG SA2; ERXUDP without RSSI")
            return
        self.info = replace(info, rssi_field=True)

    async def send_udp(
        self,
        address: str,
        data: bytes,
        *,
        port: int = ECHONET_LITE_PORT,
        secured: bool = True,
        side: int = 0,
    ) -> None:
        """Send a datagram to the meter through the PANA session (SKSENDTO)."""
        info = self._require_info()
        arguments = ["1", address, f"{port:04X}", "1" if secured else "0"]
        if info.dialect is Dialect.BP35C:
            arguments.append(str(side))
        arguments.append(f"{len(data):04X}")
        await self.command("SKSENDTO", *arguments, payload=data)

    def _require_info(self) -> DongleInfo:
        if self.info is None:
            raise DongleError("detect() must run before the dongle sends or scans")
        return self.info

    async def next_event(self, within: float) -> RadioMessage:
        """The next event from the radio; raises if the dongle is gone or nothing comes."""
        try:
            async with asyncio.timeout(within):
                event = await self.events.get()
        except TimeoutError:
            raise DongleTimeoutError(f"no event from the dongle within {within:g} s") from None
        if isinstance(event, DongleError):
            raise event
        return event

    async def close(self) -> None:
        """Stop reading and close the port, and wait until it is closed (its lock let go)."""
        self._closed = True
        if self._read_task is not None:
            self._read_task.cancel()
        self._writer.close()
        # The transport closes the port on a later turn of the loop: until then its
        # exclusive lock holds, and a re-open at once (the recovery ladder) would find the
        # port "in use" by ourselves.
        try:
            async with asyncio.timeout(_CLOSE_SECONDS):
                await self._writer.wait_closed()
        except (TimeoutError, OSError, serial.SerialException) as err:
            _LOGGER.debug("The port did not close cleanly: %s", err or "timeout")
