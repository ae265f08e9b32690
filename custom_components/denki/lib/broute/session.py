"""The B-route session: credentials, finding the meter, PANA, keeping it up.

`BRouteSession` owns the dongle's event queue. It joins the meter (scanning
only when no PAN descriptor is cached, or the cached one no longer answers),
tells a wrong password (the meter answers PANA, then refuses) from a meter
out of reach (nothing answers PANA), and carries ECHONET Lite datagrams to
and from the meter one request at a time. While the dongle re-authenticates
(EVENT 29 until EVENT 25) or the radio is over its transmit-time limit
(EVENT 32 until EVENT 33), requests wait rather than fail.

It heals itself where a dongle or a meter stumbles:

- EVENT 21 with parameter 01 (the dongle could not send) retransmits the
  request at once, up to `SEND_ATTEMPTS` sends in all, instead of waiting out
  the request's timeout. momonga retries a failed send too, after 3 s
  (momonga_session_manager.py, `xmitter`, xmit_retry_limit = 3).
- SKJOIN is tried up to `JOIN_ATTEMPTS` times with a doubling back-off before
  concluding, as momonga tries it three times (momonga_sk_wrapper.py lines
  571-587, `skjoin(retry=3)`).
- A refusal (EVENT 24 after the meter answered PANA) from a meter that
  accepted these credentials before is transient: see `CredentialHistory`.
- A rejoin ends what is left of the old session with SKTERM first, and a
  dongle that keeps answering `FAIL ER10` (execution failed) is reset with
  SKRESET and prepared again (its RAM registers are gone after a reset).
"""

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from dataclasses import dataclass, field
import logging
import re
import time
from typing import Any, Self

from .dongle import ECHONET_LITE_PORT, RadioMessage, SkDongle, link_local_address
from .errors import (
    AuthenticationError,
    DongleCommandError,
    DongleError,
    DongleTimeoutError,
    InvalidCredentialsError,
    MeterNotFoundError,
    PanaRefusedError,
    SendFailedError,
    SessionLostError,
)
from .sk_messages import Dialect, PanDescriptor, SkEvent, UdpReceived

_LOGGER = logging.getLogger(__name__)

PANA_PORT = 0x02CC
SCAN_DURATIONS = (4, 5, 6, 7)
JOIN_TIMEOUT = 60.0
REQUEST_TIMEOUT = 20.0
JOIN_ATTEMPTS = 3
"""SKJOIN tries before concluding, as momonga's `skjoin(retry=3)`."""
JOIN_BACKOFF = 2.0
"""Seconds before the second SKJOIN; doubled before each one after it."""
SEND_ATTEMPTS = 3
"""Sends of one request: the first, and two retransmissions after EVENT 21 01."""
WEDGED_AFTER = 2
"""`FAIL ER10` answers in a row after which SKTERM is not enough and SKRESET follows."""
TERM_WAIT = 3.0
"""Seconds to wait for EVENT 27/28 after SKTERM before joining again."""
LATE_PANDESC_WAIT = 1.0
"""Seconds a scan that found nothing still listens after EVENT 22 for an EPANDESC."""

EVENT_UDP_SENT = 0x21
UDP_SEND_FAILED = 0x01
"""EVENT 21's parameter when the send failed (00 is success, 02 a neighbour solicitation)."""
EVENT_SCAN_DONE = 0x22
EVENT_PANA_FAILED = 0x24
EVENT_PANA_DONE = 0x25
EVENT_SESSION_END_REQUEST = 0x26
EVENT_SESSION_ENDED = 0x27
EVENT_SESSION_END_TIMEOUT = 0x28
EVENT_SESSION_EXPIRED = 0x29
EVENT_TX_LIMIT = 0x32
EVENT_TX_LIMIT_LIFTED = 0x33
_PANA_EVENTS = frozenset(range(EVENT_PANA_FAILED, EVENT_SESSION_EXPIRED + 1))
"""EVENT 24 to 29: what the meter (the PANA authentication agent) says about our session."""
_SESSION_ENDING_EVENTS = {
    EVENT_SESSION_END_REQUEST,
    EVENT_SESSION_ENDED,
    EVENT_SESSION_END_TIMEOUT,
}

_RBID = re.compile(r"[0-9A-F]{32}")
_PASSWORD = re.compile(r"[\x21-\x7e]{12}")


