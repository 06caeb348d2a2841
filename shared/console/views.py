"""Turn console domain values into the API's response models."""

from __future__ import annotations

from datetime import datetime

from shared.audit import parse_snapshot
from shared.console.all_alerts import AdminAlert
from shared.console.deadletters import DeadLetter
from shared.console.fleet import FleetRow
from shared.console.models import AuditEntry
from shared.console.overview import Overview
from shared.console.schemas import (
    AdminAlertPublic,
    AuditEntryPublic,
    DeadLetterPublic,
    DeviceFleetItem,
    FleetOverview,
    StatusCounts,
)


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, or None."""
    return moment.isoformat() + "Z" if moment is not None else None


def fleet_item(row: FleetRow) -> DeviceFleetItem:
    """A device list item."""
    device = row.device
    return DeviceFleetItem(
        id=device.id,
        description=device.description,
        address=device.address,
        max_hourly_kwh=device.max_hourly_kwh,
        owner_id=device.owner_id,
        visible_from=iso(device.visible_from_utc),
        owner_name=row.owner_name,
        last_reading_at=iso(row.last_reading_at),
        status=row.status,
    )


def overview_view(overview: Overview, *, late_minutes: int, silent_minutes: int) -> FleetOverview:
    """The overview response."""
    return FleetOverview(
        generated_at=iso(overview.generated_at) or "",
        late_after_minutes=late_minutes,
        silent_after_minutes=silent_minutes,
        counts=StatusCounts(**overview.counts),
        total_devices=sum(overview.counts.values()),
        today_kwh=round(overview.today_kwh, 6),
        open_alerts=overview.open_alerts,
        attention=[fleet_item(row) for row in overview.attention],
    )


def admin_alert(alert: AdminAlert) -> AdminAlertPublic:
    """An alert of either kind."""
    return AdminAlertPublic(
        id=alert.id,
        kind=alert.kind,
        state=alert.state,
        device_id=alert.device_id,
        device_description=alert.device_description,
        owner_id=alert.owner_id,
        owner_name=alert.owner_name,
        raised_at=iso(alert.raised_at) or "",
        closed_at=iso(alert.closed_at),
        hour_start=iso(alert.hour_start),
        energy_kwh=alert.energy_kwh,
        max_hourly_kwh=alert.max_hourly_kwh,
        last_reading_at=iso(alert.last_reading_at),
    )


def audit_entry(entry: AuditEntry) -> AuditEntryPublic:
    """One audit entry with its snapshots as objects."""
    return AuditEntryPublic(
        id=entry.id,
        at=iso(entry.at) or "",
        actor_id=entry.actor_id,
        actor_username=entry.actor_username,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        before=parse_snapshot(entry.before_json),
        after=parse_snapshot(entry.after_json),
    )


def dead_letter(letter: DeadLetter) -> DeadLetterPublic:
    """A dead letter with its message capped."""
    text, cut = letter.preview()
    return DeadLetterPublic(
        id=letter.id,
        reason=letter.reason,
        received_at=iso(letter.received_at),
        message=text,
        truncated=cut,
        size_bytes=letter.size_bytes,
        rejected_by_broker=letter.rejected,
    )
