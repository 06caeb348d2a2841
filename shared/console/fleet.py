"""Fleet status: each device's last reading and whether it is reporting, late, silent or never.

The rule is pure (`classify`); the list query applies the same thresholds in SQL so filtering,
sorting and paging happen in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from shared.models import Device, MeterState, User

FleetSelect = Select[Device, str, int | None]
Status = Literal["reporting", "late", "silent", "never"]
STATUSES: tuple[Status, ...] = ("reporting", "late", "silent", "never")
SORTS = (
    "description",
    "-description",
    "last_reading_at",
    "-last_reading_at",
    "status",
    "-status",
    "owner",
    "-owner",
)
# Most urgent first when sorting by status.
STATUS_RANK: dict[Status, int] = {"silent": 0, "late": 1, "never": 2, "reporting": 3}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How long without a reading makes a meter late, then silent."""

    late_after: timedelta
    silent_after: timedelta

    @classmethod
    def from_minutes(cls, late: int, silent: int) -> Thresholds:
        """Thresholds from the settings' minute values."""
        return cls(timedelta(minutes=late), timedelta(minutes=silent))


@dataclass(frozen=True, slots=True)
class DeviceQuery:
    """Filters and order of the admin device list."""

    owner_id: str | None = None
    status: Status | None = None
    search: str | None = None
    sort: str = "description"


@dataclass(frozen=True, slots=True)
class FleetRow:
    """A device with its last reading time (UTC, naive) and status."""

    device: Device
    owner_name: str | None
    last_reading_at: datetime | None
    status: Status


def classify(last_reading_at: datetime | None, now: datetime, limits: Thresholds) -> Status:
    """The status of a meter whose last reading was at last_reading_at (None: never)."""
    if last_reading_at is None:
        return "never"
    age = now - last_reading_at
    if age >= limits.silent_after:
        return "silent"
    if age >= limits.late_after:
        return "late"
    return "reporting"


def to_epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of a naive-UTC or aware datetime."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def from_epoch_ms(value: int | None) -> datetime | None:
    """A naive-UTC datetime from epoch milliseconds."""
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)


def status_condition(status: Status, now: datetime, limits: Thresholds) -> ColumnElement[bool]:
    """The SQL condition on meter_state.last_timestamp_ms matching `status` at `now`."""
    column = MeterState.last_timestamp_ms
    late_ms = to_epoch_ms(now - limits.late_after)
    silent_ms = to_epoch_ms(now - limits.silent_after)
    if status == "never":
        return column.is_(None)
    if status == "reporting":
        return column > late_ms
    if status == "late":
        return and_(column <= late_ms, column > silent_ms)
    return column <= silent_ms


def status_rank(now: datetime, limits: Thresholds) -> ColumnElement[int]:
    """A SQL expression ranking rows by STATUS_RANK."""
    whens: list[tuple[ColumnElement[bool], int]] = [
        (status_condition(s, now, limits), STATUS_RANK[s]) for s in ("never", "silent", "late")
    ]
    return case(*whens, else_=STATUS_RANK["reporting"])


def _order(query: FleetSelect, sort: str, now: datetime, limits: Thresholds) -> FleetSelect:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    columns: dict[str, Any] = {
        "description": func.lower(Device.description),
        "last_reading_at": MeterState.last_timestamp_ms,
        "status": status_rank(now, limits),
        "owner": func.lower(User.name),
    }
    column = columns[key]
    if key == "last_reading_at":  # never-read meters last either way
        query = query.order_by(MeterState.last_timestamp_ms.is_(None))
    elif key == "owner":
        query = query.order_by(User.name.is_(None))
    return query.order_by(column.desc() if descending else column.asc(), Device.id)


def fleet_query(wanted: DeviceQuery, now: datetime, limits: Thresholds) -> FleetSelect:
    """Devices with owner name and last reading, filtered (not yet ordered or paged)."""
    query: FleetSelect = (
        select(Device, User.name, MeterState.last_timestamp_ms)
        .outerjoin(MeterState, MeterState.device_id == Device.id)
        .outerjoin(User, User.id == Device.owner_id)
    )
    if wanted.owner_id is not None:
        query = query.where(Device.owner_id == wanted.owner_id)
    if wanted.status is not None:
        query = query.where(status_condition(wanted.status, now, limits))
    if wanted.search:
        needle = wanted.search.lower()
        query = query.where(
            func.lower(Device.description).contains(needle, autoescape=True)
            | func.lower(Device.address).contains(needle, autoescape=True)
            | (Device.id == wanted.search)
        )
    return query


def list_fleet(
    session: Session,
    *,
    wanted: DeviceQuery,
    now: datetime,
    limits: Thresholds,
    limit: int,
    offset: int,
) -> tuple[list[FleetRow], int]:
    """One page of devices with their status, and the number matching."""
    query = fleet_query(wanted, now, limits)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = _order(query, wanted.sort, now, limits).limit(limit).offset(offset)
    rows = []
    for device, owner_name, last_ms in session.execute(page).all():
        last = from_epoch_ms(last_ms)
        rows.append(FleetRow(device, owner_name, last, classify(last, now, limits)))
    return rows, total


def count_by_status(session: Session, *, now: datetime, limits: Thresholds) -> dict[Status, int]:
    """How many devices are in each status right now."""
    counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
    for status in STATUSES:
        query = (
            select(func.count())
            .select_from(Device)
            .outerjoin(MeterState, MeterState.device_id == Device.id)
            .where(status_condition(status, now, limits))
        )
        counts[status] = session.scalar(query) or 0
    return counts
