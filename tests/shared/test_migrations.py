"""Alembic: upgrade from empty and downgrade back, on SQLite and the real MariaDB."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import inspect, text

from shared import migrate
from shared.db import create_db_engine
from shared.models import Base


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_creates_every_model_table_and_downgrade_removes_them(database_url: str) -> None:
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)
    assert _tables(database_url) == set(Base.metadata.tables)
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)  # and up again: migrations are repeatable
    assert _tables(database_url) == set(Base.metadata.tables)
    migrate.downgrade(database_url, "base")


def test_migrations_match_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(database_url)
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
        migrate.downgrade(database_url, "base")
    assert diff == []


def test_0008_adds_a_null_bound_and_its_downgrade_keeps_the_history(database_url: str) -> None:
    """Existing devices see all their history (NULL); dropping the column on the way down is a
    plain ALTER, not a copy of `devices` that would cascade-delete its hours on SQLite."""
    migrate.upgrade(database_url, "0007")
    engine = create_db_engine(database_url)
    device = {"id": str(uuid.uuid4())}
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO devices (id, description, address, max_hourly_kwh, key_hash,"
                    " created_at) VALUES (:id, 'd', 'a', 1, 'k', :at)"
                ),
                {**device, "at": datetime(2026, 1, 1)},
            )
            conn.execute(
                text(
                    "INSERT INTO hourly_consumption (device_id, hour_start_utc, energy_kwh,"
                    " estimated) VALUES (:id, :hour, 1.5, :no)"
                ),
                {**device, "hour": datetime(2026, 1, 1, 5), "no": False},
            )
        migrate.upgrade(database_url)
        with engine.connect() as conn:
            bound = conn.execute(
                text("SELECT visible_from_utc FROM devices WHERE id = :id"), device
            ).one()
        assert bound == (None,)
        migrate.downgrade(database_url, "0007")
        columns = {c["name"] for c in inspect(engine).get_columns("devices")}
        assert "visible_from_utc" not in columns and "owner_id" in columns
        with engine.connect() as conn:
            hours = conn.scalar(
                text("SELECT COUNT(*) FROM hourly_consumption WHERE device_id = :id"), device
            )
        assert hours == 1
    finally:
        engine.dispose()
        migrate.downgrade(database_url, "base")
