"""Sign-in sessions: refresh-token rotation with reuse detection, logout, revocation.

Every login starts an `auth_sessions` row; its tokens carry the row id (`sid`), refresh tokens
also the id of their rotation (`jti`). Refreshing with the current refresh token rotates it.
Presenting an older one is reuse: someone copied the token, so the whole session is revoked and
every token of it stops working. The one exception is the token rotated a moment ago (two tabs
refreshing at the same instant): within the grace period it gets the current rotation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from shared.errors import Unauthorized
from shared.models import AuthSession, User, new_id, utcnow
from shared.security.tokens import TokenClaims

ENDED = "The session has ended; log in again."


@dataclass(frozen=True, slots=True)
class Rotated:
    """A valid refresh: the session (with its current refresh id) and its user."""

    auth_session: AuthSession
    user: User


@dataclass(frozen=True, slots=True)
class Reused:
    """An old refresh token came back: the session is now revoked."""

    user_id: str


def start(
    session: Session, user: User, *, ttl: timedelta, now: datetime | None = None
) -> AuthSession:
    """Open a session for user."""
    current = now or utcnow()
    row = AuthSession(
        id=new_id(),
        user_id=user.id,
        refresh_id=new_id(),
        created_at=current,
        expires_at=current + ttl,
    )
    session.add(row)
    session.flush()
    return row


def _live(row: AuthSession | None, now: datetime) -> bool:
    return row is not None and live(row.expires_at, row.revoked_at, now)


def live(expires_at: datetime | None, revoked_at: datetime | None, now: datetime) -> bool:
    """True for a session row that exists (expires_at set), is not revoked and has not expired."""
    return expires_at is not None and revoked_at is None and expires_at > now


def rotate(
    session: Session,
    claims: TokenClaims,
    *,
    grace: timedelta,
    now: datetime | None = None,
) -> Rotated | Reused:
    """Rotate the session of a verified refresh token (raises Unauthorized when it is over)."""
    current = now or utcnow()
    if claims.session_id is None or claims.token_id is None:
        raise Unauthorized(ENDED)
    row = session.get(AuthSession, claims.session_id, with_for_update=True)
    if row is None or not _live(row, current) or row.user_id != claims.user_id:
        raise Unauthorized(ENDED)
    user = session.get(User, row.user_id)
    if user is None or user.token_version != claims.token_version:
        raise Unauthorized(ENDED)
    if claims.token_id == row.refresh_id:
        row.previous_refresh_id, row.refresh_id, row.rotated_at = row.refresh_id, new_id(), current
        return Rotated(row, user)
    just_rotated = row.rotated_at is not None and current - row.rotated_at <= grace
    if claims.token_id == row.previous_refresh_id and just_rotated:
        return Rotated(row, user)
    row.revoked_at = current
    return Reused(user_id=row.user_id)


def is_active(session: Session, session_id: str, *, now: datetime | None = None) -> bool:
    """True while the session exists, is not revoked and has not expired."""
    return _live(session.get(AuthSession, session_id), now or utcnow())


def end(session: Session, session_id: str, *, now: datetime | None = None) -> None:
    """Revoke one session (logout)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def end_all(session: Session, user_id: str, *, now: datetime | None = None) -> None:
    """Revoke every session of a user (password change, role change)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
