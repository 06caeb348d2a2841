"""Fixtures for the metering tests."""

from __future__ import annotations

import pytest
from metering_helpers import SENSOR_CSV, MeterStore


@pytest.fixture
def store() -> MeterStore:
    """An empty single-device store."""
    return MeterStore()


@pytest.fixture(scope="session")
def sensor_values() -> list[float]:
    """The cumulative kWh values of the course's sensor.csv, in file order."""
    assert SENSOR_CSV.is_file(), f"expected the shared data file at {SENSOR_CSV}"
    lines = SENSOR_CSV.read_text(encoding="utf-8").split()
    return [float(line) for line in lines]
