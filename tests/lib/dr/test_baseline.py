"""The household's baseline: the mean draw of the last half hour."""

from datetime import UTC, datetime, timedelta

from custom_components.denki.lib.dr.baseline import BASELINE_WINDOW, BaselineWindow

T0 = datetime(2026, 8, 3, 7, 0, tzinfo=UTC)


def test_no_reading_no_baseline() -> None:
    assert BaselineWindow().baseline(T0) is None


def test_the_baseline_is_the_mean_rounded_to_watts() -> None:
    window = BaselineWindow()
    for minute, kw in ((0, 1.0), (5, 2.0), (10, 2.0)):
        window.add(T0 + timedelta(minutes=minute), kw)
    assert window.baseline(T0 + timedelta(minutes=10)) == 1.667
    assert len(window) == 3


def test_readings_older_than_the_window_leave_it() -> None:
    window = BaselineWindow()
    assert window.window == BASELINE_WINDOW == timedelta(minutes=30)
    window.add(T0, 10.0)
    window.add(T0 + timedelta(minutes=20), 2.0)
    # At 30 minutes the first reading is still in (the edge counts) ...
    assert window.baseline(T0 + timedelta(minutes=30)) == 6.0
    # ... a second later it is out, even before a new reading prunes it.
    assert window.baseline(T0 + timedelta(minutes=30, seconds=1)) == 2.0
    assert len(window) == 2
    window.add(T0 + timedelta(minutes=31), 4.0)
    assert len(window) == 2  # the 10 kW reading was dropped on the way in
    assert window.baseline(T0 + timedelta(minutes=31)) == 3.0
    # Nothing for a whole window: no baseline.
    assert window.baseline(T0 + timedelta(hours=2)) is None


def test_a_shorter_window() -> None:
    window = BaselineWindow(timedelta(minutes=5))
    window.add(T0, 1.0)
    window.add(T0 + timedelta(minutes=6), 3.0)
    assert len(window) == 1
    assert window.baseline(T0 + timedelta(minutes=6)) == 3.0
