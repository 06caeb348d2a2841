"""Engine and session handling for SQLite and MariaDB/MySQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

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


def create_db_engine(url: str, *, pool_size: int = 20, read_only: bool = False) -> Engine:
    """Create an engine with the right options for the URL's backend.

    read_only engines run in autocommit mode: a read needs no BEGIN/COMMIT round trips.
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
    return create_engine(
        parsed,
        # Range reads pack a year of day rows into one GROUP_CONCAT (~100 KB, shared/usage/
        # store.py); MySQL's default group_concat_max_len is 1 KB (MariaDB's 1 MB).
        connect_args={"init_command": f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"},
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,  # readers too: a connection the server dropped must not 500
        pool_recycle=1800,
        pool_reset_on_return=None if read_only else "rollback",
        isolation_level=isolation or "READ COMMITTED",
    )


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
