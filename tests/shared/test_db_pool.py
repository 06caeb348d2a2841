"""Pooled connections the server killed are replaced before use (MariaDB, both pools)."""

from __future__ import annotations

from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy import text

from shared.db import create_db_engine
from tests.utils.services import (
    MARIADB_HOST,
    MARIADB_PASSWORD,
    MARIADB_PORT,
    MARIADB_USER,
    mariadb_database,
)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with mariadb_database() as url:
        yield url


def _kill(connection_id: int) -> None:
    admin = pymysql.connect(
        host=MARIADB_HOST,
        port=MARIADB_PORT,
        user=MARIADB_USER,
        password=MARIADB_PASSWORD,
        autocommit=True,
    )
    with admin, admin.cursor() as cursor:
        cursor.execute(f"KILL {int(connection_id)}")


@pytest.mark.mariadb
@pytest.mark.parametrize("read_only", [True, False], ids=["readers", "writers"])
def test_first_query_after_a_killed_connection_succeeds(database_url: str, read_only: bool) -> None:
    engine = create_db_engine(database_url, pool_size=1, read_only=read_only)
    try:
        with engine.connect() as conn:
            before = conn.scalar(text("SELECT CONNECTION_ID()"))
        _kill(int(before))  # the pooled connection is now dead on the server side
        with engine.connect() as conn:
            after = conn.scalar(text("SELECT CONNECTION_ID()"))
            assert conn.scalar(text("SELECT 1")) == 1
        assert after != before
    finally:
        engine.dispose()
