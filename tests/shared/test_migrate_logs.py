"""Migrating at start-up stays quiet: no Alembic lines, one line of ours when something applied."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
REVISIONS = len(list((migrate.MIGRATIONS_DIR / "versions").glob("[0-9]*.py")))


def test_programmatic_upgrade_logs_no_alembic_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'energy.db'}"
    applied = migrate.upgrade(url)
    assert len(applied) == REVISIONS
    alembic = [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]
    assert alembic == []
    ours = [r for r in caplog.records if r.name == "shared.migrate"]
    assert len(ours) == 1 and ours[0].levelno == logging.INFO
    assert applied[-1] in ours[0].getMessage()

    caplog.clear()
    assert migrate.upgrade(url) == []  # every later start: already at head, nothing to say
    assert caplog.records == []


def test_the_alembic_logger_level_is_restored(tmp_path: Path) -> None:
    alembic = logging.getLogger("alembic")
    alembic.setLevel(logging.NOTSET)
    migrate.upgrade(f"sqlite:///{tmp_path / 'energy.db'}")
    assert alembic.level == logging.NOTSET


def test_downgrade_reports_what_it_reverted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'energy.db'}"
    applied = migrate.upgrade(url)
    assert migrate.downgrade(url, "base") == list(reversed(applied))


def test_the_cli_keeps_alembic_lines(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'energy.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "shared.migrate", "upgrade"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Running upgrade" in done.stderr
