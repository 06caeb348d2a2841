"""Pre-aggregated day rows: a device's hours of one UTC day packed in one row.

`refresh_days` recomputes the day rows of the given (device, hour) pairs from the hourly rows,
in the caller's transaction: call it wherever hourly rows are written (ingestion's
`save_totals`). `rebuild_all` backfills every day row
(migration 0005, the benchmark's generated data). On MariaDB both run as one
INSERT ... SELECT ... GROUP BY in the server; on SQLite the packing is done in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, delete, or_, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shared.models import DailyConsumption, HourlyConsumption
from shared.usage.pricing import kwh_to_micro

DAY = timedelta(days=1)
CHUNK = 400  # (device, day) pairs per statement

_MARIADB_PACK = (
    "INSERT INTO daily_consumption (device_id, day_utc, hours, micros, estimated) "
    "SELECT device_id, DATE(hour_start_utc), "
    "GROUP_CONCAT(HOUR(hour_start_utc) ORDER BY hour_start_utc), "
    "GROUP_CONCAT(CAST(FLOOR(energy_kwh * 1000000 + 0.5) AS SIGNED) ORDER BY hour_start_utc), "
    "COALESCE(GROUP_CONCAT(IF(estimated, HOUR(hour_start_utc), NULL) "
    "ORDER BY hour_start_utc), '') "
    "FROM hourly_consumption {where} GROUP BY device_id, DATE(hour_start_utc) "
    "ON DUPLICATE KEY UPDATE hours = VALUES(hours), micros = VALUES(micros), "
    "estimated = VALUES(estimated)"
)


def refresh_days(
    session: Session | Connection, device_hours: Iterable[tuple[str, datetime]]
) -> None:
    """Recompute the day rows touched by (device id, naive UTC hour) pairs."""
    days = sorted({(device_id, hour.date()) for device_id, hour in device_hours})
    for i in range(0, len(days), CHUNK):
        chunk = days[i : i + CHUNK]
        if _is_mysql(session):
            _refresh_mysql(session, chunk)
        else:
            _refresh_python(session, chunk)


def rebuild_all(session: Session | Connection) -> None:
    """Recompute every day row from the hourly rows."""
    if _is_mysql(session):
        session.execute(text(_MARIADB_PACK.format(where="")))
        return
    session.execute(delete(DailyConsumption))
    rows = session.execute(
        select(
            HourlyConsumption.device_id,
            HourlyConsumption.hour_start_utc,
            HourlyConsumption.energy_kwh,
            HourlyConsumption.estimated,
        )
    ).all()
    _upsert_packed(session, rows)


def _is_mysql(session: Session | Connection) -> bool:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name in ("mysql", "mariadb")


def _refresh_mysql(session: Session | Connection, days: Sequence[tuple[str, date]]) -> None:
    """One INSERT ... SELECT as driver SQL: as text() its 1,200 named binds cost more CPU to
    compile than the server spends running it."""
    term = "(device_id = %s AND hour_start_utc >= %s AND hour_start_utc < %s)"
    params: list[object] = []
    for device_id, day in days:
        start = datetime(day.year, day.month, day.day)
        params += [device_id, start, start + DAY]
    where = "WHERE " + " OR ".join([term] * len(days))
    connection = session.connection() if isinstance(session, Session) else session
    connection.exec_driver_sql(_MARIADB_PACK.format(where=where), tuple(params))


def _refresh_python(session: Session | Connection, days: Sequence[tuple[str, date]]) -> None:
    ranges = [
        and_(
            HourlyConsumption.device_id == device_id,
            HourlyConsumption.hour_start_utc >= datetime(day.year, day.month, day.day),
            HourlyConsumption.hour_start_utc < datetime(day.year, day.month, day.day) + DAY,
        )
        for device_id, day in days
    ]
    rows = session.execute(
        select(
            HourlyConsumption.device_id,
            HourlyConsumption.hour_start_utc,
            HourlyConsumption.energy_kwh,
            HourlyConsumption.estimated,
        ).where(or_(*ranges))
    ).all()
    _upsert_packed(session, rows)


def _upsert_packed(
    session: Session | Connection, rows: Sequence[tuple[str, datetime, float, bool]]
) -> None:
    packed: dict[tuple[str, date], list[tuple[int, int, bool]]] = defaultdict(list)
    for device_id, hour, kwh, estimated in rows:
        packed[(device_id, hour.date())].append((hour.hour, kwh_to_micro(kwh), bool(estimated)))
    values = []
    for (device_id, day), hours in packed.items():
        hours.sort()
        values.append(
            {
                "device_id": device_id,
                "day_utc": day,
                "hours": ",".join(str(h) for h, _, _ in hours),
                "micros": ",".join(str(m) for _, m, _ in hours),
                "estimated": ",".join(str(h) for h, _, e in hours if e),
            }
        )
    if not values:
        return
    stmt = sqlite_insert(DailyConsumption)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["device_id", "day_utc"],
            set_={
                "hours": stmt.excluded.hours,
                "micros": stmt.excluded.micros,
                "estimated": stmt.excluded.estimated,
            },
        ),
        values,
    )
