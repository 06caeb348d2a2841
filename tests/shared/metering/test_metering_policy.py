"""Estimated hours and the spread bound (a gap too long to spread starts a new baseline)."""

from __future__ import annotations

import pytest
from metering_helpers import at

from shared.metering import (
    HOUR_MS,
    MeteringPolicy,
    MeterPoint,
    Reading,
    append_reading,
    hourly_energy,
    insert_reading,
)


def test_hours_of_an_interval_longer_than_the_gap_are_estimated() -> None:
    history = [Reading(at(10), 0.0), Reading(at(10, 10), 1.0), Reading(at(13, 10), 4.0)]
    totals, estimated = hourly_energy(history)
    assert totals == pytest.approx({at(10): 1.0 + 5 / 6, at(11): 1.0, at(12): 1.0, at(13): 1 / 6})
    assert estimated == {at(10), at(11), at(12), at(13)}


def test_ten_minute_cadence_is_measured() -> None:
    history = [Reading(at(10, m), m / 10) for m in range(0, 60, 10)]
    assert hourly_energy(history)[1] == set()


def test_a_gap_longer_than_the_bound_is_not_spread_and_starts_a_new_baseline() -> None:
    policy = MeteringPolicy(max_spread_ms=24 * HOUR_MS)
    last = MeterPoint(at(0), 100.0, 100.0)
    step = append_reading(last, Reading(at(30), 50.0), policy)
    assert step.kind == "baseline" and step.contributions == {}
    assert step.point.register_kwh == 50.0  # measured from the new value on
    following = append_reading(step.point, Reading(at(30, 10), 51.0), policy)
    assert following.contributions == pytest.approx({at(30): 1.0})


def test_year_2000_then_now_writes_nothing_with_the_default_bound() -> None:
    year_2000 = MeterPoint(946_684_800_000, 1.0, 1.0)
    step = append_reading(year_2000, Reading(1_800_000_000_000, 2.0))
    assert step.kind == "baseline" and step.contributions == {}


def test_a_late_reading_inside_a_gap_makes_its_hours_measured() -> None:
    history = [MeterPoint(at(10), 0.0, 0.0), MeterPoint(at(13), 6.0, 6.0)]
    late = [Reading(at(10) + i * 30 * 60_000, i * 1.0) for i in range(1, 6)]
    points = list(history)
    result = None
    for reading in late:
        earlier = [
            p
            for p in sorted(points, key=lambda p: -p.timestamp_ms)
            if p.timestamp_ms < reading.timestamp_ms
        ]
        later = [
            p
            for p in sorted(points, key=lambda p: p.timestamp_ms)
            if p.timestamp_ms > reading.timestamp_ms
        ]
        result = insert_reading(reading, earlier, later)
        points.append(result.point)
    assert result is not None
    assert result.estimated == frozenset()
    assert set(result.totals) >= {at(12)}
