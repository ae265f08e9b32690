"""A Wi-SUN dongle that speaks ROHM's binary J11 command set, on a real pseudo-terminal.

BP35C0-J11 and RATOC RS-WSUHA-J11 dongles take binary frames instead of SK
text. ROHM's J11 specification is not public: every behaviour here names
its source in the one public implementation, the MIT package broute-j11
0.1.0 on PyPI ("broute_j11/<file> lines a-b"). Where broute_j11 and this
simulator disagree, broute_j11 is taken to be right
(tests/lib/broute/test_peer_broute_j11.py runs broute_j11 against it).

`J11Model` is the dongle without I/O: a request frame in, output bytes out.
`PtyJ11Dongle` runs one on a pseudo-terminal whose slave path a driver opens
as /dev/ttyUSB0. The meter behind it is `simulators.wisun_dongle.MeterRadio`
(its B-route ID, password, MAC, PAN ID and the responder that answers its
datagrams, `SimulatedMeter.answer` in the tests), the same meter the SK
simulator puts behind an SK dongle; only its channel is J11's own number
(4 to 17, broute_j11/commands.py lines 27-28), `channel` here.

What it does not model: radio timing (the answers come at once), the HAN
side, PANA's own exchange, and what a real dongle answers to a frame with a
bad checksum (Table 34's 0xF0/0xF1, broute_j11/commands.py lines 157-160:
broute_j11 never reads them, so this dongle drops such frames silently).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv6Address
import os

from custom_components.denki.lib.broute import j11
from simulators.wisun_dongle import MeterRadio, RawPty

RESULT_INVALID_COMMAND = 0x03
RESULT_INVALID_PARAMETER = 0x04
RESULT_NOT_STARTED = 0x10
"""Table 34 as broute_j11/commands.py lines 125-161 lists it: 0x03 invalid command code, 0x04
invalid parameter, 0x10 Route B not yet started."""


@dataclass
class J11Model:
    """The dongle's state and its answers to request frames."""

    meter: MeterRadio = field(default_factory=MeterRadio)
    channel: int = 0x06
    """The meter's channel in J11 numbers (broute_j11/commands.py lines 27-28)."""
    version: j11.J11Version = field(default_factory=lambda: j11.J11Version(0x0004, 1, 2, 3))
    rssi: int = -60
    """The meter's signal, dBm (reported + 256: broute_j11/commands.py lines 329-331)."""
    refuse_joins: int = 0
    """The next this many PANA starts are refused (result 0x02) with the right credentials:
    a busy meter."""
    send_failures: int = 0
    """The next this many Transmit Data requests end with transmission result 5 (no ACK,
    broute_j11/commands.py lines 41-44)."""
    silent: bool = False
    """The meter does not answer datagrams."""
    # -- state --
    started: bool = False
    """Whether the start-up notification was sent since the last reset."""
    settings_channel: int | None = None
    rbid: str | None = None
    password: str | None = None
    route_b: bool = False
    ports: set[int] = field(default_factory=set)
    joined: bool = False
    commands: list[int] = field(default_factory=list)
    """Every request's command code, in order (never its data)."""
    resets: int = 0

    @property
    def meter_mac(self) -> bytes:
        """The meter's MAC, 8 bytes."""
        return bytes.fromhex(self.meter.mac)

    @property
    def meter_address(self) -> IPv6Address:
        """The meter's link-local address (broute_j11/commands.py lines 202-211)."""
        return j11.link_local(self.meter_mac)

    def handle(self, frame: j11.J11Frame) -> list[bytes]:
        """Answer one request; return the frames to write, in order."""
        if frame.unique_code != j11.REQUEST_UNIQUE_CODE:
            return []  # a response unique code from the host is nothing to a dongle
        self.commands.append(frame.command)
        handlers: dict[int, Callable[[bytes], list[bytes]]] = {
            j11.Command.RESET: self._reset,
            j11.Command.GET_VERSION: self._version,
            j11.Command.SET_INITIAL_SETTINGS: self._initial_settings,
            j11.Command.SET_CREDENTIALS: self._credentials,
            j11.Command.ACTIVE_SCAN: self._scan,
            j11.Command.START_ROUTE_B: self._start_route_b,
            j11.Command.OPEN_UDP_PORT: self._open_port,
            j11.Command.START_PANA: self._start_pana,
            j11.Command.TERMINATE_PANA: self._terminate,
            j11.Command.TRANSMIT_DATA: self._transmit,
        }
        handler = handlers.get(frame.command)
        if handler is None:
            return [j11.result_response(frame.command, RESULT_INVALID_COMMAND)]
        return handler(frame.data)

    def _reset(self, data: bytes) -> list[bytes]:
        """Hardware reset: everything set is gone; a start-up notification and no response.

        broute_j11/commands.py lines 219-221 and session.py lines 550-553 wait
        for the notification only.
        """
        self.resets += 1
        self.settings_channel = None
        self.rbid = self.password = None
        self.route_b = self.joined = False
        self.ports.clear()
        self.started = True
        return [j11.startup_notification()]

    def _version(self, data: bytes) -> list[bytes]:
        """broute_j11/commands.py lines 361-370."""
        return [j11.version_response(self.version)]

    def _initial_settings(self, data: bytes) -> list[bytes]:
        """Mode, sleep, channel, power (broute_j11/commands.py lines 224-235)."""
        command = j11.Command.SET_INITIAL_SETTINGS
        if len(data) != 4 or not j11.MIN_CHANNEL <= data[2] <= j11.MAX_CHANNEL:
            return [j11.result_response(command, RESULT_INVALID_PARAMETER)]
        self.settings_channel = data[2]
        return [j11.result_response(command)]

    def _credentials(self, data: bytes) -> list[bytes]:
        """B-route ID (32) and password (12) (broute_j11/commands.py lines 238-241).

        Set twice since the reset: result 0x58, which broute_j11 accepts
        (session.py lines 561-571, 918-919).
        """
        command = j11.Command.SET_CREDENTIALS
        if len(data) != j11.RBID_LENGTH + j11.PASSWORD_LENGTH:
            return [j11.result_response(command, RESULT_INVALID_PARAMETER)]
        if self.rbid is not None:
            return [j11.result_response(command, j11.RESULT_CREDENTIALS_ALREADY_SET)]
        text = data.decode("ascii", "replace")
        self.rbid, self.password = text[: j11.RBID_LENGTH], text[j11.RBID_LENGTH :]
        return [j11.result_response(command)]

    def _scan(self, data: bytes) -> list[bytes]:
        """One result per channel of the mask, then the response (broute_j11/session.py 597-601).

        Layout broute_j11/commands.py lines 249-275; the meter answers only a
        scan without pairing ID or with its B-route ID's last 8 characters
        (lines 244-246).
        """
        command = j11.Command.ACTIVE_SCAN
        if len(data) != 14 or self.settings_channel is None:
            return [j11.result_response(command, RESULT_INVALID_PARAMETER)]
        mask = int.from_bytes(data[1:5])
        paired = data[5] == 0x01
        pairing = data[6:14]
        meter = self.meter
        answers = meter.in_range and (not paired or pairing == meter.rbid[-8:].encode())
        out: list[bytes] = []
        for channel in range(32):
            if not mask >> channel & 1:
                continue
            beacons: tuple[j11.Beacon, ...] = ()
            if answers and channel == self.channel:
                beacons = (j11.Beacon(self.meter_mac, meter.pan_id, self.rssi),)
            out.append(j11.scan_result_notification(j11.ScanResult(channel, beacons)))
        out.append(j11.result_response(command))
        return out

    def _start_route_b(self, data: bytes) -> list[bytes]:
        """The meter's channel, PAN ID, MAC, RSSI; a failed connection only its result 0x0E.

        broute_j11/commands.py lines 388-402 and session.py lines 920-922.
        """
        command = j11.Command.START_ROUTE_B
        if self.settings_channel is None or self.rbid is None:
            return [j11.result_response(command, RESULT_NOT_STARTED)]
        if not self.meter.in_range or self.settings_channel != self.channel:
            return [j11.result_response(command, j11.RESULT_MAC_CONNECTION_FAILED)]
        self.route_b = True
        started = j11.RouteBStarted(self.channel, self.meter.pan_id, self.meter_mac, self.rssi)
        return [j11.route_b_started_response(started)]

    def _open_port(self, data: bytes) -> list[bytes]:
        """broute_j11/commands.py lines 293-297; 0x0A for a port already open (line 131)."""
        command = j11.Command.OPEN_UDP_PORT
        if len(data) != 2:
            return [j11.result_response(command, RESULT_INVALID_PARAMETER)]
        port = int.from_bytes(data)
        if port in self.ports:
            return [j11.result_response(command, j11.RESULT_PORT_ALREADY_OPEN)]
        self.ports.add(port)
        return [j11.result_response(command)]

    def _start_pana(self, data: bytes) -> list[bytes]:
        """The response, then the PANA result notification (broute_j11/session.py 636-649).

        01 the meter took the credentials, 02 it refused them, 03 it did not
        answer (broute_j11/commands.py lines 97-102).
        """
        command = j11.Command.START_PANA
        if not self.route_b:
            return [j11.result_response(command, RESULT_NOT_STARTED)]
        out = [j11.result_response(command)]
        meter = self.meter
        if not meter.in_range:
            result = j11.PANA_NO_RESPONSE
        elif self.rbid != meter.rbid or self.password != meter.password or self.refuse_joins:
            self.refuse_joins = max(0, self.refuse_joins - 1)
            result = j11.PANA_FAILED
        else:
            result = j11.PANA_SUCCEEDED
            self.joined = True
        out.append(j11.pana_result_notification(result, self.meter_mac))
        return out

    def _terminate(self, data: bytes) -> list[bytes]:
        """Terminate PANA (broute_j11/commands.py lines 288-290); 0x10 with no session."""
        command = j11.Command.TERMINATE_PANA
        if not self.joined:
            return [j11.result_response(command, RESULT_NOT_STARTED)]
        self.joined = False
        return [j11.result_response(command)]

    def _transmit(self, data: bytes) -> list[bytes]:
        """The response (queue and transmission results), then the meter's answer, if any.

        Request layout broute_j11/commands.py lines 300-317, response lines
        585-592, the answer a data reception notification (lines 469-485).
        """
        command = j11.Command.TRANSMIT_DATA
        if len(data) < 22 or int.from_bytes(data[20:22]) != len(data) - 22:
            return [j11.result_response(command, RESULT_INVALID_PARAMETER)]
        destination = IPv6Address(data[0:16])
        source_port, destination_port = int.from_bytes(data[16:18]), int.from_bytes(data[18:20])
        payload = data[22:]
        if self.send_failures:
            self.send_failures -= 1
            return [j11.transmitted_response(j11.Transmitted(False, j11.TX_NO_ACK))]
        out = [j11.transmitted_response(j11.Transmitted(False, j11.TX_SUCCEEDED))]
        meter = self.meter
        if (
            self.silent
            or not self.joined
            or not meter.in_range
            or destination != self.meter_address
            or destination_port != j11.ECHONET_PORT
            or meter.responder is None
        ):
            return out
        answer = meter.responder(payload)
        if answer is not None:
            out.append(self.datagram(answer, destination_port=source_port))
        return out

    def datagram(self, payload: bytes, *, destination_port: int = j11.ECHONET_PORT) -> bytes:
        """A datagram from the meter's ECHONET Lite port, encrypted (the PANA session's)."""
        return j11.datagram_notification(
            j11.Datagram(
                source=self.meter_address,
                source_port=j11.ECHONET_PORT,
                destination_port=destination_port,
                source_pan_id=self.meter.pan_id,
                multicast=False,
                encrypted=True,
                rssi=self.rssi,
                payload=payload,
            )
        )

    def announce(self, payload: bytes) -> list[bytes]:
        """A datagram the meter sends of its own accord (an INF), if the session is up."""
        if not self.joined or self.silent or not self.meter.in_range:
            return []
        return [self.datagram(payload)]

    def end_session(self, status: int = j11.STATUS_PANA_DISCONNECTED) -> list[bytes]:
        """The session ends: a connection status change, PANA (or MAC) disconnected.

        broute_j11/commands.py lines 105-111 and 508-532 (04 PANA disconnected,
        03 MAC disconnected: both leave the connected state, lines 515-521);
        session.py lines 890-893.
        """
        self.joined = False
        change = j11.ConnectionStatus(status, self.meter_mac, self.rssi)
        return [j11.connection_status_notification(change)]


class PtyJ11Dongle(RawPty):
    """Run a `J11Model` on a pseudo-terminal; `path` is what a driver opens."""

    def __init__(self, model: J11Model) -> None:
        """Open the pseudo-terminal; call `start()` inside a running loop."""
        super().__init__()
        self.model = model
        self.decoder = j11.J11StreamDecoder()
        """What the host wrote, as frames; its counters say what was not a frame (SK text)."""

    async def start(self) -> None:
        """Start answering."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._master, self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except OSError:  # pragma: no cover - the driver closed its end
            return
        for frame in self.decoder.feed(data):
            for chunk in self.model.handle(frame):
                self.write(chunk)

    def announce(self, payload: bytes) -> None:
        """Deliver a datagram the meter sends of its own accord."""
        for chunk in self.model.announce(payload):
            self.write(chunk)

    def end_session(self, status: int = j11.STATUS_PANA_DISCONNECTED) -> None:
        """The session ends (`J11Model.end_session`)."""
        for chunk in self.model.end_session(status):
            self.write(chunk)

    async def stop(self) -> None:
        """Stop answering and close the pseudo-terminal."""
        if not self.unplugged:
            self.unplug()
