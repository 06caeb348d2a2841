"""Migrating at start-up stays quiet: no Alembic lines, one line of ours when something applied."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from shared import migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
# Base to head, the order an upgrade applies them in (the chain is linear).
REVISION_IDS = [
    script.revision
    for script in reversed(
        list(ScriptDirectory.from_config(migrate.alembic_config("")).walk_revisions())
    )
]


def test_programmatic_upgrade_logs_no_alembic_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'energy.db'}"
    applied = migrate.upgrade(url)
    assert applied == REVISION_IDS
    alembic = [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]
    assert alembic == []
    ours = [r for r in caplog.records if r.name == "shared.migrate"]
    assert len(ours) == 1 and ours[0].levelno == logging.INFO
    assert applied[-1] in ours[0].getMessage()

    caplog.clear()
    assert migrate.upgrade(url) == []  # every later start: already at head, nothing to say
    assert caplog.records == []


def test_a_fresh_process_logs_one_line_at_start_and_none_at_the_next(tmp_path: Path) -> None:
    """As `make run` does: logging at DEBUG first, then import and migrate (twice)."""
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, format='%(name)s: %(message)s')\n"
        "from shared import migrate\n"
        "migrate.upgrade(sys.argv[1])\n"
    )
    url = f"sqlite:///{tmp_path / 'energy.db'}"
    logs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script, url],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        logs.append(
            [line for line in done.stderr.splitlines() if line.startswith(("alembic", "shared"))]
        )
    assert logs[0] == [f"shared.migrate: database migrated: applied {', '.join(REVISION_IDS)}"]
    assert logs[1] == []


def test_verbose_lets_alembic_speak_for_one_command_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    level = logging.getLogger("alembic").level
    migrate.upgrade(f"sqlite:///{tmp_path / 'energy.db'}", verbose=True)
    assert any(
        r.name.startswith("alembic") and "Running upgrade" in r.getMessage() for r in caplog.records
    )
    assert logging.getLogger("alembic").level == level


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
