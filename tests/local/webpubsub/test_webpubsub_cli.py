"""`python -m local.webpubsub` serves on the connection string's port and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from webpubsub_testkit import ACCESS_KEY

REPO_ROOT = Path(__file__).resolve().parents[3]
START_SECONDS = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(port: int) -> bool:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/health", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=0.5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


def test_cli_reads_the_connection_string_from_the_environment() -> None:
    port = _free_port()
    env = os.environ | {
        "WEBPUBSUB_CONNECTION_STRING": f"Endpoint=http://127.0.0.1;Port={port};"
        f"AccessKey={ACCESS_KEY};Version=1.0;"
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local.webpubsub", "--log-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(port):
            assert process.poll() is None, "the twin exited early"
            assert time.monotonic() < deadline, "the twin did not become healthy"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=START_SECONDS) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_rejects_a_bad_connection_string() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.webpubsub", "--connection-string", "Endpoint=http://x"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
        check=False,
    )
    assert result.returncode == 2
    assert "accesskey" in result.stderr
