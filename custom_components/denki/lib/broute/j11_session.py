"""A J11 dongle (BP35C0-J11, RATOC RS-WSUHA-J11) and the B-route session through it.

`J11Dongle` is the driver: binary frames (`j11`) over the serial port, one
request in flight at a time, each answered by the response whose command
code is the request's with bit 13 set (broute_j11/codec.py lines 121-123,
session.py lines 763-798). What the dongle says of its own accord (scan
results, received datagrams, PANA results, connection changes) goes to a
listener, in the order it came, from the read loop itself: a scan's result
notifications come before the scan's response (broute_j11/session.py lines
597-601), and must be seen before the response wakes the scanner.

`J11Session` offers `LowVoltageMeter` and `MeterLink` what `BRouteSession`
offers (`connect`, `reconnect`, `request`, `send`, `on_notification`,
`connected`, `close`, the counters) with the same errors and the same
credential semantics (`CredentialHistory`): a refusal from a meter that
never accepted these credentials is an AuthenticationError after the join
attempts; from one that did, a PanaRefusedError until refusals persist.

The join follows broute-j11 0.1.0's sequence (broute_j11/session.py lines
489-548): reset and wait for the start-up notification, initial settings on
the channel, credentials, [active scan, initial settings on the meter's
channel,] start the B-route, open UDP port 3610, start PANA and wait for its
result notification. Each join attempt starts again from the reset, as
broute_j11 does after a failed association (session.py lines 467-487).
"""

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import logging
import time
from typing import Self

import serial

from . import j11
from .dongle import BAUDRATE, COMMAND_TIMEOUT, DongleInfo, open_serial
from .errors import (
    AuthenticationError,
    DongleDisconnectedError,
    DongleError,
    DongleTimeoutError,
    J11ResultError,
    MeterNotFoundError,
    SendFailedError,
    SessionLostError,
)
from .session import (
    JOIN_ATTEMPTS,
    JOIN_BACKOFF,
    JOIN_TIMEOUT,
    REQUEST_TIMEOUT,
    SEND_ATTEMPTS,
    CredentialHistory,
    JoinPolicy,
    Matcher,
    PanInfo,
    validate_credentials,
)
from .sk_messages import Dialect, DongleFamily

_LOGGER = logging.getLogger(__name__)
_CLOSE_SECONDS = 2.0

STARTUP_TIMEOUT = 15.0
"""Seconds a reset may take until its start-up notification (broute_j11/session.py line 151)."""
SCAN_MARGIN = 0.5
"""Share of a scan's dwell time added to its timeout (broute_j11/session.py lines 70-72, 127-135)."""
_DWELL_UNIT = 0.00964
"""Seconds per channel of an active scan at duration 0 (broute_j11/session.py lines 68-70)."""

J11_SCAN_DURATIONS = (8, 9, 10)
"""A J11 active scan's durations, tried in turn (dwell 9.64 ms x 2^d per channel: about
2.5 s at 8): broute-j11 starts at 8 and lengthens by one for each of its 3 attempts,
because "shorter dwells miss the meter's beacon on real installations"
(broute_j11/session.py lines 59-67, 573-591). SK's `SCAN_DURATIONS` count other units."""

_PORT_LOST = -1
"""Not a PANA result: what wakes a PANA wait when the dongle's port is lost."""

type J11Listener = Callable[[j11.J11Frame | DongleError], None]

_NAMES = {code: code.name for code in j11.Command}


def scan_timeout(duration: int, channel_mask: int = j11.ALL_CHANNELS_MASK) -> float:
    """How long a J11 active scan may take: every channel's dwell, plus a margin.

    broute_j11/session.py lines 127-135 (`scan_budget`), plus 5 s for the
    commands around it.
    """
    channels = bin(channel_mask).count("1") or 1
    return channels * _DWELL_UNIT * 2.0**duration * (1 + SCAN_MARGIN) + 5.0


