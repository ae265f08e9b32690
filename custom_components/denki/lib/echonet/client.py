"""The ECHONET Lite client: requests to nodes, discovery, notifications, our own node.

`EchonetClient` sends requests from our controller object (0x05FF01) and
matches each answer to its request by the node's address, the TID and the
object asked (the answer's SEOJ is the request's DEOJ; a request for
instance 0 is answered by any instance of the class). Anything else is
dropped and counted: an answer from an address other than the node asked
is never accepted (the home LAN is the trust boundary, and a TID alone is
easy to guess). One request is in flight per node at a time, since many
devices handle only one; a request is sent again, with the same TID, as
the `RetryPolicy` says. Requests leave one datagram per turn of the event
loop: when many are asked at once (a demand-response event setting forty
appliances, a scene), each send, a system call that can be slow on a busy
host, runs in a turn of its own, and the loop is not held for all of them.

It also plays our own node: it answers Get for the node profile and the
controller (`ControllerNode`), acknowledges INFC with INFC_Res, hands
every INF and INFC to the listeners registered with `add_listener`, and
announces its instance list (INF of 0xD5 to the group) when it starts and
whenever `announce` is called (specification part II, 4.3.1: a node
notifies its instance list at start-up).

It remembers when each host was last heard from (`last_heard`), tells the
datagram listeners of every frame received, and the silence listeners of
every request a host left wholly unanswered. A `set_guard` can forbid Sets
to addresses the caller does not trust (a node directory whose identity at
that address is not confirmed): the Set then fails with `UnconfirmedError`
and nothing is sent.
"""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping
import contextlib
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from enum import Enum, auto
import functools
import ipaddress
import logging
import secrets
import time
from types import TracebackType
from typing import Self

from .controller_node import ControllerNode
from .errors import EchonetError, FrameError
from .esv import ESV, RESPONSES
from .exchange import DiscoveredNode, EchonetTimeoutError, Reply
from .frame import CONTROLLER, EOJ, NODE_PROFILE, Frame, Property
from .node_profile import EPC_INSTANCE_LIST, NODE_PROFILE_CLASS, decode_instance_list
from .retry import RetryPolicy
from .transport import Address, EchonetCounters, EchonetTransport, TransportError

_LOGGER = logging.getLogger(__name__)

type Listener = Callable[[str, Frame], None]
"""Called with the sender's IPv4 address and the frame of each INF and INFC."""

type HostListener = Callable[[str], None]
"""Called with a host's IPv4 address (a datagram from it, or its silence)."""

type SetGuard = Callable[[str], bool]
"""Whether a Set may be sent to this IPv4 address."""


class UnconfirmedError(EchonetError):
    """A Set was refused before sending: the node at the address is not confirmed."""

    def __init__(self, address: str) -> None:
        """Say which address was not trusted."""
        super().__init__(f"the identity of the node at {address} is not confirmed: no Set sent")
        self.address = address


DISCOVERY_WINDOW = 3.0


class _Match(Enum):
    ANSWERED = auto()
    SPOOFED = auto()
    NONE = auto()


@dataclass(slots=True)
class _Pending:
    address: str
    request: Frame
    answer: asyncio.Future[Frame]


@dataclass(slots=True)
class _Discovery:
    address: str | None  # None: asked the group, any node may answer
    nodes: dict[str, DiscoveredNode] = field(default_factory=dict)
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@functools.lru_cache(maxsize=1024)
def _ipv4(address: str) -> str:
    """The canonical form of an IPv4 address, or ValueError (cached: every request asks)."""
    return str(ipaddress.IPv4Address(address))


_TOLERATED: dict[ESV, frozenset[ESV]] = {ESV.SETC: frozenset({ESV.SETI_SNA})}
"""Answers of the wrong family taken all the same: some stacks (uecho, for one) refuse
every Set with SetI_SNA. The TID and the object still match, and the frame says the
same thing a SetC_SNA would; dropping it would make the client send the Set again."""


def _answers(request: Frame, answer: Frame) -> bool:
    """Whether `answer` is the kind of answer `request` calls for, from the object asked."""
    if answer.esv not in RESPONSES[request.esv] and answer.esv not in _TOLERATED.get(
        request.esv, ()
    ):
        return False
    asked = request.deoj
    if asked.instance == 0:
        return answer.seoj.class_id == asked.class_id
    return answer.seoj == asked


