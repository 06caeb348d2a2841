"""Metering bounds: when an hour counts as estimated, and how long an interval may be spread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shared.metering.split import HOUR_MS, hours_overlapped, split_interval

DEFAULT_ESTIMATE_GAP_MS: Final = HOUR_MS
DEFAULT_MAX_SPREAD_MS: Final = 31 * 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Spread:
    """An interval's energy per hour, and whether those hours are estimated (a long gap)."""

    parts: dict[int, float]
    estimated: bool


@dataclass(frozen=True, slots=True)
class MeteringPolicy:
    """How intervals between readings become hourly energy (docs/alerts.md, "Bounds").

    An interval longer than `estimate_gap_ms` is still spread, but its hours are *estimated*
    (interpolated, never alerted). One longer than `max_spread_ms` is not spread at all: the
    later reading starts a new baseline, so one reading can never write more than
    `max_spread_ms / 1 h + 1` hourly rows.
    """

    estimate_gap_ms: int = DEFAULT_ESTIMATE_GAP_MS
    max_spread_ms: int = DEFAULT_MAX_SPREAD_MS

    def __post_init__(self) -> None:
        """Refuse bounds that make no sense."""
        if self.estimate_gap_ms <= 0 or self.max_spread_ms < self.estimate_gap_ms:
            raise ValueError(f"need 0 < estimate_gap_ms <= max_spread_ms, got {self}")

    def starts_baseline(self, start_ms: int, end_ms: int) -> bool:
        """True when the interval is too long to spread: the later reading is a new baseline."""
        return end_ms - start_ms > self.max_spread_ms

    def spread(self, start_ms: int, end_ms: int, energy_kwh: float) -> Spread:
        """Split an interval's energy over the hours it overlaps (see split_interval)."""
        estimated = end_ms - start_ms > self.estimate_gap_ms
        return Spread(split_interval(start_ms, end_ms, energy_kwh), estimated)

    def hours_written(self, start_ms: int, end_ms: int) -> int:
        """How many hourly rows the interval touches (0 when it starts a new baseline)."""
        if end_ms <= start_ms or self.starts_baseline(start_ms, end_ms):
            return 0
        return len(hours_overlapped(start_ms, end_ms))


DEFAULT_POLICY: Final = MeteringPolicy()