class J11Dongle:
    """A J11 dongle on a serial port."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Drive the dongle behind an open stream; call `start()` next."""
        self._reader = reader
        self._writer = writer
        self.decoder = j11.J11StreamDecoder()
        self._lock = asyncio.Lock()
        self._pending: dict[int, asyncio.Future[j11.J11Frame]] = {}
        self._read_task: asyncio.Task[None] | None = None
        self._closed = False
        self.disconnected: DongleDisconnectedError | None = None
        self.info: DongleInfo | None = None
        self.listener: J11Listener | None = None
        """Called from the read loop with each notification, and with the loss of the port."""
        self.events: asyncio.Queue[j11.J11Frame] = asyncio.Queue(maxsize=256)
        """Notifications while no listener is set (the newest 256)."""
        self.stray = 0
        """Responses that no request waited for."""

    @classmethod
    async def open(cls, port: str, baudrate: int = BAUDRATE) -> Self:
        """Open the port (exclusively, as `SkDongle.open`) and start reading."""
        reader, writer = await open_serial(port, baudrate)
        dongle = cls(reader, writer)
        dongle.start()
        return dongle

    @property
    def unparsed(self) -> int:
        """Frames dropped for a bad header or checksum, what `SkDongle.unparsed` counts for SK."""
        return self.decoder.checksum_errors + self.decoder.format_errors

    def start(self) -> None:
        """Start the task that reads the port."""
        self._read_task = asyncio.create_task(self._read_loop(), name="denki-j11-reader")

    async def _read_loop(self) -> None:
        try:
            while data := await self._reader.read(4096):
                for frame in self.decoder.feed(data):
                    self._route(frame)
            reason = "the dongle's port closed"
        except (OSError, serial.SerialException) as err:
            reason = f"the dongle's port failed: {err}"
        if self._closed:
            return
        _LOGGER.debug("J11 dongle disconnected: %s", reason)
        self.disconnected = DongleDisconnectedError(reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self.disconnected)
        if self.listener is not None:
            self.listener(self.disconnected)

    def _route(self, frame: j11.J11Frame) -> None:
        # Command codes only: data may carry the meter's MAC or a datagram.
        _LOGGER.debug("J11 dongle -> 0x%04X (%d bytes)", frame.command, len(frame.data))
        if frame.is_response:
            future = self._pending.pop(frame.command, None)
            if future is not None and not future.done():
                future.set_result(frame)
            else:
                self.stray += 1
            return
        if not frame.is_event:
            return
        if self.listener is not None:
            self.listener(frame)
            return
        if self.events.full():
            self.events.get_nowait()
        self.events.put_nowait(frame)

    def write(self, request: bytes) -> None:
        """Write a request that no response answers (the reset)."""
        if self.disconnected is not None:
            raise self.disconnected
        self._writer.write(request)

    async def command(
        self, request: bytes, command: j11.Command, *, within: float = COMMAND_TIMEOUT
    ) -> j11.J11Frame:
        """Send one request; return its response, whose result is success.

        Raises J11ResultError for another result (a DongleCommandError),
        DongleTimeoutError when no response comes in time,
        DongleDisconnectedError when the port is gone.
        """
        if self.disconnected is not None:
            raise self.disconnected
        name = _NAMES[command]
        expected = j11.response_code(command)
        async with self._lock:
            future: asyncio.Future[j11.J11Frame] = asyncio.get_running_loop().create_future()
            self._pending[expected] = future
            try:
                _LOGGER.debug("J11 dongle <- %s", name)
                self._writer.write(request)
                async with asyncio.timeout(within):
                    frame = await future
            except TimeoutError:
                raise DongleTimeoutError(f"{name} got no answer within {within:g} s") from None
            finally:
                self._pending.pop(expected, None)
        try:
            result = j11.result_of(frame)
        except j11.J11FrameError as err:
            raise DongleError(f"{name}: {err}") from None
        if result != j11.RESULT_OK:
            raise J11ResultError(name, result)
        return frame

    async def detect(self, within: float = COMMAND_TIMEOUT) -> DongleInfo:
        """Ask the firmware version (read-only: broute_j11/commands.py lines 214-216, 361-370)."""
        frame = await self.command(j11.version_request(), j11.Command.GET_VERSION, within=within)
        try:
            version = j11.parse_version(frame)
        except j11.J11FrameError as err:
            raise DongleError(f"GET_VERSION: {err}") from None
        self.info = DongleInfo(
            Dialect.BP35C,
            binary_payload=True,
            mac="",
            version=str(version),
            family=DongleFamily.J11,
            firmware_id=version.firmware_id,
        )
        _LOGGER.debug("J11 dongle, firmware %s (ID 0x%04X)", version, version.firmware_id)
        return self.info

    async def close(self) -> None:
        """Stop reading and close the port, and wait until it is closed (its lock let go)."""
        self._closed = True
        self.listener = None
        if self._read_task is not None:
            self._read_task.cancel()
        self._writer.close()
        try:
            async with asyncio.timeout(_CLOSE_SECONDS):
                await self._writer.wait_closed()
        except (TimeoutError, OSError, serial.SerialException) as err:
            _LOGGER.debug("The port did not close cleanly: %s", err or "timeout")


