"""Fixtures for the sensor client: CSV files and a recording transport."""

from __future__ import annotations

from pathlib import Path

import pytest
from sensor_fakes import RecordingTransport

from sensor_client.csvsource import CsvSource, read_csv


@pytest.fixture
def transport() -> RecordingTransport:
    """A fresh recording transport."""
    return RecordingTransport()


@pytest.fixture
def values_csv(tmp_path: Path) -> CsvSource:
    """A 25-line values-only CSV."""
    path = tmp_path / "values.csv"
    path.write_text("".join(f"{i * 1.5}\n" for i in range(25)))
    return read_csv(path)
