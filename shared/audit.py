"""The audit trail: record every administrative change in the caller's transaction, list them.

Other modules call `record_audit(session, actor, action, entity, before, after)` inside the same
transaction as the change, so the change and its record commit (or roll back) together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shared.console.models import AuditEntry
from shared.models import Device, User

EntityRef = tuple[str, str | None]  # (entity type, entity id), e.g. ("device", "<uuid>")
Snapshot = Mapping[str, Any]
REDACTED = "[redacted]"
# Keys whose values are never written to the trail, whatever the caller passes.
SECRET_KEY = re.compile(r"password|secret|token|key_hash|device_key|api_key|credential", re.I)
ENTITY_TYPES = ("user", "device", "tariff", "deadletter")  # what GET /api/audit filters by
ACTION_MAX = 64
ENTITY_TYPE_MAX = 32


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What GET /api/audit narrows the trail by; None means any."""

    actor_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def redact(snapshot: Snapshot | None) -> dict[str, Any] | None:
    """A copy of snapshot with every secret-looking value replaced (recursively)."""
    if snapshot is None:
        return None
    clean: dict[str, Any] = {}
    for key, value in snapshot.items():
        if SECRET_KEY.search(key):
            clean[key] = REDACTED
        elif isinstance(value, Mapping):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def _dump(snapshot: Snapshot | None) -> str | None:
    clean = redact(snapshot)
    return None if clean is None else json.dumps(clean, sort_keys=True, default=str)


def record_audit(
    session: Session,
    actor: User | None,
    action: str,
    entity: EntityRef,
    before: Snapshot | None,
    after: Snapshot | None,
) -> AuditEntry:
    """Add one audit entry to the session's transaction (actor None means the system)."""
    entity_type, entity_id = entity
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else "system",
        action=action[:ACTION_MAX],
        entity_type=entity_type[:ENTITY_TYPE_MAX],
        entity_id=entity_id,
        before_json=_dump(before),
        after_json=_dump(after),
    )
    session.add(entry)
    return entry


def user_snapshot(user: User) -> dict[str, Any]:
    """The audited fields of a user (never the password hash)."""
    return {"username": user.username, "name": user.name, "role": user.role}


def device_snapshot(device: Device) -> dict[str, Any]:
    """The audited fields of a device (never its key hash)."""
    return {
        "description": device.description,
        "address": device.address,
        "max_hourly_kwh": device.max_hourly_kwh,
        "owner_id": device.owner_id,
        "visible_from_utc": _iso(device.visible_from_utc),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def _filtered(query: Select[tuple[AuditEntry]], wanted: AuditFilter) -> Select[tuple[AuditEntry]]:
    if wanted.actor_id is not None:
        query = query.where(AuditEntry.actor_id == wanted.actor_id)
    if wanted.entity_type is not None:
        query = query.where(AuditEntry.entity_type == wanted.entity_type)
    if wanted.entity_id is not None:
        query = query.where(AuditEntry.entity_id == wanted.entity_id)
    if wanted.since is not None:
        query = query.where(AuditEntry.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEntry.at < wanted.until)
    return query


def list_audit(
    session: Session, *, wanted: AuditFilter, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """One page of the trail, newest first, and the number of matching entries."""
    query = _filtered(select(AuditEntry), wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(ordered.offset(offset))), total


def parse_snapshot(text: str | None) -> dict[str, Any] | None:
    """A stored snapshot back as a dict."""
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else {"value": value}
