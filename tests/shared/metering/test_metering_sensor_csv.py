"""Replay the course's sensor.csv at 10-minute spacing against a plainly written reference."""

from __future__ import annotations

import math
import random
from itertools import pairwise

from metering_helpers import MeterStore, utc_ms

from shared.metering import HOUR_MS, Reading, append_reading, hourly_totals

TEN_MINUTES_MS = 600_000
START_MS = utc_ms("2026-02-14T07:03:17.250")


def as_readings(values: list[float]) -> list[Reading]:
    """The file's values stamped every 10 minutes from an arbitrary, unaligned start."""
    return [Reading(START_MS + i * TEN_MINUTES_MS, v) for i, v in enumerate(values)]


def register_at(values: list[float], instant_ms: int) -> float:
    """Register value at an instant, interpolated linearly between the file's readings."""
    offset_ms = instant_ms - START_MS
    index, remainder_ms = divmod(offset_ms, TEN_MINUTES_MS)
    if index >= len(values) - 1:
        return values[-1]
    return values[index] + (values[index + 1] - values[index]) * remainder_ms / TEN_MINUTES_MS


def reference_hour_totals(values: list[float]) -> dict[int, float]:
    """Per hour, the register at its end minus at its start (valid for a monotonic file)."""
    first_ms = START_MS
    last_ms = START_MS + (len(values) - 1) * TEN_MINUTES_MS
    totals = {}
    hour = first_ms - first_ms % HOUR_MS
    while hour < last_ms:
        begin, end = max(hour, first_ms), min(hour + HOUR_MS, last_ms)
        totals[hour] = register_at(values, end) - register_at(values, begin)
        hour += HOUR_MS
    return totals


def test_sensor_file_is_monotonic(sensor_values: list[float]) -> None:
    assert len(sensor_values) == 3999
    assert all(b >= a for a, b in pairwise(sensor_values))


def test_total_over_all_hours_is_last_minus_first(sensor_values: list[float]) -> None:
    totals = hourly_totals(as_readings(sensor_values))
    expected = sensor_values[-1] - sensor_values[0]
    assert math.isclose(math.fsum(totals.values()), expected, rel_tol=0.0, abs_tol=1e-6)


def test_every_hour_matches_the_register_difference(sensor_values: list[float]) -> None:
    totals = hourly_totals(as_readings(sensor_values))
    reference = reference_hour_totals(sensor_values)
    assert totals.keys() == reference.keys()
    assert all(math.isclose(totals[h], reference[h], abs_tol=1e-6) for h in reference)


def test_fast_path_replay_matches_the_full_recompute(sensor_values: list[float]) -> None:
    totals: dict[int, float] = {}
    last = None
    for reading in as_readings(sensor_values):
        result = append_reading(last, reading)
        for hour, kwh in result.contributions.items():
            totals[hour] = totals.get(hour, 0.0) + kwh
        last = result.point
    reference = reference_hour_totals(sensor_values)
    assert totals.keys() == reference.keys()
    assert all(math.isclose(totals[h], reference[h], abs_tol=1e-6) for h in reference)


def test_shuffled_slice_with_redeliveries_matches_the_reference(
    sensor_values: list[float],
) -> None:
    values = sensor_values[:400]
    arrivals = as_readings(values) * 2
    random.Random(20260329).shuffle(arrivals)
    store = MeterStore()
    statuses = [store.ingest(reading) for reading in arrivals]
    assert statuses.count("new") == statuses.count("duplicate") == 400
    assert store.inserts > 0 and store.appends > 0
    reference = reference_hour_totals(values)
    assert store.totals.keys() == reference.keys()
    assert all(math.isclose(store.totals[h], reference[h], abs_tol=1e-6) for h in reference)
