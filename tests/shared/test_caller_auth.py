"""The one-statement caller check and the batched check agree with `authenticate`; cached
tokens still expire."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from shared import sessions as auth_sessions
from shared.auth import Identity, authenticate, authenticate_caller, authenticate_many
from shared.db import transaction
from shared.errors import Unauthorized
from shared.models import User
from shared.platform import Platform
from shared.security import tokens
from shared.security.tokens import TokenClaims, TokenIssuer

ISSUER = TokenIssuer(
    secret="caller-test-secret-" + "c" * 40,
    issuer="energy-platform",
    access_ttl=timedelta(minutes=5),
    refresh_ttl=timedelta(days=1),
)
PLATFORM = cast(Platform, SimpleNamespace(tokens=ISSUER))


def _both(sessions: sessionmaker[Session], token: str) -> list[str]:
    """What each check says: the role, or 'refused' (the batched check given this token alone)."""
    out = []
    with sessions() as session:
        for check in (authenticate, authenticate_caller):
            try:
                out.append(check(PLATFORM, session, f"Bearer {token}").role)
            except Unauthorized:
                out.append("refused")
        (alone,) = authenticate_many(PLATFORM, session, [f"Bearer {token}"])
        out.append("refused" if isinstance(alone, Unauthorized) else alone.role)
    assert len(set(out)) == 1, out  # all three agree
    return out[:2]


def test_caller_check_refuses_what_authenticate_refuses(sessions: sessionmaker[Session]) -> None:
    from tests.utils.factories import make_user

    with transaction(sessions) as session:
        user = make_user(session, role="admin")
        live = auth_sessions.start(session, user, ttl=timedelta(days=1))
        ended = auth_sessions.start(session, user, ttl=timedelta(days=1))
        auth_sessions.end(session, ended.id)
        user_id, version = user.id, user.token_version

    def token(session_id: str | None, ver: int = version, who: str = user_id) -> str:
        return ISSUER.issue(TokenClaims(who, "client", ver, "access", session_id=session_id))

    assert _both(sessions, token(live.id)) == ["admin", "admin"]  # the role is the stored one
    assert _both(sessions, token(None)) == ["admin", "admin"]  # a token without a session
    assert _both(sessions, token(ended.id)) == ["refused", "refused"]  # logged out
    assert _both(sessions, token("0" * 36)) == ["refused", "refused"]  # no such session
    assert _both(sessions, token(live.id, who="1" * 36)) == ["refused", "refused"]
    with transaction(sessions) as session:  # a password change bumps the version
        session.execute(update(User).where(User.id == user_id).values(token_version=version + 1))
    assert _both(sessions, token(live.id)) == ["refused", "refused"]


def test_one_batched_check_answers_each_header_as_authenticate_does(
    sessions: sessionmaker[Session],
) -> None:
    from tests.utils.factories import make_user

    with transaction(sessions) as session:
        admin, client = make_user(session, role="admin"), make_user(session, role="client")
        live = auth_sessions.start(session, client, ttl=timedelta(days=1))
        ended = auth_sessions.start(session, client, ttl=timedelta(days=1))
        auth_sessions.end(session, ended.id)
        foreign = auth_sessions.start(session, admin, ttl=timedelta(days=1))
        people = {u.id: (u.username, u.name, u.role) for u in (admin, client)}

    def token(who: str, session_id: str | None = None, ver: int = 0, kind: str = "access") -> str:
        return ISSUER.issue(TokenClaims(who, "client", ver, kind, session_id=session_id))  # type: ignore[arg-type]

    headers = [
        f"Bearer {token(client.id, live.id)}",
        f"Bearer {token(admin.id)}",
        f"Bearer {token(client.id, ended.id)}",  # logged out
        f"Bearer {token(client.id, foreign.id)}",  # someone else's session
        f"Bearer {token(client.id, ver=1)}",  # an older password's token
        f"Bearer {token('9' * 36)}",  # no such user
        f"Bearer {token(client.id, kind='refresh')}",
        "Bearer not-a-token",
        "Basic abc",
        None,
        f"Bearer {token(client.id, live.id)}",  # the same header twice
    ]
    with sessions() as session:
        batched = authenticate_many(PLATFORM, session, headers)
        alone: list[Identity | str] = []
        for header in headers:
            try:
                user = authenticate(PLATFORM, session, header)
                alone.append(Identity(user.id, user.username, user.name, user.role))
            except Unauthorized as error:
                alone.append(error.detail)
    assert [a if isinstance(a, Identity) else a.detail for a in batched] == alone
    assert batched[0] == Identity(client.id, *people[client.id])
    assert batched[1] == Identity(admin.id, *people[admin.id])  # the stored role, not the claim
    assert sum(isinstance(a, Identity) for a in batched) == 3


def test_a_cached_token_still_expires_and_keeps_its_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claims = TokenClaims("u" * 36, "client", 0, "access", session_id="s" * 36)
    token = ISSUER.issue(claims)
    assert ISSUER.verify(token, kind="access") == claims
    assert ISSUER.verify(token, kind="access") == claims  # from the cache
    with pytest.raises(Unauthorized):
        ISSUER.verify(token, kind="refresh")
    later = time.time() + timedelta(minutes=5, seconds=1).total_seconds()
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    monkeypatch.setattr(tokens.jwt.api_jwt, "datetime", _FrozenDatetime(later), raising=False)
    with pytest.raises(Unauthorized, match="expired"):
        ISSUER.verify(token, kind="access")


class _FrozenDatetime:
    """Stands in for PyJWT's `datetime` module attribute so its own expiry check sees `at`."""

    def __init__(self, at: float) -> None:
        self._at = at

    def now(self, tz: object = None) -> object:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self._at, UTC)

    def __getattr__(self, name: str) -> object:
        from datetime import datetime

        return getattr(datetime, name)
