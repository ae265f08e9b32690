"""The outbox sets a refused record aside and goes on; files of the current format still open."""

from pathlib import Path

from custom_components.denki.lib.dr.reports import Outbox

AT = "2026-12-07T10:00:00+09:00"


def _record(n: int) -> dict[str, object]:
    return {"at": AT, "values": {"power_kw": n}, "event": f"ev-{n}", "program": "kanto-dr"}


def test_files_written_by_the_current_version_open_unchanged(tmp_path: Path) -> None:
    """id, acked and outbox.jsonl exactly as the version before refusals wrote them."""
    (tmp_path / "id").write_text("0f1e2d3c4b5a69788796a5b4c3d2e1f0\n", encoding="ascii")
    (tmp_path / "acked").write_text("2\n", encoding="ascii")
    lines = [
        '{"seq":1,"record":{"at":"2026-12-07T10:00:00+09:00","values":{"power_kw":1}}}',
        '{"seq":2,"record":{"at":"2026-12-07T10:05:00+09:00","values":{"power_kw":2}}}',
        (
            '{"seq":3,"record":{"at":"2026-12-07T10:10:00+09:00","values":{"power_kw":3},'
            '"event":"ev-3","program":"kanto-dr"}}'
        ),
        '{"seq":4,"record":{"at":"2026-12-07T10:15:00+09:00","values":{"power_kw":4}}}',
        '{"seq":5,"rec',  # torn by a power cut
    ]
    (tmp_path / "outbox.jsonl").write_text("\n".join(lines), encoding="utf-8")
    outbox = Outbox(tmp_path)
    assert outbox.outbox_id == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert [seq for seq, _ in outbox.pending()] == [3, 4]
    assert outbox.pending()[0][1]["event"] == "ev-3"
    assert (outbox.discarded, outbox.refused_total, outbox.refused()) == (1, 0, [])
    assert outbox.append(_record(6)) == 5
    assert outbox.set_aside(3, "event_id does not refer to an existing event", status=400)
    assert (tmp_path / "acked").read_text().strip() == "3"
    reopened = Outbox(tmp_path)
    # The torn line was rewritten away before the append: record 5 survives the restart.
    assert [seq for seq, _ in reopened.pending()] == [4, 5]
    assert reopened.pending()[1][1] == _record(6)


def test_a_record_set_aside_is_never_sent_again(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n in range(1, 5):
        outbox.append(_record(n))
    assert outbox.set_aside(1, "gone", status=400)  # the head: the acknowledged position moves
    assert (tmp_path / "acked").read_text().strip() == "1"
    assert outbox.set_aside(3, "malformed", status=422)  # in the middle: remembered by seq
    assert not outbox.set_aside(3, "again")
    assert not outbox.set_aside(99, "never queued")
    assert [seq for seq, _ in outbox.pending()] == [2, 4]
    reopened = Outbox(tmp_path)
    assert [seq for seq, _ in reopened.pending()] == [2, 4]
    assert reopened.refused_total == 2
    assert [(r["seq"], r["status"], r["reason"]) for r in reopened.refused()] == [
        (1, 400, "gone"),
        (3, 422, "malformed"),
    ]
    assert reopened.refused(1)[0]["record"] == _record(3)
    reopened.ack(4)
    assert len(Outbox(tmp_path)) == 0


def test_refusals_are_trimmed_but_counted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, refused_kept=3)
    for n in range(10):
        outbox.append(_record(n))
    for seq in range(1, 11):
        outbox.set_aside(seq, f"no {seq}")
    assert outbox.refused_total == 10
    reopened = Outbox(tmp_path, refused_kept=3)
    assert reopened.refused_total == 10
    assert [r["seq"] for r in reopened.refused()][-3:] == [8, 9, 10]
    assert len(reopened.refused()) <= 6
    assert len(reopened) == 0


def test_a_torn_refusal_line_resends_rather_than_loses(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.append(_record(1))
    outbox.append(_record(2))
    with (tmp_path / "refused.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"seq":2,"rea')  # the crash came while setting report 2 aside
    reopened = Outbox(tmp_path)
    assert [seq for seq, _ in reopened.pending()] == [1, 2]
    assert reopened.set_aside(2, "refused")
    assert [seq for seq, _ in Outbox(tmp_path).pending()] == [1]
