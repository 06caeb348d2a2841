"""The application's own database user: rows only, no schema, no users, no other database.

The function app and the chat connect as this user; the migration step connects as the
server's administrator, upgrades the schema and then calls `provision_app_user`, which makes
the user exist with exactly `APP_PRIVILEGES` on the platform's database, whatever state it
found (docs/security.md, "Database accounts"):

    CREATE USER IF NOT EXISTS 'u'@'%' IDENTIFIED BY '…'   -- a new deployment
    ALTER USER 'u'@'%' IDENTIFIED BY '…'                  -- a rotated password takes effect
    REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'u'@'%'      -- only when it holds anything more
    GRANT SELECT, INSERT, UPDATE, DELETE ON `db`.* TO 'u'@'%'

then reads SHOW GRANTS back and fails unless that is all the user holds. The user name and the
password travel as bound string literals, the database name as a checked, quoted identifier.
The password never reaches a log line or an error message (the engine hides parameters).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from shared.db import resolve_ca_bundle

logger = logging.getLogger(__name__)

# What the apps do at run time: read and write rows (SELECT ... FOR UPDATE needs SELECT and
# UPDATE; INSERT ... ON DUPLICATE KEY UPDATE needs INSERT and UPDATE). Nothing creates or
# alters tables, locks tables, uses temporary tables or reads another database.
APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Azure Database for MySQL Flexible Server is reached through its firewall from anywhere.
APP_HOST = "%"
USER_NAME = re.compile(r"[A-Za-z0-9_]{1,32}")
DATABASE_NAME = re.compile(r"[A-Za-z0-9_$-]{1,64}")
MIN_PASSWORD_LENGTH = 12
# One line of SHOW GRANTS: privileges, their object, and whether WITH GRANT OPTION follows.
_GRANT_LINE = re.compile(r"GRANT (?P<privileges>.+?) ON (?P<target>\S+) TO \S+(?P<rest>.*)")


class AppUserError(ValueError):
    """The application user cannot be provisioned as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What provision_app_user did."""

    user: str
    database: str | None  # None: nothing to do on this backend (SQLite)
    revoked_extra: tuple[str, ...] = ()  # grants found beyond APP_PRIVILEGES, now taken back


def check_user_name(name: str) -> str:
    """The name if it is 1-32 characters of [A-Za-z0-9_]; AppUserError otherwise."""
    if not USER_NAME.fullmatch(name):
        raise AppUserError(
            f"APP_DATABASE_USER {name!r} is not 1-32 characters of letters, digits and _"
        )
    return name


def check_password(password: str) -> str:
    """The password if it is long enough; AppUserError (without the password) otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AppUserError(f"APP_DATABASE_PASSWORD must have {MIN_PASSWORD_LENGTH}+ characters")
    return password


def check_database_name(name: str | None) -> str:
    """The database of the URL, if it is a plain name (it becomes a quoted identifier)."""
    if not name or not DATABASE_NAME.fullmatch(name):
        raise AppUserError(
            f"the database name {name!r} of DATABASE_URL is not 1-64 characters of "
            "letters, digits, _, $ and -"
        )
    return name


def grant_target(database: str, *, wildcards_literal: bool) -> str:
    """`db`.* as GRANT spells it: `_` and `%` are wildcards in a database-level grant (an
    app user granted on energy_1 would reach energyX1), so they are escaped, unless the server
    reads them literally (MySQL 8 with partial_revokes=ON)."""
    pattern = check_database_name(database)
    if not wildcards_literal:
        pattern = pattern.replace("_", r"\_").replace("%", r"\%")
    return f"`{pattern}`.*"


def privileges_statement(database: str, *, wildcards_literal: bool) -> str:
    """The GRANT of APP_PRIVILEGES (the user and host are the two %s parameters)."""
    target = grant_target(database, wildcards_literal=wildcards_literal)
    return f"GRANT {', '.join(APP_PRIVILEGES)} ON {target} TO %s@%s"


