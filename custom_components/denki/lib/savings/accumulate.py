"""Thirty-minute slots from the readings of a cumulative energy counter.

An energy sensor reports a total that only grows (Home Assistant's
`total_increasing`), now and then, at no fixed time. The energy between two
readings is put into the slots the interval covers, in proportion to time,
when the interval spans at most `MAX_SPREAD` (a reading every few seconds or
minutes, across a slot boundary). A longer silence is a gap: its energy is
not guessed into slots, the slots it covers stay missing, and the baseline
and the challenges say so instead of counting them as zero. A total that
drops is a counter reset (a new meter, a wrap): counting starts again from
the new reading.

A slot the readings cover only in part (the first reading, or the first after
a gap or a reset, came after its start; or the last before a gap came before
its end) holds less than was used in it. It is kept, but marked partial:
`complete` leaves it out, so it is scored as missing rather than as a saving,
and the meter's own 30-minute record (`fill`) replaces it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .slots import JST, SLOT, floor_slot

MAX_SPREAD = timedelta(minutes=30)
"""The longest interval between two readings whose energy is spread over slots."""


@dataclass
class SlotAccumulator:
    """Energy per 30-minute slot (kWh), built from a counter's readings."""

    slots: dict[datetime, float] = field(default_factory=dict)
    """kWh per slot start; a slot is here once some reading put energy or zero into it."""
    last_time: datetime | None = None
    last_total: float | None = None
    partial: set[datetime] = field(default_factory=set)
    """Slots the readings cover only in part: not `complete` until `fill` replaces them."""

    @property
    def complete(self) -> dict[datetime, float]:
        """The energy of each slot the readings or the meter's record cover whole (kWh)."""
        return {slot: kwh for slot, kwh in self.slots.items() if slot not in self.partial}

    def add(self, when: datetime, total_kwh: float) -> list[datetime]:
        """Take one reading of the counter; return the slots it changed.

        Readings older than the last one are ignored (a replay, or a clock step back).
        """
        if when.tzinfo is None:
            raise ValueError("readings need an aware time")
        when = when.astimezone(JST)
        if self.last_time is not None and when <= self.last_time:
            return []
        previous_time, previous_total = self.last_time, self.last_total
        self.last_time, self.last_total = when, total_kwh
        if (
            previous_time is None
            or previous_total is None
            or total_kwh < previous_total
            or when - previous_time > MAX_SPREAD  # a gap: the slots it covers stay missing
        ):
            # Counting starts again at this reading: what came before it in its
            # slot, and after the last reading in that one's, was not counted.
            if previous_time is not None and floor_slot(previous_time) in self.slots:
                self.partial.add(floor_slot(previous_time))
            if when != floor_slot(when):
                self.partial.add(floor_slot(when))
            return []
        return self._spread(previous_time, when, total_kwh - previous_total)

    def _spread(self, start: datetime, end: datetime, kwh: float) -> list[datetime]:
        span = (end - start).total_seconds()
        changed: list[datetime] = []
        slot = floor_slot(start)
        while slot < end:
            part_start = max(slot, start)
            part_end = min(slot + SLOT, end)
            share = (part_end - part_start).total_seconds() / span
            self.slots[slot] = self.slots.get(slot, 0.0) + kwh * share
            changed.append(slot)
            slot += SLOT
        return changed

    def fill(self, measured: Mapping[datetime, float]) -> int:
        """Take slots measured elsewhere (the meter's own 30-minute record) where there are none.

        A slot the readings already hold whole is kept as it is; one they hold
        only in part is replaced. Any slot from the current one on, which the
        readings are still filling, is left alone. Returns how many slots were
        added or replaced.
        """
        current = None if self.last_time is None else floor_slot(self.last_time)
        added = 0
        for start, kwh in measured.items():
            if start.tzinfo is None:
                raise ValueError("slots need an aware start")
            slot = start.astimezone(JST)
            if slot.minute % 30 or slot.second or slot.microsecond:
                raise ValueError(f"{slot.isoformat()} does not start a 30-minute slot")
            whole = slot in self.slots and slot not in self.partial
            if kwh < 0 or whole or (current is not None and slot >= current):
                continue
            self.slots[slot] = kwh
            self.partial.discard(slot)
            added += 1
        return added

    def forget_before(self, moment: datetime) -> None:
        """Drop slots older than `moment` (the baseline looks back 30 days at most)."""
        for slot in [slot for slot in self.slots if slot < moment]:
            del self.slots[slot]
        self.partial = {slot for slot in self.partial if slot >= moment}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form: slot starts as ISO 8601 in Japan, kWh rounded to the mWh."""
        return {
            "slots": {slot.isoformat(): round(kwh, 6) for slot, kwh in sorted(self.slots.items())},
            "last_time": self.last_time.isoformat() if self.last_time else None,
            "last_total": self.last_total,
            "partial": sorted(slot.isoformat() for slot in self.partial),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SlotAccumulator:
        """Read `to_dict()`'s form back.

        Raises:
            ValueError: Something in it does not read.
        """
        slots = data.get("slots") or {}
        if not isinstance(slots, Mapping):
            raise ValueError("stored slots do not read: not a mapping")  # noqa: TRY004 - bad data
        try:
            accumulator = cls(
                {datetime.fromisoformat(k).astimezone(JST): float(v) for k, v in slots.items()}
            )
            partial = data.get("partial") or []
            accumulator.partial = {
                datetime.fromisoformat(slot).astimezone(JST) for slot in _texts(partial)
            }
            last_time = data.get("last_time")
            last_total = data.get("last_total")
            if isinstance(last_time, str) and isinstance(last_total, int | float):
                accumulator.last_time = datetime.fromisoformat(last_time).astimezone(JST)
                accumulator.last_total = float(last_total)
        except (TypeError, ValueError) as err:
            raise ValueError(f"stored slots do not read: {err}") from err
        return accumulator


def _texts(value: object) -> list[str]:
    """A stored list of strings, or TypeError."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"not a list of texts: {value!r}")
    return value
