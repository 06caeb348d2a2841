"""Refresh rotation on the real databases: the grace for a just-rotated token, reuse, expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared import sessions as auth_sessions
from shared.db import transaction
from shared.errors import Unauthorized
from shared.models import AuthSession
from shared.security.tokens import TokenClaims
from tests.utils.factories import make_user

T0 = datetime(2026, 12, 1, 9, 0, 0)
GRACE = timedelta(seconds=30)


def _open(sessions: sessionmaker[Session]) -> tuple[str, str, str, int]:
    with transaction(sessions) as session:
        user = make_user(session)
        row = auth_sessions.start(session, user, ttl=timedelta(days=1), now=T0)
        return user.id, row.id, row.refresh_id, user.token_version


def _rotate(
    sessions: sessionmaker[Session], claims: TokenClaims, at: datetime
) -> auth_sessions.Rotated | auth_sessions.Reused:
    with transaction(sessions) as session:
        return auth_sessions.rotate(session, claims, grace=GRACE, now=at)


def _claims(user_id: str, sid: str, jti: str, version: int) -> TokenClaims:
    return TokenClaims(user_id, "client", version, "refresh", session_id=sid, token_id=jti)


def test_rotation_grace_and_reuse(sessions: sessionmaker[Session]) -> None:
    user_id, sid, first, version = _open(sessions)
    rotated = _rotate(sessions, _claims(user_id, sid, first, version), T0)
    assert isinstance(rotated, auth_sessions.Rotated)
    second = rotated.auth_session.refresh_id
    assert second != first
    # a second tab presenting the token just rotated gets the current rotation, not a fork
    again = _rotate(sessions, _claims(user_id, sid, first, version), T0 + timedelta(seconds=5))
    assert isinstance(again, auth_sessions.Rotated) and again.auth_session.refresh_id == second
    # after the grace the same token is reuse: the session is revoked
    late = _rotate(sessions, _claims(user_id, sid, first, version), T0 + timedelta(minutes=5))
    assert late == auth_sessions.Reused(user_id=user_id)
    with sessions() as session:
        assert not auth_sessions.is_active(session, sid, now=T0 + timedelta(minutes=6))
    with pytest.raises(Unauthorized):
        _rotate(sessions, _claims(user_id, sid, second, version), T0 + timedelta(minutes=6))


def test_expired_or_foreign_or_versionless_sessions_are_refused(
    sessions: sessionmaker[Session],
) -> None:
    user_id, sid, jti, version = _open(sessions)
    with pytest.raises(Unauthorized):
        _rotate(sessions, _claims(user_id, sid, jti, version), T0 + timedelta(days=2))
    with pytest.raises(Unauthorized):  # someone else's user id in the token
        _rotate(sessions, _claims("0" * 36, sid, jti, version), T0)
    with pytest.raises(Unauthorized):  # password changed since (token version bumped)
        _rotate(sessions, _claims(user_id, sid, jti, version + 1), T0)
    with pytest.raises(Unauthorized):  # a refresh token from before sessions existed
        _rotate(sessions, TokenClaims(user_id, "client", version, "refresh"), T0)
    with sessions() as session:
        row = session.get(AuthSession, sid)
        assert row is not None and row.revoked_at is None  # refusals alone revoke nothing
