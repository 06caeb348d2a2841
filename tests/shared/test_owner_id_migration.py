"""Migration 0006 lower-cases owner ids stored in upper case before ids were normalised."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from shared import migrate
from shared.db import create_db_engine
from tests.utils.services import mariadb_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """MariaDB only: its case-insensitive collation is what let upper-case owner ids in."""
    with mariadb_database() as url:
        yield url


@pytest.mark.mariadb
def test_upper_case_owner_ids_are_lower_cased(database_url: str) -> None:
    migrate.upgrade(database_url, "0003")
    user_id, device_id = str(uuid.uuid4()), str(uuid.uuid4())
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, name, role, password_hash, token_version,"
                    " created_at) VALUES (:id, :u, 'U', 'client', 'x', 0, NOW())"
                ),
                {"id": user_id, "u": "owner-" + user_id[:8]},
            )
            conn.execute(
                text(
                    "INSERT INTO devices (id, description, address, max_hourly_kwh, owner_id,"
                    " key_hash, created_at) VALUES (:id, 'd', 'a', 1, :owner, 'k', NOW())"
                ),
                {"id": device_id, "owner": user_id.upper()},
            )
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            stored = conn.scalar(
                text("SELECT owner_id FROM devices WHERE id = :id"), {"id": device_id}
            )
        assert stored == user_id  # byte-for-byte lower case now
    finally:
        engine.dispose()
        migrate.downgrade(database_url, "base")
