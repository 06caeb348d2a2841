"""Store a batch of readings in one transaction: exact hourly totals, idempotent, alerts.

The metering and the alert plan are pure (`shared.metering`); `shared.ingestion.store` does
every write. Work per batch is bounded (docs/alerts.md, "Bounds"): reading values by
`METER_MAX_READING_KWH`, the interval one reading may spread by `METER_MAX_SPREAD_DAYS`, and the
hourly rows one batch may write by `INGEST_MAX_HOURS_PER_BATCH`.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from shared.ingestion import store
from shared.ingestion.apply import (
    DeviceApplier,
    HourBudget,
    HourKey,
    Indexed,
    ItemResult,
    ItemStatus,
    PendingTotals,
    PointWrites,
    late_span,
)
from shared.ingestion.messages import Measurement, Rejection
from shared.metering import (
    DEFAULT_POLICY,
    HOUR_MS,
    HourTotal,
    MeteringPolicy,
    MeterPoint,
    Reading,
    StoredAlert,
    classify_reading,
    plan_alerts,
)
from shared.notify import AlertEvent
from shared.settings import Settings, get_settings

logger = logging.getLogger(__name__)
# SQLite has no row locks; one process-wide lock serialises its writers instead.
_sqlite_lock = threading.Lock()

__all__ = ["AlertEvent", "BatchOutcome", "IngestPolicy", "ItemResult", "ingest"]


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    """The bounds ingestion enforces, from the settings."""

    metering: MeteringPolicy = DEFAULT_POLICY
    max_value_kwh: float = 1e9
    max_hours_per_batch: int = 20_000

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestPolicy:
        """The policy configured by METER_* and INGEST_* settings."""
        metering = MeteringPolicy(
            estimate_gap_ms=settings.METER_ESTIMATE_GAP_MINUTES * 60_000,
            max_spread_ms=settings.METER_MAX_SPREAD_DAYS * 24 * HOUR_MS,
        )
        return cls(metering, settings.METER_MAX_READING_KWH, settings.INGEST_MAX_HOURS_PER_BATCH)


@dataclass(slots=True)
class BatchOutcome:
    """Per-item results, alert events and the hours whose totals changed."""

    results: list[ItemResult]
    alerts: list[AlertEvent] = field(default_factory=list)
    hours_changed: dict[str, set[int]] = field(default_factory=dict)
    owners: dict[str, str | None] = field(default_factory=dict)
    """Owner of every device the batch touched (read in the batch: no query after commit);
    None where no changed hour is one its owner may see (shared/ownership.py)."""

    def count(self, status: ItemStatus) -> int:
        """Number of items with the given status."""
        return sum(1 for r in self.results if r.status == status)


def ingest(
    session: Session,
    items: Sequence[Measurement | Rejection],
    policy: IngestPolicy | None = None,
) -> BatchOutcome:
    """Ingest a batch inside the caller's transaction; the caller commits, then acknowledges."""
    policy = policy or IngestPolicy.from_settings(get_settings())
    if session.get_bind().dialect.name == "sqlite":
        with _sqlite_lock:
            return _ingest(session, items, policy)
    return _ingest(session, items, policy)


def _ingest(
    session: Session, items: Sequence[Measurement | Rejection], policy: IngestPolicy
) -> BatchOutcome:
    results: list[ItemResult | None] = [None] * len(items)
    by_device: dict[str, list[Indexed]] = defaultdict(list)
    for index, item in enumerate(items):
        if isinstance(item, Rejection):
            results[index] = ItemResult("rejected", item.reason)
        elif item.reading.value_kwh > policy.max_value_kwh:
            results[index] = ItemResult(
                "rejected",
                f"measurement value {item.reading.value_kwh!r} kWh is above the platform's "
                f"bound of {policy.max_value_kwh!r} kWh",
            )
        else:
            by_device[item.device_id].append((index, item.reading))
    devices = store.load_devices(session, by_device) if by_device else {}
    for device_id in [d for d in by_device if d not in devices]:
        for index, _ in by_device.pop(device_id):
            results[index] = ItemResult("rejected", f"unknown device {device_id}")
    outcome = BatchOutcome(results=[], owners={d: info.owner_id for d, info in devices.items()})
    if by_device:
        _store_readings(session, by_device, devices, results, outcome, policy)
    outcome.results = [r or ItemResult("rejected", "not processed") for r in results]
    return outcome


