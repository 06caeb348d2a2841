"""Fixtures for the metering tests."""

from __future__ import annotations

import pytest
from metering_helpers import MeterStore

from tests.utils.kit import sensor_csv


@pytest.fixture
def store() -> MeterStore:
    """An empty single-device store."""
    return MeterStore()


@pytest.fixture(scope="session")
def sensor_values() -> list[float]:
    """The cumulative kWh values of the kit's sensor.csv, in file order (skips without the kit)."""
    lines = sensor_csv().read_text(encoding="utf-8").split()
    return [float(line) for line in lines]