@dataclass(frozen=True, slots=True)
class _Waiter:
    matcher: Matcher
    future: asyncio.Future[bytes]


class J11Session(JoinPolicy):
    """A PANA session with one smart meter through one J11 dongle."""

    def __init__(
        self,
        dongle: J11Dongle,
        rbid: str,
        password: str,
        *,
        pan: PanInfo | None = None,
        scan_durations: tuple[int, ...] = J11_SCAN_DURATIONS,
        join_timeout: float = JOIN_TIMEOUT,
        history: CredentialHistory | None = None,
        join_attempts: int = JOIN_ATTEMPTS,
        join_backoff: float = JOIN_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        """Prepare; `connect()` does the talking. Raises InvalidCredentialsError early.

        A cached `pan` on a channel J11 does not number (an SK dongle's 0x21
        and up: J11 channels are 4 to 17, broute_j11/commands.py lines 27-28)
        is not joined but scanned for.
        """
        self._dongle = dongle
        self._rbid, self._password = validate_credentials(rbid, password)
        self.pan = pan
        self._scan_durations = tuple(
            min(max(d, j11.MIN_SCAN_DURATION), j11.MAX_SCAN_DURATION) for d in scan_durations
        )
        self._join_timeout = join_timeout
        self._startup_timeout = startup_timeout
        self.history = history if history is not None else CredentialHistory()
        self._join_attempts = max(1, join_attempts)
        self._join_backoff = join_backoff
        self._clock = clock
        self._joined = False
        self._connecting = False
        self._lost: DongleError | None = None
        self._request_lock = asyncio.Lock()
        self._waiters: list[_Waiter] = []
        self._startup: asyncio.Event = asyncio.Event()
        self._pana: asyncio.Queue[j11.PanaResult] = asyncio.Queue()
        self._scan_results: list[j11.ScanResult] = []
        self.notifications: asyncio.Queue[bytes] = asyncio.Queue(maxsize=256)
        """Datagrams from the meter that answered no request, when `on_notification` is None."""
        self.on_notification: Callable[[bytes], None] | None = None
        """Called with each datagram from the meter that answers no request (an INF, say)."""
        self.retransmits = 0
        """Requests sent again after the dongle reported no acknowledgement (result 5)."""
        self.join_retries = 0
        """Join attempts after the first, over the session's life."""
        self.resets = 0
        """Hardware resets sent (each join attempt begins with one)."""
        self.dropped = 0
        """Datagrams from elsewhere than the meter's ECHONET Lite port."""
        self.events_ignored = 0
        """PANA results or connection changes that named another device than the meter."""
        self.lqi: int | None = None
        """Always None: a J11 dongle reports RSSI in dBm (`rssi`), not an LQI."""
        self.rssi: int | None = None
        """The RSSI (dBm) of the meter's last frame, or of its beacon."""

    @property
    def connected(self) -> bool:
        """Whether the PANA session is up."""
        return self._joined and self._lost is None

    async def connect(self) -> PanInfo:
        """Detect the dongle, and join the meter; scan only when needed."""
        self._dongle.listener = self._dispatch
        if self._dongle.info is None:
            await self._dongle.detect()
        return await self._join_or_scan()

    async def reconnect(self) -> PanInfo:
        """Bring a lost session back: end what is left of it, rejoin the cached PAN, else scan."""
        if self._dongle.disconnected is not None:
            raise self._dongle.disconnected
        self._lost = None
        self._joined = False
        with contextlib.suppress(DongleError):
            await self._dongle.command(j11.terminate_pana_request(), j11.Command.TERMINATE_PANA)
        return await self._join_or_scan()

    async def _join_or_scan(self) -> PanInfo:
        pan = self.pan
        if pan is not None and j11.MIN_CHANNEL <= pan.channel <= j11.MAX_CHANNEL:
            try:
                # As BRouteSession: on the cached PAN a meter that does not answer
                # is not retried; a scan finds out at once whether it moved.
                await self._join(pan, unanswered_attempts=1)
            except MeterNotFoundError:
                _LOGGER.info("The meter did not answer on its cached channel; scanning again")
            else:
                return pan
        elif pan is not None:
            _LOGGER.info(
                "The cached channel is an SK dongle's number; scanning with the J11 dongle"
            )
        pan = await self._scan()
        await self._join(pan)
        self.pan = pan
        return pan

    async def _prepare(self, channel: int) -> None:
        """Reset, initial settings on `channel`, credentials (broute_j11/session.py 489-503).

        The reset answers with a start-up notification, not a response
        (broute_j11/session.py lines 550-553). Credentials the dongle already
        holds (result 0x58) are no failure (session.py lines 561-571).
        """
        self._startup.clear()
        self.resets += 1
        self._dongle.write(j11.reset_request())
        try:
            async with asyncio.timeout(self._startup_timeout):
                await self._startup.wait()
        except TimeoutError:
            raise DongleTimeoutError("the J11 dongle did not restart after its reset") from None
        self._check_lost()
        await self._dongle.command(
            j11.initial_settings_request(channel), j11.Command.SET_INITIAL_SETTINGS
        )
        try:
            await self._dongle.command(
                j11.credentials_request(self._rbid, self._password), j11.Command.SET_CREDENTIALS
            )
        except J11ResultError as err:
            if err.result != j11.RESULT_CREDENTIALS_ALREADY_SET:
                raise

    async def _scan(self) -> PanInfo:
        """Active scans for the meter of this B-route ID, longer each time.

        broute_j11/session.py lines 573-634: on the provisional channel 4
        (line 58), with the pairing ID (commands.py lines 244-246), the
        results before the response.
        """
        self._connecting = True
        try:
            await self._prepare(j11.MIN_CHANNEL)
            for duration in self._scan_durations:
                self._scan_results = []
                try:
                    await self._dongle.command(
                        j11.active_scan_request(duration, pairing=j11.pairing_id(self._rbid)),
                        j11.Command.ACTIVE_SCAN,
                        within=scan_timeout(duration),
                    )
                except DongleTimeoutError:
                    _LOGGER.debug("Active scan at duration %s did not finish", duration)
                found = [
                    (result.channel, beacon)
                    for result in self._scan_results
                    for beacon in result.beacons
                ]
                if found:
                    channel, best = max(found, key=lambda item: item[1].rssi)
                    self.rssi = best.rssi
                    _LOGGER.debug("Found the meter's PAN on J11 channel %d", channel)
                    return PanInfo(channel, best.pan_id, j11.mac_hex(best.mac))
        finally:
            self._connecting = False
        raise MeterNotFoundError("no smart meter answered the scan")

    async def _join_once(self, pan: PanInfo) -> None:
        self._connecting = True
        try:
            await self._prepare(pan.channel)
            try:
                frame = await self._dongle.command(
                    j11.start_route_b_request(),
                    j11.Command.START_ROUTE_B,
                    within=self._join_timeout,
                )
            except J11ResultError as err:
                # 0x0E: MAC connection failed, nothing associated on that channel
                # (broute_j11/session.py lines 467-487 retry it from a reset).
                raise MeterNotFoundError(f"the B-route did not start ({err.code})") from None
            started = j11.parse_route_b_started(frame)
            if j11.mac_hex(started.mac) != pan.mac.upper():
                # broute_j11/session.py lines 510-511: another meter on the channel.
                raise MeterNotFoundError("another device answered on the meter's channel")
            self.rssi = started.rssi
            try:
                await self._dongle.command(j11.open_udp_port_request(), j11.Command.OPEN_UDP_PORT)
            except J11ResultError as err:
                if err.result != j11.RESULT_PORT_ALREADY_OPEN:
                    raise
            while not self._pana.empty():
                self._pana.get_nowait()
            await self._dongle.command(j11.start_pana_request(), j11.Command.START_PANA)
            result = await self._pana_result(started.mac)
        finally:
            self._connecting = False
        if result == j11.PANA_NO_RESPONSE:
            # broute_j11/session.py lines 640-643: a radio problem, not a refusal.
            raise MeterNotFoundError("the meter did not answer PANA")
        if result != j11.PANA_SUCCEEDED:
            raise AuthenticationError("the meter refused the B-route ID and password")
        self._joined = True
        self._lost = None
        _LOGGER.debug("PANA session established with the meter")

    async def _pana_result(self, mac: bytes) -> int:
        """The meter's PANA result notification (broute_j11/session.py lines 636-649)."""
        try:
            async with asyncio.timeout(self._join_timeout):
                while True:
                    result = await self._pana.get()
                    if result.result == _PORT_LOST:
                        self._check_lost()
                    if result.mac == mac:
                        return result.result
                    self.events_ignored += 1
        except TimeoutError:
            raise MeterNotFoundError("the meter did not finish PANA in time") from None

    def _check_lost(self) -> None:
        if self._dongle.disconnected is not None:
            raise self._dongle.disconnected

    def _dispatch(self, event: j11.J11Frame | DongleError) -> None:
        """Each notification, in the order the dongle sent it (from the read loop)."""
        if isinstance(event, DongleError):
            self._lose(event)
            self._startup.set()  # wake a reset's wait, and a PANA wait:
            self._pana.put_nowait(j11.PanaResult(_PORT_LOST, b""))
            return
        try:
            self._on_notification(event)
        except j11.J11FrameError as err:
            _LOGGER.debug("Ignored a malformed J11 notification: %s", err)

    def _on_notification(self, frame: j11.J11Frame) -> None:
        code = frame.command
        if code == j11.Notification.DATA_RECEPTION:
            self._on_datagram(j11.parse_datagram(frame))
        elif code == j11.Notification.STARTUP_COMPLETED:
            self._startup.set()
        elif code == j11.Notification.ACTIVE_SCAN_RESULT:
            self._scan_results.append(j11.parse_scan_result(frame))
        elif code == j11.Notification.PANA_RESULT:
            result = j11.parse_pana_result(frame)
            if self._connecting:
                self._pana.put_nowait(result)
            elif (
                self._joined and result.result != j11.PANA_SUCCEEDED and self._is_meter(result.mac)
            ):
                # A re-authentication the meter refused: the session is gone.
                self._lose(SessionLostError("re-authentication with the meter failed"))
        elif code == j11.Notification.CONNECTION_STATUS:
            status = j11.parse_connection_status(frame)
            if not self._is_meter(status.mac):
                self.events_ignored += 1
            elif status.disconnected and self._joined and not self._connecting:
                # broute_j11/session.py lines 890-893.
                self._lose(SessionLostError("the meter ended the PANA session"))

    def _is_meter(self, mac: bytes) -> bool:
        pan = self.pan
        return pan is None or j11.mac_hex(mac) == pan.mac.upper()

    def _on_datagram(self, datagram: j11.Datagram) -> None:
        pan = self.pan
        if (
            pan is None
            or datagram.source != j11.link_local(bytes.fromhex(pan.mac))
            or datagram.destination_port != j11.ECHONET_PORT
        ):
            self.dropped += 1
            return
        self.rssi = datagram.rssi
        for waiter in self._waiters:
            if not waiter.future.done() and waiter.matcher(datagram.payload):
                waiter.future.set_result(datagram.payload)
                return
        if self.on_notification is not None:
            self.on_notification(datagram.payload)
            return
        if self.notifications.full():
            self.notifications.get_nowait()
        self.notifications.put_nowait(datagram.payload)

    def _lose(self, error: DongleError) -> None:
        if self._lost is None:
            self._lost = error
        self._joined = False
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error)

    def _require_joined(self) -> PanInfo:
        if self._lost is not None:
            raise self._lost
        if not self._joined or self.pan is None:
            raise SessionLostError("there is no PANA session with the meter")
        return self.pan

    async def request(
        self, frame: bytes, matcher: Matcher, *, within: float = REQUEST_TIMEOUT
    ) -> bytes:
        """Send an ECHONET Lite frame to the meter; return the answer `matcher` accepts.

        A send the dongle reports unacknowledged (transmission result 5, which
        broute_j11 retries: commands.py lines 41-44, 575-582) is sent again, up
        to `SEND_ATTEMPTS` sends, as BRouteSession does after EVENT 21 01.
        Raises DongleTimeoutError if no answer comes, SessionLostError or
        DongleDisconnectedError if the session or the dongle is gone.
        """
        async with self._request_lock:
            future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            waiter = _Waiter(matcher, future)
            try:
                async with asyncio.timeout(within):
                    pan = self._require_joined()
                    self._waiters.append(waiter)
                    for attempt in range(1, SEND_ATTEMPTS + 1):
                        if await self._send(pan, frame):
                            return await future
                        if attempt < SEND_ATTEMPTS:
                            self.retransmits += 1
                            _LOGGER.debug("The J11 dongle could not send (no ACK); sending again")
                    raise SendFailedError(
                        f"the J11 dongle could not send to the meter, {SEND_ATTEMPTS} times"
                    )
            except TimeoutError:
                raise DongleTimeoutError(f"the meter did not answer within {within:g} s") from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                if future.done() and not future.cancelled():
                    # A lost session fails the waiter while the send itself fails:
                    # the send's error is the one raised, this one is retrieved.
                    future.exception()

    async def send(self, frame: bytes) -> None:
        """Send an ECHONET Lite frame that wants no answer (an INFC_Res, say)."""
        pan = self._require_joined()
        if not await self._send(pan, frame):
            raise SendFailedError("the J11 dongle could not send to the meter")

    async def _send(self, pan: PanInfo, frame: bytes) -> bool:
        """Transmit Data to the meter's port 3610; False when it was not acknowledged.

        Another transmission failure ends the session (broute_j11/session.py
        lines 718-722 give up on it too), so the link rejoins.
        """
        response = await self._dongle.command(
            j11.transmit_request(j11.link_local(bytes.fromhex(pan.mac)), frame),
            j11.Command.TRANSMIT_DATA,
        )
        try:
            transmitted = j11.parse_transmitted(response)
        except j11.J11FrameError as err:
            raise DongleError(f"TRANSMIT_DATA: {err}") from None
        if transmitted.sent:
            return True
        if transmitted.transmission == j11.TX_NO_ACK:
            return False
        error = SessionLostError(
            f"the J11 dongle failed to transmit (result 0x{transmitted.transmission:X})"
        )
        self._lose(error)
        raise error

    async def close(self) -> None:
        """End the PANA session politely (Terminate PANA) and stop listening."""
        if self.connected:
            with contextlib.suppress(DongleError):
                await self._dongle.command(j11.terminate_pana_request(), j11.Command.TERMINATE_PANA)
        self._joined = False
        if self._dongle.listener == self._dispatch:
            self._dongle.listener = None
