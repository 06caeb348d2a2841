"""Factories that write test data through shared/."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from shared import accounts, devices
from shared.models import Device, User
from shared.schemas import DeviceCreate, UserCreate

PASSWORD = "correct-horse-battery"


def make_user(session: Session, *, role: str = "client", username: str | None = None) -> User:
    """Create a user with the standard test password."""
    name = username or f"{role}-{uuid.uuid4().hex[:8]}"
    data = UserCreate(username=name, name=name.title(), password=PASSWORD, role=role)  # type: ignore[arg-type]
    return accounts.create_user(session, data=data)


def make_device(session: Session, *, owner: User | None = None, max_kwh: float = 2.5) -> Device:
    """Create a device, optionally owned."""
    data = DeviceCreate(
        description=f"Meter {uuid.uuid4().hex[:6]}",
        address="1 Test Street",
        max_hourly_kwh=max_kwh,
        owner_id=owner.id if owner else None,
    )
    device, _key = devices.create_device(session, data=data)
    return device


def write_hours(
    session: Session, *, device_id: str, energy_by_hour: Mapping[datetime, float]
) -> None:
    """Store hourly totals (naive UTC hour starts) directly, as ingestion's writer does."""
    from shared.ingestion.store import hour_ms, save_totals
    from shared.metering import HourTotal

    save_totals(
        session, {(device_id, hour_ms(h)): HourTotal(kwh) for h, kwh in energy_by_hour.items()}
    )
