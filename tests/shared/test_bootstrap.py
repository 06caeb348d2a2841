"""Start-up restores the configured administrator whenever no administrator is left."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.bootstrap import ensure_bootstrap_admin
from shared.db import transaction
from shared.models import AuthSession, Device, User
from shared.platform import Platform, build_platform
from shared.security.passwords import verify_password
from shared.sessions import start
from shared.settings import Settings
from tests.utils.factories import make_device, make_user

ADMIN_PASSWORD = "configured-admin-password-1"


def _platform(url: str, username: str) -> Platform:
    settings = Settings(
        DATABASE_URL=url,
        ADMIN_USERNAME=username,
        ADMIN_PASSWORD=ADMIN_PASSWORD,
        JWT_SECRET=os.environ["JWT_SECRET"],
    )
    return build_platform(settings)


def _no_admins(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.execute(update(User).where(User.role == "admin").values(role="client"))


def _admins(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(User.username).where(User.role == "admin")))


def test_demoted_configured_admin_is_restored(
    sessions: sessionmaker[Session], migrated_url: str
) -> None:
    name = f"boss-{uuid.uuid4().hex[:6]}"
    with transaction(sessions) as session:
        user = make_user(session, role="client", username=name)
        device = make_device(session, owner=user)
        old_session = start(session, user, ttl=timedelta(days=1))
        user_id, device_id, version, old_sid = (
            user.id,
            device.id,
            user.token_version,
            old_session.id,
        )
    _no_admins(sessions)
    assert ensure_bootstrap_admin(_platform(migrated_url, name.upper())) is True
    assert _admins(sessions) == [name]
    with sessions() as session:
        restored = session.get(User, user_id)
        assert restored is not None and restored.token_version == version + 1
        assert verify_password(restored.password_hash, ADMIN_PASSWORD)
        assert session.get(Device, device_id).owner_id is None  # type: ignore[union-attr]
        assert session.get(AuthSession, old_sid).revoked_at is not None  # type: ignore[union-attr]
    # with an administrator present, start-up changes nothing
    assert ensure_bootstrap_admin(_platform(migrated_url, "someone-else")) is False


def test_missing_configured_admin_is_created(
    sessions: sessionmaker[Session], migrated_url: str
) -> None:
    _no_admins(sessions)
    name = f"new-boss-{uuid.uuid4().hex[:6]}"
    assert ensure_bootstrap_admin(_platform(migrated_url, name)) is True
    assert _admins(sessions) == [name]


def test_database_error_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'no-tables.db'}"  # never migrated: every query fails
    assert ensure_bootstrap_admin(_platform(url, "admin-x")) is False
    assert "bootstrap administrator" in caplog.text


def test_count_is_unchanged_when_nothing_to_do(
    sessions: sessionmaker[Session], migrated_url: str
) -> None:
    with transaction(sessions) as session:
        make_user(session, role="admin")
    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(User))
    assert ensure_bootstrap_admin(_platform(migrated_url, f"x-{uuid.uuid4().hex[:4]}")) is False
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == before
