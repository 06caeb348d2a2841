"""Request and response schemas of the operator console's routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.schemas import DevicePublic, UserPublic

FleetStatus = Literal["reporting", "late", "silent", "never"]
LetterId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class DeviceFleetItem(DevicePublic):
    """A device in the admin list: its owner's name, last reading (UTC) and status."""

    owner_name: str | None
    last_reading_at: str | None
    status: FleetStatus


class UserListItem(UserPublic):
    """A user in the admin list, with how many devices they own."""

    device_count: int


class StatusCounts(BaseModel):
    """Devices per fleet status."""

    reporting: int
    late: int
    silent: int
    never: int


class FleetOverview(BaseModel):
    """GET /fleet/overview: counts, today's energy, open alerts, meters needing attention."""

    generated_at: str
    late_after_minutes: int
    silent_after_minutes: int
    counts: StatusCounts
    total_devices: int
    today_kwh: float
    open_alerts: int
    attention: list[DeviceFleetItem]


class AdminAlertPublic(BaseModel):
    """An alert of any client: an over-maximum hour or a silent-meter episode."""

    id: str
    kind: Literal["over_max", "silent"]
    state: Literal["open", "closed"]
    device_id: str
    device_description: str | None
    owner_id: str | None
    owner_name: str | None
    raised_at: str
    closed_at: str | None
    hour_start: str | None
    energy_kwh: float | None
    max_hourly_kwh: float | None
    last_reading_at: str | None


class AdminAlertPage(BaseModel):
    """A page of alerts of every client."""

    items: list[AdminAlertPublic]
    total: int
    limit: int
    offset: int


class AuditEntryPublic(BaseModel):
    """One audited change."""

    id: str
    at: str
    actor_id: str | None
    actor_username: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    """A page of the audit trail, newest first."""

    items: list[AuditEntryPublic]
    total: int
    limit: int
    offset: int


class DeadLetterPublic(BaseModel):
    """A dead letter as received, its text capped at 4 KiB."""

    id: str
    reason: str
    received_at: str | None
    message: str
    truncated: bool
    size_bytes: int
    rejected_by_broker: bool


class DeadLetterPage(BaseModel):
    """A page of dead letters (oldest first) and the transport they were read from."""

    transport: str
    items: list[DeadLetterPublic]
    total: int
    limit: int
    offset: int


class ReplayRequest(BaseModel):
    """Body of POST /deadletters/replay: chosen ids, or all (up to `limit`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ids: Annotated[list[LetterId], Field(min_length=1, max_length=500)] | None = None
    all: bool = False
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000


class ReplayResultPublic(BaseModel):
    """What a replay moved back to the main queue."""

    replayed: int
    replayed_ids: list[str]
    missing_ids: list[str]
    skipped_ids: list[str] = Field(
        default_factory=list,
        description="chosen letters kept because only the start of their message was stored",
    )
