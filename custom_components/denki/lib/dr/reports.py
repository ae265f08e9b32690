"""Reports up to the aggregator: send little, lose nothing, send nothing twice.

`ReportThrottle` decides which readings are worth sending: a value that moved
beyond its deadband, or a keep-alive when nothing has been sent for a while.
At a 5-minute interval, a quiet household sends a keep-alive every 30
minutes instead of 288 reports a day. `ReportPlanner` makes the report of
one report time from it: which values (all of them when the protocol sends
no partial reports), and for which event in force.

`Outbox` keeps what is to be sent on disk, in order, until the aggregator
has acknowledged it: appends are flushed and fsynced before `append`
returns, and the acknowledged position is replaced atomically. After a
crash the unacknowledged records are sent again with the same sequence
number (and the outbox's id, made once), which the aggregator uses to
drop a repeat: delivery is at-least-once on the wire and exactly-once at
the aggregator.

A record the aggregator refuses outright (an OpenADR 3 VTN's 4xx: the
event was deleted, the report is malformed) is a verdict, not an outage:
`set_aside` moves it to `refused.jsonl` with the aggregator's reason, so
the records behind it go on. That file is appended (and fsynced) before
the record leaves the queue; on opening, a record whose sequence number is
in it is not sent again. Files written before it existed open as they
did: `id`, `acked` and `outbox.jsonl` keep their format.

File I/O here is blocking: the Home Assistant half calls it from an
executor.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import json
import logging
import os
from pathlib import Path
import threading
from typing import Any
import uuid

from .model import DrEvent

_LOGGER = logging.getLogger(__name__)

DEFAULT_KEEPALIVE = timedelta(minutes=30)
REFUSED_KEPT = 100
"""How many set-aside records `refused.jsonl` keeps (the count goes on)."""


@dataclass(slots=True)
class ReportThrottle:
    """Which readings to send: changes beyond a deadband, and keep-alives."""

    deadbands: Mapping[str, float]
    keepalive: timedelta = DEFAULT_KEEPALIVE
    _last: dict[str, float] = field(default_factory=dict)
    _last_sent_at: datetime | None = None

    def select(self, readings: Mapping[str, float], now: datetime) -> dict[str, float]:
        """The readings to send now (empty when nothing is worth sending).

        On a keep-alive every reading is sent; otherwise only those that
        moved beyond their deadband (a reading without one is always sent).
        """
        due = self._last_sent_at is None or now - self._last_sent_at >= self.keepalive
        if due:
            chosen = dict(readings)
        else:
            chosen = {
                name: value
                for name, value in readings.items()
                if name not in self._last
                or abs(value - self._last[name]) > self.deadbands.get(name, 0.0)
            }
        if chosen:
            self._last.update(chosen)
            self._last_sent_at = now
        return chosen


@dataclass(frozen=True, slots=True)
class Report:
    """A report to queue: its values, when they were read, and the event in force."""

    values: dict[str, float]
    at: datetime
    event: DrEvent | None


@dataclass(slots=True)
class ReportPlanner:
    """What to report at each report time, through a `ReportThrottle`."""

    throttle: ReportThrottle

    def plan(
        self,
        readings: Mapping[str, float | None],
        at: datetime,
        *,
        changes_only: bool,
        active: Sequence[DrEvent],
    ) -> Report | None:
        """The report for the readings taken at `at` (a None reading is left out), if any.

        When the throttle chooses anything and the protocol does not send
        `changes_only`, every reading goes; the report names the first event
        in `active` (the events in force, earliest first).
        """
        values = {name: value for name, value in readings.items() if value is not None}
        chosen = self.throttle.select(values, at)
        if not chosen:
            return None
        return Report(chosen if changes_only else values, at, active[0] if active else None)


class OutboxError(OSError):
    """The outbox's files cannot be written."""


