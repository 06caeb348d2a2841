"""The real CLI process: Ctrl-C and SIGKILL mid-run, then a restart that continues."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ingest_server import DEVICE_KEY, IngestState, running_server
from sensor_fakes import DEVICE, REPO_ROOT

TOTAL = 60
START_MS = 1767225600000


@pytest.fixture
def server() -> Iterator[tuple[str, IngestState]]:
    """The ingestion test server."""
    with running_server() as served:
        yield served


def launch(url: str, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    csv = tmp_path / "r.csv"
    csv.write_text("".join(f"{i / 2}\n" for i in range(TOTAL)))
    args = [
        *("-m", "sensor_client", "--device-id", DEVICE, "--csv", str(csv), "--dest", url),
        *("--device-key", DEVICE_KEY, "--state-dir", str(tmp_path / "state"), *extra),
    ]
    return subprocess.Popen(
        [sys.executable, *args], cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def delivered(state: IngestState) -> list[int]:
    return [item["timestamp"] for request in state.requests for item in request]


def test_sigkill_then_restart_misses_nothing(
    server: tuple[str, IngestState], tmp_path: Path
) -> None:
    url, state = server
    replay = ("--replay", "--start", "2026-01-01T00:00:00Z", "--rate", "40")
    process = launch(url, tmp_path, *replay)
    wait_for(lambda: len(state.stored) >= 15)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    process.stderr.close()  # type: ignore[union-attr]
    assert len(state.stored) < TOTAL
    restarted = launch(url, tmp_path, *replay, "--rate", "0")
    _, err = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, err
    assert sorted(t for _, t in state.stored) == [START_MS + 600_000 * i for i in range(TOTAL)]
    assert len(delivered(state)) - TOTAL <= 1  # only the reading in flight may come twice


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_exit_130_and_live_mode_resumes(
    server: tuple[str, IngestState], tmp_path: Path, signum: signal.Signals
) -> None:
    url, state = server
    process = launch(url, tmp_path, "--interval", "0.05")
    wait_for(lambda: len(state.stored) >= 5)
    process.send_signal(signum)
    _, err = process.communicate(timeout=15)
    assert process.returncode == 130 and "continues where this one stopped" in err
    assert "Traceback" not in err
    stopped_at = len(state.stored)
    restarted = launch(url, tmp_path, "--interval", "0.01")
    _, err = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, err
    stamps = delivered(state)
    assert len(state.stored) == TOTAL and len(stamps) == TOTAL  # nothing lost, nothing twice
    assert stamps == sorted(stamps) and stopped_at < TOTAL


def test_sigusr1_pauses_and_resumes(server: tuple[str, IngestState], tmp_path: Path) -> None:
    url, state = server
    process = launch(url, tmp_path, "--replay", "--rate", "50")
    wait_for(lambda: len(state.stored) >= 5)
    process.send_signal(signal.SIGUSR1)
    time.sleep(0.5)  # the reading in flight may still land
    held = len(state.stored)
    time.sleep(0.5)
    assert len(state.stored) == held < TOTAL
    process.send_signal(signal.SIGUSR1)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "paused by SIGUSR1" in err and "resumed by SIGUSR1" in err
    assert len(state.stored) == TOTAL
