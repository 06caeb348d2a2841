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
WINDOW_MARGIN_MS = 2 * HOUR_MS


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
class PointWrites:
    """Readings to insert and trusted registers to overwrite, written once per batch."""

    inserts: list[tuple[str, MeterPoint]] = field(default_factory=list)
    registers: dict[tuple[str, int], MeterPoint] = field(default_factory=dict)

    def flush(self, session: Session) -> None:
        """One INSERT for the new readings, one upsert for the changed registers."""
        store.insert_points(session, self.inserts)
        store.save_registers(session, [(d, p) for (d, _), p in self.registers.items()])
        self.inserts, self.registers = [], {}


def late_span(fresh: list[Indexed], last: MeterPoint | None) -> tuple[int, int] | None:
    """The stored span a device's late readings are placed in (None when none is late).

    `fresh` is sorted; its readings before `last` are late. The window reaches two hours
    beyond them, so a late reading's neighbours usually come from it without another query.
    """
    if last is None or not fresh or fresh[0][1].timestamp_ms >= last.timestamp_ms:
        return None
    late_end = fresh[0][1].timestamp_ms
    for _, reading in fresh:
        if reading.timestamp_ms >= last.timestamp_ms:
            break
        late_end = reading.timestamp_ms
    return fresh[0][1].timestamp_ms - WINDOW_MARGIN_MS, late_end + WINDOW_MARGIN_MS


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
    writes: PointWrites

    def apply(
        self, fresh: list[Indexed], last: MeterPoint | None, window: list[MeterPoint] | None
    ) -> tuple[MeterPoint | None, int]:
        """Return the device's new last point and how many readings were stored.

        `fresh` is sorted, so every late reading (before the stored last point) comes first;
        `window` holds the stored points of `late_span(fresh, last)` (None: read them here).
        New points are queued in `writes` and inserted once per batch.
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
            last, added = self._insert_late(fresh[:split], last, window)
        for index, reading in fresh[split:]:
            step = append_reading(last, reading, self.policy)
            if not self.budget.take(len(step.contributions)):
                self._over_budget(index, len(step.contributions))
                continue
            for hour, kwh in step.contributions.items():
                self.totals.add((self.device_id, hour), kwh, step.estimated)
            if step.kind == "baseline":
                self._baseline(index, last, reading)
            self.writes.inserts.append((self.device_id, step.point))
            last, added = step.point, added + 1
        return last, added

    def _insert_late(
        self, late: list[Indexed], last: MeterPoint, points: list[MeterPoint] | None
    ) -> tuple[MeterPoint, int]:
        """Place late readings into the stored history, reading the neighbourhood once.

        Writes are queued in `writes`, except a register change outside the window: that one
        is written at once, because the window's iterators read beyond it from the database.
        """
        first_ms, last_ms = late[0][1].timestamp_ms, late[-1][1].timestamp_ms
        window = store.PointWindow(
            self.session,
            self.device_id,
            first_ms - WINDOW_MARGIN_MS,
            last_ms + WINDOW_MARGIN_MS,
            points,
            newest_ms=last.timestamp_ms,
        )
        inserted: dict[int, int] = {}  # timestamp -> position in writes.inserts
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
            inserted[change.point.timestamp_ms] = len(self.writes.inserts)
            self.writes.inserts.append((self.device_id, change.point))
            window.put(change.point)
            for point in change.updated:
                window.put(point)
                if point.timestamp_ms == last.timestamp_ms:
                    last = point
                self._register_changed(point, inserted, window)
            for hour, kwh in change.totals.items():
                self.totals.set((self.device_id, hour), HourTotal(kwh, hour in change.estimated))
            if change.kind in ("noise", "reset", "baseline"):
                logger.info(
                    "late reading %s at %s is a %s",
                    self.device_id,
                    reading.timestamp_ms,
                    change.kind,
                )
        return last, len(inserted)

    def _register_changed(
        self, point: MeterPoint, inserted: dict[int, int], window: store.PointWindow
    ) -> None:
        position = inserted.get(point.timestamp_ms)
        if position is not None:  # inserted by this batch: insert it with the new register
            self.writes.inserts[position] = (self.device_id, point)
        elif window.covers(point.timestamp_ms):
            self.writes.registers[(self.device_id, point.timestamp_ms)] = point
        else:
            store.save_registers(self.session, [(self.device_id, point)])

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
