"""The noise/reset rule and the full hourly recompute, on hand-written reading sequences."""

from __future__ import annotations

import pytest
from metering_helpers import at

from shared.metering import (
    Reading,
    Step,
    hourly_totals,
    is_noise_drop,
    is_reset,
    meter_points,
    step_register,
)


def readings(*pairs: tuple[int, float]) -> list[Reading]:
    """Readings from (timestamp_ms, value_kwh) pairs."""
    return [Reading(ts, value) for ts, value in pairs]


@pytest.mark.parametrize(
    ("register", "value", "expected"),
    [
        (None, 7.0, Step("first", 0.0, 7.0)),
        (10.0, 12.5, Step("increase", 2.5, 12.5)),
        (10.0, 10.0, Step("increase", 0.0, 10.0)),
        (100.0, 90.0, Step("noise", 0.0, 100.0)),
        (3.0, 2.7, Step("noise", 0.0, 3.0)),
        (100.0, 89.99, Step("reset", 89.99, 89.99)),
        (100.0, 0.0, Step("reset", 0.0, 0.0)),
    ],
)
def test_step_register(register: float | None, value: float, expected: Step) -> None:
    assert step_register(register, value) == expected


def test_noise_tolerance_is_a_billionth_of_the_register() -> None:
    assert is_noise_drop(1_000.0, 900.0 - 0.9e-6)
    assert not is_noise_drop(1_000.0, 900.0 - 2e-6)
    assert is_reset(1_000.0, 900.0 - 2e-6)
    assert not is_noise_drop(1_000.0, 1_000.0)
    assert not is_reset(1_000.0, 1_001.0)


def test_monotonic_sequence_with_a_reading_on_the_hour() -> None:
    totals = hourly_totals(readings((at(10, 40), 0.0), (at(11), 2.0), (at(11, 20), 3.0)))
    assert totals == {at(10): 2.0, at(11): 1.0}


def test_gap_of_several_hours_is_spread_linearly() -> None:
    totals = hourly_totals(readings((at(10), 0.0), (at(15), 10.0)))
    assert totals == pytest.approx({at(h): 2.0 for h in range(10, 15)}, abs=1e-12)


def test_noise_dip_and_recovery_count_nothing_twice() -> None:
    sequence = readings((at(10), 100.0), (at(10, 10), 110.0), (at(10, 20), 105.0))
    sequence += readings((at(10, 30), 112.0))
    assert hourly_totals(sequence) == pytest.approx({at(10): 12.0})
    assert [p.register_kwh for p in meter_points(sequence)] == [100.0, 110.0, 110.0, 112.0]


def test_repeated_noise_is_measured_from_the_last_trusted_value() -> None:
    sequence = readings((at(10), 100.0), (at(10, 10), 95.0), (at(10, 20), 92.0))
    sequence += readings((at(10, 30), 101.0))
    assert hourly_totals(sequence) == pytest.approx({at(10): 1.0})


def test_noise_only_hour_has_a_zero_total() -> None:
    sequence = readings((at(10, 50), 50.0), (at(11, 10), 49.0), (at(11, 50), 48.0))
    assert hourly_totals(sequence) == {at(10): 0.0, at(11): 0.0}


def test_reset_counts_the_new_value_as_energy_since_the_reset() -> None:
    sequence = readings((at(10), 100.0), (at(10, 10), 110.0), (at(10, 20), 5.0))
    sequence += readings((at(10, 30), 8.0))
    assert hourly_totals(sequence) == pytest.approx({at(10): 18.0})


def test_reset_to_exactly_zero() -> None:
    sequence = readings((at(10, 40), 100.0), (at(10, 50), 110.0), (at(11, 10), 0.0))
    sequence += readings((at(11, 20), 4.0))
    assert hourly_totals(sequence) == pytest.approx({at(10): 10.0, at(11): 4.0})
    assert [p.register_kwh for p in meter_points(sequence)] == [100.0, 110.0, 0.0, 4.0]


def test_reset_energy_is_spread_over_its_interval() -> None:
    totals = hourly_totals(readings((at(10, 30), 500.0), (at(11, 30), 6.0)))
    assert totals == pytest.approx({at(10): 3.0, at(11): 3.0})


def test_first_reading_alone_has_no_hours() -> None:
    assert hourly_totals(readings((at(10, 5), 42.0))) == {}
    assert hourly_totals([]) == {}


@pytest.mark.parametrize("second", [at(10), at(9)])
def test_unsorted_or_duplicate_timestamps_are_refused(second: int) -> None:
    with pytest.raises(ValueError, match="strictly ascending"):
        hourly_totals(readings((at(10), 1.0), (second, 2.0)))
