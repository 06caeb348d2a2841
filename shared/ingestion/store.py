"""Set-based database access for ingestion: a few statements per batch, not per reading."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from shared.db import upsert
from shared.metering import HOUR_MS, AlertState, AlertStep, HourTotal, MeterPoint, StoredAlert
from shared.models import (
    Alert,
    Base,
    Device,
    HourlyConsumption,
    MeterState,
    StoredReading,
    new_id,
    utcnow,
)
from shared.usage.daily import refresh_days

PAGE = 64


def hour_datetime(hour_start_ms: int) -> datetime:
    """Convert an epoch-ms hour start into the naive UTC datetime the tables store."""
    return datetime.fromtimestamp(hour_start_ms / 1000, UTC).replace(tzinfo=None)


def hour_ms(hour: datetime) -> int:
    """Convert a stored naive UTC hour start into epoch ms."""
    return int(hour.replace(tzinfo=UTC).timestamp() * 1000) // HOUR_MS * HOUR_MS


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What ingestion needs to know about a device."""

    max_hourly_kwh: float
    owner_id: str | None


def load_devices(session: Session, device_ids: Iterable[str]) -> dict[str, DeviceInfo]:
    """Return the devices that exist, by id."""
    query = select(Device.id, Device.max_hourly_kwh, Device.owner_id)
    rows = session.execute(query.where(Device.id.in_(list(device_ids))))
    return {row.id: DeviceInfo(row.max_hourly_kwh, row.owner_id) for row in rows}


def _insert_ignore(session: Session, table: type, rows: list[dict[str, object]]) -> None:
    upsert(session, table, rows, keys=[c.name for c in table.__table__.primary_key])  # type: ignore[attr-defined]


def lock_states(session: Session, device_ids: Sequence[str]) -> dict[str, MeterPoint | None]:
    """Lock the devices' state rows (in id order, so batches never deadlock); return last points."""
    ordered = sorted(device_ids)
    present = set(
        session.scalars(select(MeterState.device_id).where(MeterState.device_id.in_(ordered)))
    )
    _insert_ignore(
        session,
        MeterState,
        [{"device_id": d, "readings_count": 0} for d in ordered if d not in present],
    )
    rows = session.execute(
        select(MeterState)
        .where(MeterState.device_id.in_(ordered))
        .order_by(MeterState.device_id)
        .with_for_update()
    ).scalars()
    out: dict[str, MeterPoint | None] = {}
    for state in rows:
        has_last = state.last_timestamp_ms is not None
        out[state.device_id] = (
            MeterPoint(state.last_timestamp_ms, state.last_value_kwh, state.last_register_kwh)  # type: ignore[arg-type]
            if has_last
            else None
        )
    return out


def stored_values(
    session: Session, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], float]:
    """Return stored values for the given (device, timestamp) keys."""
    if not keys:
        return {}
    rows = session.execute(
        select(StoredReading.device_id, StoredReading.timestamp_ms, StoredReading.value_kwh).where(
            tuple_(StoredReading.device_id, StoredReading.timestamp_ms).in_(list(set(keys)))
        )
    )
    return {(r.device_id, r.timestamp_ms): r.value_kwh for r in rows}


def insert_points(session: Session, points: Sequence[tuple[str, MeterPoint]]) -> None:
    """Insert new readings (device id, point) with their trusted registers, in one statement."""
    if points:
        session.execute(
            insert(StoredReading),
            [
                {
                    "device_id": device_id,
                    "timestamp_ms": p.timestamp_ms,
                    "value_kwh": p.value_kwh,
                    "register_kwh": p.register_kwh,
                }
                for device_id, p in points
            ],
        )


def update_registers(session: Session, device_id: str, points: Sequence[MeterPoint]) -> None:
    """Overwrite the trusted register of already stored readings."""
    for point in points:
        session.execute(
            update(StoredReading)
            .where(
                StoredReading.device_id == device_id,
                StoredReading.timestamp_ms == point.timestamp_ms,
            )
            .values(register_kwh=point.register_kwh)
        )


def _points(
    session: Session, device_id: str, timestamp_ms: int, *, before: bool
) -> Iterator[MeterPoint]:
    cursor = timestamp_ms
    column = StoredReading.timestamp_ms
    while True:
        query = select(column, StoredReading.value_kwh, StoredReading.register_kwh).where(
            StoredReading.device_id == device_id, column < cursor if before else column > cursor
        )
        page = session.execute(
            query.order_by(column.desc() if before else column).limit(PAGE)
        ).all()
        for row in page:
            yield MeterPoint(row.timestamp_ms, row.value_kwh, row.register_kwh)
        if len(page) < PAGE:
            return
        cursor = page[-1].timestamp_ms


