"""The admin overview: devices by status, today's energy, open alerts, silent meters first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.console.all_alerts import count_open
from shared.console.fleet import (
    DeviceQuery,
    FleetRow,
    Status,
    Thresholds,
    count_by_status,
    list_fleet,
)
from shared.models import HourlyConsumption

ATTENTION_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview page shows."""

    generated_at: datetime
    counts: dict[Status, int]
    today_kwh: float
    open_alerts: int
    attention: list[FleetRow]  # silent, then late meters; longest quiet first


def today_start(now: datetime) -> datetime:
    """Midnight UTC of now's day (naive UTC)."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def build_overview(session: Session, *, now: datetime, limits: Thresholds) -> Overview:
    """Gather the overview at `now` (naive UTC)."""
    today_kwh = session.scalar(
        select(func.coalesce(func.sum(HourlyConsumption.energy_kwh), 0.0)).where(
            HourlyConsumption.hour_start_utc >= today_start(now),
            HourlyConsumption.hour_start_utc <= now,
        )
    )
    attention: list[FleetRow] = []
    for status in ("silent", "late"):
        wanted = DeviceQuery(status=status, sort="last_reading_at")
        rows, _ = list_fleet(
            session, wanted=wanted, now=now, limits=limits, limit=ATTENTION_LIMIT, offset=0
        )
        attention.extend(rows)
    return Overview(
        generated_at=now,
        counts=count_by_status(session, now=now, limits=limits),
        today_kwh=float(today_kwh or 0.0),
        open_alerts=count_open(session),
        attention=attention[:ATTENTION_LIMIT],
    )
