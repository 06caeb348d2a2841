"""Apply Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """Build the Alembic config for a database URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at url to revision."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database at url to revision."""
    command.downgrade(alembic_config(url), revision)


def main() -> None:
    """CLI: python -m shared.migrate [upgrade|downgrade] [revision]."""
    from shared.settings import get_settings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=["upgrade", "downgrade"], default="upgrade", nargs="?")
    parser.add_argument("revision", nargs="?")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    url = get_settings().DATABASE_URL
    if args.action == "upgrade":
        upgrade(url, args.revision or "head")
    else:
        downgrade(url, args.revision or "base")


if __name__ == "__main__":
    main()
