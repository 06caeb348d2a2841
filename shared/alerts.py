"""Alert history for owners (list newest first, acknowledge) and re-evaluation on a new maximum.

The lifecycle itself (raise, update, clear) happens in ingestion, in the same transaction as the
totals (docs/alerts.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from shared.errors import NotFound
from shared.ingestion import store
from shared.metering import replan_for_maximum
from shared.models import Alert, Device, utcnow
from shared.notify import AlertEvent, PushLimits, notify
from shared.ownership import owner_may_see
from shared.schemas import AlertPublic
from shared.settings import get_settings


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _public(alert: Alert, description: str | None) -> AlertPublic:
    return AlertPublic(
        id=alert.id,
        device_id=alert.device_id,
        device_description=description,
        hour_start=alert.hour_start_utc.isoformat() + "Z",
        energy_kwh=alert.energy_kwh,
        peak_kwh=alert.peak_kwh,
        max_hourly_kwh=alert.max_hourly_kwh,
        state="cleared" if alert.state == "cleared" else "active",
        created_at=alert.created_at.isoformat() + "Z",
        updated_at=alert.updated_at.isoformat() + "Z",
        cleared_at=_iso(alert.cleared_at),
        acknowledged_at=_iso(alert.acknowledged_at),
    )


def _hidden_from(owner_id: str) -> ColumnElement[bool]:
    """The alert is for an hour before the bound of a device `owner_id` owns now.

    Such an hour is another client's (shared/ownership.py), or the owner's own from before the
    device last left them; either way it is not shown, like its consumption. Alerts of a device
    the caller no longer owns stay theirs.
    """
    return (
        select(Device.id)
        .where(
            Device.id == Alert.device_id,
            Device.owner_id == owner_id,
            Device.visible_from_utc > Alert.hour_start_utc,
        )
        .correlate_except(Device)  # its own devices row, also where the outer query joins one
        .exists()
    )


def list_alerts(
    session: Session,
    *,
    owner_id: str,
    limit: int,
    offset: int,
    since: datetime | None = None,
    unacknowledged_only: bool = False,
    state: str | None = None,
) -> tuple[list[AlertPublic], int, int]:
    """Return a page of the owner's alerts (newest first), the total, the open count.

    The open count is the owner's active, unacknowledged alerts (what the badge shows).
    """
    base = select(Alert).where(Alert.owner_id == owner_id, ~_hidden_from(owner_id))
    if since is not None:
        base = base.where(Alert.created_at > since)
    if unacknowledged_only:
        base = base.where(Alert.acknowledged_at.is_(None))
    if state is not None:
        base = base.where(Alert.state == state)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    open_count = (
        session.scalar(
            select(func.count()).where(
                Alert.owner_id == owner_id,
                Alert.state == "active",
                Alert.acknowledged_at.is_(None),
                ~_hidden_from(owner_id),
            )
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
    device = None if alert is None else session.get(Device, alert.device_id)
    if alert is None or alert.owner_id != owner_id or _hides(device, alert):
        raise NotFound(f"No alert with id {alert_id} among your alerts.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
    return _public(alert, device.description if device else None)


def _hides(device: Device | None, alert: Alert) -> bool:
    """`_hidden_from(alert.owner_id)` for one loaded alert."""
    return (
        device is not None
        and device.owner_id == alert.owner_id
        and not owner_may_see(alert.hour_start_utc, device.visible_from_utc)
    )


def acknowledge_all(session: Session, *, owner_id: str) -> int:
    """Acknowledge every open alert of the owner; return how many."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Alert)
        .where(Alert.owner_id == owner_id, Alert.acknowledged_at.is_(None), ~_hidden_from(owner_id))
        .values(acknowledged_at=utcnow())
        .execution_options(synchronize_session=False)  # the EXISTS is not evaluated in Python
    )
    return int(result.rowcount or 0)


def lock_device_for_alerts(session: Session, device_id: str) -> None:
    """Take the device's ingestion lock before touching the device row.

    Ingestion locks `meter_state` first and then reads the device row (foreign-key checks), so
    an admin change must lock in the same order or the two can deadlock on MariaDB.
    """
    store.lock_device_state(session, device_id)


def reevaluate_for_maximum(session: Session, *, device: Device) -> list[AlertEvent]:
    """A device's maximum changed: re-evaluate its active alerts in the caller's transaction.

    Takes the device's ingestion lock first, so a concurrent batch either sees the new maximum
    or is re-evaluated here. Each alert's owner is told, unless the device is theirs now and
    the hour is before its bound (as `GET /me/alerts`).
    """
    device_id, max_hourly_kwh = device.id, device.max_hourly_kwh
    store.lock_device_state(session, device_id)
    active = store.device_alerts(session, device_id, state="active")
    if not active:
        return []
    totals = store.device_totals(session, device_id, list(active))
    stored = {hour: row.stored for hour, row in active.items()}
    steps = replan_for_maximum(stored, totals, max_hourly_kwh)
    existing = {(device_id, hour): row for hour, row in active.items()}
    writes = store.AlertWrites()
    info = store.DeviceInfo(max_hourly_kwh, device.owner_id, device.visible_from_utc)
    written = store.write_alert_steps(writes, device_id, info, steps, existing)
    writes.flush(session)
    events = [
        AlertEvent.from_step(alert_id, device_id, owner_id, step)
        for alert_id, owner_id, step in written
    ]
    if events:
        # Tell the owners once the change is committed (never for a rolled-back transaction).
        sa_event.listen(session, "after_commit", lambda _: _push(events), once=True)
    return events


def _push(events: list[AlertEvent]) -> None:
    from shared.ingestion.pipeline import default_notifier  # the edge's notifier choice

    settings = get_settings()
    # Not a backfill: old hours are re-judged, not late data arriving; bursts still summarised.
    limits = PushLimits(timedelta(days=36_500), settings.ALERT_MAX_PUSHES_PER_OWNER)
    notify(default_notifier(), events, {}, {}, limits)