def validate_credentials(rbid: str, password: str) -> tuple[str, str]:
    """Return the B-route ID (upper case) and password, or raise InvalidCredentialsError."""
    rbid = rbid.strip().replace(" ", "").upper()
    if not _RBID.fullmatch(rbid):
        raise InvalidCredentialsError(
            "rbid", f"the B-route ID must be 32 hexadecimal digits, not {len(rbid)} characters"
        )
    password = password.strip()
    if not _PASSWORD.fullmatch(password):
        raise InvalidCredentialsError(
            "password",
            f"the B-route password must be 12 characters without spaces, not {len(password)}",
        )
    return rbid, password


def scan_seconds(duration: int) -> float:
    """How long an active scan of every channel takes at a SKSCAN duration."""
    # IEEE 802.15.4's base superframe, 960 symbols = 9.6 ms at 100 kbit/s, times
    # 2^duration + 1 per channel, 28 channels (17.5 s at duration 6), plus a margin.
    return 0.0096 * ((1 << duration) + 1) * 28 + 5.0


@dataclass(frozen=True, slots=True)
class PanInfo:
    """Where the meter is: cached so that the next start joins without scanning."""

    channel: int
    pan_id: int
    mac: str

    @property
    def address(self) -> str:
        """The meter's link-local IPv6 address."""
        return link_local_address(self.mac)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for a config entry or a store."""
        return {"channel": self.channel, "pan_id": self.pan_id, "mac": self.mac}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read what `as_dict` wrote."""
        return cls(int(data["channel"]), int(data["pan_id"]), str(data["mac"]))


type Matcher = Callable[[bytes], bool]

REFUSALS_BEFORE_REAUTH = 3
REFUSAL_WINDOW = 120.0


@dataclass
class CredentialHistory:
    """What the meter said of these credentials in one link's life.

    A meter that accepted the B-route ID and password and later refuses them
    (EVENT 24 after answering PANA) is far more often busy than re-keyed: it
    may still hold the session it had with us until its own PANA timers run
    out, or be serving its utility's A-route. Re-authentication is asked of
    the user only when refusals persist: at least `REFUSALS_BEFORE_REAUTH`
    (3, as many as momonga's SKJOIN retries) spanning at least
    `REFUSAL_WINDOW` seconds (2 minutes: two polls at Denki's one-minute
    interval, and longer than a PANA exchange's own retransmissions, 2 + 4 +
    8 x 5 s = about 40 s by momonga's estimate in momonga_sk_wrapper.py line
    583). A password the utility really changed keeps being refused, so it
    is still reported within a few minutes, without a household re-entering
    the same credentials after one busy moment. Any acceptance clears the
    count.
    """

    accepted: bool = False
    """Whether the meter accepted these credentials at least once."""
    refusals: list[float] = field(default_factory=list)
    """Monotonic times of the refusals since the last acceptance."""
    window: float = REFUSAL_WINDOW
    limit: int = REFUSALS_BEFORE_REAUTH

    def accept(self) -> None:
        """The meter took the credentials: every earlier refusal was transient."""
        self.accepted = True
        self.refusals.clear()

    def refuse(self, now: float) -> bool:
        """Record a refusal; True when refusals now persist (ask the user)."""
        self.refusals.append(now)
        if not self.accepted:
            return True
        return (
            len(self.refusals) >= self.limit and self.refusals[-1] - self.refusals[0] >= self.window
        )


