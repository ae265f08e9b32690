"""One place that keeps a meter reachable: open the dongle, join, and climb back after a loss.

The recovery ladder, one rung per call of `ensure()` so a caller that polls
never loops on its own:

1. the session is up: use it;
2. the dongle is there but the session was lost (expiry, the meter ended
   it, or `TIMEOUTS_BEFORE_REJOIN` requests in a row went unanswered):
   rejoin the cached PAN, and scan again only if the meter is not on it;
3. the dongle went away (unplugged): close everything and open the port
   again, which succeeds once the dongle is back (a /dev/serial/by-id path
   survives a replug).

What the meter pushes of its own accord (INF or INFC: its fixed-time
counts, 0xEA/0xEB, every half hour) is kept in `pushed` and handed to the
push listeners, instead of being dropped; an INFC is answered (INFC_Res).

The dongle may speak either command set: the default opener
(`probe.open_dongle`) asks SK first (`SKVER`) and J11 next (Get Version
Information), or the one it found last on the port first, and the session
is a `BRouteSession` or a `J11Session` (`j11_session`) accordingly, with the
same errors, counters and credential semantics.

Wrong credentials are not a rung: `AuthenticationError` goes to the
caller, which should ask the user rather than retry. A refusal from a meter
that accepted the same credentials earlier in this link's life is one
(`PanaRefusedError`, a SessionLostError): the link's `CredentialHistory`
outlives the sessions of replugged dongles, and decides when refusals persist.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import cast

from . import j11
from .dongle import DongleInfo, SkDongle
from .errors import DongleError, DongleTimeoutError, SessionLostError
from .history import BoundaryCounts
from .j11_session import J11_SCAN_DURATIONS, J11Dongle, J11Session
from .meter import LowVoltageMeter, infc_response, read_announcement
from .meter_values import Current, EnergyScale, parse_cumulative, parse_current, parse_power
from .probe import open_dongle as open_any_dongle
from .session import (
    JOIN_BACKOFF,
    JOIN_TIMEOUT,
    REQUEST_TIMEOUT,
    SCAN_DURATIONS,
    BRouteSession,
    CredentialHistory,
    PanInfo,
)
from .sk_messages import DongleFamily

_LOGGER = logging.getLogger(__name__)

TIMEOUTS_BEFORE_REJOIN = 3
PUSHED_KEPT = 96
"""Pushed counts kept: two days of half hours, longer than any back-fill waits for them."""
ANSWERS_PENDING = 4
"""INFC_Res not yet sent beyond which another INFC goes unanswered: a flood of INFC (a
meter gone wrong, or a stranger) cannot fill the dongle's queue with answers."""

type DongleOpener = Callable[[str], Awaitable[SkDongle | J11Dongle]]
"""Opens a port. The default (None) is `probe.open_dongle`, which returns the driver for
the command set the dongle answers (SK text or J11 binary), asking first the one last found
on the port: one meter entry works with either."""
type AnySession = BRouteSession | J11Session


@dataclass(frozen=True, slots=True)
class LiveReading:
    """What one poll of the meter gives, in one frame."""

    power_w: int | None
    current: Current | None
    import_kwh: float | None
    export_kwh: float | None


