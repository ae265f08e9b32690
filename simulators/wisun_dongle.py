"""A Wi-SUN dongle that speaks the SK command set, on a real pseudo-terminal.

`DongleModel` is the dongle without I/O: command bytes in, output bytes out.
`PtyDongle` runs a model on a pseudo-terminal whose slave path a driver (ours,
or an independent one such as momonga) opens as if it were /dev/ttyUSB0.

The model follows the ROHM command references as other implementations read
them. Two dialects: `bp35a1` (BP35A1, RL7023 Stick-D/IPS: no side fields,
SKINFO's last field is FFFE) and `bp35c` (BP35C0/C2, RL7023 Stick-D/DSS,
RS-WSUHA: a side in EVENT, EPANDESC and ERXUDP, an extra SKSCAN and SKSENDTO
argument, and SKINFO's last field is the side). A command with the other
dialect's argument count fails with FAIL ER05, as users of drivers that guess
the dialect report. What it does not model: radio timing beyond fixed
delays, PANA itself, and the registers other than those named below.

Those two dialect names are the legacy models, kept as they were. The
dongles people own differ from them in ways each field below switches on;
`simulators.dongle_profiles` combines them into named profiles (BP35A1 old
and 1.2.10+ firmware, BP35C0, BP35C2, RS-WSUHA-P, Tessera RL7023 Stick-D/IPS
and /DSS), each behaviour with the public source it comes from. The fault
switches (`send_failures`, `refuse_joins`, `wedged`) make a dongle or meter
stumble the way a session must survive.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import fcntl
import os
import sys
import termios
import tty

PANA_PORT = 0x02CC
ECHONET_PORT = 0x0E1A
# Opaque bytes standing for a PANA message from the meter (not modelled).
PANA_ANSWER = bytes.fromhex("0000001000020000")

type UdpResponder = Callable[[bytes], bytes | None]
"""Answers a datagram sent to the meter with the meter's datagram, or None."""


def link_local(mac: str) -> str:
    """The IPv6 link-local address SKLL64 gives for a MAC (U/L bit flipped)."""
    raw = bytearray.fromhex(mac)
    raw[0] ^= 0x02
    groups = [raw[i : i + 2].hex().upper() for i in range(0, 8, 2)]
    return "FE80:0000:0000:0000:" + ":".join(groups)


@dataclass
class MeterRadio:
    """What the dongle can hear: one meter's PAN and its B-route credentials."""

    rbid: str = "00112233445566778899AABBCCDDEEFF"
    password: str = "0123456789AB"  # noqa: S105 - the simulated meter's test password
    mac: str = "C0F9450040123456"
    channel: int = 0x21
    pan_id: int = 0x8888
    lqi: int = 0xE1
    pair_id: str = "00112233"
    responder: UdpResponder | None = None
    in_range: bool = True

    @property
    def address(self) -> str:
        """The meter's link-local IPv6 address."""
        return link_local(self.mac)