class Outbox:
    """A durable first-in, first-out queue of reports, one folder per aggregator."""

    def __init__(
        self, folder: Path, *, compact_after: int = 1000, refused_kept: int = REFUSED_KEPT
    ) -> None:
        """Open (or create) the outbox in `folder`, recovering from a crash."""
        self._folder = folder
        self._log = folder / "outbox.jsonl"
        self._cursor = folder / "acked"
        self._refused_log = folder / "refused.jsonl"
        self._compact_after = compact_after
        self._refused_kept = refused_kept
        self.discarded = 0
        # append and ack run in executor threads, at the same time: a compaction must not
        # rewrite the log around a line an append has just made durable.
        self._lock = threading.Lock()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutboxError(f"cannot create the report outbox in {folder}: {err}") from err
        self.outbox_id = self._read_or_create_id()
        self._acked = self._read_cursor()
        self._refused: list[dict[str, Any]] = self._read_refused()
        self._refused_seqs = {int(item["seq"]) for item in self._refused}
        self.refused_total = max((int(item.get("n", 0)) for item in self._refused), default=0)
        """How many records were ever set aside (survives restarts and trimming)."""
        self._stale = 0  # acknowledged records still in the log file
        self._torn_tail = False
        self._records = self._read_log()
        self._next = max((seq for seq, _ in self._records), default=self._acked) + 1
        if self._torn_tail:
            # A write torn by a crash left the log without its last newline: the next append
            # would be glued to the torn bytes and lost at the next start. Rewrite it whole.
            self._compact()
            self._stale = 0

    def _read_or_create_id(self) -> str:
        """An id made once per outbox: sequence numbers are unique within it."""
        path = self._folder / "id"
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            outbox_id = uuid.uuid4().hex
            self._write_atomically(path, outbox_id + "\n")
            return outbox_id

    def _read_cursor(self) -> int:
        try:
            return int(self._cursor.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:
            _LOGGER.warning("The report outbox's acknowledged position is unreadable; resending")
            return 0

    def _read_log(self) -> list[tuple[int, dict[str, Any]]]:
        records: list[tuple[int, dict[str, Any]]] = []
        try:
            content = self._log.read_bytes()
        except FileNotFoundError:
            return records
        self._torn_tail = bool(content) and not content.endswith(b"\n")
        for line in content.split(b"\n"):
            if not line:
                continue
            try:
                item = json.loads(line)
                seq, record = int(item["seq"]), item["record"]
            except ValueError, KeyError, TypeError:
                # A write torn by a crash or power loss: its record was never
                # acknowledged as appended, so dropping it loses nothing sent.
                self.discarded += 1
                continue
            if seq > self._acked and seq not in self._refused_seqs:
                records.append((seq, record))
            else:
                self._stale += 1
        return records

    def _read_refused(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        try:
            content = self._refused_log.read_bytes()
        except FileNotFoundError:
            return items
        for line in content.split(b"\n"):
            if not line:
                continue
            try:
                item = json.loads(line)
                int(item["seq"])
            except ValueError, KeyError, TypeError:
                continue  # torn by a crash: its record is still in the log, sent again
            if isinstance(item, dict):
                items.append(item)
        if content and not content.endswith(b"\n"):  # torn: rewrite before appending again
            text = "".join(json.dumps(i, separators=(",", ":")) + "\n" for i in items)
            self._write_atomically(self._refused_log, text)
        return items

    def set_aside(
        self, seq: int, reason: str, *, status: int | None = None, at: datetime | None = None
    ) -> bool:
        """Take a pending record out of the queue for good, keeping it with why (thread-safe).

        For a record the aggregator refused: the ones behind it are sent on.
        False when `seq` is not pending (already acknowledged or set aside).
        """
        with self._lock:
            found = [(s, r) for s, r in self._records if s == seq]
            if not found:
                return False
            self.refused_total += 1
            item = {
                "seq": seq,
                "n": self.refused_total,
                "at": (at or datetime.now().astimezone()).isoformat(),
                "status": status,
                "reason": reason,
                "record": found[0][1],
            }
            try:
                with self._refused_log.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(item, separators=(",", ":")) + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as err:
                self.refused_total -= 1
                raise OutboxError(f"cannot write the refused reports: {err}") from err
            self._refused.append(item)
            self._refused_seqs.add(seq)
            head = self._records[0][0]
            self._records = [(s, r) for s, r in self._records if s != seq]
            if seq == head:
                # Nothing before it waits: the acknowledged position moves past it.
                self._ack(self._records[0][0] - 1 if self._records else seq)
            if len(self._refused) > 2 * self._refused_kept:
                self._trim_refused()
            return True

    def _trim_refused(self) -> None:
        """Keep the latest refusals, and every one the log still needs to skip."""
        latest = self._refused[-self._refused_kept :]
        needed = [i for i in self._refused[: -self._refused_kept] if int(i["seq"]) > self._acked]
        self._refused = needed + latest
        self._refused_seqs = {int(item["seq"]) for item in self._refused}
        text = "".join(json.dumps(i, separators=(",", ":")) + "\n" for i in self._refused)
        self._write_atomically(self._refused_log, text)

    def refused(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The latest records set aside, newest last: seq, at, status, reason and record."""
        with self._lock:
            items = self._refused if limit is None else self._refused[-limit:] if limit else []
            return [dict(item) for item in items]

    def __len__(self) -> int:
        """How many records wait for acknowledgement."""
        return len(self._records)

    def append(self, record: Mapping[str, Any]) -> int:
        """Store a record durably; return its sequence number (thread-safe)."""
        with self._lock:
            return self._append(record)

    def _append(self, record: Mapping[str, Any]) -> int:
        seq = self._next
        line = json.dumps({"seq": seq, "record": record}, separators=(",", ":")) + "\n"
        try:
            with self._log.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as err:
            raise OutboxError(f"cannot write the report outbox: {err}") from err
        self._records.append((seq, dict(record)))
        self._next = seq + 1
        return seq

    def pending(self, limit: int | None = None) -> list[tuple[int, dict[str, Any]]]:
        """The oldest records not yet acknowledged, in order."""
        with self._lock:
            return list(self._records[:limit])

    def ack(self, seq: int) -> None:
        """The aggregator has every record up to and including `seq` (thread-safe)."""
        with self._lock:
            self._ack(seq)

    def _ack(self, seq: int) -> None:
        seq = min(seq, self._next - 1)
        if seq <= self._acked:
            return
        self._write_atomically(self._cursor, f"{seq}\n")
        self._acked = seq
        kept = [(s, r) for s, r in self._records if s > seq]
        self._stale += len(self._records) - len(kept)
        self._records = kept
        if not self._records or self._stale >= self._compact_after:
            self._compact()
            self._stale = 0

    def _compact(self) -> None:
        """Rewrite the log without what was acknowledged."""
        text = "".join(
            json.dumps({"seq": s, "record": r}, separators=(",", ":")) + "\n"
            for s, r in self._records
        )
        self._write_atomically(self._log, text)

    def _write_atomically(self, path: Path, text: str) -> None:
        temporary = path.with_suffix(".tmp")
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(path)
        except OSError as err:
            raise OutboxError(f"cannot write {path.name} of the report outbox: {err}") from err
