"""Pooled MySQL connections (MariaDB, both pools): one the server dropped is replaced before use,
and a healthy busy pool costs no round trip of its own (no COM_PING, no ROLLBACK on readers).

Round trips are counted by the server, on the pooled connection itself: `Com_admin_commands`
counts COM_PING (and other admin commands; none other is sent here), `Com_rollback` counts
ROLLBACK statements.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from shared import db
from shared.db import create_db_engine, transaction
from tests.utils.relay import SilentRelay, silent_relay
from tests.utils.services import (
    MARIADB_HOST,
    MARIADB_PASSWORD,
    MARIADB_PORT,
    MARIADB_USER,
    mariadb_database,
)

POOLS = pytest.mark.parametrize("read_only", [True, False], ids=["readers", "writers"])
COUNTERS = "SHOW SESSION STATUS WHERE Variable_name IN ('Com_admin_commands', 'Com_rollback')"


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


def _connection_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT CONNECTION_ID()")))


def _counters(engine: Engine) -> tuple[int, dict[str, int]]:
    """The pooled connection's id and its pings and rollbacks so far (one checkout)."""
    with engine.connect() as conn:
        connection_id = int(conn.scalar(text("SELECT CONNECTION_ID()")))
        counts = {name: int(value) for name, value in conn.execute(text(COUNTERS))}
    return connection_id, counts


@pytest.mark.mariadb
@POOLS
@pytest.mark.parametrize("idle_ping", [db.IDLE_PING_SECONDS, 0.0], ids=["polled", "pinged"])
def test_first_query_after_a_killed_connection_succeeds(
    database_url: str, read_only: bool, idle_ping: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """polled: reused at once, the socket poll sees the end of stream; pinged: idle past the
    threshold, the ping fails. Ten kills in a row: the poll must not race the server's close."""
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", idle_ping)
    engine = create_db_engine(database_url, pool_size=1, read_only=read_only)
    try:
        for _ in range(10):
            before = _connection_id(engine)
            _kill(before)  # the pooled connection is now dead on the server side
            with engine.connect() as conn:
                after = conn.scalar(text("SELECT CONNECTION_ID()"))
                assert conn.scalar(text("SELECT 1")) == 1
            assert after != before
    finally:
        engine.dispose()


@pytest.mark.mariadb
@POOLS
def test_a_busy_pool_sends_no_ping_and_readers_no_rollback(
    database_url: str, read_only: bool
) -> None:
    engine = create_db_engine(database_url, pool_size=1, read_only=read_only)
    sessions = sessionmaker(bind=engine)
    uses = 20
    try:
        first, before = _counters(engine)
        for _ in range(uses):  # as the API uses them: a session per request
            if read_only:
                with sessions() as session:
                    assert session.scalar(text("SELECT 1")) == 1
            else:
                with transaction(sessions) as session:
                    assert session.scalar(text("SELECT 1")) == 1
        last, after = _counters(engine)
    finally:
        engine.dispose()
    assert last == first  # one pooled connection throughout
    assert after["Com_admin_commands"] == before["Com_admin_commands"]  # no COM_PING
    rollbacks = after["Com_rollback"] - before["Com_rollback"]
    # writers keep their reset on return: a ROLLBACK per checkin (the uses and one _counters)
    assert rollbacks == (0 if read_only else uses + 1)


@pytest.mark.mariadb
@POOLS
def test_a_connection_idle_past_the_threshold_is_pinged_and_kept(
    database_url: str, read_only: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.3)
    engine = create_db_engine(database_url, pool_size=1, read_only=read_only)
    try:
        first, start = _counters(engine)
        at_once, reused = _counters(engine)  # back within the threshold: polled only
        time.sleep(0.5)
        later, idle = _counters(engine)  # idle past it: one COM_PING
    finally:
        engine.dispose()
    assert first == at_once == later
    assert reused["Com_admin_commands"] == start["Com_admin_commands"]
    assert idle["Com_admin_commands"] == start["Com_admin_commands"] + 1


@pytest.fixture
def relay() -> Iterator[SilentRelay]:
    with silent_relay() as running:
        yield running


@pytest.mark.mariadb
@POOLS
def test_a_silently_dead_idle_connection_is_replaced_after_a_failed_ping(
    database_url: str, read_only: bool, relay: SilentRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_db_engine(relay.url(database_url), pool_size=1, read_only=read_only)
    try:
        before = _connection_id(engine)
        relay.silence()
        # Used again at once, the poll cannot see this death: the first query fails (which is
        # why an idle connection is pinged, and why the API runs a GET once more:
        # tests/functions/test_endpoint_db_errors.py), and the pool replaces the connection.
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        replaced = _connection_id(engine)
        relay.silence()
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # now every reuse is "idle": pinged
        with engine.connect() as conn:
            after = conn.scalar(text("SELECT CONNECTION_ID()"))
    finally:
        engine.dispose()
    assert len({before, replaced, after}) == 3