@dataclass
class DongleModel:
    """The dongle's state and its answers to commands."""

    dialect: str = "bp35a1"
    meter: MeterRadio = field(default_factory=MeterRadio)
    mac: str = "001D129000030C89"
    binary_payload: bool = False
    echo: bool = True
    silent: bool = False  # the meter does not answer datagrams
    silent_commands: bool = False  # the dongle itself answers nothing (hung firmware)
    registers: dict[str, str] = field(default_factory=dict)
    rbid: str | None = None
    password: str | None = None
    joined: bool = False
    commands: list[str] = field(default_factory=list)
    # -- what tells the dongles people own apart (see simulators.dongle_profiles) --
    name: str = ""
    """The profile's name, or "" for the legacy dialect model."""
    version: str = "1.2.10"
    """What SKVER answers (EVER)."""
    has_ropt: bool = True
    """Whether ROPT and WOPT exist; without them both answer FAIL ER04."""
    has_appver: bool = True
    """Whether SKAPPVER exists; without it, FAIL ER04."""
    ropt_line_end: bytes = b"\r\n"
    """How ROPT's answer ends: CR alone on a BP35A1 from firmware 1.2.10."""
    scan_arguments: int | None = None
    """SKSCAN's argument count; None: the dialect's (3 on a BP35A1, 4 with the side)."""
    rssi_register: bool = False
    """ERXUDP carries RSSI only after SKSREG SA2 1 (BP35C0/C2, RS-WSUHA-P). False
    keeps the legacy model: a bp35c always prints it."""
    secured_field: bool = True
    """Whether ERXUDP has the SECURED field (an old BP35A1 form has not)."""
    pandesc_after_scan_done: bool = False
    """EPANDESC printed after EVENT 22 instead of before it."""
    pandesc_extra: dict[str, str] = field(default_factory=dict)
    """EPANDESC fields a parser may not know, printed after the known ones."""
    send_failures: int = 0
    """The next this many SKSENDTOs end in EVENT 21 with parameter 01 (not sent)."""
    refuse_joins: int = 0
    """The next this many SKJOINs are refused (EVENT 24 after PANA) with the right
    credentials: a busy meter."""
    wedged: str | None = None
    """"skterm": SKJOIN and SKSENDTO answer FAIL ER10 until SKTERM; "skreset":
    until SKRESET (SKTERM then fails with ER10 too)."""

    def __post_init__(self) -> None:
        """Check the dialect name."""
        if self.dialect not in ("bp35a1", "bp35c"):
            raise ValueError(f"unknown dialect {self.dialect!r}")
        if self.wedged not in (None, "skterm", "skreset"):
            raise ValueError(f"unknown wedge {self.wedged!r}")

    @property
    def has_side(self) -> bool:
        """Whether this dialect puts a side field in its output."""
        return self.dialect == "bp35c"

    @property
    def address(self) -> str:
        """The dongle's own link-local address."""
        return link_local(self.mac)

    def _side(self) -> str:
        return " 0" if self.has_side else ""

    def handle(self, command: bytes, payload: bytes = b"") -> list[bytes]:
        """Answer one command (without its CR LF); return the output chunks in order.

        Chunks let a runner insert delays between them (a scan takes time).
        """
        if self.silent_commands:
            return []
        text = command.decode("ascii", "replace")
        tokens = text.split()
        out: list[bytes] = []
        if self.echo:
            out.append(command + payload + b"\r\n")
        if not tokens:
            return out
        name, args = tokens[0], tokens[1:]
        self.commands.append(name)
        handler = getattr(self, f"_cmd_{name.lower()}", None)
        if handler is None:
            out.append(b"FAIL ER04\r\n")
            return out
        result: list[bytes] = handler(args, payload)
        out.extend(result)
        return out

    def _cmd_skver(self, args: list[str], payload: bytes) -> list[bytes]:
        return [f"EVER {self.version}\r\nOK\r\n".encode()]

    def _cmd_skappver(self, args: list[str], payload: bytes) -> list[bytes]:
        if not self.has_appver:
            return [b"FAIL ER04\r\n"]
        return [b"EAPPVER rev26e\r\nOK\r\n"]

    def _cmd_skreset(self, args: list[str], payload: bytes) -> list[bytes]:
        self.joined = False
        if self.name:
            # A reset clears what lives in RAM: registers (SA2 and SFE back to
            # their defaults), the credentials, and a wedged stack.
            self.registers.clear()
            self.rbid = self.password = None
            self.echo = True
            self.wedged = None
        return [b"OK\r\n"]

    def _cmd_skinfo(self, args: list[str], payload: bytes) -> list[bytes]:
        channel = self.registers.get("S2", "21")
        pan = self.registers.get("S3", "FFFF")
        last = "0" if self.has_side else "FFFE"
        return [f"EINFO {self.address} {self.mac} {channel} {pan} {last}\r\nOK\r\n".encode()]

    def _cmd_sksreg(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) == 1:
            return [f"ESREG {self.registers.get(args[0], '0')}\r\nOK\r\n".encode()]
        if len(args) != 2:
            return [b"FAIL ER06\r\n"]
        self.registers[args[0]] = args[1]
        if args[0] == "SFE":
            self.echo = args[1] != "0"
        return [b"OK\r\n"]

    def _cmd_sksetpwd(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) != 2 or int(args[0], 16) != len(args[1]):
            return [b"FAIL ER06\r\n"]
        self.password = args[1]
        return [b"OK\r\n"]

    def _cmd_sksetrbid(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) != 1 or len(args[0]) != 32:
            return [b"FAIL ER06\r\n"]
        self.rbid = args[0]
        return [b"OK\r\n"]

    def _cmd_ropt(self, args: list[str], payload: bytes) -> list[bytes]:
        if not self.has_ropt:
            return [b"FAIL ER04\r\n"]
        return [(b"OK 00" if self.binary_payload else b"OK 01") + self.ropt_line_end]

    def _cmd_wopt(self, args: list[str], payload: bytes) -> list[bytes]:
        if not self.has_ropt:
            return [b"FAIL ER04\r\n"]
        if args not in (["00"], ["01"]):
            return [b"FAIL ER06\r\n"]
        self.binary_payload = args == ["00"]
        return [b"OK\r\n"]

    def _cmd_skscan(self, args: list[str], payload: bytes) -> list[bytes]:
        expected = self.scan_arguments or (4 if self.has_side else 3)
        if len(args) != expected:
            return [b"FAIL ER05\r\n"]
        side = self._side()
        out = [b"OK\r\n"]
        meter = self.meter
        if meter.in_range:
            block = (
                f"EVENT 20 {meter.address}{side}\r\n"
                "EPANDESC\r\n"
                f"  Channel:{meter.channel:02X}\r\n"
                "  Channel Page:09\r\n"
                f"  Pan ID:{meter.pan_id:04X}\r\n"
                f"  Addr:{meter.mac}\r\n"
                f"  LQI:{meter.lqi:02X}\r\n"
                + ("  Side:0\r\n" if self.has_side else "")
                + f"  PairID:{meter.pair_id}\r\n"
                + "".join(f"  {key}:{value}\r\n" for key, value in self.pandesc_extra.items())
            )
            out.append(block.encode())
        done = f"EVENT 22 {self.address}{side}\r\n".encode()
        if self.pandesc_after_scan_done and len(out) > 1:
            return [out[0], done, out[1]]
        out.append(done)
        return out

    def _cmd_skll64(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) != 1:
            return [b"FAIL ER06\r\n"]
        return [f"{link_local(args[0])}\r\n".encode()]

    def _cmd_skjoin(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) != 1:
            return [b"FAIL ER06\r\n"]
        side = self._side()
        meter = self.meter
        if self.wedged is not None:
            return [b"FAIL ER10\r\n"]
        out = [b"OK\r\n"]
        if args[0] != meter.address or not meter.in_range:
            # Nothing answers: PANA times out.
            return [*out, f"EVENT 24 {args[0]}{side}\r\n".encode()]
        # The meter answers PANA (port 0x02CC) whatever the credentials: that
        # is how a driver tells a wrong password from a meter out of range.
        out.append(f"EVENT 21 {meter.address}{side} 00\r\n".encode())
        out.append(self.erxudp(PANA_ANSWER, PANA_PORT))
        if self.rbid != meter.rbid or self.password != meter.password or self.refuse_joins:
            self.refuse_joins = max(0, self.refuse_joins - 1)
            return [*out, f"EVENT 24 {meter.address}{side}\r\n".encode()]
        self.joined = True
        return [*out, f"EVENT 25 {meter.address}{side}\r\n".encode()]

    def _cmd_skterm(self, args: list[str], payload: bytes) -> list[bytes]:
        if self.wedged == "skreset":
            return [b"FAIL ER10\r\n"]
        if self.wedged == "skterm":
            # The half-open session the stack was stuck in ends; EVENT 28: the
            # meter did not answer the termination (BP35A1 reference, 4.8 EVENT).
            self.wedged = None
            self.joined = False
            return [b"OK\r\n", f"EVENT 28 {self.meter.address}{self._side()}\r\n".encode()]
        if not self.joined:
            return [b"FAIL ER10\r\n"]
        self.joined = False
        return [b"OK\r\n", f"EVENT 27 {self.meter.address}{self._side()}\r\n".encode()]

    def _cmd_sksendto(self, args: list[str], payload: bytes) -> list[bytes]:
        if len(args) != (6 if self.has_side else 5):
            return [b"FAIL ER05\r\n"]
        address, port = args[1], int(args[2], 16)
        side = self._side()
        if self.wedged is not None:
            return [b"FAIL ER10\r\n"]
        if self.send_failures:
            # EVENT 21 with parameter 01: the dongle could not send (no ack from
            # the meter's MAC); nothing reaches the meter.
            self.send_failures -= 1
            return [f"EVENT 21 {address}{side} 01\r\nOK\r\n".encode()]
        out = [f"EVENT 21 {address}{side} 00\r\nOK\r\n".encode()]
        meter = self.meter
        if (
            self.silent
            or not self.joined
            or address != meter.address
            or port != ECHONET_PORT
            or meter.responder is None
        ):
            return out
        answer = meter.responder(payload)
        if answer is not None:
            out.append(self.erxudp(answer))
        return out

    def announce(self, data: bytes) -> list[bytes]:
        """The ERXUDP of a datagram the meter sends of its own accord (an INF), if it arrives.

        It arrives only over the PANA session (the meter encrypts its B-route
        frames at the MAC layer; BP35A1 reference 4.1 gives ERXUDP's SECURED
        field for this), and only from a meter in range that speaks. A meter
        announces its fixed-time counts within five minutes of every half hour
        (momonga 0.7.0's README, "Notification").
        """
        if not self.joined or self.silent or not self.meter.in_range:
            return []
        return [self.erxudp(data)]

    def session_expiry(self) -> list[bytes]:
        """The events of a PANA re-authentication the dongle starts by itself."""
        side = self._side()
        address = self.meter.address
        return [f"EVENT 29 {address}{side}\r\n".encode(), f"EVENT 25 {address}{side}\r\n".encode()]

    def expire_session(self) -> list[bytes]:
        """The events of a PANA session that expires and is not renewed.

        The session's lifetime ends and the dongle re-authenticates by itself
        (EVENT 29), but the meter does not take it (EVENT 24): the session is
        gone, and datagrams go nowhere until a driver joins again (SKJOIN).
        A runner writes the two chunks with as long a pause between them as
        the re-authentication should take.
        """
        self.joined = False
        side = self._side()
        address = self.meter.address
        return [f"EVENT 29 {address}{side}\r\n".encode(), f"EVENT 24 {address}{side}\r\n".encode()]

    def transmit_limit(self) -> list[bytes]:
        """The events of the radio's transmit-time limit being reached, then lifted."""
        side = self._side()
        return [
            f"EVENT 32 {self.address}{side}\r\n".encode(),
            f"EVENT 33 {self.address}{side}\r\n".encode(),
        ]

    def erxudp(self, data: bytes, port: int = ECHONET_PORT) -> bytes:
        """The ERXUDP output for a datagram from the meter, in this dialect and mode."""
        meter = self.meter
        fields = [meter.address, self.address, f"{port:04X}", f"{port:04X}", meter.mac]
        if self.has_side:
            # BP35C0/C2: RSSI only after SKSREG SA2 1 (momonga sets it,
            # momonga_session_manager.py line 143, and then reads 11 fields,
            # momonga_device.py line 75); without it the 10 fields that
            # hsakoh/broute-mqtt's SkstackIpDotNet/Events/ERXUDP.cs reads.
            if not self.rssi_register or self.registers.get("SA2") == "1":
                fields.append(f"{meter.lqi:02X}")
            fields += ["1", "0"]
        elif self.secured_field:
            fields.append("1")  # BP35A1 reference 4.1 (smdn SkStackEventParser.cs)
        fields.append(f"{len(data):04X}")
        head = "ERXUDP " + " ".join(fields) + " "
        body = data if self.binary_payload else data.hex().upper().encode()
        return head.encode() + body + b"\r\n"


