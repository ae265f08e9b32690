"""Reports: the throttle's volume, and the outbox's durability."""

from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import sys
import tempfile
import threading

import pytest

from custom_components.denki.lib.dr.reports import Outbox, OutboxError, ReportThrottle

T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def test_throttle_sends_changes_and_keepalives() -> None:
    throttle = ReportThrottle({"power_w": 100.0, "curtailed_kw": 0.1})
    assert throttle.select({"power_w": 800.0, "curtailed_kw": 0.0}, T0) == {
        "power_w": 800.0,
        "curtailed_kw": 0.0,
    }
    assert throttle.select({"power_w": 850.0, "curtailed_kw": 0.0}, T0 + timedelta(minutes=5)) == {}
    assert throttle.select(
        {"power_w": 950.0, "curtailed_kw": 0.05}, T0 + timedelta(minutes=10)
    ) == {"power_w": 950.0}
    # Quiet for 30 minutes since the last send: a keep-alive with everything.
    assert throttle.select(
        {"power_w": 960.0, "curtailed_kw": 0.05}, T0 + timedelta(minutes=40)
    ) == {
        "power_w": 960.0,
        "curtailed_kw": 0.05,
    }


def test_a_quiet_day_sends_a_keepalive_every_half_hour() -> None:
    throttle = ReportThrottle({"power_w": 100.0})
    sent = sum(
        bool(throttle.select({"power_w": 500.0 + (i % 3) * 10}, T0 + timedelta(minutes=5 * i)))
        for i in range(288)
    )
    assert sent == 48  # instead of 288 reports at the 5-minute interval


def test_outbox_keeps_order_and_survives_a_restart(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    seqs = [outbox.append({"power_w": w}) for w in (100, 200, 300)]
    assert seqs == [1, 2, 3]
    outbox.ack(1)
    reopened = Outbox(tmp_path)
    assert reopened.outbox_id == outbox.outbox_id
    assert reopened.pending() == [(2, {"power_w": 200}), (3, {"power_w": 300})]
    assert reopened.append({"power_w": 400}) == 4  # numbering goes on
    reopened.ack(4)
    assert len(reopened) == 0
    again = Outbox(tmp_path)
    assert again.pending() == []
    assert again.append({"power_w": 500}) == 5  # never reused, even after the log was emptied


def test_acks_are_idempotent_and_bounded(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append({"a": 1})
    outbox.ack(99)  # more than was ever sent: only what exists is acknowledged
    assert outbox.append({"a": 2}) == 2
    assert outbox.pending() == [(2, {"a": 2})]
    outbox.ack(1)  # an old acknowledgement changes nothing
    assert outbox.pending() == [(2, {"a": 2})]
    assert outbox.pending(limit=0) == []


def test_torn_write_is_dropped_and_the_rest_is_kept(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append({"a": 1})
    outbox.append({"a": 2})
    with (tmp_path / "outbox.jsonl").open("ab") as handle:
        handle.write(b'{"seq":3,"record":{"a"')  # power lost mid-write
    reopened = Outbox(tmp_path)
    assert reopened.discarded == 1
    assert [seq for seq, _ in reopened.pending()] == [1, 2]
    assert reopened.append({"a": 3}) == 3


def test_unreadable_cursor_resends_rather_than_loses(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append({"a": 1})
    outbox.append({"a": 2})
    outbox.ack(1)
    (tmp_path / "acked").write_text("garbage")
    reopened = Outbox(tmp_path)
    assert [seq for seq, _ in reopened.pending()] == [2] or [
        seq for seq, _ in reopened.pending()
    ] == [1, 2]


def test_log_is_compacted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, compact_after=10)
    for i in range(25):
        outbox.append({"i": i})
    outbox.ack(12)  # 12 acknowledged lines on disk: compacted
    lines = (tmp_path / "outbox.jsonl").read_text().splitlines()
    assert len(lines) == 13
    outbox.ack(25)
    assert (tmp_path / "outbox.jsonl").read_text() == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutboxError, match="report outbox"):
            Outbox(tmp_path / "sub")
    finally:
        tmp_path.chmod(0o700)


def test_outbox_in_a_file_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OutboxError, match="cannot create the report outbox"):
        Outbox(blocker / "outbox")


def test_append_and_ack_from_two_threads_lose_nothing_on_disk(tmp_path: Path) -> None:
    """The link appends in one executor thread while it acks in another.

    Without the outbox's lock, an ack that compacted the log could rewrite it around a line
    an append had just fsynced: the record stayed in memory but was gone after a restart.
    """
    sys_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        # In memory where the machine has it: fsync is what keeps the two threads apart.
        shm = Path("/dev/shm")  # noqa: S108 - mkdtemp below makes a private folder in it
        base = shm if shm.is_dir() else tmp_path
        for trial in range(60):
            folder = Path(tempfile.mkdtemp(dir=base))
            outbox = Outbox(folder)
            done = threading.Event()

            def acker(box: Outbox = outbox, stop: threading.Event = done) -> None:
                while not stop.is_set():
                    if (pending := box.pending()) and pending[-1][0] >= 1:
                        box.ack(pending[-1][0])  # everything appended so far, as a link would

            thread = threading.Thread(target=acker)
            thread.start()
            sequences = [outbox.append({"i": i}) for i in range(200)]
            done.set()
            thread.join()
            reopened = Outbox(folder)
            waiting = {seq for seq, _ in reopened.pending()}
            lost = [seq for seq in sequences if seq > reopened._acked and seq not in waiting]
            assert lost == [], f"trial {trial}: {len(lost)} records lost on disk"
    finally:
        sys.setswitchinterval(sys_interval)
