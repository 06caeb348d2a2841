"""Alert transitions: first crossing opens, a higher total raises the peak, nothing else."""

from __future__ import annotations

from metering_helpers import at

from shared.metering import AlertTransition, detect_alert_transitions


def test_hour_crossing_from_absent_or_below_opens_an_alert() -> None:
    before = {at(10): 4.0}
    after = {at(10): 5.5, at(11): 6.0}
    assert detect_alert_transitions(before, after, 5.0) == [
        AlertTransition(at(10), "opened", 5.5, 4.0),
        AlertTransition(at(11), "opened", 6.0, None),
    ]


def test_total_exactly_at_the_maximum_is_not_over() -> None:
    assert detect_alert_transitions({}, {at(10): 5.0}, 5.0) == []
    assert detect_alert_transitions({at(10): 5.0}, {at(10): 5.01}, 5.0) == [
        AlertTransition(at(10), "opened", 5.01, 5.0)
    ]


def test_hour_already_over_that_rises_raises_the_peak() -> None:
    assert detect_alert_transitions({at(10): 6.0}, {at(10): 7.0}, 5.0) == [
        AlertTransition(at(10), "peak_raised", 7.0, 6.0)
    ]


def test_unchanged_or_falling_totals_report_nothing() -> None:
    before = {at(10): 6.0, at(11): 7.0, at(12): 1.0}
    after = {at(10): 6.0, at(11): 4.0, at(12): 2.0}
    assert detect_alert_transitions(before, after, 5.0) == []


def test_hours_missing_from_after_are_ignored_and_results_are_in_hour_order() -> None:
    before = {at(9): 9.0}
    after = {at(12): 8.0, at(10): 8.0}
    hours = [t.hour_start_ms for t in detect_alert_transitions(before, after, 5.0)]
    assert hours == [at(10), at(12)]
