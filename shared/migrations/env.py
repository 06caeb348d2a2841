"""Alembic environment: runs migrations on the URL given by shared.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import shared.chat.models  # noqa: F401  (register chat tables on Base.metadata)
from shared.console import models as _console_models  # noqa: F401  (register its tables)
from shared.db import create_db_engine
from shared.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations against a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


run_migrations_online()
