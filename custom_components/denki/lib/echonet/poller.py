"""Polling that adapts to each device: how many properties one Get may carry, learned.

Devices differ in how many properties they accept in one Get. Some answer
only the first few (a short answer), some refuse the tail with Get_SNA
although they have those properties, some drop the whole frame (a timeout),
and some drop a frame that holds two particular properties together. The
poller starts from what the property map allows (everything wanted in one
Get, up to the 255 a frame can carry) and learns from what comes back:

- a short answer, or a Get_SNA that refuses a tail of the properties asked
  while the head came with data, sets the capacity to the number answered;
- a Get of several properties that times out is split in halves, asked
  again within the same cycle (so the values still arrive), and the
  capacity becomes the size of the half that got through, unless a Get at
  least as large was answered in full since the poller started: what has
  worked is kept, and one lost datagram teaches nothing;
- a single-property Get that times out means the node is silent: the cycle
  ends there, with `timed_out` if nothing at all answered. The first timeout
  of a cycle is followed by a Get of one property, so a silent node costs two
  requests, not one per halving, and teaches no capacity;
- after `PROBE_AFTER` good cycles at a learned capacity, a larger Get is
  tried (halfway to the smallest size seen to fail, or one more), so a
  device that was only busy gets its capacity back: capacity is learned
  upward as well as down.

Capacities are keyed by the caller's stable name for the object (its node's
identification number and EOJ, never the IP) and exported with `learned()`
to be stored and handed back after a restart (`learned_capacity=` or
`restore`). Pairs of properties that must not share a frame (`PairPolicy`)
are kept in separate Gets.

With `backoff` on, a node whose poll timed out is not asked again for
`BACKOFF_FIRST` seconds, then twice as long after each further silent poll,
up to `BACKOFF_MAX`; meanwhile its polls return at once (`skipped`, no
datagram sent). Any frame from the node (an announcement, an answer to
someone else's request) ends the wait: the next poll asks at once.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
import time

from .client import EchonetClient
from .errors import EchonetError
from .frame import EOJ

PROBE_AFTER = 30
"""Good cycles at a learned capacity before a larger Get is tried (30 min at a 60 s poll).

