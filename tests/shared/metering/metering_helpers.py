"""Metering test helpers: test-day instants and a dict-backed stand-in for device storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.metering import (
    HOUR_MS,
    MeterPoint,
    Reading,
    ReadingStatus,
    append_reading,
    classify_reading,
    insert_reading,
)

MINUTE_MS = 60_000


def utc_ms(text: str) -> int:
    """Epoch ms of an ISO 8601 UTC instant such as '2026-01-05T10:00:00'."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


T0 = utc_ms("2026-01-05T00:00:00")


def at(hour: int, minute: int = 0, ms: int = 0) -> int:
    """Epoch ms of hour:minute on the test day (hours may exceed 23)."""
    return T0 + hour * HOUR_MS + minute * MINUTE_MS + ms


@dataclass
class MeterStore:
    """One device's stored points and hourly totals, updated the way the ingestion service does."""

    points: dict[int, MeterPoint] = field(default_factory=dict)
    totals: dict[int, float] = field(default_factory=dict)
    appends: int = 0
    inserts: int = 0

    def ingest(self, reading: Reading) -> ReadingStatus:
        """Store one reading: fast path when in order, neighbourhood recompute when late."""
        status = classify_reading(self.points.get(reading.timestamp_ms), reading)
        if status != "new":
            return status
        latest = max(self.points, default=None)
        if latest is None or reading.timestamp_ms > latest:
            self._append(reading, self.points[latest] if latest is not None else None)
        else:
            self._insert(reading)
        return status

    def _append(self, reading: Reading, last: MeterPoint | None) -> None:
        result = append_reading(last, reading)
        self.points[reading.timestamp_ms] = result.point
        for hour, kwh in result.contributions.items():
            self.totals[hour] = self.totals.get(hour, 0.0) + kwh
        self.appends += 1

    def _insert(self, reading: Reading) -> None:
        ts = reading.timestamp_ms
        earlier = (self.points[t] for t in sorted(self.points, reverse=True) if t < ts)
        later = (self.points[t] for t in sorted(self.points) if t > ts)
        result = insert_reading(reading, earlier, later)
        self.points[ts] = result.point
        for point in result.updated:
            self.points[point.timestamp_ms] = point
        self.totals.update(result.totals)
        self.inserts += 1
