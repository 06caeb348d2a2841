"""The application user's provisioning without a server: names, grants, messages, the CLI.

The MariaDB half (what the user may and may not do) is tests/functions/test_app_db_user.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import dbuser, migrate
from shared.dbuser import AppUserError, check_user_name, extra_grants, grant_target

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "app-password-0123456789"


@pytest.mark.parametrize("name", ["energy_app", "a", "A1_b2", "x" * 32])
def test_plain_user_names_are_accepted(name: str) -> None:
    assert check_user_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "x" * 33, "energy-app", "app'@'%", "a b", "app`", "énergie", "root@localhost", "a;b"],
)
def test_other_user_names_are_refused(name: str) -> None:
    with pytest.raises(AppUserError, match="1-32 characters"):
        check_user_name(name)


def test_database_level_wildcards_are_escaped_unless_the_server_reads_them_literally() -> None:
    assert grant_target("energy", wildcards_literal=False) == "`energy`.*"
    assert grant_target("energy_test_1", wildcards_literal=False) == r"`energy\_test\_1`.*"
    assert grant_target("energy_test_1", wildcards_literal=True) == "`energy_test_1`.*"


@pytest.mark.parametrize("name", ["", None, "a`b", "a.b", "a b", "x" * 65, "db%"])
def test_odd_database_names_are_refused(name: str | None) -> None:
    with pytest.raises(AppUserError, match="database name"):
        dbuser.check_database_name(name)


def test_the_grant_names_exactly_the_four_row_privileges() -> None:
    statement = dbuser.privileges_statement("energy", wildcards_literal=False)
    assert statement == "GRANT SELECT, INSERT, UPDATE, DELETE ON `energy`.* TO %s@%s"


TARGET = r"`energy\_1`.*"


def test_what_the_grant_itself_leaves_is_not_extra() -> None:
    mariadb = [
        "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0123ABCD'",
        r"GRANT SELECT, INSERT, UPDATE, DELETE ON `energy\_1`.* TO `app`@`%`",
    ]
    mysql8 = ["GRANT USAGE ON *.* TO `app`@`%`", r"GRANT SELECT ON `energy\_1`.* TO `app`@`%`"]
    assert extra_grants(mariadb, TARGET) == []
    assert extra_grants(mysql8, TARGET) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GRANT ALL PRIVILEGES ON *.* TO `app`@`%`", "ALL PRIVILEGES ON *.*"),
        ("GRANT SELECT, CREATE ON `energy\\_1`.* TO `app`@`%`", "SELECT, CREATE ON `energy\\_1`.*"),
        ("GRANT SELECT ON `energy_1`.* TO `app`@`%`", "SELECT ON `energy_1`.*"),  # a wildcard
        ("GRANT SELECT ON `other`.* TO `app`@`%`", "SELECT ON `other`.*"),
        ("GRANT SELECT ON `mysql`.`user` TO `app`@`%`", "SELECT ON `mysql`.`user`"),
        ("GRANT SELECT (id) ON `energy\\_1`.`users` TO `app`@`%`", "SELECT (id) ON"),
        (
            "GRANT SELECT ON `energy\\_1`.* TO `app`@`%` WITH GRANT OPTION",
            "SELECT ON `energy\\_1`.* WITH GRANT OPTION",
        ),
        ("GRANT `dba`@`%` TO `app`@`%`", "GRANT `dba`@`%`"),  # a role: unreadable, so extra
        ("GRANT PROXY ON ''@'%' TO 'app'@'%'", "PROXY ON ''@'%'"),
    ],
)
def test_anything_more_is_extra(line: str, expected: str) -> None:
    extra = extra_grants(["GRANT USAGE ON *.* TO `app`@`%`", line], TARGET)
    assert len(extra) == 1 and extra[0].startswith(expected), extra


def test_extra_grants_never_repeat_the_password_hash() -> None:
    line = "GRANT FILE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0123ABCD'"
    assert extra_grants([line], TARGET) == ["FILE ON *.*"]


def test_a_server_message_loses_the_password() -> None:
    message = (
        'ProgrammingError(1064, "You have an error in your SQL syntax; check the manual near '
        f"'IDENTIFIED BY '{PASSWORD}'' at line 1\")"
    )
    scrubbed = dbuser._scrub(message, PASSWORD)
    assert PASSWORD not in scrubbed and "IDENTIFIED BY ***" in scrubbed
    assert dbuser._scrub(f"left {PASSWORD} right", PASSWORD) == "left *** right"


@pytest.mark.parametrize(
    ("url", "user", "password", "match"),
    [
        ("mysql+pymysql://energyadmin:pw@db.invalid/energy", "energyadmin", PASSWORD, "login of"),
        ("mysql+pymysql://root:pw@db.invalid/energy", "bad-name", PASSWORD, "1-32 characters"),
        ("mysql+pymysql://root:pw@db.invalid/energy", "app", "short", "12\\+ characters"),
        ("mysql+pymysql://root:pw@db.invalid/", "app", PASSWORD, "database name"),
        ("postgresql://root:pw@db.invalid/energy", "app", PASSWORD, "MySQL/MariaDB"),
    ],
)
def test_bad_requests_are_refused_before_connecting(
    url: str, user: str, password: str, match: str
) -> None:
    with pytest.raises(AppUserError, match=match) as caught:
        dbuser.provision_app_user(url, user, password)
    assert PASSWORD not in str(caught.value)


def test_sqlite_is_a_no_op(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outcome = dbuser.provision_app_user(f"sqlite:///{tmp_path / 'e.db'}", "app", "x")
    assert outcome.database is None
    assert "SQLite has no database users" in caplog.text
    assert not (tmp_path / "e.db").exists(), "nothing was even opened"


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("APP_DATABASE_")}
    return subprocess.run(
        [sys.executable, "-m", "shared.migrate", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_grant_app_user_on_sqlite_says_it_has_nothing_to_do(tmp_path: Path) -> None:
    done = _cli("grant-app-user", DATABASE_URL=f"sqlite:///{tmp_path / 'e.db'}")
    assert done.returncode == 0, done.stderr
    assert "SQLite has no database users; nothing to do" in done.stderr


def test_cli_upgrade_then_grant_on_sqlite_migrates(tmp_path: Path) -> None:
    done = _cli("upgrade", "--grant-app-user", DATABASE_URL=f"sqlite:///{tmp_path / 'e.db'}")
    assert done.returncode == 0, done.stderr
    assert "database migrated" in done.stderr and "nothing to do" in done.stderr


def test_cli_needs_the_user_and_password_on_mysql() -> None:
    done = _cli("grant-app-user", DATABASE_URL="mysql+pymysql://root@db.invalid/energy")
    assert done.returncode == 1
    assert "needs APP_DATABASE_USER and APP_DATABASE_PASSWORD" in done.stderr


def test_cli_refuses_a_bad_name_without_echoing_the_password() -> None:
    done = _cli(
        "grant-app-user",
        DATABASE_URL="mysql+pymysql://root@db.invalid/energy",
        APP_DATABASE_USER="x'; DROP USER root; --",
        APP_DATABASE_PASSWORD=PASSWORD,
    )
    assert done.returncode == 1
    assert "grant-app-user: APP_DATABASE_USER" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout


@pytest.mark.parametrize(
    "argv", [["downgrade", "--grant-app-user"], ["grant-app-user", "0003"]], ids=["down", "rev"]
)
def test_cli_rejects_meaningless_combinations(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        migrate.main(argv)
    assert caught.value.code == 2
