"""Metering test helpers: test-day instants and a dict-backed stand-in for device storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.metering import (
    DEFAULT_POLICY,
    HOUR_MS,
    HourTotal,
    MeteringPolicy,
    MeterPoint,
    Reading,
    ReadingStatus,
    StoredAlert,
    append_reading,
    classify_reading,
    insert_reading,
    plan_alerts,
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
    estimated: set[int] = field(default_factory=set)
    policy: MeteringPolicy = DEFAULT_POLICY
    max_kwh: float = float("inf")
    alerts: dict[int, StoredAlert] = field(default_factory=dict)
    appends: int = 0
    inserts: int = 0

    def ingest(self, reading: Reading) -> ReadingStatus:
        """Store one reading: fast path when in order, neighbourhood recompute when late."""
        status = classify_reading(self.points.get(reading.timestamp_ms), reading)
        if status != "new":
            return status
        latest = max(self.points, default=None)
        if latest is None or reading.timestamp_ms > latest:
            changed = self._append(reading, self.points[latest] if latest is not None else None)
        else:
            changed = self._insert(reading)
        self._plan_alerts(changed)
        return status

    def active_alerts(self) -> dict[int, float]:
        """Hour -> current total of every active alert."""
        return {h: a.energy_kwh for h, a in self.alerts.items() if a.state == "active"}

    def _plan_alerts(self, hours: set[int]) -> None:
        totals = {h: HourTotal(self.totals[h], h in self.estimated) for h in hours}
        for step in plan_alerts(totals, self.alerts, self.max_kwh):
            self.alerts[step.hour_start_ms] = StoredAlert(
                step.state, step.energy_kwh, step.peak_kwh, step.max_hourly_kwh
            )

    def _append(self, reading: Reading, last: MeterPoint | None) -> set[int]:
        result = append_reading(last, reading, self.policy)
        self.points[reading.timestamp_ms] = result.point
        for hour, kwh in result.contributions.items():
            self.totals[hour] = self.totals.get(hour, 0.0) + kwh
            if result.estimated:
                self.estimated.add(hour)
        self.appends += 1
        return set(result.contributions)

    def _insert(self, reading: Reading) -> set[int]:
        ts = reading.timestamp_ms
        earlier = (self.points[t] for t in sorted(self.points, reverse=True) if t < ts)
        later = (self.points[t] for t in sorted(self.points) if t > ts)
        result = insert_reading(reading, earlier, later, self.policy)
        self.points[ts] = result.point
        for point in result.updated:
            self.points[point.timestamp_ms] = point
        self.totals.update(result.totals)
        self.estimated -= set(result.totals)
        self.estimated |= result.estimated
        self.inserts += 1
        return set(result.totals)
