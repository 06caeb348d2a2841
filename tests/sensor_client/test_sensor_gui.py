"""The Tkinter window driven under Xvfb: fill the form, Start, pump events, check the result."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_server import DEVICE_KEY, IngestState, running_server
from sensor_fakes import DEVICE, REPO_ROOT

tk = pytest.importorskip("tkinter", reason="this Python has no tkinter (apt: python3-tk)")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb display on a free number (-displayfd picks it)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt: xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        server.wait()
        pytest.skip("Xvfb did not start")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def window(display: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sensor window on the Xvfb display."""
    monkeypatch.setenv("DISPLAY", display)
    from sensor_client.gui import SensorWindow

    root = tk.Tk()
    ui = SensorWindow(root)
    yield ui
    ui.close()
    del ui, root
    gc.collect()  # Tk variables must be freed on this thread, not in a server or engine thread


@pytest.fixture
def server() -> Iterator[tuple[str, IngestState]]:
    """The ingestion test server."""
    with running_server() as served:
        yield served


def pump(root: Any, until: Callable[[], bool], timeout_s: float = 15) -> None:
    """Process Tk events until the condition holds."""
    deadline = time.monotonic() + timeout_s
    while not until():
        assert time.monotonic() < deadline, "timed out waiting for the window"
        root.update()
        time.sleep(0.01)


def type_into(entry: Any, text: str) -> None:
    """Replace an entry's text the way a user would."""
    entry.delete(0, "end")
    entry.insert(0, text)


def test_replay_through_the_window(
    window: Any, server: tuple[str, IngestState], tmp_path: Path
) -> None:
    url, state = server
    csv = tmp_path / "w.csv"
    csv.write_text("".join(f"{i}\n" for i in range(120)))
    for name, text in {
        "device_id": DEVICE,
        "csv": str(csv),
        "dest": url,
        "device_key": DEVICE_KEY,
        "start": "2026-01-01T00:00:00Z",
        "state_dir": str(tmp_path / "state"),
    }.items():
        type_into(window.entries[name], text)
    window.replay.set(True)
    window.start_button.invoke()
    pump(window.root, lambda: window.status["count"].get() == "120/120")
    pump(window.root, lambda: "done" in window.status["conn"].get())
    assert len(state.stored) == 120
    assert window.status["retries"].get() == "0"
    assert window.status["last"].get() == "119.000 kWh at 2026-01-01T19:50:00Z"
    assert window.message.get() == ""
    assert window.start_button.instate(["!disabled"])


def test_pause_and_resume_buttons(
    window: Any, server: tuple[str, IngestState], tmp_path: Path
) -> None:
    url, state = server
    csv = tmp_path / "p.csv"
    csv.write_text("".join(f"{i}\n" for i in range(40)))
    for name, text in {"device_id": DEVICE, "csv": str(csv), "dest": url, "rate": "100"}.items():
        type_into(window.entries[name], text)
    type_into(window.entries["device_key"], DEVICE_KEY)
    type_into(window.entries["state_dir"], str(tmp_path / "s"))
    window.replay.set(True)
    window.start_button.invoke()
    pump(window.root, lambda: len(state.stored) >= 5)
    window.pause_button.invoke()
    pump(window.root, lambda: "paused" in window.status["conn"].get())
    held = len(state.stored)
    time.sleep(0.2)
    window.root.update()
    assert len(state.stored) <= held + 1 < 40
    window.resume_button.invoke()
    pump(window.root, lambda: window.status["count"].get() == "40/40")
    assert len(state.stored) == 40


def test_errors_go_to_the_message_area(window: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("1\nx\n")
    window.start_button.invoke()
    assert "choose a CSV file" in window.message.get()
    type_into(window.entries["csv"], str(bad))
    type_into(window.entries["device_id"], "nope")
    window.start_button.invoke()
    assert "is not a UUID" in window.message.get()
    type_into(window.entries["device_id"], DEVICE)
    window.start_button.invoke()
    assert "line 2: value 'x' is not a number" in window.message.get()
    type_into(window.entries["interval"], "soon")
    window.start_button.invoke()
    assert "interval 'soon' is not a number" in window.message.get()


def test_no_display_is_a_message_not_a_traceback() -> None:
    env = {**os.environ, "DISPLAY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "sensor_client.gui"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "cannot open a window" in done.stderr and "Traceback" not in done.stderr