class JoinPolicy:
    """How a session joins the meter: retries, back-off, and what a refusal means.

    Shared by `BRouteSession` (SK) and `J11Session` (J11), which set the
    attributes below and give `_join_once`; one rule for both command sets.
    """

    history: CredentialHistory
    join_retries: int
    _join_attempts: int
    _join_backoff: float
    _clock: Callable[[], float]

    async def _join_once(self, pan: PanInfo) -> None:
        raise NotImplementedError

    async def _recover(self, err: DongleCommandError) -> bool:
        """A command failed during a join: True if it was mended (join again at once)."""
        return False

    def _on_joined(self) -> None:
        """The join succeeded: what the session resets then."""

    async def _join(self, pan: PanInfo, *, unanswered_attempts: int | None = None) -> None:
        """Join with retries and back-off; conclude only when the meter persists.

        A meter that does not answer PANA is retried `unanswered_attempts` times
        (all of them by default). A refusal from a meter that never accepted
        these credentials is retried the same way, then is an
        AuthenticationError; one from a meter that accepted them before is
        transient until `CredentialHistory` says it persists (PanaRefusedError
        until then). A command failure that `_recover` mends (`FAIL ER10` on
        an SK dongle) is joined again at once.
        """
        attempts = self._join_attempts
        unanswered = attempts if unanswered_attempts is None else unanswered_attempts
        delay = self._join_backoff
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.join_retries += 1
            try:
                await self._join_once(pan)
            except MeterNotFoundError:
                if attempt >= min(attempts, unanswered):
                    raise
            except AuthenticationError:
                persistent = self.history.refuse(self._clock())
                if self.history.accepted and persistent:
                    raise AuthenticationError(
                        "the meter refused the B-route ID and password "
                        f"{len(self.history.refusals)} times in a row "
                        f"over {self.history.window:g} s or more"
                    ) from None
                if attempt == attempts:
                    if self.history.accepted:
                        raise PanaRefusedError(
                            "the meter refused the session; it accepted these credentials "
                            "before, so the next attempt joins again"
                        ) from None
                    raise
                _LOGGER.debug("The meter refused PANA (attempt %s of %s)", attempt, attempts)
            except DongleCommandError as err:
                if attempt == attempts or not await self._recover(err):
                    raise
                continue  # the recovery itself took the time a back-off would
            else:
                self.history.accept()
                self._on_joined()
                return
            await asyncio.sleep(delay)
            delay *= 2


