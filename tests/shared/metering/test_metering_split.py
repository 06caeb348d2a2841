"""UTC-hour arithmetic and the linear split of an interval over hours."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from metering_helpers import at

from shared.metering import (
    HOUR_MS,
    add_contributions,
    hour_start_ms,
    hours_overlapped,
    split_interval,
)


def test_hour_start_of_instant_on_boundary_is_itself() -> None:
    assert hour_start_ms(at(11)) == at(11)
    assert hour_start_ms(at(11) - 1) == at(10)
    assert hour_start_ms(at(10, 59, 59_999)) == at(10)


def test_span_ending_on_the_hour_does_not_touch_the_next_hour() -> None:
    assert list(hours_overlapped(at(10, 50), at(11))) == [at(10)]


def test_span_starting_on_the_hour_belongs_to_that_hour() -> None:
    assert list(hours_overlapped(at(11), at(11, 10))) == [at(11)]


def test_empty_span_is_refused() -> None:
    with pytest.raises(ValueError, match="empty span"):
        hours_overlapped(at(11), at(11))


def test_interval_ending_exactly_on_the_hour_goes_to_the_previous_hour() -> None:
    assert split_interval(at(10, 50), at(11), 2.0) == {at(10): 2.0}
    assert split_interval(at(11), at(11, 10), 2.0) == {at(11): 2.0}


def test_interval_spanning_three_hours_is_split_by_overlap() -> None:
    parts = split_interval(at(10, 30), at(12, 30), 4.0)
    assert parts == pytest.approx({at(10): 1.0, at(11): 2.0, at(12): 1.0}, abs=1e-12)


def test_interval_inside_one_hour_keeps_all_energy() -> None:
    assert split_interval(at(10, 10), at(10, 20), 0.37) == {at(10): 0.37}


def test_zero_energy_still_reports_the_hours_covered() -> None:
    assert split_interval(at(10, 30), at(11, 30), 0.0) == {at(10): 0.0, at(11): 0.0}


def test_negative_energy_is_refused() -> None:
    with pytest.raises(ValueError, match="energy"):
        split_interval(at(10), at(11), -0.1)


@given(
    start_ms=st.integers(0, 10**13),
    duration_ms=st.integers(1, 400 * HOUR_MS),
    energy_kwh=st.floats(0.0, 1e6, allow_nan=False),
)
def test_split_parts_sum_to_the_energy_and_are_not_negative(
    start_ms: int, duration_ms: int, energy_kwh: float
) -> None:
    parts = split_interval(start_ms, start_ms + duration_ms, energy_kwh)
    assert math.isclose(math.fsum(parts.values()), energy_kwh, rel_tol=1e-12, abs_tol=1e-9)
    assert all(kwh >= 0.0 for kwh in parts.values())
    assert all(hour % HOUR_MS == 0 for hour in parts)
    assert list(parts) == list(hours_overlapped(start_ms, start_ms + duration_ms))


def test_add_contributions_returns_a_new_mapping() -> None:
    totals = {at(10): 1.0}
    summed = add_contributions(totals, {at(10): 0.5, at(11): 2.0})
    assert summed == {at(10): 1.5, at(11): 2.0}
    assert totals == {at(10): 1.0}