def earlier_points(session: Session, device_id: str, timestamp_ms: int) -> Iterator[MeterPoint]:
    """Stored points before timestamp_ms, newest first, read lazily page by page."""
    return _points(session, device_id, timestamp_ms, before=True)


def later_points(session: Session, device_id: str, timestamp_ms: int) -> Iterator[MeterPoint]:
    """Stored points after timestamp_ms, oldest first, read lazily page by page."""
    return _points(session, device_id, timestamp_ms, before=False)


def save_states(session: Session, states: dict[str, tuple[MeterPoint, int]]) -> None:
    """Store each device's latest point and how many readings the batch added (one statement)."""
    if not states:
        return
    rows = [
        {
            "device_id": d,
            "last_timestamp_ms": p.timestamp_ms,
            "last_value_kwh": p.value_kwh,
            "last_register_kwh": p.register_kwh,
            "readings_count": added,
        }
        for d, (p, added) in states.items()
    ]
    upsert(
        session,
        MeterState,
        rows,
        keys=["device_id"],
        replace=["last_timestamp_ms", "last_value_kwh", "last_register_kwh"],
        add=["readings_count"],
    )


def load_totals(
    session: Session, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], HourTotal]:
    """Return stored hourly totals (and their estimated flag) for (device, hour_start_ms) keys."""
    if not keys:
        return {}
    wanted = [(d, hour_datetime(h)) for d, h in keys]
    rows = session.execute(
        select(
            HourlyConsumption.device_id,
            HourlyConsumption.hour_start_utc,
            HourlyConsumption.energy_kwh,
            HourlyConsumption.estimated,
        ).where(tuple_(HourlyConsumption.device_id, HourlyConsumption.hour_start_utc).in_(wanted))
    )
    return {
        (r.device_id, hour_ms(r.hour_start_utc)): HourTotal(r.energy_kwh, bool(r.estimated))
        for r in rows
    }


def save_totals(session: Session, totals: dict[tuple[str, int], HourTotal]) -> None:
    """Upsert absolute hourly totals and their estimated flag."""
    if not totals:
        return
    rows = [
        {
            "device_id": d,
            "hour_start_utc": hour_datetime(h),
            "energy_kwh": total.kwh,
            "estimated": total.estimated,
        }
        for (d, h), total in totals.items()
    ]
    upsert(
        session,
        HourlyConsumption,
        rows,
        keys=["device_id", "hour_start_utc"],
        replace=["energy_kwh", "estimated"],
    )
    refresh_days(session, [(d, hour_datetime(h)) for d, h in totals])  # the day rows


@dataclass(frozen=True, slots=True)
class AlertRow:
    """A stored alert: its id and owner, and the values the alert plan compares against."""

    id: str
    owner_id: str | None
    stored: StoredAlert


_ALERT_COLUMNS = (
    Alert.id,
    Alert.device_id,
    Alert.owner_id,
    Alert.hour_start_utc,
    Alert.state,
    Alert.energy_kwh,
    Alert.peak_kwh,
    Alert.max_hourly_kwh,
)


def _alert_row(r: Any) -> AlertRow:
    state: AlertState = "cleared" if r.state == "cleared" else "active"
    return AlertRow(
        r.id, r.owner_id, StoredAlert(state, r.energy_kwh, r.peak_kwh, r.max_hourly_kwh)
    )


def load_alerts(
    session: Session, keys: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], AlertRow]:
    """Return the stored alerts for (device, hour_start_ms) keys.

    One range scan on the (device_id, hour_start_utc) unique index over the batch's hour span
    (measured on MariaDB with 400 keys: 5 ms against 10 ms for a row-constructor IN); alerts
    are sparse, so the few extra rows are filtered here.
    """
    if not keys:
        return {}
    wanted = set(keys)
    hours = [h for _, h in wanted]
    rows = session.execute(
        select(*_ALERT_COLUMNS).where(
            Alert.device_id.in_({d for d, _ in wanted}),
            Alert.hour_start_utc >= hour_datetime(min(hours)),
            Alert.hour_start_utc <= hour_datetime(max(hours)),
        )
    )
    out: dict[tuple[str, int], AlertRow] = {}
    for r in rows:
        key = (r.device_id, hour_ms(r.hour_start_utc))
        if key in wanted:
            out[key] = _alert_row(r)
    return out


def device_alerts(session: Session, device_id: str, *, state: str) -> dict[int, AlertRow]:
    """Every alert of one device in the given state, by hour start."""
    rows = session.execute(
        select(*_ALERT_COLUMNS).where(Alert.device_id == device_id, Alert.state == state)
    )
    return {hour_ms(r.hour_start_utc): _alert_row(r) for r in rows}


ALERTS: Table = Base.metadata.tables["alerts"]  # Core table: bulk writes skip the ORM
_FULL_UPDATE = ("state", "energy_kwh", "peak_kwh", "max_hourly_kwh", "updated_at", "cleared_at")
_QUIET_UPDATE = ("energy_kwh", "updated_at")


