"""Incremental metering: the in-order append fast path and the late-reading recompute.

Per device the caller stores every reading as a MeterPoint (value plus trusted register) and the
hourly totals. Both functions assume the caller holds the device's lock (or per-device ordering)
while it reads the points it passes in and writes the result back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.metering.policy import DEFAULT_POLICY, MeteringPolicy
from shared.metering.readings import MeterPoint, Reading
from shared.metering.rule import Step, StepKind, step_after
from shared.metering.split import HOUR_MS, hour_start_ms


@dataclass(frozen=True, slots=True)
class Append:
    """Result of appending a reading later than all stored ones."""

    point: MeterPoint
    kind: StepKind
    contributions: Mapping[int, float]
    estimated: bool = False
    """True when the interval is longer than the estimation gap: its hours are estimated."""


@dataclass(frozen=True, slots=True)
class Insertion:
    """Result of placing a reading anywhere in a device's history.

    `totals` holds the recomputed absolute total of every touched hour (the caller overwrites
    those rows), `estimated` which of them are estimated; `updated` holds later points whose
    trusted register changed.
    """

    point: MeterPoint
    kind: StepKind
    updated: tuple[MeterPoint, ...]
    totals: Mapping[int, float]
    estimated: frozenset[int] = frozenset()

    @property
    def hours(self) -> frozenset[int]:
        """Hour starts whose totals were recomputed."""
        return frozenset(self.totals)


def append_reading(
    last: MeterPoint | None, reading: Reading, policy: MeteringPolicy = DEFAULT_POLICY
) -> Append:
    """Fast path: the step from the device's latest point to a strictly later reading.

    Add `contributions` to the stored hourly totals (marking them estimated when `estimated`)
    and store `point`; it becomes `last`. A "baseline" step contributes nothing.
    """
    if last is not None and reading.timestamp_ms <= last.timestamp_ms:
        raise ValueError(
            f"reading at {reading.timestamp_ms} is not after the last point {last.timestamp_ms}"
        )
    previous_ms = last.timestamp_ms if last else None
    step = step_after(previous_ms, last.register_kwh if last else None, reading, policy)
    point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
    if previous_ms is None or step.kind == "baseline":
        return Append(point, step.kind, {})
    spread = policy.spread(previous_ms, reading.timestamp_ms, step.energy_kwh)
    return Append(point, step.kind, spread.parts, spread.estimated)


@dataclass(slots=True)
class _Fold:
    """Running register, per-hour energy and estimated hours over a contiguous window."""

    previous_ms: int | None
    register_kwh: float | None
    policy: MeteringPolicy
    totals: dict[int, float] = field(default_factory=dict)
    estimated: set[int] = field(default_factory=set)

    def feed(self, reading: Reading) -> Step:
        """Apply the next reading of the window and accumulate its interval's energy."""
        step = step_after(self.previous_ms, self.register_kwh, reading, self.policy)
        if self.previous_ms is not None and step.kind != "baseline":
            spread = self.policy.spread(self.previous_ms, reading.timestamp_ms, step.energy_kwh)
            for hour, energy_kwh in spread.parts.items():
                self.totals[hour] = self.totals.get(hour, 0.0) + energy_kwh
            if spread.estimated:
                self.estimated.update(spread.parts)
        self.previous_ms, self.register_kwh = reading.timestamp_ms, step.register_kwh
        return step


def insert_reading(
    reading: Reading,
    earlier: Iterable[MeterPoint],
    later: Iterable[MeterPoint],
    policy: MeteringPolicy = DEFAULT_POLICY,
) -> Insertion:
    """Place a new reading into a device's history and recompute only the hours it touches.

    `earlier`: stored points before the reading, newest first; `later`: stored points after it,
    oldest first. Both are consumed lazily (pass DB cursors): `earlier` down to the last point
    at or before the start of the predecessor's hour, `later` until a point's recomputed register
    equals its stored one and then to the end of that point's hour, or until exhausted.
    """
    context = _take_context(earlier, reading.timestamp_ms)
    anchor = context[0] if context else None
    fold = _Fold(
        anchor.timestamp_ms if anchor else None, anchor.register_kwh if anchor else None, policy
    )
    for point in context[1:]:
        fold.feed(point)
    step = fold.feed(reading)
    updated, touched_end_ms = _refold_later(fold, later, reading.timestamp_ms)
    touched_start_ms = context[-1].timestamp_ms if context else reading.timestamp_ms
    # Touched: the hours from the predecessor's hour to the end of the re-folded span. Hours
    # inside a baseline gap have no total (they are never written).
    lo_ms, hi_ms = hour_start_ms(touched_start_ms), touched_end_ms
    totals = {h: kwh for h, kwh in fold.totals.items() if lo_ms <= h < hi_ms}
    point = MeterPoint(reading.timestamp_ms, reading.value_kwh, step.register_kwh)
    estimated = frozenset(h for h in fold.estimated if h in totals)
    return Insertion(point, step.kind, tuple(updated), totals, estimated)


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