FIRST_CHANNEL = 0x21
"""Channel 33, the first of the 28 that an active scan of mask FFFFFFFF visits."""
SCAN_CHANNELS = 28


def scan_channel_seconds(duration: int) -> float:
    """How long an active scan stays on one channel at a SKSCAN duration.

    IEEE 802.15.4's aBaseSuperframeDuration (960 symbols, 9.6 ms at Wi-SUN's
    100 kbit/s) times 2^duration + 1: 0.62 s at duration 6, 17.5 s for all 28
    channels.
    """
    return 0.0096 * ((1 << duration) + 1)


def sksendto_length_index(dialect: str) -> int:
    """Where SKSENDTO's payload length is among its arguments."""
    return 5 if dialect == "bp35c" else 4


class RawPty:
    """The dongle's end of a raw pseudo-terminal without echo; `path` is what a driver opens.

    Writing, draining and unplugging, shared by the SK dongle (`PtyDongle`) and
    the J11 dongle (`simulators.j11_dongle.PtyJ11Dongle`).
    """

    def __init__(self) -> None:
        """Open the pseudo-terminal."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._out = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.unplugged = False

    def write(self, data: bytes) -> None:
        """Send bytes to the driver, as the dongle would (e.g. an ERXUDP of its own).

        What the pseudo-terminal cannot take now waits for it to drain: the
        driver reads in the same event loop, so blocking here would deadlock.
        """
        if self.unplugged:
            return
        self._out += data
        self._flush()

    def _flush(self) -> None:
        if self.unplugged or self._loop is None:
            return
        while self._out:
            try:
                written = os.write(self._master, self._out)
            except BlockingIOError:
                self._loop.add_writer(self._master, self._flush)
                return
            del self._out[:written]
        self._loop.remove_writer(self._master)

    def unplug(self) -> None:
        """Pull the dongle out: the driver's port reads end with an error."""
        self.unplugged = True
        if self._loop is not None:
            self._loop.remove_reader(self._master)
            self._loop.remove_writer(self._master)
        os.close(self._slave)
        os.close(self._master)