@dataclass(slots=True)
class AlertWrites:
    """Alert inserts and updates collected over a batch, written in a few statements."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    refreshes: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, session: Session) -> None:
        """Write everything collected: one multi-row INSERT, executemany UPDATEs."""
        if self.inserts:
            session.execute(insert(ALERTS), self.inserts)
        for rows, columns in ((self.updates, _FULL_UPDATE), (self.refreshes, _QUIET_UPDATE)):
            if rows:
                session.execute(_update_by_id(columns), rows)
        self.inserts, self.updates, self.refreshes = [], [], []


def _update_by_id(columns: tuple[str, ...]) -> Any:
    return (
        update(ALERTS)
        .where(ALERTS.c.id == bindparam("alert_id"))
        .values({name: bindparam(name) for name in columns})
    )


def write_alert_steps(
    writes: AlertWrites,
    device_id: str,
    owner_id: str | None,
    steps: Sequence[AlertStep],
    existing: dict[tuple[str, int], AlertRow],
) -> list[tuple[str, str | None, AlertStep]]:
    """Queue planned alert writes into `writes`; return (alert id, owner id, step) for each.

    New alerts belong to the device's current owner; existing ones keep theirs. A quiet
    refresh (a cleared alert's total changed) touches only the total.
    """
    now = utcnow()
    written: list[tuple[str, str | None, AlertStep]] = []
    for step in steps:
        known = existing.get((device_id, step.hour_start_ms))
        values: dict[str, Any] = {
            "state": step.state,
            "energy_kwh": step.energy_kwh,
            "peak_kwh": step.peak_kwh,
            "max_hourly_kwh": step.max_hourly_kwh,
            "updated_at": now,
            "cleared_at": now if step.action == "clear" else None,
        }
        if known is None:
            alert_id, owner = new_id(), owner_id
            writes.inserts.append(
                {
                    **values,
                    "id": alert_id,
                    "device_id": device_id,
                    "owner_id": owner,
                    "hour_start_utc": hour_datetime(step.hour_start_ms),
                    "created_at": now,
                    "acknowledged_at": None,
                }
            )
        elif step.action == "refresh":
            alert_id, owner = known.id, known.owner_id
            writes.refreshes.append(
                {"alert_id": alert_id, "energy_kwh": step.energy_kwh, "updated_at": now}
            )
        else:
            alert_id, owner = known.id, known.owner_id
            writes.updates.append({**values, "alert_id": alert_id})
        written.append((alert_id, owner, step))
    return written


def lock_device_state(session: Session, device_id: str) -> None:
    """Take the device's ingestion lock row (so alert re-evaluation and ingestion serialise)."""
    lock_states(session, [device_id])


def device_totals(session: Session, device_id: str, hours: Sequence[int]) -> dict[int, HourTotal]:
    """Stored totals of one device for the given hour starts."""
    loaded = load_totals(session, [(device_id, h) for h in hours])
    return {h: total for (_, h), total in loaded.items()}


class PointWindow:
    """A device's stored points around its late readings, read once and kept in step with writes.

    Iterators fall back to the database beyond the window, so a long gap is still handled.
    """

    def __init__(self, session: Session, device_id: str, lo_ms: int, hi_ms: int) -> None:
        self._session, self._device_id, self._lo, self._hi = session, device_id, lo_ms, hi_ms
        column = StoredReading.timestamp_ms
        rows = session.execute(
            select(column, StoredReading.value_kwh, StoredReading.register_kwh)
            .where(StoredReading.device_id == device_id, column >= lo_ms, column <= hi_ms)
            .order_by(column)
        )
        self._points = [MeterPoint(r.timestamp_ms, r.value_kwh, r.register_kwh) for r in rows]
        self._stamps = [p.timestamp_ms for p in self._points]

    def earlier(self, timestamp_ms: int) -> Iterator[MeterPoint]:
        """Points before timestamp_ms, newest first."""
        yield from reversed(self._points[: bisect_left(self._stamps, timestamp_ms)])
        yield from earlier_points(self._session, self._device_id, self._lo)

    def later(self, timestamp_ms: int) -> Iterator[MeterPoint]:
        """Points after timestamp_ms, oldest first."""
        yield from self._points[bisect_right(self._stamps, timestamp_ms) :]
        yield from later_points(self._session, self._device_id, self._hi)

    def put(self, point: MeterPoint) -> None:
        """Record a new or re-registered point inside the window."""
        if not self._lo <= point.timestamp_ms <= self._hi:
            return
        index = bisect_left(self._stamps, point.timestamp_ms)
        if index < len(self._stamps) and self._stamps[index] == point.timestamp_ms:
            self._points[index] = point
        else:
            self._points.insert(index, point)
            self._stamps.insert(index, point.timestamp_ms)
