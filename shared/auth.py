"""Login, refresh and bearer-token authentication."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db import transaction
from shared.errors import Forbidden, Unauthorized
from shared.models import User
from shared.platform import Platform
from shared.schemas import TokenPair, UserPublic
from shared.security.passwords import verify_password
from shared.security.throttle import clear_failures, ensure_not_locked, record_failure
from shared.security.tokens import TokenClaims

BAD_CREDENTIALS = "Unknown username or wrong password."


def issue_pair(platform: Platform, user: User) -> TokenPair:
    """Return a fresh access + refresh token pair for user."""
    access = TokenClaims(user.id, user.role, user.token_version, "access")
    refresh_claims = TokenClaims(user.id, user.role, user.token_version, "refresh")
    return TokenPair(
        access_token=platform.tokens.issue(access),
        refresh_token=platform.tokens.issue(refresh_claims),
        expires_in=int(platform.tokens.access_ttl.total_seconds()),
        user=UserPublic.model_validate(user),
    )


def _find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def login(platform: Platform, username: str, password: str) -> TokenPair:
    """Check credentials (with throttling) and return a token pair."""
    with transaction(platform.sessions) as session:
        ensure_not_locked(session, username)
        user = _find_user(session, username)
        matches = verify_password(user.password_hash if user else None, password)
        if user is not None and matches:
            clear_failures(session, username)
            return issue_pair(platform, user)
    _record_failed_login(platform, username)
    raise Unauthorized(BAD_CREDENTIALS)


def _record_failed_login(platform: Platform, username: str) -> None:
    for _attempt in range(3):
        try:
            with transaction(platform.sessions) as session:
                record_failure(session, username, platform.throttle)
            return
        except IntegrityError:
            continue  # another request inserted the row first; count again on it


def refresh(platform: Platform, refresh_token: str) -> TokenPair:
    """Exchange a valid refresh token for a new pair."""
    claims = platform.tokens.verify(refresh_token, kind="refresh")
    with transaction(platform.sessions) as session:
        return issue_pair(platform, _current_user(session, claims))


def _current_user(session: Session, claims: TokenClaims) -> User:
    user = session.get(User, claims.user_id)
    if user is None or user.token_version != claims.token_version:
        raise Unauthorized("The token is no longer valid; log in again.")
    return user


def authenticate(platform: Platform, session: Session, authorization: str | None) -> User:
    """Return the user behind an 'Authorization: Bearer' header, or raise Unauthorized."""
    if not authorization:
        raise Unauthorized("Missing Authorization header with a bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    claims = platform.tokens.verify(token.strip(), kind="access")
    return _current_user(session, claims)


def require_admin(user: User) -> User:
    """Return user if they are an administrator, else raise Forbidden."""
    if user.role != "admin":
        raise Forbidden("This operation requires an administrator.")
    return user
