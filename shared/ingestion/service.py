"""Store a batch of readings in one transaction: exact hourly totals, idempotent, alerts."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from shared.ingestion import store
from shared.ingestion.messages import Measurement, Rejection
from shared.metering import (
    HOUR_MS,
    AlertTransition,
    MeterPoint,
    Reading,
    append_reading,
    classify_reading,
    detect_alert_transitions,
    insert_reading,
)
from shared.models import Alert, new_id

logger = logging.getLogger(__name__)
ItemStatus = Literal["stored", "duplicate", "rejected"]
HourKey = tuple[str, int]
# SQLite has no row locks; one process-wide lock serialises its writers instead.
_sqlite_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one message of a batch."""

    status: ItemStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert opened (or its peak raised) by this batch, for the notifier."""

    alert_id: str
    device_id: str
    owner_id: str | None
    hour_start_utc: datetime
    energy_kwh: float
    max_hourly_kwh: float
    change: Literal["opened", "peak_raised"]


@dataclass(slots=True)
class BatchOutcome:
    """Per-item results, alert events and the hours whose totals changed."""

    results: list[ItemResult]
    alerts: list[AlertEvent] = field(default_factory=list)
    hours_changed: dict[str, set[int]] = field(default_factory=dict)

    def count(self, status: ItemStatus) -> int:
        """Number of items with the given status."""
        return sum(1 for r in self.results if r.status == status)


@dataclass(slots=True)
class _Totals:
    """Pending hourly changes: additive deltas (fast path) or absolute values (late path)."""

    delta: dict[HourKey, float] = field(default_factory=lambda: defaultdict(float))
    absolute: dict[HourKey, float] = field(default_factory=dict)

    def add(self, key: HourKey, kwh: float) -> None:
        if key in self.absolute:
            self.absolute[key] += kwh
        else:
            self.delta[key] += kwh

    def set(self, key: HourKey, kwh: float) -> None:
        self.delta.pop(key, None)
        self.absolute[key] = kwh

    def resolve(self, before: dict[HourKey, float]) -> dict[HourKey, float]:
        after = {k: before.get(k, 0.0) + v for k, v in self.delta.items()}
        after.update(self.absolute)
        return after

    def keys(self) -> list[HourKey]:
        return [*self.delta, *self.absolute]


def ingest(session: Session, items: Sequence[Measurement | Rejection]) -> BatchOutcome:
    """Ingest a batch inside the caller's transaction; the caller commits, then acknowledges."""
    if session.get_bind().dialect.name == "sqlite":
        with _sqlite_lock:
            return _ingest(session, items)
    return _ingest(session, items)


def _ingest(session: Session, items: Sequence[Measurement | Rejection]) -> BatchOutcome:
    results: list[ItemResult | None] = [None] * len(items)
    by_device: dict[str, list[tuple[int, Reading]]] = defaultdict(list)
    for index, item in enumerate(items):
        if isinstance(item, Rejection):
            results[index] = ItemResult("rejected", item.reason)
        else:
            by_device[item.device_id].append((index, item.reading))
    devices = store.load_devices(session, by_device) if by_device else {}
    for device_id in [d for d in by_device if d not in devices]:
        for index, _ in by_device.pop(device_id):
            results[index] = ItemResult("rejected", f"unknown device {device_id}")
    outcome = BatchOutcome(results=[])
    if by_device:
        _store_readings(session, by_device, devices, results, outcome)
    outcome.results = [r or ItemResult("rejected", "not processed") for r in results]
    return outcome


def _store_readings(
    session: Session,
    by_device: dict[str, list[tuple[int, Reading]]],
    devices: dict[str, store.DeviceInfo],
    results: list[ItemResult | None],
    outcome: BatchOutcome,
) -> None:
    lasts = store.lock_states(session, list(by_device))
    stored = store.stored_values(
        session, [(d, r.timestamp_ms) for d, rows in by_device.items() for _, r in rows]
    )
    totals = _Totals()
    states: dict[str, tuple[MeterPoint, int]] = {}
    pending: list[tuple[str, MeterPoint]] = []
    for device_id in sorted(by_device):
        fresh = _classify(device_id, by_device[device_id], stored, results)
        last, added = _apply(session, device_id, fresh, lasts.get(device_id), totals, pending)
        if added:
            states[device_id] = (last, added)  # type: ignore[assignment]
    store.insert_points(session, pending)
    store.save_states(session, states)
    keys = totals.keys()
    before = store.load_totals(session, keys)
    after = totals.resolve(before)
    store.save_totals(session, after)
    for device_id, hour in after:
        outcome.hours_changed.setdefault(device_id, set()).add(hour)
    outcome.alerts = _alerts(session, devices, before, after)