class MeterLink:
    """A dongle on a port, the session through it, and the meter behind it."""

    def __init__(
        self,
        port: str,
        rbid: str,
        password: str,
        *,
        pan: PanInfo | None = None,
        scan_durations: tuple[int, ...] | None = None,
        join_timeout: float = JOIN_TIMEOUT,
        open_dongle: DongleOpener | None = None,
        join_backoff: float = JOIN_BACKOFF,
        history: CredentialHistory | None = None,
        identification: str | None = None,
    ) -> None:
        """Remember how to reach the meter; nothing is opened until `ensure()`.

        `identification` is the meter's identity as it was established when
        it was first joined (a config entry's unique id): given, it is kept
        whatever source the meter's identity would come from now (the meter
        lost its 0x83, say), and the join reads no identity.
        """
        self.port = port
        self._rbid = rbid
        self._password = password
        self.pan = pan
        self._scan_durations = scan_durations
        """The scans' durations; None: each command set's own (`SCAN_DURATIONS`, and
        `J11_SCAN_DURATIONS`, whose units differ)."""
        self._join_timeout = join_timeout
        self._open_dongle = open_dongle if open_dongle is not None else self._open_any
        self._family = (
            DongleFamily.J11
            if pan is not None and j11.MIN_CHANNEL <= pan.channel <= j11.MAX_CHANNEL
            else DongleFamily.SK
        )
        """The command set last found on the port: asked first when the port is opened again.
        A cached PAN tells it across a restart: J11 numbers channels 4 to 17, SK 0x21 and up
        (broute_j11/commands.py lines 27-28), so a J11 dongle is not kept waiting on SK's
        question (3 s) at every start."""
        self._join_backoff = join_backoff
        self.history = history if history is not None else CredentialHistory()
        """What the meter said of the credentials in this link's life."""
        self.identity_source: str | None = "stored" if identification is not None else None
        """Where `identification` came from: "meter 0x83", "node profile 0x83",
        "0x8A+0x8D", "MAC", or "stored" (given when the link was made)."""
        self._dongle: SkDongle | J11Dongle | None = None
        self._session: AnySession | None = None
        self._meter: LowVoltageMeter | None = None
        self._timeouts = 0
        self.identification: str | None = identification
        self.pushed: dict[datetime, BoundaryCounts] = {}
        """The fixed-time counts the meter pushed (INF/INFC), by the time they were taken."""
        self.pushes = 0
        """Pushed counts received in this link's life."""
        self._push_listeners: list[Callable[[BoundaryCounts], None]] = []
        self._answers: set[asyncio.Task[None]] = set()
        self._climbing = asyncio.Lock()
        self.scale: EnergyScale | None = None
        self.joins = 0
        self.last_success: datetime | None = None
        self.request_timeout = REQUEST_TIMEOUT

    @property
    def connected(self) -> bool:
        """Whether the session is up now."""
        return self._session is not None and self._session.connected

    @property
    def session(self) -> AnySession | None:
        """The current session, for counters; None before the first join."""
        return self._session

    @property
    def lines_unparsed(self) -> int | None:
        """Lines of the open dongle's output that were no SK message; None with no dongle open.

        On a J11 dongle: the frames dropped for a bad header or checksum.
        """
        return None if self._dongle is None else self._dongle.unparsed

    @property
    def dongle_info(self) -> DongleInfo | None:
        """What the dongle said of itself when it was last opened."""
        return self._dongle.info if self._dongle is not None else None

    @property
    def lqi(self) -> int | None:
        """The radio link quality (LQI, 0-255) to the meter, when the dongle reports it."""
        return None if self._session is None else self._session.lqi

    @property
    def rssi_dbm(self) -> float | None:
        """The meter's signal at the dongle in dBm, when the dongle tells it.

        A J11 dongle gives dBm itself. An SK dongle gives an LQI, converted as
        ROHM's BP35A1 command reference (section 4.6, EEDSCAN) gives it,
        RSSI = 0.275 x LQI - 104.27: smdn's SkStackIP (SkStackLQI.ToRSSI) and
        momonga (momonga_device.py lines 77-82) convert it the same way.
        """
        session = self._session
        if session is None:
            return None
        if isinstance(session, J11Session):
            return None if session.rssi is None else float(session.rssi)
        return None if session.lqi is None else round(0.275 * session.lqi - 104.27, 1)

    async def _open_any(self, port: str) -> SkDongle | J11Dongle:
        """The default opener: the driver for the command set the dongle answers (SK or J11)."""
        dongle = await open_any_dongle(port, prefer=self._family)
        self._family = DongleFamily.J11 if isinstance(dongle, J11Dongle) else DongleFamily.SK
        return dongle

    async def ensure(self) -> LowVoltageMeter:
        """The meter, after climbing one rung of the recovery ladder if needed.

        One caller climbs at a time: the poll and the back-fill both reach for
        the meter, and two joins through one dongle at once would end each
        other's session. A caller that waited finds the meter there, or
        climbs the next rung itself.
        """
        if self._meter is not None and self._session is not None and self._session.connected:
            return self._meter
        async with self._climbing:
            if self._meter is not None and self._session is not None and self._session.connected:
                return self._meter
            return await self._climb()

    async def _climb(self) -> LowVoltageMeter:
        if self._dongle is None or self._dongle.disconnected is not None:
            await self._close_dongle()
            self._dongle = dongle = await self._open_dongle(self.port)
            if isinstance(dongle, J11Dongle):
                self._session = J11Session(
                    dongle,
                    self._rbid,
                    self._password,
                    pan=self.pan,
                    scan_durations=self._scan_durations or J11_SCAN_DURATIONS,
                    join_timeout=self._join_timeout,
                    history=self.history,
                    join_backoff=self._join_backoff,
                )
            else:
                self._session = BRouteSession(
                    dongle,
                    self._rbid,
                    self._password,
                    pan=self.pan,
                    scan_durations=self._scan_durations or SCAN_DURATIONS,
                    join_timeout=self._join_timeout,
                    history=self.history,
                    join_backoff=self._join_backoff,
                )
            self._session.on_notification = self._on_notification
            try:
                self.pan = await self._session.connect()
            except BaseException:
                # Half-prepared dongles are not reused: the next call starts afresh.
                await self._close_dongle()
                raise
        elif self._session is not None:
            self.pan = await self._session.reconnect()
        if self._session is None:  # pragma: no cover - a dongle is opened with its session
            raise SessionLostError("there is no session with the meter")
        self.joins += 1
        self._timeouts = 0
        # LowVoltageMeter is typed with BRouteSession; it uses `request` only, which
        # J11Session offers with the same signature and errors.
        meter = LowVoltageMeter(cast("BRouteSession", self._session), within=self.request_timeout)
        if self.identification is None:
            mac = self.pan.mac if self.pan is not None else None
            self.identification, self.identity_source = await meter.identity(mac)
        self.scale = await meter.read_scale()
        self._meter = meter
        return meter

    async def read_live(self, now: Callable[[], datetime]) -> LiveReading:
        """Power, current and both cumulative energies, in one Get."""
        meter = await self.ensure()
        scale = self.scale or await meter.read_scale()
        try:
            values = await meter.get(0xE7, 0xE8, 0xE0, 0xE3, within=self.request_timeout)
        except DongleTimeoutError:
            self.count_timeout()
            raise
        self._timeouts = 0
        self.last_success = now()
        return LiveReading(
            power_w=parse_power(values[0xE7]) if 0xE7 in values else None,
            current=parse_current(values[0xE8]) if 0xE8 in values else None,
            import_kwh=scale.kwh(parse_cumulative(values[0xE0])) if 0xE0 in values else None,
            export_kwh=scale.kwh(parse_cumulative(values[0xE3])) if 0xE3 in values else None,
        )

    def add_push_listener(self, listener: Callable[[BoundaryCounts], None]) -> Callable[[], None]:
        """Call `listener` with each count the meter pushes; returns the remover."""
        self._push_listeners.append(listener)
        return lambda: self._push_listeners.remove(listener)

    def _on_notification(self, data: bytes) -> None:
        """Keep what the meter pushed, tell the listeners, and answer an INFC."""
        announcement = read_announcement(data)
        if announcement is None:
            return
        if (
            announcement.wants_answer
            and self._session is not None
            and len(self._answers) < ANSWERS_PENDING
        ):
            task = asyncio.get_running_loop().create_task(
                self._answer(self._session, infc_response(announcement.frame))
            )
            self._answers.add(task)
            task.add_done_callback(self._answers.discard)
        for counts in announcement.counts:
            self.pushes += 1
            known = self.pushed.get(counts.at)
            merged = counts.merged(known) if known is not None else counts
            self.pushed[counts.at] = merged
            while len(self.pushed) > PUSHED_KEPT:
                del self.pushed[min(self.pushed)]
            _LOGGER.debug("The meter pushed its counts at %s", counts.at)
            for listener in list(self._push_listeners):
                listener(merged)

    @staticmethod
    async def _answer(session: AnySession, frame: bytes) -> None:
        try:
            await session.send(frame)
        except DongleError as err:
            _LOGGER.debug("The INFC_Res to the meter was not sent: %s", err)

    def count_timeout(self) -> None:
        """One more unanswered request; enough in a row and the next `ensure()` rejoins."""
        self._timeouts += 1
        if self._timeouts >= TIMEOUTS_BEFORE_REJOIN and self._meter is not None:
            _LOGGER.debug("%s requests in a row went unanswered; rejoining", self._timeouts)
            self._meter = None

    async def _close_dongle(self) -> None:
        session, dongle = self._session, self._dongle
        self._session = self._dongle = self._meter = None
        if session is not None:
            try:
                await session.close()
            except DongleError:  # pragma: no cover - closing a dongle that is gone
                _LOGGER.debug("Closing the lost session failed", exc_info=True)
        if dongle is not None:
            await dongle.close()

    async def close(self) -> None:
        """End the session and release the port."""
        for task in list(self._answers):
            task.cancel()
        await self._close_dongle()
