"""Incremental metering: the in-order append fast path and the late-reading recompute.

Per device the caller stores every reading as a MeterPoint (value plus trusted register) and the
hourly totals. Both functions assume the caller holds the device's lock (or per-device ordering)
while it reads the points it passes in and writes the result back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.metering.readings import MeterPoint, Reading
from shared.metering.rule import Step, StepKind, step_register
from shared.metering.split import HOUR_MS, hour_start_ms, hours_overlapped, split_interval


@dataclass(frozen=True, slots=True)
class Append:
    """Result of appending a reading later than all stored ones."""

    point: MeterPoint
    kind: StepKind
    contributions: Mapping[int, float]


@dataclass(frozen=True, slots=True)
class Insertion:
    """Result of placing a reading anywhere in a device's history.

    `totals` holds the recomputed absolute total of every touched hour (the caller overwrites
    those rows); `updated` holds later points whose trusted register changed.
    """

    point: MeterPoint
    kind: StepKind
    updated: tuple[MeterPoint, ...]
    totals: Mapping[int, float]

    @property
    def hours(self) -> frozenset[int]:
        """Hour starts whose totals were recomputed."""
        return frozenset(self.totals)


def append_reading(last: MeterPoint | None, reading: Reading) -> Append:
    """Fast path: the step from the device's latest point to a strictly later reading.

    Add `contributions` to the stored hourly totals and store `point`; it becomes `last`.
    """
    if last is not None and reading.timestamp_ms <= last.timestamp_ms:
        raise ValueError(
            f"reading at {reading.timestamp_ms} is not after the last point {last.timestamp_ms}"
        )
    step = step_register(last.register_kwh if last else None, reading.value_kwh)
    point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
    if last is None:
        return Append(point, step.kind, {})
    contributions = split_interval(last.timestamp_ms, reading.timestamp_ms, step.energy_kwh)
    return Append(point, step.kind, contributions)


@dataclass(slots=True)
class _Fold:
    """Running register and per-hour energy over a contiguous window of points."""

    previous_ms: int | None
    register_kwh: float | None
    totals: dict[int, float] = field(default_factory=dict)

    def feed(self, reading: Reading) -> Step:
        """Apply the next reading of the window and accumulate its interval's energy."""
        step = step_register(self.register_kwh, reading.value_kwh)
        if self.previous_ms is not None:
            parts = split_interval(self.previous_ms, reading.timestamp_ms, step.energy_kwh)
            for hour, energy_kwh in parts.items():
                self.totals[hour] = self.totals.get(hour, 0.0) + energy_kwh
        self.previous_ms, self.register_kwh = reading.timestamp_ms, step.register_kwh
        return step


def insert_reading(
    reading: Reading, earlier: Iterable[MeterPoint], later: Iterable[MeterPoint]
) -> Insertion:
    """Place a new reading into a device's history and recompute only the hours it touches.

    `earlier`: stored points before the reading, newest first; `later`: stored points after it,
    oldest first. Both are consumed lazily (pass DB cursors): `earlier` down to the last point
    at or before the start of the predecessor's hour, `later` until a point's recomputed register
    equals its stored one and then to the end of that point's hour, or until exhausted.
    """
    context = _take_context(earlier, reading.timestamp_ms)
    anchor = context[0] if context else None
    fold = _Fold(anchor.timestamp_ms if anchor else None, anchor.register_kwh if anchor else None)
    for point in context[1:]:
        fold.feed(point)
    step = fold.feed(reading)
    updated, touched_end_ms = _refold_later(fold, later, reading.timestamp_ms)
    touched_start_ms = context[-1].timestamp_ms if context else reading.timestamp_ms
    touched = (
        hours_overlapped(touched_start_ms, touched_end_ms)
        if touched_end_ms > touched_start_ms
        else range(0)
    )
    point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
    return Insertion(point, step.kind, tuple(updated), {h: fold.totals[h] for h in touched})


def _take_context(earlier: Iterable[MeterPoint], timestamp_ms: int) -> list[MeterPoint]:
    """Earlier points, ascending, back to the last one at or before the predecessor's hour."""
    taken: list[MeterPoint] = []
    bound_ms: int | None = None
    for point in earlier:
        limit_ms = taken[-1].timestamp_ms if taken else timestamp_ms
        if point.timestamp_ms >= limit_ms:
            raise ValueError(f"earlier points must descend below {limit_ms}: {point}")
        taken.append(point)
        if bound_ms is None:
            bound_ms = hour_start_ms(point.timestamp_ms)
        if point.timestamp_ms <= bound_ms:
            break
    taken.reverse()
    return taken


def _refold_later(
    fold: _Fold, later: Iterable[MeterPoint], timestamp_ms: int
) -> tuple[list[MeterPoint], int]:
    """Re-apply later points until their registers resync; return changes and touched end."""
    updated: list[MeterPoint] = []
    touched_end_ms = timestamp_ms
    cover_until_ms: int | None = None
    previous_ms = timestamp_ms
    for point in later:
        if point.timestamp_ms <= previous_ms:
            raise ValueError(f"later points must ascend above {previous_ms}: {point}")
        previous_ms = point.timestamp_ms
        register_kwh = fold.feed(point).register_kwh
        if cover_until_ms is None:
            touched_end_ms = point.timestamp_ms
            if register_kwh != point.register_kwh:
                updated.append(MeterPoint(point.timestamp_ms, point.value_kwh, register_kwh))
                continue
            # Same register from here on, so later intervals are unchanged; only finish the hour.
            cover_until_ms = hour_start_ms(touched_end_ms - 1) + HOUR_MS
        if point.timestamp_ms >= cover_until_ms:
            break
    return updated, touched_end_ms
