"""The application's database user on the real MariaDB: enough for the API, nothing more.

A scratch database is migrated with the administrator (root) URL, `python -m shared.migrate
upgrade --grant-app-user` provisions a scratch application user as the compose `migrate`
service and the Azure migration job do, and then:
- the API served on the application user's URL does its work (users, devices, readings, the
  views, sessions), and the chat's schema check passes;
- that user is refused DDL, GRANT, user management, table locks, temporary tables, the mysql
  schema and every other database (also one whose name matches an unescaped `_` wildcard);
- provisioning again changes nothing, a new password replaces the old one, and rights granted
  by hand beyond the four are taken back.
Every other MariaDB test of the API, the chat and the stores also runs as such a user
(tests/conftest.py `migrated_url`). Skips without MariaDB, fails under CI=true.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest
from sqlalchemy.engine import make_url

from chat_container.server import check_schema
from shared.db import dispose_all
from shared.dbuser import AppUserError, provision_app_user
from shared.platform import build_platform
from shared.settings import Settings
from tests.functions.conftest import Api, serve_api
from tests.utils.services import (
    MARIADB_HOST,
    MARIADB_PASSWORD,
    MARIADB_PORT,
    MARIADB_USER,
    app_user_url,
    mariadb_database,
)

pytestmark = pytest.mark.mariadb
REPO_ROOT = Path(__file__).resolve().parents[2]
HOUR_MS = 3_600_000
# Access denied: to a database (1044), for a global GRANT (1045, the login error's code),
# for a table command (1142), for a privilege such as CREATE USER (1227).
DENIED = {1044, 1045, 1142, 1227}


@dataclass(frozen=True)
class Scratch:
    admin_url: str
    database: str
    user: str
    password: str

    @property
    def app_url(self) -> str:
        return app_user_url(self.admin_url, self.user, self.password)


def _admin() -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return _as(MARIADB_USER, MARIADB_PASSWORD, None)


def _as(user: str, password: str, database: str | None) -> pymysql.connections.Connection:  # type: ignore[type-arg]
    return pymysql.connect(
        host=MARIADB_HOST,
        port=MARIADB_PORT,
        user=user,
        password=password,
        database=database,
        autocommit=True,
        connect_timeout=3,
    )


def _grants(user: str) -> list[str]:
    with _admin() as conn, conn.cursor() as cur:
        cur.execute("SHOW GRANTS FOR %s@%s", (user, "%"))
        return sorted(str(row[0]) for row in cur.fetchall())


def _migrate_cli(admin_url: str, user: str, password: str) -> subprocess.CompletedProcess[str]:
    """The command of the compose `migrate` service and the Azure migration job."""
    env = {**os.environ, "DATABASE_URL": admin_url}
    env |= {"APP_DATABASE_USER": user, "APP_DATABASE_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "shared.migrate", "upgrade", "--grant-app-user"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _drop_users(*users: str) -> None:
    with _admin() as conn, conn.cursor() as cur:
        for user in users:
            cur.execute("DROP USER IF EXISTS %s@%s", (user, "%"))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    """A migrated scratch database and its application user, made by the migration CLI."""
    with mariadb_database() as admin_url:
        user, password = f"app_{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(18)
        try:
            done = _migrate_cli(admin_url, user, password)
            assert done.returncode == 0, done.stderr[-2000:]
            assert f"database user {user}@'%' ready" in done.stderr
            assert password not in done.stderr + done.stdout
            database = make_url(admin_url).database
            assert database
            yield Scratch(admin_url, database, user, password)
        finally:
            dispose_all()
            _drop_users(user)


@pytest.fixture(scope="module")
def api(scratch: Scratch) -> Iterator[Api]:
    """The API served on the application user's URL."""
    with serve_api(scratch.app_url) as base:
        client = Api(base, os.environ["JWT_SECRET"])
        yield client
        client.http.close()


