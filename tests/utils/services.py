"""Reach the machine's real MariaDB and RabbitMQ: fail in CI when absent, skip elsewhere."""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
MARIADB_HOST = os.environ.get("TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("TEST_MARIADB_PORT", "3306"))
MARIADB_USER = os.environ.get("TEST_MARIADB_USER", "root")
MARIADB_PASSWORD = os.environ.get("TEST_MARIADB_PASSWORD", "")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable(service: str, reason: str) -> None:
    """Fail in CI, skip with a visible reason elsewhere."""
    message = f"{service} unreachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true requires it)")
    pytest.skip(message)


def _admin_connection() -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return pymysql.connect(
        host=MARIADB_HOST,
        port=MARIADB_PORT,
        user=MARIADB_USER,
        password=MARIADB_PASSWORD,
        connect_timeout=3,
        autocommit=True,
    )


@contextmanager
def mariadb_database() -> Iterator[str]:
    """Create a scratch database on the real MariaDB; yield its SQLAlchemy URL; drop it."""
    try:
        conn = _admin_connection()
    except pymysql.err.OperationalError as exc:
        unavailable("MariaDB", str(exc))
        raise  # unreachable: unavailable() always raises
    name = f"energy_test_{uuid.uuid4().hex[:12]}"
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    auth = MARIADB_USER + (f":{MARIADB_PASSWORD}" if MARIADB_PASSWORD else "")
    try:
        yield f"mysql+pymysql://{auth}@{MARIADB_HOST}:{MARIADB_PORT}/{name}?charset=utf8mb4"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def app_user_url(admin_url: str, user: str, password: str) -> str:
    """admin_url (same server and database) with the application user's login instead."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(username=user, password=password)
    return url.render_as_string(hide_password=False)


@contextmanager
def mariadb_app_user(admin_url: str) -> Iterator[str]:
    """Provision a throwaway application user on admin_url's database, as the migration step
    does in production (shared.dbuser); yield its URL; drop the user."""
    from shared.dbuser import provision_app_user

    user = f"app_{uuid.uuid4().hex[:12]}"
    password = secrets.token_urlsafe(18)
    provision_app_user(admin_url, user, password)
    try:
        yield app_user_url(admin_url, user, password)
    finally:
        conn = _admin_connection()
        with conn.cursor() as cur:
            cur.execute("DROP USER IF EXISTS %s@%s", (user, "%"))
        conn.close()