def _classify(
    device_id: str,
    rows: list[tuple[int, Reading]],
    stored: dict[tuple[str, int], float],
    results: list[ItemResult | None],
) -> list[Reading]:
    """Mark duplicates and conflicts; return the new readings in timestamp order."""
    seen: dict[int, float] = {}
    fresh: list[Reading] = []
    for index, reading in rows:
        known = seen.get(reading.timestamp_ms, stored.get((device_id, reading.timestamp_ms)))
        status = classify_reading(
            None if known is None else Reading(reading.timestamp_ms, known), reading
        )
        if status == "new":
            seen[reading.timestamp_ms] = reading.value_kwh
            fresh.append(reading)
            results[index] = ItemResult("stored")
        elif status == "duplicate":
            results[index] = ItemResult("duplicate")
        else:
            results[index] = ItemResult(
                "rejected",
                f"conflicting duplicate: {device_id} at "
                f"{reading.timestamp_ms} already has {known} kWh, "
                f"got {reading.value_kwh}",
            )
    fresh.sort(key=lambda r: r.timestamp_ms)
    return fresh


def _apply(
    session: Session,
    device_id: str,
    fresh: list[Reading],
    last: MeterPoint | None,
    totals: _Totals,
    pending: list[tuple[str, MeterPoint]],
) -> tuple[MeterPoint | None, int]:
    """Apply new readings: late ones by local recompute, then in-order ones on the fast path.

    `fresh` is sorted, so every late reading (at or before the stored last point) comes first;
    fast-path points are queued in `pending` and inserted once per batch.
    """
    split = 0
    while last is not None and split < len(fresh) and fresh[split].timestamp_ms < last.timestamp_ms:
        split += 1
    if split:
        assert last is not None
        last = _insert_late(session, device_id, fresh[:split], last, totals)
    for reading in fresh[split:]:
        step = append_reading(last, reading)
        for hour, kwh in step.contributions.items():
            totals.add((device_id, hour), kwh)
        pending.append((device_id, step.point))
        last = step.point
    return last, len(fresh)


def _insert_late(
    session: Session, device_id: str, late: list[Reading], last: MeterPoint, totals: _Totals
) -> MeterPoint:
    """Place late readings into the stored history, reading the neighbourhood once."""
    margin = 2 * HOUR_MS
    window = store.PointWindow(
        session, device_id, late[0].timestamp_ms - margin, late[-1].timestamp_ms + margin
    )
    inserted: list[tuple[str, MeterPoint]] = []
    for reading in late:
        change = insert_reading(
            reading, window.earlier(reading.timestamp_ms), window.later(reading.timestamp_ms)
        )
        inserted.append((device_id, change.point))
        window.put(change.point)
        for point in change.updated:
            window.put(point)
            if point.timestamp_ms == last.timestamp_ms:
                last = point
        store.update_registers(session, device_id, change.updated)
        for hour, kwh in change.totals.items():
            totals.set((device_id, hour), kwh)
        if change.kind in ("noise", "reset"):
            logger.info(
                "late reading %s at %s is a %s", device_id, reading.timestamp_ms, change.kind
            )
    store.insert_points(session, inserted)
    return last


def _alerts(
    session: Session,
    devices: dict[str, store.DeviceInfo],
    before: dict[HourKey, float],
    after: dict[HourKey, float],
) -> list[AlertEvent]:
    """Open or raise alerts for every hour of the batch that is over its device's maximum."""
    crossings: list[tuple[str, AlertTransition]] = []
    by_device: dict[str, dict[int, float]] = defaultdict(dict)
    for (device_id, hour), kwh in after.items():
        by_device[device_id][hour] = kwh
    for device_id, hours in by_device.items():
        previous = {h: before[(device_id, h)] for h in hours if (device_id, h) in before}
        maximum = devices[device_id].max_hourly_kwh
        crossings += [(device_id, t) for t in detect_alert_transitions(previous, hours, maximum)]
    if not crossings:
        return []
    existing = store.existing_alerts(session, [(d, t.hour_start_ms) for d, t in crossings])
    events: list[AlertEvent] = []
    for device_id, t in crossings:
        device, alert = devices[device_id], existing.get((device_id, t.hour_start_ms))
        hour_utc = store.hour_datetime(t.hour_start_ms)
        if alert is None:
            alert_id = new_id()
            session.add(
                Alert(
                    id=alert_id,
                    device_id=device_id,
                    owner_id=device.owner_id,
                    max_hourly_kwh=device.max_hourly_kwh,
                    hour_start_utc=hour_utc,
                    energy_kwh=t.kwh,
                    peak_kwh=t.kwh,
                )
            )
            events.append(
                AlertEvent(
                    alert_id,
                    device_id,
                    device.owner_id,
                    hour_utc,
                    t.kwh,
                    device.max_hourly_kwh,
                    "opened",
                )
            )
        elif t.kwh > alert.energy_kwh:
            alert.energy_kwh = alert.peak_kwh = t.kwh
            events.append(
                AlertEvent(
                    alert.id,
                    device_id,
                    alert.owner_id,
                    hour_utc,
                    t.kwh,
                    device.max_hourly_kwh,
                    "peak_raised",
                )
            )
    session.flush()
    return events