class PtyDongle(RawPty):
    """Run a `DongleModel` on a pseudo-terminal; `path` is what a driver opens."""

    def __init__(
        self, model: DongleModel, *, step_delay: float = 0.0, scan_time_scale: float = 0.0
    ) -> None:
        """Open the pseudo-terminal; call `start()` inside a running loop.

        Args:
            model: The dongle and the meter behind it.
            step_delay: Seconds before each chunk of output.
            scan_time_scale: 1.0 makes SKSCAN take a radio's time, channel by
                channel (`scan_channel_seconds`): the meter's EPANDESC when the
                scan reaches its channel, EVENT 22 after the last one. 0 (the
                default) answers at once; 0.1 is ten times faster than a radio.
        """
        super().__init__()
        self.model = model
        self.step_delay = step_delay
        self.scan_time_scale = scan_time_scale
        self._buffer = bytearray()
        self._queue: asyncio.Queue[tuple[bytes, bytes]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start answering."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._master, self._on_readable)
        self._worker = asyncio.create_task(self._work())

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except OSError:  # pragma: no cover - the driver closed its end
            return
        self._buffer += data
        self._split_commands()

    def _split_commands(self) -> None:
        buffer = self._buffer
        while True:
            if buffer.startswith(b"SKSENDTO "):
                tokens = bytes(buffer).split(b" ")
                index = sksendto_length_index(self.model.dialect) + 1
                if len(tokens) <= index + 1:
                    return
                head = b" ".join(tokens[: index + 1])
                try:
                    length = int(tokens[index], 16)
                except ValueError:
                    length = 0
                start = len(head) + 1
                if len(buffer) < start + length:
                    return
                self._queue.put_nowait((head, bytes(buffer[start : start + length])))
                del buffer[: start + length]
                continue
            end = buffer.find(b"\r")
            if end < 0:
                return
            line = bytes(buffer[:end]).strip(b"\n")
            del buffer[: end + 1]
            if buffer.startswith(b"\n"):
                del buffer[:1]
            self._queue.put_nowait((line, b""))

    async def _work(self) -> None:
        while True:
            command, payload = await self._queue.get()
            reached = 0.0  # seconds into a scan
            for chunk in self.model.handle(command, payload):
                if self.step_delay:
                    await asyncio.sleep(self.step_delay)
                if self.scan_time_scale and chunk.startswith((b"EVENT 20 ", b"EVENT 22 ")):
                    at = self._scan_time(command, last=chunk.startswith(b"EVENT 22 "))
                    await asyncio.sleep(max(0.0, at - reached))
                    reached = at
                self.write(chunk)

    def _scan_time(self, command: bytes, *, last: bool) -> float:
        """Seconds from SKSCAN to the meter's beacon, or to the end of the scan."""
        duration = int(command.split()[3])
        channels = SCAN_CHANNELS if last else self.model.meter.channel - FIRST_CHANNEL + 1
        return self.scan_time_scale * channels * scan_channel_seconds(duration)

    def announce(self, data: bytes) -> None:
        """Deliver a datagram the meter sends of its own accord, if the dongle would hear it."""
        for chunk in self.model.announce(data):
            self.write(chunk)

    def unread(self) -> int:
        """How many bytes written to the driver it has not read yet.

        Those still held here (the pseudo-terminal was full) and those in the
        terminal's input queue; a test that floods the driver (`write` of raw
        bytes, garbage included) waits for 0 before writing more.
        """
        if self.unplugged:
            return 0
        queued = fcntl.ioctl(self._slave, termios.FIONREAD, b"\0\0\0\0")
        return len(self._out) + int.from_bytes(queued, sys.byteorder)

    async def drained(self, within: float = 10.0) -> None:
        """Wait until the driver has read everything written (`unread()` is 0)."""
        async with asyncio.timeout(within):
            while self.unread():  # noqa: ASYNC110 - the terminal signals nothing to await
                await asyncio.sleep(0.001)

    async def stop(self) -> None:
        """Stop answering and close the pseudo-terminal."""
        if self._worker is not None:
            self._worker.cancel()
        if not self.unplugged:
            self.unplug()
