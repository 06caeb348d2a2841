"""Shared fixtures: databases (SQLite and the real MariaDB), migrated schemas, sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared import migrate
from shared.db import dispose_all, session_factory
from tests.utils.services import mariadb_app_user, mariadb_database

os.environ.setdefault("APP_PROFILE", "test")
os.environ.setdefault("JWT_SECRET", "test-secret-" + "x" * 40)
os.environ.setdefault("ADMIN_USERNAME", "root-admin")
os.environ.setdefault("ADMIN_PASSWORD", "test-admin-password-123")

BACKENDS = ["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]


def _empty_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / 'energy.db'}"
        return
    with mariadb_database() as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database on each backend (module scope)."""
    yield from _empty_database(request.param, tmp_path_factory.mktemp("db"))
    dispose_all()


@pytest.fixture(scope="module")
def migrated_url(database_url: str) -> Iterator[str]:
    """The database upgraded to the latest migration, and the URL the apps would use on it.

    On MariaDB that is a throwaway application user's, provisioned as the migration step does in
    production (SELECT, INSERT, UPDATE, DELETE on this database only): every API, chat and store
    test on MariaDB runs with exactly the rights the deployed apps have. `database_url` stays
    the administrator's (root) for tests that need more (killing connections, migrations).
    """
    migrate.upgrade(database_url)
    if not database_url.startswith("mysql"):
        yield database_url
        return
    with mariadb_app_user(database_url) as url:
        yield url


@pytest.fixture
def sessions(migrated_url: str) -> sessionmaker[Session]:
    """A session factory bound to the migrated database."""
    return session_factory(migrated_url)
