"""The admin user list: search, sort and each user's device count in one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import Device, User

USER_SORTS = ("username", "-username", "name", "-name", "devices", "-devices", "role", "-role")


@dataclass(frozen=True, slots=True)
class UserQuery:
    """Filters and order of GET /api/users."""

    role: str | None = None
    search: str | None = None
    sort: str = "username"


def list_users_with_counts(
    session: Session, *, wanted: UserQuery, limit: int, offset: int
) -> tuple[list[tuple[User, int]], int]:
    """One page of (user, devices owned) and the number of users matching."""
    counts = (
        select(Device.owner_id, func.count().label("n"))
        .where(Device.owner_id.is_not(None))
        .group_by(Device.owner_id)
        .subquery()
    )
    device_count = func.coalesce(counts.c.n, 0)
    query = select(User, device_count).outerjoin(counts, counts.c.owner_id == User.id)
    if wanted.role is not None:
        query = query.where(User.role == wanted.role)
    if wanted.search:
        needle = wanted.search.lower()
        query = query.where(
            func.lower(User.username).contains(needle, autoescape=True)
            | func.lower(User.name).contains(needle, autoescape=True)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    key = wanted.sort.lstrip("-")
    columns: dict[str, Any] = {
        "username": func.lower(User.username),
        "name": func.lower(User.name),
        "devices": device_count,
        "role": User.role,
    }
    column = columns[key]
    order = column.desc() if wanted.sort.startswith("-") else column.asc()
    page = query.order_by(order, User.username).limit(limit).offset(offset)
    return [(user, int(n)) for user, n in session.execute(page).all()], total