class BRouteSession(JoinPolicy):
    """A PANA session with one smart meter through one dongle."""

    def __init__(
        self,
        dongle: SkDongle,
        rbid: str,
        password: str,
        *,
        pan: PanInfo | None = None,
        scan_durations: tuple[int, ...] = SCAN_DURATIONS,
        join_timeout: float = JOIN_TIMEOUT,
        history: CredentialHistory | None = None,
        join_attempts: int = JOIN_ATTEMPTS,
        join_backoff: float = JOIN_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare; `connect()` does the talking. Raises InvalidCredentialsError early.

        `history` is shared by the sessions of one link (a dongle reopened after
        a replug gets a new session), so a refusal is judged over the link's life.
        """
        self._dongle = dongle
        self._rbid, self._password = validate_credentials(rbid, password)
        self.pan = pan
        self._peer = pan.address if pan is not None else None
        """The meter joined, or being joined: the one sender of PANA events we heed."""
        self._scan_durations = scan_durations
        self._join_timeout = join_timeout
        self._side = 0  # BP35C dialect: side 0 is the B-route, side 1 the HAN
        self._side_args: list[str] = []
        self._pump: asyncio.Task[None] | None = None
        self._control: asyncio.Queue[RadioMessage | DongleError] = asyncio.Queue()
        self._connecting = False
        self._pana_heard = False
        self._joined = False
        self._reauthenticating = False
        self._tx_limited = False
        self._lost: DongleError | None = None
        self._changed = asyncio.Event()
        self._request_lock = asyncio.Lock()
        self._waiters: list[tuple[Matcher, asyncio.Future[bytes]]] = []
        self._send_failed: asyncio.Future[None] | None = None
        self.history = history if history is not None else CredentialHistory()
        self._join_attempts = max(1, join_attempts)
        self._join_backoff = join_backoff
        self._clock = clock
        self._failures_er10 = 0
        self.retransmits = 0
        """Requests sent again after EVENT 21 01."""
        self.join_retries = 0
        """SKJOIN attempts after the first, over the session's life."""
        self.resets = 0
        """SKRESETs sent to recover a wedged dongle."""
        self.late_pandesc_wait = LATE_PANDESC_WAIT
        self.term_wait = TERM_WAIT
        self.notifications: asyncio.Queue[bytes] = asyncio.Queue(maxsize=256)
        """Datagrams from the meter that answered no request, when `on_notification` is None."""
        self.on_notification: Callable[[bytes], None] | None = None
        """Called with each datagram from the meter that answers no request (an INF, say)."""
        self.dropped = 0
        self.events_ignored = 0
        """PANA events (24-29) that named another sender than the meter."""
        self.lqi: int | None = None
        """The link quality (LQI, 0-255) of the meter's last frame, or of its scan answer;
        the BP35A1 dialect reports it only in the scan."""

    @property
    def connected(self) -> bool:
        """Whether the PANA session is up (it may be re-authenticating)."""
        return self._joined and self._lost is None

    async def connect(self) -> PanInfo:
        """Prepare the dongle and join the meter; scan only when needed."""
        await self._prepare()
        if self._pump is None:
            self._pump = asyncio.create_task(self._pump_events(), name="denki-broute-events")
        return await self._join_or_scan(rescan=False)

    async def _prepare(self) -> None:
        """Detect the dongle and give it the credentials (again after a SKRESET)."""
        info = await self._dongle.detect()
        await self._dongle.set_registers()
        self._side_args = ["0"] if info.dialect is Dialect.BP35C else []
        with contextlib.suppress(DongleCommandError):
            await self._dongle.command("SKSREG", "SFE", "0")  # echo off
        await self._dongle.command("SKSETRBID", self._rbid)
        await self._dongle.command("SKSETPWD", f"{len(self._password):X}", self._password)

    async def reconnect(self) -> PanInfo:
        """Bring a lost session back: end what is left of it, rejoin the cached PAN, else scan."""
        if self._dongle.disconnected is not None:
            raise self._dongle.disconnected
        self._lost = None
        self._joined = False
        await self._terminate()
        return await self._join_or_scan(rescan=False)

    async def _terminate(self) -> None:
        """SKTERM, and wait briefly for the dongle to say the session ended (EVENT 27/28).

        A dongle with no session answers FAIL ER10, which is fine here.
        """
        self._connecting = True
        self._drain_control()
        try:
            try:
                await self._dongle.command("SKTERM")
            except DongleCommandError, DongleTimeoutError:
                return
            async with asyncio.timeout(self.term_wait):
                while True:
                    event = await self._control_event(self.term_wait)
                    if isinstance(event, SkEvent) and event.code in (
                        EVENT_SESSION_ENDED,
                        EVENT_SESSION_END_TIMEOUT,
                    ):
                        return
        except TimeoutError:
            _LOGGER.debug("SKTERM ended with no EVENT 27 or 28")
        finally:
            self._connecting = False

    async def _join_or_scan(self, *, rescan: bool) -> PanInfo:
        if self.pan is not None and not rescan:
            try:
                # On the cached PAN a meter that does not answer is not retried:
                # a scan finds out at once whether it moved.
                await self._join(self.pan, unanswered_attempts=1)
            except MeterNotFoundError:
                _LOGGER.info("The meter did not answer on its cached channel; scanning again")
            else:
                return self.pan
        pan = await self._scan()
        await self._join(pan)
        self.pan = pan
        return pan

    def _drain_control(self) -> None:
        while not self._control.empty():
            self._control.get_nowait()

    async def _control_event(self, within: float) -> RadioMessage:
        async with asyncio.timeout(within):
            event = await self._control.get()
        if isinstance(event, DongleError):
            raise event
        return event

    async def _start_scan(self, duration: int) -> None:
        """SKSCAN, with the side argument the dongle takes.

        The Tessera RL7023 Stick-D/DSS reports sides like a BP35C0 but takes
        SKSCAN with three arguments; a dongle refusing one form (FAIL ER05 or
        ER06) gets the other, which is then kept.
        """
        arguments = ["2", "FFFFFFFF", str(duration)]
        try:
            await self._dongle.command("SKSCAN", *arguments, *self._side_args)
        except DongleCommandError as err:
            if err.code not in ("ER05", "ER06"):
                raise
            self._side_args = [] if self._side_args else ["0"]
            _LOGGER.debug("SKSCAN refused with %s; trying the other argument count", err.code)
            await self._dongle.command("SKSCAN", *arguments, *self._side_args)

    async def _scan(self) -> PanInfo:
        self._connecting = True
        self._drain_control()
        try:
            for duration in self._scan_durations:
                await self._start_scan(duration)
                found: list[PanDescriptor] = []
                try:
                    while True:
                        event = await self._control_event(scan_seconds(duration))
                        if isinstance(event, PanDescriptor):
                            found.append(event)
                        elif isinstance(event, SkEvent) and event.code == EVENT_SCAN_DONE:
                            break
                except TimeoutError:
                    _LOGGER.debug("Active scan at duration %s did not finish", duration)
                if not found:
                    found = await self._late_descriptors()
                if found:
                    best = max(found, key=lambda pan: pan.lqi)
                    self.lqi = best.lqi
                    _LOGGER.debug("Found the meter's PAN on channel %X", best.channel)
                    return PanInfo(best.channel, best.pan_id, best.mac)
        finally:
            self._connecting = False
        raise MeterNotFoundError("no smart meter answered the scan")

    async def _late_descriptors(self) -> list[PanDescriptor]:
        """EPANDESC blocks that a dongle prints after its EVENT 22 (scan done)."""
        found: list[PanDescriptor] = []
        try:
            async with asyncio.timeout(self.late_pandesc_wait):
                while True:
                    event = await self._control_event(self.late_pandesc_wait)
                    if isinstance(event, PanDescriptor):
                        found.append(event)
        except TimeoutError:
            pass
        return found

    async def _recover(self, err: DongleCommandError) -> bool:
        """`FAIL ER10` to SKJOIN: SKTERM the old session, SKRESET when it repeats; join again."""
        if err.code != "ER10":
            return False
        await self._unwedge()
        return True

    def _on_joined(self) -> None:
        self._failures_er10 = 0

    async def _unwedge(self) -> None:
        """Recover a dongle that answers FAIL ER10: SKTERM first, SKRESET when that repeats."""
        self._failures_er10 += 1
        if self._failures_er10 < WEDGED_AFTER:
            _LOGGER.debug("The dongle failed to execute a command (ER10); ending its session")
            await self._terminate()
            return
        _LOGGER.info("The Wi-SUN dongle keeps failing (ER10); resetting it with SKRESET")
        self.resets += 1
        self._failures_er10 = 0
        await self._dongle.command("SKRESET")
        await self._prepare()

    async def _join_once(self, pan: PanInfo) -> None:
        self._connecting = True
        self._drain_control()
        self._pana_heard = False
        self._peer = pan.address
        try:
            await self._dongle.command("SKSREG", "S2", f"{pan.channel:02X}")
            await self._dongle.command("SKSREG", "S3", f"{pan.pan_id:04X}")
            await self._dongle.command("SKJOIN", pan.address)
            async with asyncio.timeout(self._join_timeout):
                while True:
                    event = await self._control_event(self._join_timeout)
                    if not isinstance(event, SkEvent):
                        continue
                    if event.code == EVENT_PANA_DONE:
                        break
                    if event.code == EVENT_PANA_FAILED:
                        if self._pana_heard:
                            raise AuthenticationError(
                                "the meter refused the B-route ID and password"
                            )
                        raise MeterNotFoundError("the meter did not answer PANA")
        except TimeoutError:
            raise MeterNotFoundError("the meter did not finish PANA in time") from None
        finally:
            self._connecting = False
        self._joined = True
        self._lost = None
        self._reauthenticating = False
        self._changed.set()
        _LOGGER.debug("PANA session established with the meter")

    async def _pump_events(self) -> None:
        while True:
            try:
                event: RadioMessage | DongleError = await self._dongle.next_event(3600)
            except DongleTimeoutError:
                continue
            except DongleError as err:
                event = err
            self._dispatch(event)
            if isinstance(event, DongleError):
                return

    def _dispatch(self, event: RadioMessage | DongleError) -> None:
        if isinstance(event, DongleError):
            self._lose(event)
            self._control.put_nowait(event)
            return
        if isinstance(event, UdpReceived):
            self._on_datagram(event)
            return
        if isinstance(event, SkEvent):
            if not self._from_meter(event):
                self.events_ignored += 1
                _LOGGER.debug("Ignored EVENT %02X from %s: not the meter", event.code, event.sender)
                return
            self._on_event(event)
        if self._connecting:
            self._control.put_nowait(event)

    def _on_datagram(self, datagram: UdpReceived) -> None:
        pan = self.pan
        if datagram.remote_port == PANA_PORT:
            self._pana_heard = True
            return
        if (
            pan is None
            or datagram.sender != pan.address
            or datagram.local_port != ECHONET_LITE_PORT
        ):
            self.dropped += 1
            return
        if datagram.lqi is not None:
            self.lqi = datagram.lqi
        for matcher, future in self._waiters:
            if not future.done() and matcher(datagram.data):
                future.set_result(datagram.data)
                return
        if self.on_notification is not None:
            self.on_notification(datagram.data)
            return
        if self.notifications.full():
            self.notifications.get_nowait()  # the oldest gives way
        self.notifications.put_nowait(datagram.data)

    def _from_meter(self, event: SkEvent) -> bool:
        """Whether a PANA event (24-29) comes from the meter we join; other events pass.

        Only the meter can end, renew or refuse our session: the same event
        naming another sender says nothing about it.
        """
        peer = self._peer
        if event.code not in _PANA_EVENTS or peer is None:
            return True
        return event.sender.upper() == peer.upper()

    def _on_event(self, event: SkEvent) -> None:
        code = event.code
        if code == EVENT_UDP_SENT and event.param == UDP_SEND_FAILED:
            failed = self._send_failed
            if failed is not None and not failed.done():
                failed.set_result(None)
        elif code == EVENT_SESSION_EXPIRED:
            _LOGGER.debug("The dongle is re-authenticating with the meter; requests wait")
            self._reauthenticating = True
        elif code == EVENT_PANA_DONE:
            self._reauthenticating = False
        elif code == EVENT_TX_LIMIT:
            _LOGGER.info("The radio reached its transmit-time limit; requests wait for it to lift")
            self._tx_limited = True
        elif code == EVENT_TX_LIMIT_LIFTED:
            self._tx_limited = False
        elif self._joined and not self._connecting and code == EVENT_PANA_FAILED:
            self._lose(SessionLostError("re-authentication with the meter failed"))
        elif self._joined and code in _SESSION_ENDING_EVENTS:
            self._lose(SessionLostError("the meter ended the PANA session"))
        self._changed.set()

    def _lose(self, error: DongleError) -> None:
        if self._lost is None:
            self._lost = error
        self._joined = False
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(error)
        self._changed.set()

    async def _wait_until_clear(self) -> None:
        """Wait while re-authenticating or over the transmit limit; raise if lost."""
        while True:
            if self._lost is not None:
                raise self._lost
            if not self._joined:
                raise SessionLostError("there is no PANA session with the meter")
            if not self._reauthenticating and not self._tx_limited:
                return
            self._changed.clear()
            await self._changed.wait()

    async def request(
        self, frame: bytes, matcher: Matcher, *, within: float = REQUEST_TIMEOUT
    ) -> bytes:
        """Send an ECHONET Lite frame to the meter; return the answer `matcher` accepts.

        Waits (within the same limit) while the session is re-authenticating or
        the radio is over its transmit-time limit. Raises DongleTimeoutError if
        no answer comes, SessionLostError or DongleDisconnectedError if the
        session or the dongle is gone.
        """
        pan = self.pan
        async with self._request_lock:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[bytes] = loop.create_future()
            waiter = (matcher, future)
            try:
                async with asyncio.timeout(within):
                    await self._wait_until_clear()
                    if pan is None:  # pragma: no cover - joined implies a PAN
                        raise SessionLostError("no meter to send to")
                    self._waiters.append(waiter)
                    for attempt in range(1, SEND_ATTEMPTS + 1):
                        failed: asyncio.Future[None] = loop.create_future()
                        self._send_failed = failed
                        await self._send(pan, frame)
                        await asyncio.wait((future, failed), return_when=asyncio.FIRST_COMPLETED)
                        if future.done():
                            return future.result()
                        if attempt < SEND_ATTEMPTS:
                            self.retransmits += 1
                            _LOGGER.debug("The dongle could not send (EVENT 21 01); sending again")
                            await self._wait_until_clear()
                    raise SendFailedError(
                        f"the dongle could not send to the meter (EVENT 21 01), {SEND_ATTEMPTS} times"
                    )
            except TimeoutError:
                raise DongleTimeoutError(f"the meter did not answer within {within:g} s") from None
            finally:
                self._send_failed = None
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def send(self, frame: bytes) -> None:
        """Send an ECHONET Lite frame that wants no answer (an INFC_Res, say).

        Raises SessionLostError when there is no session, DongleError when
        the dongle fails to send; never waits for the meter.
        """
        pan = self.pan
        if not self.connected or pan is None:
            raise SessionLostError("there is no PANA session with the meter")
        await self._send(pan, frame)

    async def _send(self, pan: PanInfo, frame: bytes) -> None:
        """SKSENDTO; a dongle answering FAIL ER10 loses the session, so the link rejoins."""
        try:
            await self._dongle.send_udp(pan.address, frame, port=ECHONET_LITE_PORT, side=self._side)
        except DongleCommandError as err:
            if err.code != "ER10":
                raise
            self._failures_er10 += 1
            self._lose(SessionLostError("the dongle failed to send (FAIL ER10)"))
            raise SessionLostError("the dongle failed to send (FAIL ER10)") from err

    async def close(self) -> None:
        """End the PANA session politely and stop listening."""
        if self.connected:
            with contextlib.suppress(DongleError):
                await self._dongle.command("SKTERM")
        self._joined = False
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
