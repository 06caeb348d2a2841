"""Devices: CRUD, ownership and ingestion keys."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.alerts import lock_device_for_alerts, reevaluate_for_maximum
from shared.errors import FieldError, NotFound, ValidationFailed
from shared.models import Device, User
from shared.ownership import change_owner
from shared.schemas import DeviceCreate, DeviceUpdate

KEY_PREFIX = "dk_"


def new_device_key() -> tuple[str, str]:
    """Return a new (plain key, stored hash) pair."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hash_device_key(key)


def hash_device_key(key: str) -> str:
    """Return the stored form of a device key (keys are random, so SHA-256 suffices)."""
    return hashlib.sha256(key.encode()).hexdigest()


def device_for_key(session: Session, key: str) -> str | None:
    """The id of the device whose current key is `key`, or None."""
    return session.scalar(select(Device.id).where(Device.key_hash == hash_device_key(key)))


def _check_owner(session: Session, owner_id: str) -> None:
    owner = session.get(User, owner_id)
    if owner is None:
        raise ValidationFailed(
            f"No user with id {owner_id}.",
            errors=[FieldError("owner_id", "unknown user")],
        )
    if owner.role != "client":
        raise ValidationFailed(
            "Devices can only be assigned to clients.",
            errors=[FieldError("owner_id", "user is not a client")],
        )


def create_device(session: Session, *, data: DeviceCreate) -> tuple[Device, str]:
    """Create a device; returns it with its plain ingestion key (shown once)."""
    if data.owner_id is not None:
        _check_owner(session, data.owner_id)
    key, key_hash = new_device_key()
    device = Device(
        description=data.description,
        address=data.address,
        max_hourly_kwh=data.max_hourly_kwh,
        owner_id=data.owner_id,
        key_hash=key_hash,
    )
    session.add(device)
    session.flush()
    return device, key


def get_device(session: Session, *, device_id: str) -> Device:
    """Return the device or raise NotFound."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"No device with id {device_id}.")
    return device


def get_owned_device(session: Session, *, owner_id: str, device_id: str) -> Device:
    """Return a device of owner_id; another owner's device is reported as not found."""
    device = session.get(Device, device_id)
    if device is None or device.owner_id != owner_id:
        raise NotFound(f"No device with id {device_id} among your devices.")
    return device


def list_devices(
    session: Session, *, limit: int, offset: int, owner_id: str | None = None
) -> tuple[list[Device], int]:
    """Return one page of devices (optionally of one owner) and the total count."""
    query = select(Device)
    if owner_id is not None:
        query = query.where(Device.owner_id == owner_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Device.description, Device.id).limit(limit).offset(offset)
    return list(session.scalars(ordered)), total


def update_device(session: Session, *, device_id: str, data: DeviceUpdate) -> Device:
    """Apply the fields present in data; owner_id null unassigns the device.

    Taking the device away from its owner hides the hours until then from whoever owns it next
    (shared/ownership.py).

    A new maximum re-evaluates the device's active alerts in the same transaction.
    """
    device = get_device(session, device_id=device_id)
    fields = data.model_fields_set
    if "max_hourly_kwh" in fields and data.max_hourly_kwh is not None:
        lock_device_for_alerts(session, device.id)
    if "owner_id" in fields:
        if data.owner_id is not None:
            _check_owner(session, data.owner_id)
        change_owner(device, data.owner_id)
    for name in ("description", "address", "max_hourly_kwh"):
        value = getattr(data, name)
        if name in fields and value is None:
            raise ValidationFailed(f"{name} cannot be null.", errors=[FieldError(name, "null")])
        if value is not None:
            setattr(device, name, value)
    session.flush()
    if "max_hourly_kwh" in fields and data.max_hourly_kwh is not None:
        reevaluate_for_maximum(session, device=device)
    return device


def delete_device(session: Session, *, device_id: str) -> None:
    """Delete a device and its consumption history."""
    session.delete(get_device(session, device_id=device_id))
    session.flush()


def rotate_device_key(session: Session, *, device_id: str) -> str:
    """Replace the device's ingestion key; returns the new plain key."""
    device = get_device(session, device_id=device_id)
    key, device.key_hash = new_device_key()
    session.flush()
    return key
