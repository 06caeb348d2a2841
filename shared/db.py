"""Engine and session handling for SQLite and MariaDB/MySQL."""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

_lock = threading.Lock()
_factories: dict[str, sessionmaker[Session]] = {}


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# `?ssl_ca=certifi` in a MySQL URL: verify the server against certifi's CA bundle, a path that
# exists wherever the package is installed (the Flex Consumption worker's system bundle path is
# not documented). Azure Database for MySQL's roots (DigiCert Global Root G2, Microsoft RSA
# Root Certificate Authority 2017) are in it; tests/shared/test_db_tls.py checks that.
CERTIFI_CA = "certifi"
GROUP_CONCAT_MAX = 16 * 1024 * 1024


def resolve_ca_bundle(parsed: URL) -> URL:
    """The URL with ssl_ca=certifi replaced by the path of certifi's bundle."""
    if parsed.query.get("ssl_ca") != CERTIFI_CA:
        return parsed
    import certifi

    return parsed.update_query_dict({"ssl_ca": certifi.where()})


# A pooled MySQL connection idle longer than this is pinged (COM_PING, one round trip) before it
# is handed out; a more recently used one only has its socket polled (no round trip). A busy
# pool hands a connection out again within milliseconds, so it never pays for the ping. The
# ping is for deaths that send nothing to the client, which the poll cannot see: a middlebox
# (load balancer, NAT) that forgot the idle flow, a server host gone in a failover. Those come
# after minutes of silence (Azure's load balancers drop idle flows after 4 minutes); 10 s is far
# below that and rare enough on a busy pool to cost nothing that matters.
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "idle_since"  # connection_record.info key: time.monotonic() of the last checkin
_NO_SOCKET = object()


def _record_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _has_pending_input(sock: Any) -> bool:
    """True when the socket has bytes (or an end of stream) to read right now; no waiting."""
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        return True
    pending = getattr(sock, "pending", None)  # TLS: decrypted bytes already buffered
    return bool(pending and pending())


def _check_on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Refuse a pooled connection the server has dropped, without a round trip when it was used
    recently (instead of `pool_pre_ping`, which sends COM_PING on every checkout).

    An idle MySQL connection never has bytes to read: the server only speaks when asked. So a
    readable socket means the server closed it (KILL, restart, wait_timeout: an end of stream,
    or MySQL 8's error packet before it). Polling it costs a system call, not a round trip.
    A connection idle past IDLE_PING_SECONDS is pinged instead. DisconnectionError makes the
    pool discard the connection and hand out a fresh one (SQLAlchemy "Disconnect Handling -
    Pessimistic", custom ping through pool events).
    """
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None:  # never checked in: connected just now
        return
    # PyMySQL's socket, None once closed; another driver (no such attribute) is always pinged
    sock = getattr(dbapi_connection, "_sock", _NO_SOCKET)
    if sock is None:
        raise DisconnectionError("the pooled connection is closed")
    if sock is _NO_SOCKET or time.monotonic() - idle_since > IDLE_PING_SECONDS:
        try:
            dbapi_connection.ping(False)  # reconnect=False (positional: PyMySQL and mysqlclient)
        except Exception as exc:
            raise DisconnectionError(f"the idle pooled connection failed a ping: {exc}") from exc
    elif _has_pending_input(sock):
        raise DisconnectionError("the server closed the pooled connection")


def create_db_engine(url: str, *, pool_size: int = 20, read_only: bool = False) -> Engine:
    """Create an engine with the right options for the URL's backend.

    read_only engines run in autocommit mode: a read needs no BEGIN/COMMIT round trips, and
    (MySQL) no ROLLBACK when a session or connection is closed.
    """
    parsed = resolve_ca_bundle(make_url(url))
    isolation = "AUTOCOMMIT" if read_only else None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({"isolation_level": isolation} if isolation else {}),
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    engine = create_engine(
        parsed,
        # Range reads pack a year of day rows into one GROUP_CONCAT (~100 KB, shared/usage/
        # store.py); MySQL's default group_concat_max_len is 1 KB (MariaDB's 1 MB).
        connect_args={"init_command": f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Readers: closing a session rolls back, and in autocommit that ROLLBACK is a round
        # trip for nothing; skipped when PyMySQL says the connection is in autocommit (from the
        # server status of its last reply, no round trip). Writers roll back on return.
        skip_autocommit_rollback=read_only,
        pool_reset_on_return="rollback",
        isolation_level=isolation or "READ COMMITTED",
    )
    # Both pools, readers too: a connection the server dropped must not 500 (replaces
    # pool_pre_ping; tests/shared/test_db_pool.py).
    event.listen(engine, "checkin", _record_checkin)
    event.listen(engine, "checkout", _check_on_checkout)
    return engine


def session_factory(
    url: str, *, pool_size: int = 20, read_only: bool = False
) -> sessionmaker[Session]:
    """Return the process-wide session factory for a database URL (and mode)."""
    key = f"{'ro' if read_only else 'rw'}:{url}"
    with _lock:
        factory = _factories.get(key)
        if factory is None:
            engine = create_db_engine(url, pool_size=pool_size, read_only=read_only)
            factory = sessionmaker(bind=engine, expire_on_commit=False)
            _factories[key] = factory
        return factory


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session inside one transaction: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


def dispose_all() -> None:
    """Close every pooled connection (tests and shutdown)."""
    with _lock:
        for factory in _factories.values():
            bind = factory.kw.get("bind")
            if isinstance(bind, Engine):
                bind.dispose()
        _factories.clear()