def extra_grants(show_grants: Iterable[str], target: str) -> list[str]:
    """What SHOW GRANTS lists beyond USAGE on *.* and APP_PRIVILEGES on target.

    Each entry is `<privileges> ON <object>` (never the rest of the line: MariaDB prints the
    password hash there). A line this function cannot read counts as extra.
    """
    extra = []
    for line in show_grants:
        match = _GRANT_LINE.fullmatch(line.strip())
        if match is None:
            extra.append(line.split(" TO ", 1)[0][:120])
            continue
        privileges = {p.strip().upper() for p in match["privileges"].split(",")}
        on = match["target"]
        granted = f"{match['privileges']} ON {on}"
        usage_only = on == "*.*" and privileges == {"USAGE"}
        rows_only = on == target and privileges <= set(APP_PRIVILEGES)
        if "WITH GRANT OPTION" in match["rest"].upper():
            extra.append(granted + " WITH GRANT OPTION")
        elif not (usage_only or rows_only):
            extra.append(granted)
    return extra


def provision_app_user(admin_url: str, user: str, password: str) -> Outcome:
    """Make `user`@'%' exist with `password` and exactly APP_PRIVILEGES on the URL's database.

    admin_url must belong to an account that may create users and grant (the server's
    administrator). Idempotent; on SQLite, which has no users, it does nothing.
    """
    parsed = make_url(admin_url)
    if parsed.get_backend_name() == "sqlite":
        logger.info("SQLite has no database users: grant-app-user has nothing to do")
        return Outcome(user=user, database=None)
    if parsed.get_backend_name() not in ("mysql", "mariadb"):
        raise AppUserError(f"grant-app-user supports MySQL/MariaDB, not {parsed.drivername}")
    check_user_name(user)
    check_password(password)
    database = check_database_name(parsed.database)
    if parsed.username is not None and parsed.username.lower() == user.lower():
        raise AppUserError(
            f"APP_DATABASE_USER {user!r} is the login of DATABASE_URL: the application user "
            "must be another account than the administrator that provisions it"
        )
    engine = create_engine(
        resolve_ca_bundle(parsed),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        hide_parameters=True,  # the password is a parameter: never in SQLAlchemy's messages
    )
    try:
        with engine.connect() as connection:
            return _provision(connection, user, password, database)
    except DBAPIError as exc:
        reason = _scrub(repr(exc.orig), password)
        raise AppUserError(
            f"provisioning {user!r} on {database!r} failed: {reason} (DATABASE_URL must be "
            "an administrator that may CREATE USER and GRANT)"
        ) from None
    finally:
        engine.dispose()


def _scrub(message: str, password: str) -> str:
    """The message without the password, as written or as quoted in a server's "near ..."."""
    message = re.sub(r"(?is)(IDENTIFIED\s+BY\s+).*", r"\1***", message)
    return message.replace(password, "***")


def _provision(connection: Connection, user: str, password: str, database: str) -> Outcome:
    current = connection.exec_driver_sql("SELECT CURRENT_USER()").scalar_one()
    if str(current).rsplit("@", 1)[0].lower() == user.lower():
        raise AppUserError(f"DATABASE_URL connects as {user!r}, the user it should provision")
    literal = _wildcards_literal(connection)
    target = grant_target(database, wildcards_literal=literal)
    account = (user, APP_HOST)
    run = connection.exec_driver_sql
    run("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*account, password))
    run("ALTER USER %s@%s IDENTIFIED BY %s", (*account, password))
    extra = extra_grants(_show_grants(connection, account), target)
    if extra:
        run("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", account)
    run(privileges_statement(database, wildcards_literal=literal), account)
    left = extra_grants(_show_grants(connection, account), target)
    if left:
        raise AppUserError(f"{user!r} still holds {left} after the revoke: remove them by hand")
    logger.info(
        "database user %s@'%%' ready: %s on %s%s",
        user,
        ", ".join(APP_PRIVILEGES),
        target,
        f" (revoked: {'; '.join(extra)})" if extra else "",
    )
    return Outcome(user=user, database=database, revoked_extra=tuple(extra))


def _wildcards_literal(connection: Connection) -> bool:
    """MySQL 8 with partial_revokes=ON reads _ and % in a grant's database name literally."""
    row = connection.exec_driver_sql("SHOW VARIABLES LIKE 'partial_revokes'").first()
    return row is not None and str(row[1]).upper() in ("ON", "1")


def _show_grants(connection: Connection, account: tuple[str, str]) -> list[str]:
    rows = connection.exec_driver_sql("SHOW GRANTS FOR %s@%s", account).all()
    return [str(row[0]) for row in rows]
