"""Reading validation and duplicate/conflict classification."""

from __future__ import annotations

import math

import pytest
from metering_helpers import at

from shared.metering import (
    InvalidReading,
    MeterPoint,
    Reading,
    classify_reading,
    validate_reading,
)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.001])
def test_reading_refuses_values_the_rule_cannot_use(value: float) -> None:
    with pytest.raises(InvalidReading, match="value_kwh"):
        Reading(at(10), value)


def test_meter_point_refuses_a_negative_register() -> None:
    with pytest.raises(InvalidReading, match="register_kwh"):
        MeterPoint(at(10), 1.0, -1.0)


def test_validate_accepts_ints_and_integral_float_timestamps() -> None:
    assert validate_reading(at(10), 3) == Reading(at(10), 3.0)
    assert validate_reading(float(at(10)), 0.5) == Reading(at(10), 0.5)


@pytest.mark.parametrize("timestamp", [1.5, "1700000000000", None, True, -1, math.nan])
def test_validate_refuses_bad_timestamps(timestamp: object) -> None:
    with pytest.raises(InvalidReading, match="timestamp"):
        validate_reading(timestamp, 1.0)


@pytest.mark.parametrize("value", ["1.0", None, True, [1.0]])
def test_validate_refuses_non_numeric_values(value: object) -> None:
    with pytest.raises(InvalidReading, match="number"):
        validate_reading(at(10), value)


def test_validate_refuses_nan_value() -> None:
    with pytest.raises(InvalidReading, match="finite"):
        validate_reading(at(10), math.nan)


def test_validate_refuses_timestamps_far_in_the_future() -> None:
    now = at(10)
    assert validate_reading(now + 60_000, 1.0, now_ms=now).timestamp_ms == now + 60_000
    with pytest.raises(InvalidReading, match="after now"):
        validate_reading(now + 3_600_000, 1.0, now_ms=now)
    with pytest.raises(InvalidReading, match="after now"):
        validate_reading(now + 2, 1.0, now_ms=now, max_future_ms=1)


def test_classify_new_duplicate_conflict() -> None:
    incoming = Reading(at(10), 5.25)
    assert classify_reading(None, incoming) == "new"
    assert classify_reading(Reading(at(10), 5.25), incoming) == "duplicate"
    assert classify_reading(MeterPoint(at(10), 5.25, 6.0), incoming) == "duplicate"
    assert classify_reading(Reading(at(10), 5.26), incoming) == "conflict"


def test_classify_refuses_readings_of_different_timestamps() -> None:
    with pytest.raises(ValueError, match="stored reading"):
        classify_reading(Reading(at(10), 1.0), Reading(at(11), 1.0))
