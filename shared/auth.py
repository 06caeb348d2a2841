"""Login, refresh, logout, password change and bearer-token authentication."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import sessions
from shared.db import transaction
from shared.errors import FieldError, Forbidden, Unauthorized, ValidationFailed
from shared.models import AuthSession, User, utcnow
from shared.platform import Platform
from shared.schemas import TokenPair, UserPublic
from shared.security.passwords import hash_password, verify_password
from shared.security.throttle import (
    LoginKeys,
    clear_failures,
    ensure_allowed,
    login_keys,
    record_failure,
)
from shared.security.tokens import TokenClaims

BAD_CREDENTIALS = "Unknown username or wrong password."
TOKEN_STALE = "The token is no longer valid; log in again."
# Called with a user id after that user's tokens were revoked (closes live connections).
Disconnect = Callable[[str], None]


def _no_disconnect(_user_id: str) -> None:
    return None


def issue_pair(platform: Platform, user: User, auth_session: AuthSession) -> TokenPair:
    """Return an access + refresh token pair for user within one sign-in session."""
    base = (user.id, user.role, user.token_version)
    access = TokenClaims(*base, "access", session_id=auth_session.id)
    refresh_claims = TokenClaims(
        *base, "refresh", session_id=auth_session.id, token_id=auth_session.refresh_id
    )
    return TokenPair(
        access_token=platform.tokens.issue(access),
        refresh_token=platform.tokens.issue(refresh_claims),
        expires_in=int(platform.tokens.access_ttl.total_seconds()),
        user=UserPublic.model_validate(user),
    )


def _find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def _check_password(
    platform: Platform, keys: LoginKeys, password_hash: str | None, password: str
) -> bool:
    with platform.hashing.slot():
        with platform.readers() as session:  # again: a burst may have passed the first check
            ensure_allowed(session, keys)
        return verify_password(password_hash, password)


def login(platform: Platform, username: str, password: str, *, address: str) -> TokenPair:
    """Check credentials (with throttling) and return a token pair of a new session."""
    with platform.hashing.admit():  # a flood is refused here, before any database work
        return _login(platform, username, password, address=address)


def _login(platform: Platform, username: str, password: str, *, address: str) -> TokenPair:
    keys = login_keys(username, address)
    with platform.readers() as session:
        ensure_allowed(session, keys)
        user = _find_user(session, username)
        user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
    if _check_password(platform, keys, password_hash, password) and user_id is not None:
        with transaction(platform.sessions) as session:
            clear_failures(session, keys)
            found = session.get(User, user_id)
            if found is not None:
                return _new_session_pair(platform, session, found)
    _record_failed_login(platform, keys)
    raise Unauthorized(BAD_CREDENTIALS)


def _new_session_pair(platform: Platform, session: Session, user: User) -> TokenPair:
    auth_session = sessions.start(session, user, ttl=platform.tokens.refresh_ttl)
    return issue_pair(platform, user, auth_session)


def _record_failed_login(platform: Platform, keys: LoginKeys) -> None:
    for scope, key in keys.items():
        for _attempt in range(3):
            try:
                with transaction(platform.sessions) as session:
                    record_failure(session, scope, key, platform.throttle)
                break
            except IntegrityError:
                continue  # another request inserted the row first; count again on it


def refresh(
    platform: Platform, refresh_token: str, *, disconnect: Disconnect = _no_disconnect
) -> TokenPair:
    """Rotate a refresh token; reuse of an old one revokes its whole session."""
    claims = platform.tokens.verify(refresh_token, kind="refresh")
    grace = timedelta(seconds=platform.settings.REFRESH_REUSE_GRACE_SECONDS)
    with transaction(platform.sessions) as session:
        outcome = sessions.rotate(session, claims, grace=grace)
        if isinstance(outcome, sessions.Rotated):
            return issue_pair(platform, outcome.user, outcome.auth_session)
    disconnect(outcome.user_id)  # the revocation is committed; whoever holds the copy is out
    raise Unauthorized(
        "This refresh token was already used, so the session has been ended; log in again."
    )


def logout(platform: Platform, claims: TokenClaims) -> None:
    """End the session of an access token (its refresh token stops working too)."""
    if claims.session_id is None:
        return
    with transaction(platform.sessions) as session:
        sessions.end(session, claims.session_id)


def change_password(
    platform: Platform,
    claims: TokenClaims,
    old_password: str,
    new_password: str,
    *,
    address: str,
    disconnect: Disconnect = _no_disconnect,
) -> TokenPair:
    """Change the caller's own password (old one required); every other session ends."""
    with platform.hashing.admit():
        return _change_password(
            platform, claims, old_password, new_password, address=address, disconnect=disconnect
        )


