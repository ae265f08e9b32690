"""Polling that adapts to each device: how many properties one Get may carry, learned.

Devices differ in how many properties they accept in one Get. Some answer
only the first few (a short answer), some refuse the tail with Get_SNA
although they have those properties, some drop the whole frame (a timeout),
and some drop a frame that holds two particular properties together. The
poller asks for everything in one Get and learns from what comes back:

- a short answer, or a Get_SNA that refuses a tail of the properties asked
  while the head came with data, sets the capacity to the number answered;
- a Get of several properties that times out is split in halves, asked
  again within the same cycle (so the values still arrive), and the
  capacity becomes the size of the half that got through;
- a single-property Get that times out means the node is silent: the cycle
  ends there, with `timed_out` if nothing at all answered. The first timeout
  of a cycle is followed by a Get of one property, so a silent node costs two
  requests, not one per halving, and teaches no capacity;
- after `PROBE_AFTER` good cycles at a learned capacity, one more property
  is tried, so a device that was only busy gets its capacity back.

Capacities are keyed by the caller's stable name for the object (its node's
identification number and EOJ, never the IP) and exported with `learned()`
to be stored and handed back after a restart. Pairs of properties that must
not share a frame (`PairPolicy`) are kept in separate Gets.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from .client import EchonetClient
from .errors import EchonetError
from .frame import EOJ

PROBE_AFTER = 100
"""Good cycles at a learned capacity before one more property is tried."""


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
    """

    values: dict[int, bytes]
    missing: frozenset[int]
    datagrams: int
    timed_out: bool


@dataclass(slots=True)
class _State:
    capacity: int | None = None
    good_cycles: int = 0


@dataclass(slots=True)
class AdaptivePoller:
    """Reads objects' properties in as few Gets as each device allows."""

    client: EchonetClient
    policies: Sequence[PairPolicy] = DEFAULT_POLICIES
    learned_capacity: Mapping[str, int] | None = None
    max_batch: int = 32
    _states: dict[str, _State] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Start from the capacities learned before a restart."""
        for key, capacity in (self.learned_capacity or {}).items():
            if isinstance(capacity, int) and capacity > 0:
                self._states[str(key)] = _State(capacity)

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
        state = self._states.setdefault(key, _State())
        size = min(state.capacity or self.max_batch, self.max_batch)
        probing = state.capacity is not None and state.good_cycles >= PROBE_AFTER
        if probing:
            size += 1
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
        if answered:  # a node that said nothing taught nothing about its frames
            self._learn(state, learned, probing, size)
        missing = frozenset(epc for epc in wanted if epc not in values)
        return PollResult(values, missing, datagrams, timed_out=not answered)

    @staticmethod
    def _learn(state: _State, learned: int | None, probing: bool, size: int) -> None:
        if learned is not None:
            state.capacity = max(1, learned)
            state.good_cycles = 0
        elif probing:
            state.capacity = size  # the extra property went through
            state.good_cycles = 0
        elif state.capacity is not None:
            state.good_cycles += 1
