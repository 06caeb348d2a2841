"""User accounts: create, read, update, delete (administrators only at the edge)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import sessions
from shared.errors import Conflict, NotFound
from shared.models import User
from shared.ownership import unassign_owned
from shared.schemas import Role, UserCreate, UserUpdate
from shared.security.passwords import hash_password


def _username_taken(session: Session, username: str, *, except_id: str | None = None) -> bool:
    query = select(User.id).where(func.lower(User.username) == username.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    return session.scalar(query.limit(1)) is not None


def create_user(session: Session, *, data: UserCreate) -> User:
    """Create a user; Conflict when the username is taken (case-insensitively)."""
    if _username_taken(session, data.username):
        raise Conflict(f"The username {data.username!r} is already taken.")
    user = User(
        username=data.username,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password),
        token_version=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The username {data.username!r} is already taken.") from exc
    return user


def get_user(session: Session, *, user_id: str) -> User:
    """Return the user with user_id or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def list_users(
    session: Session, *, limit: int, offset: int, role: Role | None = None
) -> tuple[list[User], int]:
    """Return one page of users ordered by username, and the total count."""
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset)).all()
    return list(rows), total


def _count_admins(session: Session) -> int:
    """Count administrators with their rows locked until commit.

    Two admins demoting each other at once: the second waits for the first to commit, then
    counts again (a locking read sees the committed demotion) and is refused.
    """
    return len(session.scalars(select(User.id).where(User.role == "admin").with_for_update()).all())


def _locked_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def update_user(session: Session, *, user_id: str, data: UserUpdate) -> User:
    """Apply the given fields; a new password or role invalidates the user's tokens."""
    if data.role is not None:
        _count_admins(session)  # lock the administrators first, always in the same order
    user = _locked_user(session, user_id)
    if data.username is not None and data.username != user.username:
        if _username_taken(session, data.username, except_id=user.id):
            raise Conflict(f"The username {data.username!r} is already taken.")
        user.username = data.username
    if data.name is not None:
        user.name = data.name
    if data.role is not None and data.role != user.role:
        if user.role == "admin" and _count_admins(session) <= 1:
            raise Conflict("The last administrator cannot be made a client.")
        if data.role == "admin":
            unassign_owned(session, user.id)  # an administrator owns no device
        user.role = data.role
        user.token_version += 1
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        user.token_version += 1
    if data.role is not None or data.password is not None:
        sessions.end_all(session, user.id)
    session.flush()
    return user


def delete_user(session: Session, *, user_id: str, acting_user_id: str) -> list[str]:
    """Delete a user; their devices become unowned. Returns the unassigned device ids."""
    if get_user(session, user_id=user_id).role == "admin":
        _count_admins(session)
    user = _locked_user(session, user_id)
    if user.id == acting_user_id:
        raise Conflict("You cannot delete your own account.")
    if user.role == "admin" and _count_admins(session) <= 1:
        raise Conflict("The last administrator cannot be deleted.")
    # Explicitly, not through the foreign key's ON DELETE SET NULL: a hand-over moves the
    # devices' visibility bound (shared/ownership.py).
    device_ids = unassign_owned(session, user.id)
    session.delete(user)
    session.flush()
    return device_ids