def _change_password(
    platform: Platform,
    claims: TokenClaims,
    old_password: str,
    new_password: str,
    *,
    address: str,
    disconnect: Disconnect,
) -> TokenPair:
    with platform.readers() as session:
        user = _current_user(session, claims)
        keys = login_keys(user.username, address)
        ensure_allowed(session, keys)
        user_id, password_hash = user.id, user.password_hash
    if not _check_password(platform, keys, password_hash, old_password):
        _record_failed_login(platform, keys)
        raise ValidationFailed(
            "The current password is wrong.",
            errors=[FieldError("old_password", "does not match")],
        )
    with platform.hashing.slot():
        new_hash = hash_password(new_password)
    with transaction(platform.sessions) as session:
        found = session.get(User, user_id, with_for_update=True)
        if found is None or found.token_version != claims.token_version:
            raise Unauthorized("The token is no longer valid; log in again.")
        found.password_hash = new_hash
        found.token_version += 1
        sessions.end_all(session, found.id)
        pair = _new_session_pair(platform, session, found)
    disconnect(user_id)
    return pair


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of a read-only route: its id and its current role."""

    id: str
    role: str


def _session_join(claims: TokenClaims) -> ColumnElement[bool]:
    # The token's session row, if it has one (tokens without `sid` join nothing).
    return and_(AuthSession.id == claims.session_id, AuthSession.user_id == User.id)


def caller_select(*columns: Any) -> Select[*tuple[Any, ...]]:
    """The caller check as a statement other reads can extend (more columns, more outer joins).

    The token's user (`uid`) outer joined to the token's session row (`sid`; "" joins none):
    no row = no such user. Its first four columns are what `checked_caller` reads.
    """
    return (
        select(
            User.role, User.token_version, AuthSession.expires_at, AuthSession.revoked_at, *columns
        )
        .select_from(User)
        .outerjoin(
            AuthSession, and_(AuthSession.id == bindparam("sid"), AuthSession.user_id == User.id)
        )
        .where(User.id == bindparam("uid"))
    )


# Built once: composing a statement costs more CPU than running a small one through PyMySQL.
_CALLER = caller_select()


def caller_params(claims: TokenClaims) -> dict[str, str]:
    """The bound parameters of `caller_select` for a token."""
    return {"sid": claims.session_id or "", "uid": claims.user_id}


def checked_caller(claims: TokenClaims, row: Sequence[Any] | None) -> Caller:
    """The caller from the first row of a `caller_select` statement (None: it had no row);
    Unauthorized as `authenticate` for an unknown user, an older token or an ended session."""
    if row is None:
        raise Unauthorized(TOKEN_STALE)
    role, token_version, expires_at, revoked_at = row[:4]
    _check_current(claims, token_version, expires_at, revoked_at)
    return Caller(claims.user_id, role)


def _check_current(
    claims: TokenClaims,
    token_version: int,
    expires_at: datetime | None,
    revoked_at: datetime | None,
) -> None:
    if token_version != claims.token_version:
        raise Unauthorized(TOKEN_STALE)
    # Tokens minted without a session (services, tests, before sessions existed) only carry the
    # token version; a token of a session dies with the session (logout, reuse, password).
    if claims.session_id is not None and not sessions.live(expires_at, revoked_at, utcnow()):
        raise Unauthorized(sessions.ENDED)


def _current_user(session: Session, claims: TokenClaims) -> User:
    # One statement for the user and its session row (was one round trip each).
    row = session.execute(
        select(User, AuthSession.expires_at, AuthSession.revoked_at)
        .outerjoin(AuthSession, _session_join(claims))
        .where(User.id == claims.user_id)
    ).first()
    if row is None:
        raise Unauthorized(TOKEN_STALE)
    user, expires_at, revoked_at = row
    _check_current(claims, user.token_version, expires_at, revoked_at)
    return user


def _claims(platform: Platform, authorization: str | None) -> TokenClaims:
    if not authorization:
        raise Unauthorized("Missing Authorization header with a bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    return platform.tokens.verify(token.strip(), kind="access")


def bearer_claims(platform: Platform, authorization: str | None) -> TokenClaims:
    """The verified claims of an 'Authorization: Bearer' access token (no database read);
    Unauthorized when it is missing, malformed, expired or not an access token."""
    return _claims(platform, authorization)


def authenticate_caller(platform: Platform, session: Session, authorization: str | None) -> Caller:
    """The same checks as `authenticate`, with plain columns and no ORM entity (hot reads)."""
    return caller_of(session, _claims(platform, authorization))


def caller_of(session: Session, claims: TokenClaims) -> Caller:
    """`authenticate_caller` for verified claims (`bearer_claims`): one statement."""
    row = session.connection().execute(_CALLER, caller_params(claims)).first()
    return checked_caller(claims, row)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a valid bearer token belongs to, as stored (not as the token claims)."""

    id: str
    username: str
    name: str
    role: str


