"""Applying one device's new readings to pending hourly totals, within the batch's budget.

Late readings are placed by a local recompute (absolute totals for the hours they touch),
in-order ones on the fast path (additive contributions); both respect the batch's hour budget,
and a reading after a too-long gap is stored as a new baseline with a note saying why.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from shared.ingestion import store
from shared.metering import (
    HOUR_MS,
    HourTotal,
    MeteringPolicy,
    MeterPoint,
    Reading,
    append_reading,
    insert_reading,
)

logger = logging.getLogger(__name__)
ItemStatus = Literal["stored", "duplicate", "rejected"]
HourKey = tuple[str, int]
Indexed = tuple[int, Reading]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one message of a batch (a stored reading may carry a note)."""

    status: ItemStatus
    reason: str | None = None


@dataclass(slots=True)
class PendingTotals:
    """Pending hourly changes: additive deltas (fast path) or absolute values (late path)."""

    delta: dict[HourKey, float] = field(default_factory=lambda: defaultdict(float))
    delta_estimated: set[HourKey] = field(default_factory=set)
    absolute: dict[HourKey, HourTotal] = field(default_factory=dict)

    def add(self, key: HourKey, kwh: float, estimated: bool) -> None:
        known = self.absolute.get(key)
        if known is not None:
            self.absolute[key] = HourTotal(known.kwh + kwh, known.estimated or estimated)
        else:
            self.delta[key] += kwh
            if estimated:
                self.delta_estimated.add(key)

    def set(self, key: HourKey, total: HourTotal) -> None:
        self.delta.pop(key, None)
        self.delta_estimated.discard(key)
        self.absolute[key] = total

    def resolve(self, before: dict[HourKey, HourTotal]) -> dict[HourKey, HourTotal]:
        after: dict[HourKey, HourTotal] = {}
        for key, kwh in self.delta.items():
            old = before.get(key, HourTotal(0.0))
            after[key] = HourTotal(old.kwh + kwh, old.estimated or key in self.delta_estimated)
        after.update(self.absolute)
        return after

    def keys(self) -> list[HourKey]:
        return [*self.delta, *self.absolute]


@dataclass(slots=True)
class HourBudget:
    """Hourly rows this batch may still write."""

    remaining: int

    def take(self, hours: int) -> bool:
        if hours > self.remaining:
            return False
        self.remaining -= hours
        return True


@dataclass(slots=True)
class DeviceApplier:
    """Applies one device's new readings: late ones by local recompute, then in-order ones."""

    session: Session
    device_id: str
    policy: MeteringPolicy
    totals: PendingTotals
    budget: HourBudget
    results: list[ItemResult | None]

    def apply(
        self, fresh: list[Indexed], last: MeterPoint | None, pending: list[tuple[str, MeterPoint]]
    ) -> tuple[MeterPoint | None, int]:
        """Return the device's new last point and how many readings were stored.

        `fresh` is sorted, so every late reading (before the stored last point) comes first;
        fast-path points are queued in `pending` and inserted once per batch.
        """
        split = 0
        while (
            last is not None
            and split < len(fresh)
            and fresh[split][1].timestamp_ms < last.timestamp_ms
        ):
            split += 1
        added = 0
        if split:
            assert last is not None
            last, added = self._insert_late(fresh[:split], last)
        for index, reading in fresh[split:]:
            step = append_reading(last, reading, self.policy)
            if not self.budget.take(len(step.contributions)):
                self._over_budget(index, len(step.contributions))
                continue
            for hour, kwh in step.contributions.items():
                self.totals.add((self.device_id, hour), kwh, step.estimated)
            if step.kind == "baseline":
                self._baseline(index, last, reading)
            pending.append((self.device_id, step.point))
            last, added = step.point, added + 1
        return last, added

    def _insert_late(self, late: list[Indexed], last: MeterPoint) -> tuple[MeterPoint, int]:
        """Place late readings into the stored history, reading the neighbourhood once."""
        margin = 2 * HOUR_MS
        first_ms, last_ms = late[0][1].timestamp_ms, late[-1][1].timestamp_ms
        window = store.PointWindow(
            self.session, self.device_id, first_ms - margin, last_ms + margin
        )
        inserted: list[tuple[str, MeterPoint]] = []
        for index, reading in late:
            change = insert_reading(
                reading,
                window.earlier(reading.timestamp_ms),
                window.later(reading.timestamp_ms),
                self.policy,
            )
            if not self.budget.take(len(change.totals)):
                self._over_budget(index, len(change.totals))
                continue
            inserted.append((self.device_id, change.point))
            window.put(change.point)
            for point in change.updated:
                window.put(point)
                if point.timestamp_ms == last.timestamp_ms:
                    last = point
            store.update_registers(self.session, self.device_id, change.updated)
            for hour, kwh in change.totals.items():
                self.totals.set((self.device_id, hour), HourTotal(kwh, hour in change.estimated))
            if change.kind in ("noise", "reset", "baseline"):
                logger.info(
                    "late reading %s at %s is a %s",
                    self.device_id,
                    reading.timestamp_ms,
                    change.kind,
                )
        store.insert_points(self.session, inserted)
        return last, len(inserted)

    def _over_budget(self, index: int, hours: int) -> None:
        self.results[index] = ItemResult(
            "rejected",
            f"this batch already wrote its limit of hourly totals; the reading would write "
            f"{hours} more — send it again in a later batch",
        )

    def _baseline(self, index: int, last: MeterPoint | None, reading: Reading) -> None:
        assert last is not None
        days = (reading.timestamp_ms - last.timestamp_ms) / (24 * HOUR_MS)
        bound_days = self.policy.max_spread_ms / (24 * HOUR_MS)
        note = (
            f"new baseline: {days:.1f} days since the previous reading is longer than the "
            f"{bound_days:g}-day bound, so no energy was spread over the gap"
        )
        self.results[index] = ItemResult("stored", note)
        logger.warning("device %s reading at %s: %s", self.device_id, reading.timestamp_ms, note)
