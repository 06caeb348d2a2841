"""Login throttling: repeated failures for one username lock it for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shared.errors import TooManyRequests
from shared.models import LoginFailure, utcnow


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """N failures inside the lockout window lock the username for the window."""

    max_failures: int
    lockout: timedelta


def ensure_not_locked(session: Session, username: str, *, now: datetime | None = None) -> None:
    """Raise TooManyRequests while username is locked."""
    row = session.get(LoginFailure, username.lower())
    current = now or utcnow()
    if row is not None and row.locked_until is not None and row.locked_until > current:
        retry = max(1, int((row.locked_until - current).total_seconds()))
        raise TooManyRequests(
            "Too many failed logins for this account; try again later.",
            retry_after_seconds=retry,
        )


def record_failure(
    session: Session, username: str, policy: ThrottlePolicy, *, now: datetime | None = None
) -> None:
    """Count one failed login; lock the username once the policy's limit is reached."""
    current = now or utcnow()
    key = username.lower()
    row = session.get(LoginFailure, key, with_for_update=True)
    if row is None:
        row = LoginFailure(username=key, failures=0, window_started_at=current)
        session.add(row)
    if current - row.window_started_at > policy.lockout:
        row.failures, row.window_started_at, row.locked_until = 0, current, None
    row.failures += 1
    if row.failures >= policy.max_failures:
        row.locked_until = current + policy.lockout


def clear_failures(session: Session, username: str) -> None:
    """Forget failures after a successful login."""
    row = session.get(LoginFailure, username.lower())
    if row is not None:
        session.delete(row)