A probe that fails costs one short answer (one request more) or one timeout
(the client's retries); once in 30 cycles keeps that under 4 % of the cycles
while a device that was only busy gets its capacity back within the hour."""

MAX_OPC = 255
"""The most properties one frame can carry (OPC is one byte)."""

BACKOFF_FIRST = 10.0
"""Seconds a node is left alone after its first silent poll."""

BACKOFF_MAX = 320.0
"""The longest wait between polls of a silent node (10 s doubled five times)."""


@dataclass(frozen=True, slots=True)
class PairPolicy:
    """Properties that must not share one Get frame on some devices.

    Attributes:
        epcs: The properties to keep apart.
        reason: Why (the report that found it).
        manufacturer: The manufacturer code it applies to; None for any.
        class_id: The class it applies to; None for any.
    """

    epcs: frozenset[int]
    reason: str
    manufacturer: int | None = None
    class_id: int | None = None

    def applies(self, eoj: EOJ, manufacturer: int | None) -> bool:
        """Whether the policy holds for an object of this class and maker."""
        return (self.class_id is None or self.class_id == eoj.class_id) and (
            self.manufacturer is None or self.manufacturer == manufacturer
        )


DEFAULT_POLICIES: tuple[PairPolicy, ...] = ()
"""Known pairs to keep apart. None is confirmed from a public report yet; the capacity
learning covers devices that choke on size, and policies are added as reports come."""


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one object brought.

    Attributes:
        values: EDT by EPC of every property received.
        missing: Properties asked for and not received (refused or unanswered).
        datagrams: Get requests sent in this cycle (the client's retransmissions aside).
        timed_out: Whether the object answered nothing at all.
        skipped: Whether nothing was asked, the node being silent and backed off.
    """

    values: dict[int, bytes]
    missing: frozenset[int]
    datagrams: int
    timed_out: bool
    skipped: bool = False


@dataclass(slots=True)
class _State:
    capacity: int | None = None
    good_cycles: int = 0
    proven: int = 0
    """The largest Get answered in full (every property with data or refused as lacking)."""
    failed: int | None = None
    """The smallest Get size seen to fail (cut short or unanswered)."""


@dataclass(slots=True)
class _Backoff:
    heard: float | None
    """When the client had last heard from the node as it fell silent."""
    until: float
    delay: float


@dataclass(slots=True)
class AdaptivePoller:
    """Reads objects' properties in as few Gets as each device allows."""

    client: EchonetClient
    policies: Sequence[PairPolicy] = DEFAULT_POLICIES
    learned_capacity: Mapping[str, int] | None = None
    max_batch: int = MAX_OPC
    backoff: bool = False
    """Back off from silent nodes (see the module notes); off, a silent node is asked each poll."""
    clock: Callable[[], float] = time.monotonic
    """The clock the back-off is timed by."""
    _states: dict[str, _State] = field(default_factory=dict)
    _quiet: dict[str, _Backoff] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Start from the capacities learned before a restart."""
        self.restore(self.learned_capacity or {})

    def restore(self, learned: Mapping[str, object]) -> int:
        """Take back capacities that `learned()` exported (from storage); returns how many.

        Entries that are not positive integers are ignored, so damaged storage
        costs only the relearning.
        """
        restored = 0
        for key, capacity in learned.items():
            if isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0:
                self._states[str(key)] = _State(min(capacity, MAX_OPC))
                restored += 1
        return restored

    def silent_until(self, address: str) -> float | None:
        """The `clock()` time until which a backed-off node is left alone, if it is."""
        quiet = self._quiet.get(address)
        return None if quiet is None else quiet.until

    def _backed_off(self, address: str) -> bool:
        quiet = self._quiet.get(address)
        if quiet is None:
            return False
        if self.client.last_heard(address) != quiet.heard:
            del self._quiet[address]  # it spoke: back at once
            return False
        return self.clock() < quiet.until

    def _silence(self, address: str, timed_out: bool) -> None:
        if not self.backoff:
            return
        if not timed_out:
            self._quiet.pop(address, None)
            return
        before = self._quiet.get(address)
        delay = BACKOFF_FIRST if before is None else min(before.delay * 2, BACKOFF_MAX)
        now = self.clock()
        self._quiet[address] = _Backoff(self.client.last_heard(address), now + delay, delay)

    def capacity(self, key: str) -> int | None:
        """The learned capacity of an object; None while it takes every batch asked."""
        state = self._states.get(key)
        return None if state is None else state.capacity

    def learned(self) -> dict[str, int]:
        """Every learned capacity, JSON-ready, to hand back after a restart."""
        return {
            key: state.capacity for key, state in self._states.items() if state.capacity is not None
        }

    def _batches(
        self, epcs: list[int], eoj: EOJ, manufacturer: int | None, size: int
    ) -> list[list[int]]:
        """Split `epcs` into Gets of at most `size`, never putting a policy's pair together."""
        apart = [p.epcs for p in self.policies if p.applies(eoj, manufacturer)]
        batches: list[list[int]] = []
        for epc in epcs:
            for batch in batches:
                if len(batch) < size and not any(
                    epc in pair and any(other in pair for other in batch) for pair in apart
                ):
                    batch.append(epc)
                    break
            else:
                batches.append([epc])
        return batches

    async def poll(
        self,
        key: str,
        address: str,
        eoj: EOJ,
        epcs: Collection[int],
        *,
        manufacturer: int | None = None,
    ) -> PollResult:
        """Read `epcs` of object `eoj` at `address`, learning as it goes.

        Never raises for a device's behaviour; ValueError if `epcs` is empty.
        """
        wanted = sorted(set(epcs))
        if not wanted:
            raise ValueError("a poll asks for at least one property")
        if self.backoff and self._backed_off(address):
            return PollResult({}, frozenset(wanted), 0, timed_out=True, skipped=True)
        state = self._states.setdefault(key, _State())
        limit = min(self.max_batch, MAX_OPC)
        size = min(state.capacity or limit, limit)
        probing = (
            state.capacity is not None
            and state.good_cycles >= PROBE_AFTER
            and len(wanted) > state.capacity
            and size < limit
        )
        if probing:
            size = min(_probe_size(state), limit)
        # Each Get carries the capacity it would confirm if its first property answers:
        # a tail left unanswered is asked again alone, and a device that merely lacks
        # the tail's first property refuses it again, which confirms nothing.
        queue: list[tuple[list[int], int | None]] = [
            (batch, None) for batch in self._batches(wanted, eoj, manufacturer, size)
        ]
        values: dict[int, bytes] = {}
        datagrams = 0
        answered = False
        learned: int | None = None
        whole = 0  # the largest Get answered in full this cycle
        while queue:
            batch, suspect = queue.pop(0)
            datagrams += 1
            try:
                reply = await self.client.get(address, eoj, batch)
            except EchonetError:
                if len(batch) == 1:
                    if not answered:
                        break  # silent: no point asking the rest this cycle
                    continue
                half = len(batch) // 2
                queue[:0] = [(batch[:half], None), (batch[half:], None)]
                if not answered:
                    # Silent node or a frame too big? One property alone tells them apart
                    # in one request, instead of halving down to a single property.
                    queue.insert(0, (batch[:1], None))
                if len(batch) > state.proven:  # a size that has worked is kept
                    learned = half if learned is None else min(learned, half)
                continue
            answered = True
            got = reply.values
            values.update(got)
            if suspect is not None and batch[0] in got:
                learned = suspect if learned is None else min(learned, suspect)
            head = 0
            while head < len(batch) and batch[head] in got:
                head += 1
            tail = batch[head:]
            if head and tail and not any(epc in got for epc in tail):
                queue.insert(0, (tail, head))
            else:
                whole = max(whole, len(batch))
        if answered:  # a node that said nothing taught nothing about its frames
            self._learn(state, learned, probing, min(size, len(wanted)), whole)
        self._silence(address, not answered)
        missing = frozenset(epc for epc in wanted if epc not in values)
        return PollResult(values, missing, datagrams, timed_out=not answered)

    @staticmethod
    def _learn(state: _State, learned: int | None, probing: bool, size: int, whole: int) -> None:
        if learned is not None:
            state.capacity = max(1, learned)
            state.failed = size if probing else min(state.failed or size, size)
            state.proven = min(state.proven, state.capacity)
            state.good_cycles = 0
            return
        state.proven = max(state.proven, whole)
        if probing and whole > (state.capacity or 0):
            state.capacity = whole  # the larger Get went through
            state.good_cycles = 0
            if state.failed is not None and state.failed <= size:
                state.failed = None
        elif state.capacity is not None:
            state.good_cycles += 1


def _probe_size(state: _State) -> int:
    """The size to try above a learned capacity: halfway to the smallest failure, or double."""
    capacity = state.capacity or 1
    ceiling = state.failed if state.failed is not None else 2 * capacity + 1
    return max(capacity + 1, (capacity + ceiling) // 2)