# The users of many tokens and those tokens' sessions, in one statement. A session row joins
# only its own user ("" joins nothing: tokens without a session).
_IDENTITIES = (
    select(
        User.id,
        User.username,
        User.name,
        User.role,
        User.token_version,
        AuthSession.id,
        AuthSession.expires_at,
        AuthSession.revoked_at,
    )
    .select_from(User)
    .outerjoin(
        AuthSession,
        and_(
            AuthSession.id.in_(bindparam("sids", expanding=True)),
            AuthSession.user_id == User.id,
        ),
    )
    .where(User.id.in_(bindparam("uids", expanding=True)))
)


def authenticate_many(
    platform: Platform, session: Session, authorizations: Sequence[str | None]
) -> list[Identity | Unauthorized]:
    """`authenticate` for many 'Authorization' values at once, with one read for all of them.

    One answer per value, in order: the identity, or the Unauthorized that `authenticate`
    would raise for it (the same checks: signature, kind, user, token version, session).
    """
    checked: list[TokenClaims | Unauthorized] = []
    for authorization in authorizations:
        try:
            checked.append(_claims(platform, authorization))
        except Unauthorized as error:
            checked.append(error)
    claims = [item for item in checked if isinstance(item, TokenClaims)]
    users: dict[str, tuple[Identity, int]] = {}
    session_rows: dict[tuple[str, str], tuple[datetime | None, datetime | None]] = {}
    if claims:
        params = {
            "uids": sorted({c.user_id for c in claims}),
            "sids": sorted({c.session_id or "" for c in claims}),
        }
        for row in session.connection().execute(_IDENTITIES, params):
            user_id, username, name, role, version, session_id, expires_at, revoked_at = row
            users[user_id] = (Identity(user_id, username, name, role), version)
            if session_id is not None:
                session_rows[(user_id, session_id)] = (expires_at, revoked_at)
    answers: list[Identity | Unauthorized] = []
    for item in checked:
        if isinstance(item, Unauthorized):
            answers.append(item)
            continue
        found = users.get(item.user_id)
        if found is None:
            answers.append(Unauthorized(TOKEN_STALE))
            continue
        ends = session_rows.get((item.user_id, item.session_id or ""), (None, None))
        try:
            _check_current(item, found[1], *ends)
        except Unauthorized as error:
            answers.append(error)
            continue
        answers.append(found[0])
    return answers


def verify_access(
    platform: Platform, session: Session, authorization: str | None
) -> tuple[User, TokenClaims]:
    """Return the user and token claims behind an 'Authorization: Bearer' header."""
    claims = _claims(platform, authorization)
    return _current_user(session, claims), claims


def authenticate(platform: Platform, session: Session, authorization: str | None) -> User:
    """Return the user behind an 'Authorization: Bearer' header, or raise Unauthorized."""
    return verify_access(platform, session, authorization)[0]


def require_admin(user: User) -> User:
    """Return user if they are an administrator, else raise Forbidden."""
    require_admin_role(user.role)
    return user


def require_admin_role(role: str) -> None:
    """Raise Forbidden unless `role` is the administrators' role."""
    if role != "admin":
        raise Forbidden("This operation requires an administrator.")
