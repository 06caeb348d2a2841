"""Tests that read the team kit skip with a reason without it, and fail under CI=true.

Each case runs pytest in a child process with ENERGY_KIT_DIR pointed at an empty folder, as
on a bare clone with no `../shared` beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.utils.kit import KIT_ENV, kit_dir, kit_file

REPO_ROOT = Path(__file__).resolve().parents[1]
# One test per way the kit is reached: a session fixture, a helper module, a direct read.
KIT_TESTS = [
    "tests/shared/metering/test_metering_sensor_csv.py::test_total_over_all_hours_is_last_minus_first",
    "tests/shared/ingestion/test_ingestion_service.py::test_sensor_csv_in_order_matches_the_reference[sqlite]",
    "tests/sensor_client/test_sensor_csv.py::test_course_csv_reads_whole",
]


def run_pytest(kit: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "PYTEST_ADDOPTS"}}
    env[KIT_ENV] = str(kit)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsfE", "-p", "no:cacheprovider", *KIT_TESTS],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_without_the_kit_they_skip_and_say_where_they_looked(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout
    assert f"{len(KIT_TESTS)} skipped" in done.stdout
    assert f"team kit unreachable: {tmp_path}/data/sensor.csv not found" in done.stdout
    assert KIT_ENV in done.stdout


def test_without_the_kit_they_fail_under_ci(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout
    summary = done.stdout.strip().splitlines()[-1]
    assert "passed" not in summary and "skipped" not in summary, summary
    short = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert len(short) == len(KIT_TESTS)
    assert all("CI=true requires it" in line for line in short), short


def test_the_kit_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sensor.csv").write_text("0\n1.5\n")
    monkeypatch.setenv(KIT_ENV, str(tmp_path))
    assert kit_file("data/sensor.csv") == tmp_path / "data" / "sensor.csv"
    monkeypatch.delenv(KIT_ENV)
    assert kit_dir() == REPO_ROOT.parent / "shared"
