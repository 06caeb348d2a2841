"""An independent reference for hourly totals: register interpolated at hour boundaries."""

from __future__ import annotations

from tests.utils.kit import sensor_csv

HOUR_MS = 3_600_000
STEP_MS = 10 * 60 * 1000


def sensor_values(limit: int | None = None) -> list[float]:
    """The kit's sensor.csv (tests.utils.kit: skips without the kit, fails in CI)."""
    values = [float(line) for line in sensor_csv().read_text().split() if line]
    return values[:limit] if limit else values


def reference_hours(values: list[float], start_ms: int, step_ms: int = STEP_MS) -> dict[int, float]:
    """Hour start (epoch ms) -> kWh for a monotonic series sampled every step_ms from start_ms."""
    stamps = [start_ms + i * step_ms for i in range(len(values))]

    def register_at(t: int) -> float:
        i = max(0, min(len(stamps) - 2, (t - stamps[0]) // step_ms))
        t0, t1 = stamps[i], stamps[i + 1]
        return values[i] + (values[i + 1] - values[i]) * (t - t0) / (t1 - t0)

    out: dict[int, float] = {}
    hour = stamps[0] // HOUR_MS * HOUR_MS
    while hour < stamps[-1]:
        lo, hi = max(hour, stamps[0]), min(hour + HOUR_MS, stamps[-1])
        out[hour] = register_at(hi) - register_at(lo)
        hour += HOUR_MS
    return out
