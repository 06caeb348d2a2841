"""Every alert across clients for administrators: over-maximum hours and silent-meter episodes.

Both kinds are read through one UNION ALL so filtering, ordering and paging stay in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Double,
    String,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import DateTime as SADateTime
from sqlalchemy.orm import Session

from shared.console.fleet import from_epoch_ms
from shared.console.models import SilenceEpisode
from shared.models import Alert, Device, User

Kind = Literal["over_max", "silent"]
State = Literal["open", "closed"]
KINDS: tuple[Kind, ...] = ("over_max", "silent")
STATES: tuple[State, ...] = ("open", "closed")


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Filters of GET /api/alerts; None means any."""

    device_id: str | None = None
    owner_id: str | None = None
    state: State | None = None
    kind: Kind | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class AdminAlert:
    """One alert of either kind, with its device and owner named."""

    id: str
    kind: Kind
    device_id: str
    device_description: str | None
    owner_id: str | None
    owner_name: str | None
    raised_at: datetime
    closed_at: datetime | None
    hour_start: datetime | None
    energy_kwh: float | None
    max_hourly_kwh: float | None
    last_reading_at: datetime | None

    @property
    def state(self) -> State:
        """Open until acknowledged or cleared by later data (over-maximum), or resumed (silent)."""
        return "open" if self.closed_at is None else "closed"


def _over_max_closed_at() -> Any:
    """When an over-maximum alert stopped needing attention: cleared, else acknowledged."""
    cleared = func.coalesce(Alert.cleared_at, Alert.updated_at)
    return case((Alert.state == "cleared", cleared), else_=Alert.acknowledged_at)


def _both_kinds() -> Any:
    over_max = select(
        Alert.id.label("id"),
        literal("over_max", String(16)).label("kind"),
        Alert.device_id.label("device_id"),
        Alert.owner_id.label("owner_id"),
        Alert.created_at.label("raised_at"),
        _over_max_closed_at().label("closed_at"),
        Alert.hour_start_utc.label("hour_start"),
        Alert.energy_kwh.label("energy_kwh"),
        Alert.max_hourly_kwh.label("max_hourly_kwh"),
        cast(null(), BigInteger).label("last_reading_ms"),
    )
    silent = select(
        SilenceEpisode.id,
        literal("silent", String(16)),
        SilenceEpisode.device_id,
        SilenceEpisode.owner_id,
        SilenceEpisode.detected_at,
        SilenceEpisode.resumed_at,
        cast(null(), SADateTime),
        cast(null(), Double),
        cast(null(), Double),
        SilenceEpisode.last_reading_ms,
    )
    return union_all(over_max, silent).subquery("all_alerts")


def list_all_alerts(
    session: Session, *, wanted: AlertQuery, limit: int, offset: int
) -> tuple[list[AdminAlert], int]:
    """One page of alerts of every client, newest first, and the number matching."""
    alerts = _both_kinds()
    query = (
        select(alerts, Device.description, User.name)
        .outerjoin(Device, Device.id == alerts.c.device_id)
        .outerjoin(User, User.id == alerts.c.owner_id)
    )
    if wanted.device_id is not None:
        query = query.where(alerts.c.device_id == wanted.device_id)
    if wanted.owner_id is not None:
        query = query.where(alerts.c.owner_id == wanted.owner_id)
    if wanted.kind is not None:
        query = query.where(alerts.c.kind == wanted.kind)
    if wanted.state == "open":
        query = query.where(alerts.c.closed_at.is_(None))
    elif wanted.state == "closed":
        query = query.where(alerts.c.closed_at.is_not(None))
    if wanted.since is not None:
        query = query.where(alerts.c.raised_at >= wanted.since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(alerts.c.raised_at.desc(), alerts.c.id).limit(limit).offset(offset)
    return [_row(row) for row in session.execute(ordered).all()], total


def _row(row: Any) -> AdminAlert:
    (id_, kind, device_id, owner_id, raised, closed, hour, kwh, max_kwh, last_ms, desc, name) = row
    return AdminAlert(
        id=id_,
        kind=kind,
        device_id=device_id,
        device_description=desc,
        owner_id=owner_id,
        owner_name=name,
        raised_at=raised,
        closed_at=closed,
        hour_start=hour,
        energy_kwh=kwh,
        max_hourly_kwh=max_kwh,
        last_reading_at=from_epoch_ms(last_ms),
    )


def count_open(session: Session) -> int:
    """Open alerts of both kinds: active unacknowledged over-maximum hours, silent meters."""
    over_max = select(func.count()).where(Alert.state == "active", Alert.acknowledged_at.is_(None))
    silent = select(func.count()).where(SilenceEpisode.resumed_at.is_(None))
    return (session.scalar(over_max) or 0) + (session.scalar(silent) or 0)
