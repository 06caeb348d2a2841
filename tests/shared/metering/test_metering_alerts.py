"""The alert plan: from an hour's current total to what its alert must become."""

from __future__ import annotations

from metering_helpers import at

from shared.metering import (
    AlertStep,
    HourTotal,
    StoredAlert,
    plan_alert,
    plan_alerts,
    replan_for_maximum,
)


def test_hour_over_the_maximum_without_an_alert_opens_one() -> None:
    assert plan_alerts({at(10): HourTotal(5.5), at(11): HourTotal(4.0)}, {}, 5.0) == [
        AlertStep(at(10), "open", "active", 5.5, 5.5, 5.0)
    ]


def test_total_exactly_at_the_maximum_is_not_over() -> None:
    assert plan_alert(at(10), HourTotal(5.0), None, 5.0) is None
    assert plan_alert(at(10), HourTotal(5.01), None, 5.0) is not None


def test_estimated_hours_never_raise_alerts() -> None:
    assert plan_alert(at(10), HourTotal(50.0, estimated=True), None, 5.0) is None


def test_active_alert_follows_the_current_total_and_keeps_the_peak() -> None:
    stored = StoredAlert("active", 7.0, 7.0, 5.0)
    assert plan_alert(at(10), HourTotal(6.0), stored, 5.0) == AlertStep(
        at(10), "update", "active", 6.0, 7.0, 5.0
    )
    assert plan_alert(at(10), HourTotal(8.0), stored, 5.0) == AlertStep(
        at(10), "update", "active", 8.0, 8.0, 5.0
    )
    assert plan_alert(at(10), HourTotal(7.0), stored, 5.0) is None


def test_active_alert_is_cleared_when_the_total_falls_to_the_maximum_or_is_estimated() -> None:
    stored = StoredAlert("active", 7.0, 7.0, 5.0)
    assert plan_alert(at(10), HourTotal(5.0), stored, 5.0) == AlertStep(
        at(10), "clear", "cleared", 5.0, 7.0, 5.0
    )
    cleared = plan_alert(at(10), HourTotal(9.0, estimated=True), stored, 5.0)
    assert cleared is not None and cleared.action == "clear"


def test_cleared_alert_becomes_active_again_or_refreshes_quietly() -> None:
    stored = StoredAlert("cleared", 4.0, 7.0, 5.0)
    again = plan_alert(at(10), HourTotal(6.0), stored, 5.0)
    assert again == AlertStep(at(10), "update", "active", 6.0, 7.0, 5.0)
    quiet = plan_alert(at(10), HourTotal(3.0), stored, 5.0)
    assert quiet is not None and quiet.action == "refresh" and not quiet.notifies
    assert plan_alert(at(10), HourTotal(4.0), stored, 5.0) is None


def test_changing_the_maximum_re_evaluates_only_active_alerts() -> None:
    stored = {
        at(10): StoredAlert("active", 6.0, 6.0, 5.0),
        at(11): StoredAlert("active", 9.0, 9.0, 5.0),
        at(12): StoredAlert("cleared", 4.0, 6.0, 5.0),
    }
    totals = {h: HourTotal(a.energy_kwh) for h, a in stored.items()}
    steps = replan_for_maximum(stored, totals, 8.0)
    assert steps == [
        AlertStep(at(10), "clear", "cleared", 6.0, 6.0, 8.0),
        AlertStep(at(11), "update", "active", 9.0, 9.0, 8.0),
    ]