class EchonetClient:
    """Requests to ECHONET Lite nodes over one transport, and our node's answers."""

    def __init__(
        self,
        transport: EchonetTransport,
        *,
        retry: RetryPolicy | None = None,
        node: ControllerNode | None = None,
    ) -> None:
        """Use a transport that `start` opens.

        Args:
            transport: The UDP endpoint, not yet open.
            retry: Timeouts and retransmissions of every request.
            node: Our node's identity; a random one if None.
        """
        self._transport = transport
        self._retry = retry or RetryPolicy()
        self.node = node or ControllerNode()
        self._tid = secrets.randbelow(0x10000)
        self._pending: dict[int, _Pending] = {}
        self._discoveries: dict[int, _Discovery] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._silent: set[str] = set()
        self._listeners: list[Listener] = []
        self._request_listeners: list[Listener] = []
        self._datagram_listeners: list[HostListener] = []
        self._silence_listeners: list[HostListener] = []
        self._heard: dict[str, float] = {}
        self._turns: deque[asyncio.Future[None]] = deque()
        self._turn_taken = False
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self.set_guard: SetGuard | None = None
        """If set, Sets go only to addresses it accepts (`UnconfirmedError` otherwise)."""

    @property
    def has_multicast(self) -> bool:
        """Whether the transport joined a group that discovery can ask."""
        return self._transport.multicast_group is not None

    @property
    def counters(self) -> EchonetCounters:
        """What was received, dropped and sent."""
        return self._transport.counters

    async def start(self) -> None:
        """Open the transport and announce our node's instance list to the group.

        Raises:
            TransportError: The port is unavailable on the interface.
        """
        await self._transport.open(self._on_frame)
        self.announce()

    def announce(self) -> bool:
        """Announce our instance list (INF of 0xD5 to the group); again on a network change.

        Returns:
            Whether it was sent (False without a group, or when the transport is closed).
        """
        if self._transport.multicast_group is None:
            return False
        try:
            self._transport.send_multicast(self.node.announcement(self._next_tid()))
        except TransportError as err:
            _LOGGER.debug("Could not announce our instance list: %s", err)
            return False
        return True

    def last_heard(self, host: str) -> float | None:
        """The `time.monotonic()` of the last frame received from `host`, if any."""
        return self._heard.get(host)

    def close(self) -> None:
        """Close the transport; requests still waiting fail with TransportError."""
        self._transport.close()
        for pending in self._pending.values():
            if not pending.answer.done():
                pending.answer.set_exception(TransportError("the client was closed"))

    async def __aenter__(self) -> Self:
        """Start the client."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client."""
        self.close()

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every INF and INFC received; returns its remover.

        Listeners run in the receiving callback: they must not block or raise.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_request_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every request another node sends us; returns its remover.

        Our node answers them regardless; this is for noticing who asks what
        (a Set from a host we do not know, say). Listeners must not block or raise.
        """
        self._request_listeners.append(listener)
        return lambda: self._request_listeners.remove(listener)

    def add_datagram_listener(self, listener: HostListener) -> Callable[[], None]:
        """Call `listener` with the sender of every well-formed frame; returns its remover.

        Listeners run in the receiving callback: they must not block or raise.
        """
        self._datagram_listeners.append(listener)
        return lambda: self._datagram_listeners.remove(listener)

    def add_silence_listener(self, listener: HostListener) -> Callable[[], None]:
        """Call `listener` with each host that left a request wholly unanswered."""
        self._silence_listeners.append(listener)
        return lambda: self._silence_listeners.remove(listener)

    def _check_set(self, address: str) -> None:
        if self.set_guard is not None and not self.set_guard(address):
            raise UnconfirmedError(address)

    async def get(self, address: str, eoj: EOJ, epcs: Iterable[int]) -> Reply:
        """Get properties of an object (Get; Get_Res, or Get_SNA naming what it lacks).

        Raises:
            EchonetTimeoutError: The node did not answer.
        """
        return await self._request(address, eoj, ESV.GET, tuple(Property(epc) for epc in epcs))

    async def set_c(self, address: str, eoj: EOJ, values: Mapping[int, bytes]) -> Reply:
        """Set properties and wait for the answer (SetC; Set_Res or SetC_SNA).

        Raises:
            EchonetTimeoutError: The node did not answer.
            UnconfirmedError: The `set_guard` does not trust the address; nothing was sent.
        """
        self._check_set(_ipv4(address))
        properties = tuple(Property(epc, edt) for epc, edt in values.items())
        return await self._request(address, eoj, ESV.SETC, properties)

    async def set_i(self, address: str, eoj: EOJ, values: Mapping[int, bytes]) -> None:
        """Set properties without waiting (SetI): a node answers only if it refuses.

        Its SetI_SNA, which nothing waits for, is counted as unmatched.

        Raises:
            UnconfirmedError: The `set_guard` does not trust the address; nothing was sent.
        """
        self._check_set(_ipv4(address))
        properties = tuple(Property(epc, edt) for epc, edt in values.items())
        if not properties:
            raise ValueError("a request names at least one property")
        host = _ipv4(address)
        async with self._lock(host):
            frame = Frame(self._next_tid(), CONTROLLER, eoj, ESV.SETI, properties)
            self._transport.send(frame, (host, self._transport.port))

    async def inf_req(self, address: str, eoj: EOJ, epcs: Iterable[int]) -> Reply:
        """Ask an object to announce properties (INF_REQ; INF or INF_SNA).

        The INF also reaches the listeners, like any other.

        Raises:
            EchonetTimeoutError: The node did not answer.
        """
        properties = tuple(Property(epc) for epc in epcs)
        return await self._request(address, eoj, ESV.INF_REQ, properties)

    async def discover(
        self, window: float = DISCOVERY_WINDOW, address: str | None = None
    ) -> list[DiscoveredNode]:
        """Ask every node profile for its instance list and collect answers for `window` s.

        Args:
            window: How long to collect answers.
            address: Where to ask: the transport's multicast group if None;
                a unicast address asks that node only, only it may answer,
                and its answer ends the wait.

        Returns:
            The nodes that answered, by address.
        """
        target = _ipv4(address) if address is not None else self._transport.multicast_group
        if target is None:
            raise TransportError("the transport has no multicast group to discover with")
        anyone = ipaddress.IPv4Address(target).is_multicast
        request = Frame(
            self._next_tid(), CONTROLLER, NODE_PROFILE, ESV.GET, (Property(EPC_INSTANCE_LIST),)
        )
        discovery = _Discovery(None if anyone else target)
        # Asking one node is a request to it like any other: one at a time.
        lock: AbstractAsyncContextManager[object] = (
            contextlib.nullcontext() if anyone else self._lock(target)
        )
        async with lock:
            self._discoveries[request.tid] = discovery
            try:
                self._transport.send(request, (target, self._transport.port))
                if anyone:
                    await asyncio.sleep(window)
                else:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(window):
                            await discovery.answered.wait()
            finally:
                del self._discoveries[request.tid]
        return sorted(
            discovery.nodes.values(), key=lambda node: ipaddress.IPv4Address(node.address)
        )

    def _lock(self, host: str) -> asyncio.Lock:
        lock = self._locks.get(host)
        if lock is None:
            lock = self._locks[host] = asyncio.Lock()
        return lock

    async def _turn(self) -> None:
        """Wait for our turn to send: one request datagram per turn of the loop, in order."""
        loop = asyncio.get_running_loop()
        if loop is not self._turn_loop:  # a loop of its own (a client used again): a fresh queue
            self._turn_loop, self._turn_taken = loop, False
            self._turns.clear()
        if not self._turn_taken and not self._turns:
            self._turn_taken = True
            loop.call_soon(self._next_turn)
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._turns.append(waiter)
        await waiter

    def _next_turn(self) -> None:
        """Give the next waiting send its turn, and the one after it the next turn of the loop."""
        while self._turns:
            waiter = self._turns.popleft()
            if not waiter.done():  # a cancelled request gives its turn up
                waiter.set_result(None)
                asyncio.get_running_loop().call_soon(self._next_turn)
                return
        self._turn_taken = False

    def _next_tid(self) -> int:
        self._tid = (self._tid + 1) & 0xFFFF
        while self._tid in self._pending or self._tid in self._discoveries:
            self._tid = (self._tid + 1) & 0xFFFF
        return self._tid

    async def _request(
        self, address: str, eoj: EOJ, esv: ESV, properties: tuple[Property, ...]
    ) -> Reply:
        if not properties:
            raise ValueError("a request names at least one property")
        host = _ipv4(address)
        async with self._lock(host):
            request = Frame(self._next_tid(), CONTROLLER, eoj, esv, properties)
            answer: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending[request.tid] = _Pending(host, request, answer)
            waited: list[float] = []
            try:
                timeouts = self._retry.timeouts()
                if host in self._silent:
                    # It let a whole request go unanswered and has said nothing since:
                    # one attempt each, so that its other objects do not hold the queue.
                    timeouts = timeouts[:1]
                for timeout in timeouts:
                    await self._turn()
                    self._transport.send(request, (host, self._transport.port))
                    waited.append(timeout)
                    done, _ = await asyncio.wait((answer,), timeout=timeout)
                    if done:
                        return Reply(host, answer.result())
                    _LOGGER.debug(
                        "%s did not answer %s TID %d within %.2f s",
                        host,
                        esv.name,
                        request.tid,
                        timeout,
                    )
            finally:
                del self._pending[request.tid]
                answer.cancel()
            self._silent.add(host)
        for listener in tuple(self._silence_listeners):
            listener(host)
        raise EchonetTimeoutError(host, eoj, esv, tuple(waited))

    def _on_frame(self, frame: Frame, source: Address) -> None:
        """Route one received frame: our node's requests, notifications, answers."""
        host = source[0]
        self._silent.discard(host)
        self._heard[host] = time.monotonic()
        for heard in tuple(self._datagram_listeners):
            heard(host)
        esv = frame.esv
        if esv.is_request:
            for listener in tuple(self._request_listeners):
                listener(host, frame)
            answer = self.node.answer(frame)
            if answer is None:
                self.counters.ignored += 1
            else:
                self._transport.send(answer, source)
            return
        if esv in (ESV.INF, ESV.INFC):
            if esv == ESV.INFC:
                self._acknowledge(frame, source)
            else:
                # An INF may be the answer to our INF_REQ; TIDs of other INFs are the node's own.
                self._match(frame, host)
            for listener in tuple(self._listeners):
                listener(host, frame)
            return
        match self._match(frame, host):
            case _Match.ANSWERED:
                pass
            case _Match.SPOOFED:
                self.counters.spoofed += 1
                _LOGGER.debug(
                    "Dropped %s TID %d from %s: not the node asked", esv.name, frame.tid, host
                )
            case _Match.NONE:
                if not self._discovered(frame, host):
                    self.counters.unmatched += 1
                    _LOGGER.debug("Dropped unmatched %s TID %d from %s", esv.name, frame.tid, host)

    def _match(self, frame: Frame, host: str) -> _Match:
        pending = self._pending.get(frame.tid)
        if pending is None or not _answers(pending.request, frame):
            return _Match.NONE
        if pending.address != host:
            return _Match.SPOOFED
        if not pending.answer.done():
            pending.answer.set_result(frame)
        return _Match.ANSWERED

    def _discovered(self, frame: Frame, host: str) -> bool:
        discovery = self._discoveries.get(frame.tid)
        if (
            discovery is None
            or frame.esv not in (ESV.GET_RES, ESV.GET_SNA)
            or frame.seoj.class_id != NODE_PROFILE_CLASS
        ):
            return False
        if discovery.address not in (None, host):
            self.counters.spoofed += 1
            return True
        instances: tuple[EOJ, ...] = ()
        for prop in frame.properties:
            if prop.epc == EPC_INSTANCE_LIST and prop.edt:
                try:
                    instances = decode_instance_list(prop.edt)
                except FrameError as err:
                    self.counters.malformed += 1
                    _LOGGER.debug("Instance list of %s: %s", host, err)
        discovery.nodes.setdefault(host, DiscoveredNode(host, instances))
        discovery.answered.set()
        return True

    def _acknowledge(self, notification: Frame, source: Address) -> None:
        """Answer an INFC with INFC_Res: the same TID and EPCs, no data."""
        ours = self.node.owns(notification.deoj) or CONTROLLER
        properties = tuple(Property(prop.epc) for prop in notification.properties)
        ack = Frame(notification.tid, ours, notification.seoj, ESV.INFC_RES, properties)
        self._transport.send(ack, source)
