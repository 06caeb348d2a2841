"""Alembic: upgrade from empty and downgrade back, on SQLite and the real MariaDB."""

from __future__ import annotations

from sqlalchemy import inspect

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
