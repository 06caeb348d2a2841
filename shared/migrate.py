"""Apply Alembic migrations programmatically (no alembic.ini needed).

Alembic logs INFO lines when it is imported ("setup plugin ...") and on every run ("Context impl
SQLiteImpl.", "Will assume non-transactional DDL."); from the runner, the seed or a test they
are noise at every start. Unless the application configured the "alembic" logger itself, it is
held at WARNING, and one line of ours says which revisions were applied (nothing when the
database is already at head). `python -m shared.migrate` shows Alembic's own lines.

`python -m shared.migrate grant-app-user` (or `upgrade --grant-app-user`, what compose and the
Azure migration job run) then provisions the application's own database user with rows-only
rights (shared/dbuser.py); DATABASE_URL must be the administrator's.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ALEMBIC_LOGGER = logging.getLogger("alembic")
if ALEMBIC_LOGGER.level == logging.NOTSET:  # before the import below, which already logs
    ALEMBIC_LOGGER.setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
logger = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """Build the Alembic config for a database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _alembic_verbosity(verbose: bool) -> Iterator[None]:
    """Let Alembic's INFO lines through for the duration of one command when verbose."""
    previous = ALEMBIC_LOGGER.level
    if verbose:
        ALEMBIC_LOGGER.setLevel(logging.INFO)
    try:
        yield
    finally:
        ALEMBIC_LOGGER.setLevel(previous)


def _run(url: str, revision: str, *, upgrade: bool, verbose: bool) -> list[str]:
    """Run one Alembic command; return the revisions it applied (or reverted), in order."""
    config = alembic_config(url)
    steps: list[str] = []

    def record(*, step: Any, **_: Any) -> None:
        steps.append(str(step.up_revision_id))  # the upper end of the step, either way

    config.attributes["on_version_apply"] = record
    with _alembic_verbosity(verbose):
        if upgrade:
            command.upgrade(config, revision)
        else:
            command.downgrade(config, revision)
    return steps


def upgrade(url: str, revision: str = "head", *, verbose: bool = False) -> list[str]:
    """Upgrade the database at url to revision; return the revisions applied."""
    applied = _run(url, revision, upgrade=True, verbose=verbose)
    if applied:
        logger.info("database migrated: applied %s", ", ".join(applied))
    return applied


def downgrade(url: str, revision: str = "base", *, verbose: bool = False) -> list[str]:
    """Downgrade the database at url to revision; return the revisions reverted."""
    reverted = _run(url, revision, upgrade=False, verbose=verbose)
    if reverted:
        logger.info("database downgraded: reverted %s", ", ".join(reverted))
    return reverted


def grant_app_user(url: str, user: str | None, password: str | None) -> None:
    """Provision the application's database user on url (shared/dbuser.py); SQLite: no-op."""
    from shared import dbuser

    if url.startswith("sqlite"):
        logger.info("grant-app-user: SQLite has no database users; nothing to do")
        return
    if not user or not password:
        raise dbuser.AppUserError(
            "grant-app-user needs APP_DATABASE_USER and APP_DATABASE_PASSWORD in the environment"
        )
    dbuser.provision_app_user(url, user, password)


def main(argv: list[str] | None = None) -> None:
    """CLI: python -m shared.migrate [upgrade [revision] [--grant-app-user] | downgrade
    [revision] | grant-app-user].

    DATABASE_URL must be an account that may change the schema (and, for grant-app-user, create
    users and grant): the administrator's, never the application user's.
    """
    from shared.dbuser import AppUserError
    from shared.settings import MigrationSettings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "action", choices=["upgrade", "downgrade", "grant-app-user"], default="upgrade", nargs="?"
    )
    parser.add_argument("revision", nargs="?")
    parser.add_argument(
        "--grant-app-user",
        action="store_true",
        help="after `upgrade`, provision APP_DATABASE_USER (as the grant-app-user action)",
    )
    args = parser.parse_args(argv)
    if args.grant_app_user and args.action != "upgrade":
        parser.error("--grant-app-user goes with upgrade")
    if args.action == "grant-app-user" and args.revision:
        parser.error("grant-app-user takes no revision")
    logging.basicConfig(level=logging.INFO)
    settings = MigrationSettings()
    url = settings.DATABASE_URL
    if args.action == "upgrade":
        upgrade(url, args.revision or "head", verbose=True)
    elif args.action == "downgrade":
        downgrade(url, args.revision or "base", verbose=True)
    if args.action == "grant-app-user" or args.grant_app_user:
        password = settings.APP_DATABASE_PASSWORD
        try:
            grant_app_user(
                url, settings.APP_DATABASE_USER, password.get_secret_value() if password else None
            )
        except AppUserError as exc:
            raise SystemExit(f"grant-app-user: {exc}") from None


if __name__ == "__main__":
    main()
