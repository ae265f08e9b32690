"""What each report time sends: deadbands, keep-alives, whole or partial reports, the event."""

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.denki.lib.dr import DrEvent, Interval
from custom_components.denki.lib.dr.reports import Report, ReportPlanner, ReportThrottle

T0 = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
DEADBANDS = {"power_kw": 0.1, "curtailed_kw": 0.1}


def event(event_id: str) -> DrEvent:
    return DrEvent(
        event_id=event_id,
        program_id="p",
        source="test",
        intervals=(Interval(0, T0, timedelta(hours=2), {"SIMPLE": (1,)}),),
    )


def planner() -> ReportPlanner:
    return ReportPlanner(ReportThrottle(DEADBANDS))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize("changes_only", [True, False])
def test_the_first_report_sends_every_reading(changes_only: bool) -> None:
    report = planner().plan(
        {"power_kw": 1.2, "curtailed_kw": 0.0}, T0, changes_only=changes_only, active=[]
    )
    assert report == Report({"power_kw": 1.2, "curtailed_kw": 0.0}, T0, None)


def test_changes_only_sends_what_moved_past_its_deadband() -> None:
    reports = planner()
    reports.plan({"power_kw": 1.2, "curtailed_kw": 0.0}, T0, changes_only=True, active=[])
    # Within the deadbands: nothing.
    assert (
        reports.plan({"power_kw": 1.25, "curtailed_kw": 0.05}, at(5), changes_only=True, active=[])
        is None
    )
    report = reports.plan(
        {"power_kw": 1.5, "curtailed_kw": 0.05}, at(10), changes_only=True, active=[]
    )
    assert report is not None
    assert report.values == {"power_kw": 1.5}
    assert report.at == at(10)


def test_whole_reports_send_every_reading_when_one_moved() -> None:
    reports = planner()
    reports.plan({"power_kw": 1.2, "curtailed_kw": 0.0}, T0, changes_only=False, active=[])
    assert (
        reports.plan({"power_kw": 1.25, "curtailed_kw": 0.0}, at(5), changes_only=False, active=[])
        is None
    )
    report = reports.plan(
        {"power_kw": 1.5, "curtailed_kw": 0.05}, at(10), changes_only=False, active=[]
    )
    assert report is not None
    assert report.values == {"power_kw": 1.5, "curtailed_kw": 0.05}


def test_a_keepalive_after_half_an_hour_of_quiet() -> None:
    reports = planner()
    reports.plan({"power_kw": 1.2}, T0, changes_only=True, active=[])
    assert reports.plan({"power_kw": 1.2}, at(25), changes_only=True, active=[]) is None
    report = reports.plan({"power_kw": 1.2}, at(30), changes_only=True, active=[])
    assert report is not None
    assert report.values == {"power_kw": 1.2}


def test_a_reading_that_is_missing_is_left_out() -> None:
    report = planner().plan(
        {"power_kw": None, "curtailed_kw": 0.4}, T0, changes_only=False, active=[]
    )
    assert report is not None
    assert report.values == {"curtailed_kw": 0.4}
    assert planner().plan({"power_kw": None}, T0, changes_only=False, active=[]) is None


def test_the_report_names_the_first_event_in_force() -> None:
    first, second = event("ev-1"), event("ev-2")
    report = planner().plan({"power_kw": 1.0}, T0, changes_only=True, active=[first, second])
    assert report is not None
    assert report.event is first
