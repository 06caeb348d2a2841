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
    """The sensor window on the Xvfb display, on a computer in Bucharest."""
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.setenv("TZ", "Europe/Bucharest")
    time.tzset()
    from sensor_client.gui import SensorWindow

    root = tk.Tk()
    ui = SensorWindow(root)
    yield ui
    ui.close()
    del ui, root
    gc.collect()  # Tk variables must be freed on this thread, not in a server or engine thread
    monkeypatch.undo()
    time.tzset()


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
    # local time of this computer (the test runs in Bucharest: UTC+2 in January)
    assert window.status["last"].get() == "119.000 kWh at 2026-01-01 21:50:00 EET"
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
    assert "Choose a CSV file" in window.message.get()
    type_into(window.entries["csv"], str(bad))
    type_into(window.entries["device_id"], "nope")
    window.start_button.invoke()
    assert "is not a UUID" in window.message.get()
    type_into(window.entries["device_id"], DEVICE)
    window.start_button.invoke()
    assert "line 2: value 'x' is not a number" in window.message.get()
    type_into(window.entries["interval"], "soon")
    window.start_button.invoke()
    assert "Interval 'soon' is not a number" in window.message.get()


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


def test_http_with_a_device_key_is_the_default_destination(window: Any) -> None:
    from sensor_client.gui import FIELDS

    assert window.values["dest"].get() == "http://127.0.0.1:7071"
    names = [name for name, _, _ in FIELDS]
    assert names.index("device_key") == names.index("dest") + 1  # the key right under it


def test_refused_key_is_a_readable_message_not_json_or_command_line_advice(
    window: Any, server: tuple[str, IngestState], tmp_path: Path
) -> None:
    url, _ = server
    csv = tmp_path / "k.csv"
    csv.write_text("1\n2\n")
    for name, text in {
        "device_id": DEVICE,
        "csv": str(csv),
        "dest": url,
        "device_key": "dk_wrong",
        "state_dir": str(tmp_path / "state"),
    }.items():
        type_into(window.entries[name], text)
    window.replay.set(True)
    window.start_button.invoke()
    pump(window.root, lambda: window.message.get() != "")
    message = window.message.get()
    assert message.startswith("The platform did not accept the device key (HTTP 401)"), message
    assert "{" not in message and "--" not in message
    type_into(window.entries["device_key"], "")
    window.start_button.invoke()
    assert window.message.get() == "An HTTP destination needs the device key"


def test_start_clears_the_previous_run_and_reset_forgets_the_saved_position(
    window: Any, server: tuple[str, IngestState], tmp_path: Path
) -> None:
    url, state = server
    csv = tmp_path / "r.csv"
    csv.write_text("".join(f"{i}\n" for i in range(12)))
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
    pump(window.root, lambda: "done" in window.status["conn"].get())
    saved = tmp_path / "state" / f"{DEVICE}.json"
    assert saved.exists() and window.status["count"].get() == "12/12"

    type_into(window.entries["csv"], str(tmp_path / "missing.csv"))
    window.start_button.invoke()  # refused: the old figures must not look current
    assert window.status["count"].get() == "" and window.status["last"].get() == ""
    assert "missing.csv" in window.message.get()

    answers: list[bool] = [False, True]
    window.confirm = lambda title, question: answers.pop(0)
    window.reset_button.invoke()  # the user says no
    assert saved.exists()
    window.reset_button.invoke()
    assert not saved.exists()
    assert window.message.get() == "Saved state deleted: the next Start begins afresh."
    type_into(window.entries["csv"], str(csv))
    window.start_button.invoke()
    pump(window.root, lambda: "done" in window.status["conn"].get())
    assert window.status["count"].get() == "12/12"
    assert len(state.stored) == 12  # the same readings again: the platform counts duplicates


def test_window_messages_name_fields_not_options() -> None:
    from sensor_client.gui_text import window_message

    raw = 'ingestion endpoint answered 422: {"title":"Validation failed","detail":"bad"}'
    assert window_message(raw) == "The platform refused the readings (HTTP 422): bad"
    assert window_message("--start 'x' is not an ISO 8601 date-time") == (
        "Replay start 'x' is not an ISO 8601 date-time"
    )
    assert "Reset saved state" in window_message(
        "state file s is unreadable (x); delete it to start over"
    )
    assert (
        window_message("ingestion endpoint answered 503")
        == "The platform is unavailable right now (HTTP 503)."
    )
