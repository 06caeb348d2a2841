"""Which hours of a device its current owner may see: the hand-over bound (docs/security.md).

A device remembers, in `devices.visible_from_utc`, the start of the first UTC hour its current
owner may see. NULL: the device was never taken away from an owner, so its whole history is the
current owner's (readings from before its first assignment included). When a device is taken
away from an owner (unassigned, or assigned straight to another client) the bound becomes the
first whole hour after that moment: the hour containing the hand-over is partly the previous
owner's, so it is hidden too. Assigning an unowned device keeps the bound, and re-assigning the
same owner changes nothing.

Every write of `devices.owner_id` goes through `change_owner` or `unassign_owned`; every client
read of a device's hours compares the hour start with the bound (`owner_may_see`, or the same
comparison in SQL). Administrators are not bound.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.models import Device, utcnow

HOUR = timedelta(hours=1)


def handover_bound(moment: datetime) -> datetime:
    """The start of the first whole UTC hour at or after a hand-over at `moment` (naive UTC)."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + HOUR


def bound_after_change(
    old_owner: str | None, new_owner: str | None, bound: datetime | None, moment: datetime
) -> datetime | None:
    """A device's bound once its owner changed from `old_owner` to `new_owner` at `moment`.

    Only taking the device away from an owner moves it; it never moves back (a bound only hides
    more, whatever the order of hand-overs).
    """
    if old_owner is None or old_owner == new_owner:
        return bound
    return handover_bound(moment)


def owner_may_see(hour_start: datetime, bound: datetime | None) -> bool:
    """True when the current owner may see the UTC hour starting at `hour_start`."""
    return bound is None or hour_start >= bound


def change_owner(device: Device, new_owner: str | None, *, now: datetime | None = None) -> None:
    """Give `device` to `new_owner` (None: unassign), moving its bound when it is taken away."""
    device.visible_from_utc = bound_after_change(
        device.owner_id, new_owner, device.visible_from_utc, now or utcnow()
    )
    device.owner_id = new_owner


def unassign_owned(session: Session, owner_id: str, *, now: datetime | None = None) -> list[str]:
    """Unassign every device of `owner_id` (hand-over now); return their ids."""
    device_ids = list(session.scalars(select(Device.id).where(Device.owner_id == owner_id)))
    if device_ids:
        session.execute(
            update(Device)
            .where(Device.owner_id == owner_id)
            .values(owner_id=None, visible_from_utc=handover_bound(now or utcnow()))
        )
    return device_ids
