"""Alert history for owners: list (newest first) and acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.models import Alert, Device, utcnow
from shared.schemas import AlertPublic


def _public(alert: Alert, description: str | None) -> AlertPublic:
    return AlertPublic(
        id=alert.id,
        device_id=alert.device_id,
        device_description=description,
        hour_start=alert.hour_start_utc.isoformat() + "Z",
        energy_kwh=alert.energy_kwh,
        max_hourly_kwh=alert.max_hourly_kwh,
        created_at=alert.created_at.isoformat() + "Z",
        acknowledged_at=alert.acknowledged_at.isoformat() + "Z" if alert.acknowledged_at else None,
    )


def list_alerts(
    session: Session,
    *,
    owner_id: str,
    limit: int,
    offset: int,
    since: datetime | None = None,
    unacknowledged_only: bool = False,
) -> tuple[list[AlertPublic], int, int]:
    """Return a page of the owner's alerts (newest first), the total, the open count."""
    base = select(Alert).where(Alert.owner_id == owner_id)
    if since is not None:
        base = base.where(Alert.created_at > since)
    if unacknowledged_only:
        base = base.where(Alert.acknowledged_at.is_(None))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    open_count = (
        session.scalar(
            select(func.count()).where(Alert.owner_id == owner_id, Alert.acknowledged_at.is_(None))
        )
        or 0
    )
    rows = session.execute(
        base.add_columns(Device.description)
        .join(Device, Device.id == Alert.device_id)
        .order_by(Alert.created_at.desc(), Alert.hour_start_utc.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_public(alert, description) for alert, description in rows], total, open_count


def acknowledge(session: Session, *, owner_id: str, alert_id: str) -> AlertPublic:
    """Acknowledge one of the owner's alerts (idempotent)."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.owner_id != owner_id:
        raise NotFound(f"No alert with id {alert_id} among your alerts.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
    device = session.get(Device, alert.device_id)
    return _public(alert, device.description if device else None)


def acknowledge_all(session: Session, *, owner_id: str) -> int:
    """Acknowledge every open alert of the owner; return how many."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Alert)
        .where(Alert.owner_id == owner_id, Alert.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow())
    )
    return int(result.rowcount or 0)