def test_the_app_connects_as_the_application_user(scratch: Scratch) -> None:
    with _as(scratch.user, scratch.password, scratch.database) as conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER()")
        assert cur.fetchone() == (f"{scratch.user}@%",)
    rows, usage = _grants(scratch.user)  # sorted: "GRANT SELECT" before "GRANT USAGE"
    escaped = scratch.database.replace("_", "\\_")
    assert rows == (
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{escaped}`.* TO `{scratch.user}`@`%`"
    )
    assert usage.startswith(f"GRANT USAGE ON *.* TO `{scratch.user}`@`%`")


def _hours_ago_ms(hours: int) -> int:
    return (int(time.time() * 1000) - hours * HOUR_MS) // HOUR_MS * HOUR_MS


def test_the_api_does_its_work_as_the_application_user(api: Api, scratch: Scratch) -> None:
    assert api.get("/health").status_code == 200
    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"], max_kwh=100.0)
    start = _hours_ago_ms(3)
    items = [
        {"timestamp": start + i * 600_000, "device_id": device["id"], "measurement_value": 10 + i}
        for i in range(13)
    ]
    key = {"X-Device-Key": device["device_key"]}
    stored = api.post("/measurements", json=items, headers=key)
    assert stored.status_code == 200 and stored.json()["stored"] == 13, stored.text
    assert api.post("/measurements", json=items[:2], headers=key).json()["rejected"] == 0
    # sessions: login (insert), refresh (update), logout (update), password change (delete)
    login = api.post(
        "/auth/login", json={"username": client["username"], "password": api.password}
    ).json()
    refreshed = api.post("/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    token = refreshed.json()["access_token"]
    date = time.strftime("%Y-%m-%d", time.gmtime(start / 1000))
    view = api.get(
        f"/me/devices/{device['id']}/consumption", params={"date": date, "tz": "UTC"}, token=token
    )
    assert view.status_code == 200, view.text
    kwh = [h["kwh"] for h in view.json()["hours"] if h["kwh"] is not None]
    assert sorted(kwh) == [6.0, 6.0]
    csv = api.get(
        f"/me/devices/{device['id']}/consumption.csv",
        params={"from": date, "to": date, "tz": "UTC"},
        token=token,
    )
    assert csv.status_code == 200, csv.text
    assert api.get("/me/alerts", token=token).status_code == 200
    assert api.get("/fleet/overview", token=api.admin_token).status_code == 200
    assert api.get("/audit", token=api.admin_token).status_code == 200
    changed = api.post(
        "/me/password",
        json={"old_password": api.password, "new_password": "another-long-password-1"},
        token=token,
    )
    assert changed.status_code in (200, 204), changed.text
    other = api.create_device()
    assert api.delete(f"/devices/{other['id']}", token=api.admin_token).status_code == 204
    gone = api.create_user(role="client")
    assert api.delete(f"/users/{gone['id']}", token=api.admin_token).status_code == 200


def test_the_chat_schema_check_passes_as_the_application_user(scratch: Scratch) -> None:
    check_schema(build_platform(Settings(DATABASE_URL=scratch.app_url)))


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE intruder (id INT)",
        "DROP TABLE users",
        "ALTER TABLE users ADD COLUMN intruder INT",
        "TRUNCATE TABLE audit_events",
        "CREATE INDEX intruder ON users (name)",
        "CREATE VIEW intruder AS SELECT 1",
        "CREATE TEMPORARY TABLE intruder (id INT)",
        "LOCK TABLES users WRITE",
        "DROP DATABASE {database}",
        "GRANT SELECT ON {database}.* TO {user}@'%'",
        "GRANT ALL PRIVILEGES ON *.* TO {user}@'%'",
        "CREATE USER intruder IDENTIFIED BY 'intruder-password'",
        "SELECT user, host FROM mysql.user",
        "CREATE DATABASE intruder",
    ],
)
def test_the_application_user_is_refused(scratch: Scratch, statement: str) -> None:
    sql = statement.format(database=f"`{scratch.database}`", user=f"'{scratch.user}'")
    with _as(scratch.user, scratch.password, scratch.database) as conn, conn.cursor() as cur:
        with pytest.raises((pymysql.err.OperationalError, pymysql.err.ProgrammingError)) as caught:
            cur.execute(sql)
        assert caught.value.args[0] in DENIED, caught.value
        cur.execute("SELECT COUNT(*) FROM users")  # the refusal changed nothing it may see
        cur.execute("SHOW TABLES LIKE 'intruder'")
        assert cur.fetchall() == ()
    assert len(_grants(scratch.user)) == 2


def test_other_databases_are_out_of_reach(scratch: Scratch) -> None:
    # One name unrelated, one the unescaped grant pattern energy_test_... would have matched.
    twin = scratch.database.replace("_", "X", 1)
    others = [f"other_{uuid.uuid4().hex[:8]}", twin]
    with _admin() as conn, conn.cursor() as cur:
        for name in others:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"CREATE TABLE `{name}`.secrets (v INT)")
    try:
        with _as(scratch.user, scratch.password, None) as conn, conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            visible = {row[0] for row in cur.fetchall()}
            assert scratch.database in visible and not visible & set(others)
            for name in others:
                for sql in (f"SELECT * FROM `{name}`.secrets", f"USE `{name}`"):
                    with pytest.raises(pymysql.err.OperationalError) as caught:
                        cur.execute(sql)
                    assert caught.value.args[0] in DENIED, (sql, caught.value)
        with pytest.raises(pymysql.err.OperationalError) as refused:
            _as(scratch.user, scratch.password, twin)
        assert refused.value.args[0] == 1044
    finally:
        with _admin() as conn, conn.cursor() as cur:
            for name in others:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_provisioning_twice_changes_nothing(scratch: Scratch) -> None:
    before = _grants(scratch.user)
    outcome = provision_app_user(scratch.admin_url, scratch.user, scratch.password)
    assert outcome.revoked_extra == ()
    done = _migrate_cli(scratch.admin_url, scratch.user, scratch.password)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Running upgrade" not in done.stderr, "already at head"
    assert _grants(scratch.user) == before
    _as(scratch.user, scratch.password, scratch.database).close()


def test_a_new_password_takes_effect(scratch: Scratch) -> None:
    user, old, new = f"app_{uuid.uuid4().hex[:12]}", "first-password-0123", "second-password-456"
    try:
        provision_app_user(scratch.admin_url, user, old)
        _as(user, old, scratch.database).close()
        provision_app_user(scratch.admin_url, user, new)
        with pytest.raises(pymysql.err.OperationalError) as refused:
            _as(user, old, scratch.database)
        assert refused.value.args[0] == 1045
        with _as(user, new, scratch.database) as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM users")
    finally:
        _drop_users(user)


def test_rights_granted_by_hand_are_taken_back(scratch: Scratch) -> None:
    user, password = f"app_{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(18)
    try:
        provision_app_user(scratch.admin_url, user, password)
        with _admin() as conn, conn.cursor() as cur:
            cur.execute(f"GRANT CREATE, DROP ON `{scratch.database}`.* TO %s@'%%'", (user,))
            cur.execute("GRANT SELECT ON mysql.user TO %s@'%%'", (user,))
            cur.execute("GRANT PROCESS ON *.* TO %s@'%%'", (user,))
            cur.execute(
                f"GRANT SELECT ON `{scratch.database}`.users TO %s@'%%' WITH GRANT OPTION", (user,)
            )
        outcome = provision_app_user(scratch.admin_url, user, password)
        assert len(outcome.revoked_extra) == 4, outcome.revoked_extra
        assert not any("PASSWORD" in extra for extra in outcome.revoked_extra)
        assert len(_grants(user)) == 2
        with _as(user, password, scratch.database) as conn, conn.cursor() as cur:
            with pytest.raises(pymysql.err.OperationalError) as caught:
                cur.execute("CREATE TABLE intruder (id INT)")
            assert caught.value.args[0] in DENIED
    finally:
        _drop_users(user)


def test_an_account_without_grant_rights_cannot_provision_and_the_password_stays_hidden(
    scratch: Scratch, caplog: pytest.LogCaptureFixture
) -> None:
    password = "never-shown-" + secrets.token_hex(8)
    with pytest.raises(AppUserError) as caught:
        provision_app_user(scratch.app_url, f"app_{uuid.uuid4().hex[:12]}", password)
    assert "may CREATE USER and GRANT" in str(caught.value)
    assert password not in str(caught.value) + repr(caught.value) + caplog.text


def test_the_administrator_cannot_be_its_own_application_user(scratch: Scratch) -> None:
    for url, user in ((scratch.admin_url, MARIADB_USER), (scratch.app_url, scratch.user)):
        with pytest.raises(AppUserError, match="login of DATABASE_URL"):
            provision_app_user(url, user, "some-long-password")
    assert len(_grants(scratch.user)) == 2