def _store_readings(
    session: Session,
    by_device: dict[str, list[Indexed]],
    devices: dict[str, store.DeviceInfo],
    results: list[ItemResult | None],
    outcome: BatchOutcome,
    policy: IngestPolicy,
) -> None:
    lasts = store.lock_states(session, list(by_device))
    stored = store.stored_values(session, _maybe_stored(by_device, lasts))
    fresh = {d: _classify(d, by_device[d], stored, results) for d in sorted(by_device)}
    spans = {d: late_span(rows, lasts.get(d)) for d, rows in fresh.items()}
    windows = store.load_windows(session, {d: s for d, s in spans.items() if s is not None})
    totals = PendingTotals()
    writes = PointWrites()
    states: dict[str, tuple[MeterPoint, int]] = {}
    budget = HourBudget(policy.max_hours_per_batch)
    for device_id, rows in fresh.items():
        applier = DeviceApplier(
            session, device_id, policy.metering, totals, budget, results, writes
        )
        last, added = applier.apply(rows, lasts.get(device_id), windows.get(device_id))
        if last is not None and added:
            states[device_id] = (last, added)
    writes.flush(session)
    store.save_states(session, states)
    before = store.load_totals(session, totals.delta)  # absolute totals need no stored value
    after = totals.resolve(before)
    _check_finite(after)
    store.save_totals(session, after)
    seen: set[str] = set()  # devices with a changed hour their owner may see
    for device_id, hour in after:
        outcome.hours_changed.setdefault(device_id, set()).add(hour)
        if device_id not in seen and devices[device_id].owner_of(hour) is not None:
            seen.add(device_id)
    for device_id in outcome.hours_changed.keys() - seen:
        outcome.owners[device_id] = None  # only hours its owner may not see changed
    outcome.alerts = _alerts(session, devices, after)


def _maybe_stored(
    by_device: dict[str, list[Indexed]], lasts: dict[str, MeterPoint | None]
) -> dict[str, list[int]]:
    """Timestamps that may already be stored: those not after the device's newest reading.

    A reading after it is new by the invariant in `shared.ingestion.store`, so in-order
    traffic needs no lookup at all.
    """
    out: dict[str, list[int]] = {}
    for device_id, rows in by_device.items():
        last = lasts.get(device_id)
        if last is not None:
            out[device_id] = [
                r.timestamp_ms for _, r in rows if r.timestamp_ms <= last.timestamp_ms
            ]
    return out


def _check_finite(after: dict[HourKey, HourTotal]) -> None:
    """Totals are finite by construction (bounded readings); refuse to write anything else."""
    bad = [key for key, total in after.items() if not math.isfinite(total.kwh)]
    if bad:
        raise ArithmeticError(f"non-finite hourly totals for {bad[:3]}")


def _classify(
    device_id: str,
    rows: list[Indexed],
    stored: dict[tuple[str, int], float],
    results: list[ItemResult | None],
) -> list[Indexed]:
    """Mark duplicates and conflicts; return the new readings in timestamp order."""
    seen: dict[int, float] = {}
    fresh: list[Indexed] = []
    for index, reading in rows:
        known = seen.get(reading.timestamp_ms, stored.get((device_id, reading.timestamp_ms)))
        status = classify_reading(
            None if known is None else Reading(reading.timestamp_ms, known), reading
        )
        if status == "new":
            seen[reading.timestamp_ms] = reading.value_kwh
            fresh.append((index, reading))
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
    fresh.sort(key=lambda row: row[1].timestamp_ms)
    return fresh


def _alerts(
    session: Session, devices: dict[str, store.DeviceInfo], after: dict[HourKey, HourTotal]
) -> list[AlertEvent]:
    """Bring every changed hour's alert in line with its current total (plan, then write)."""
    by_device: dict[str, dict[int, HourTotal]] = defaultdict(dict)
    for (device_id, hour), total in after.items():
        by_device[device_id][hour] = total
    existing = store.load_alerts(session, list(after))
    stored: dict[str, dict[int, StoredAlert]] = defaultdict(dict)
    for (device_id, hour), row in existing.items():
        stored[device_id][hour] = row.stored
    events: list[AlertEvent] = []
    writes = store.AlertWrites()
    for device_id in sorted(by_device):
        device = devices[device_id]
        steps = plan_alerts(by_device[device_id], stored[device_id], device.max_hourly_kwh)
        written = store.write_alert_steps(writes, device_id, device, steps, existing)
        events += [
            AlertEvent.from_step(alert_id, device_id, owner_id, step)
            for alert_id, owner_id, step in written
            if step.notifies
        ]
    writes.flush(session)
    return events
