"""UTC clock-hour arithmetic and the linear split of an interval's energy over hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

HOUR_MS: Final = 3_600_000


def hour_start_ms(timestamp_ms: int) -> int:
    """Start (epoch ms, UTC) of the clock hour that contains `timestamp_ms`."""
    return timestamp_ms - timestamp_ms % HOUR_MS


def hours_overlapped(start_ms: int, end_ms: int) -> range:
    """Hour starts overlapped by the half-open span [start_ms, end_ms).

    A span ending exactly at hh:00:00.000 does not touch hour hh; one starting there does.
    """
    if end_ms <= start_ms:
        raise ValueError(f"empty span: start_ms={start_ms} end_ms={end_ms}")
    return range(hour_start_ms(start_ms), end_ms, HOUR_MS)


def split_interval(start_ms: int, end_ms: int, energy_kwh: float) -> dict[int, float]:
    """Split `energy_kwh`, accrued linearly over [start_ms, end_ms), over the hours it overlaps.

    Each part is the difference of the energy accrued by consecutive hour boundaries, so parts
    are never negative and the accrual at the last boundary is exactly `energy_kwh`
    (elapsed / duration == 1.0); the parts sum to it within a few ulps.
    """
    if not energy_kwh >= 0.0:
        raise ValueError(f"energy must be >= 0, got {energy_kwh!r}")
    duration_ms = end_ms - start_ms
    parts: dict[int, float] = {}
    accrued_before = 0.0
    for hour in hours_overlapped(start_ms, end_ms):
        elapsed_ms = min(hour + HOUR_MS, end_ms) - start_ms
        accrued = energy_kwh * (elapsed_ms / duration_ms)
        parts[hour] = accrued - accrued_before
        accrued_before = accrued
    return parts


def add_contributions(
    totals: Mapping[int, float], contributions: Mapping[int, float]
) -> dict[int, float]:
    """Return a copy of `totals` with the per-hour `contributions` added."""
    summed = dict(totals)
    for hour, energy_kwh in contributions.items():
        summed[hour] = summed.get(hour, 0.0) + energy_kwh
    return summed
