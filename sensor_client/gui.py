"""Tkinter desktop window over the engine: `python -m sensor_client.gui`."""

from __future__ import annotations

import logging
import sys
import threading
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import filedialog, messagebox, ttk

from sensor_client.engine import Engine, Progress
from sensor_client.errors import InputError, SensorClientError
from sensor_client.gui_text import local_time, window_message
from sensor_client.session import RunOptions, build_engines
from sensor_client.state import DEFAULT_STATE_DIR, state_path

log = logging.getLogger(__name__)

POLL_MS = 100
FIELDS = (
    ("device_id", "Device id (UUID)", ""),
    ("csv", "CSV file", ""),
    ("dest", "Destination", "http://127.0.0.1:7071"),
    ("device_key", "Device key (HTTP)", ""),
    ("interval", "Interval (s)", "600"),
    ("start", "Replay start (ISO)", ""),
    ("rate", "Replay rate (/s, 0 = fast)", "0"),
    ("state_dir", "State directory", str(DEFAULT_STATE_DIR)),
)


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{name} {text!r} is not a number") from None


class SensorWindow:
    """The form, the controls and the live status of one simulated device."""

    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        root.title("Energy sensor simulator")
        self.values = {name: tk.StringVar(root, default) for name, _, default in FIELDS}
        self.replay = tk.BooleanVar(root, False)
        self.status = {key: tk.StringVar(root, "") for key in ("count", "last", "conn", "retries")}
        self.message = tk.StringVar(root, "")
        self.entries: dict[str, ttk.Entry] = {}
        self._engine: Engine | None = None
        self._thread: threading.Thread | None = None
        self._latest: Progress | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        # Asks before the saved position is deleted (tests answer for the user).
        self.confirm: Callable[[str, str], bool] = messagebox.askyesno
        self._build_form(ttk.Frame(root, padding=8))
        self._build_status(ttk.Frame(root, padding=8))
        self._set_buttons(running=False)
        self._after_id = root.after(POLL_MS, self._poll)

    def _build_form(self, frame: ttk.Frame) -> None:
        frame.grid(row=0, column=0, sticky="nsew")
        for row, (name, label, _) in enumerate(FIELDS):
            ttk.Label(frame, text=label).grid(row=row, column=0, sticky="w")
            entry = ttk.Entry(frame, textvariable=self.values[name], width=48)
            entry.grid(row=row, column=1, sticky="ew")
            self.entries[name] = entry
        ttk.Button(frame, text="Browse…", command=self.choose_csv).grid(row=1, column=2)
        ttk.Checkbutton(frame, text="Replay (virtual clock)", variable=self.replay).grid(
            row=len(FIELDS), column=1, sticky="w"
        )
        buttons = ttk.Frame(frame)
        buttons.grid(row=len(FIELDS) + 1, column=0, columnspan=3, pady=6)
        self.start_button = ttk.Button(buttons, text="Start", command=self.start)
        self.pause_button = ttk.Button(buttons, text="Pause", command=self.pause)
        self.resume_button = ttk.Button(buttons, text="Resume", command=self.resume)
        self.stop_button = ttk.Button(buttons, text="Stop", command=self.stop)
        self.reset_button = ttk.Button(buttons, text="Reset saved state", command=self.reset_state)
        for column, button in enumerate(
            (
                self.start_button,
                self.pause_button,
                self.resume_button,
                self.stop_button,
                self.reset_button,
            )
        ):
            button.grid(row=0, column=column, padx=3)

    def _build_status(self, frame: ttk.Frame) -> None:
        frame.grid(row=1, column=0, sticky="nsew")
        self.progressbar = ttk.Progressbar(frame, length=420, mode="determinate")
        self.progressbar.grid(row=0, column=0, columnspan=2, sticky="ew")
        labels = (("Sent", "count"), ("Last reading", "last"), ("Connection", "conn"))
        for row, (text, key) in enumerate((*labels, ("Retries", "retries")), start=1):
            ttk.Label(frame, text=text).grid(row=row, column=0, sticky="w")
            ttk.Label(frame, textvariable=self.status[key]).grid(row=row, column=1, sticky="w")
        self.message_label = ttk.Label(
            frame, textvariable=self.message, foreground="#b00020", wraplength=420
        )
        self.message_label.grid(row=5, column=0, columnspan=2, sticky="w")

    def choose_csv(self) -> None:
        """Pick the CSV file with the platform's file dialog."""
        chosen = filedialog.askopenfilename(filetypes=[("CSV", "*.csv"), ("All files", "*")])
        if chosen:
            self.values["csv"].set(chosen)

    def options(self) -> RunOptions:
        """The form as RunOptions; InputError names the bad field."""
        value = {name: var.get().strip() for name, var in self.values.items()}
        if not value["csv"]:
            raise InputError("choose a CSV file of readings")
        return RunOptions(
            device_id=value["device_id"],
            csv=Path(value["csv"]),
            dest=value["dest"],
            device_key=value["device_key"] or None,
            interval_s=_number("interval", value["interval"]),
            replay=self.replay.get(),
            start=value["start"] or None,
            rate=_number("rate", value["rate"]),
            state_dir=Path(value["state_dir"]).expanduser(),
        )

    def start(self) -> None:
        """Validate the form and run the engine in a background thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._clear_status()
        try:
            (engine,) = build_engines(self.options(), self._observe)
        except SensorClientError as exc:
            self.message.set(window_message(str(exc)))
            return
        self._engine = engine
        self._thread = threading.Thread(target=self._run, args=(engine,), daemon=True)
        self._thread.start()
        self._set_buttons(running=True)

    def _clear_status(self) -> None:
        """Forget the previous run's figures and message (they would look current)."""
        self.message.set("")
        self._error = None
        with self._lock:
            self._latest = None
        for variable in self.status.values():
            variable.set("")
        self.progressbar.configure(value=0, maximum=1)

    def reset_state(self) -> None:
        """Delete the saved position of this device, so the next Start begins afresh."""
        if self._thread is not None and self._thread.is_alive():
            self.message.set("Stop the simulator before resetting its saved state.")
            return
        device_id = self.values["device_id"].get().strip()
        if not device_id:
            self.message.set("Enter the device id whose saved state should be reset.")
            return
        path = state_path(Path(self.values["state_dir"].get().strip()).expanduser(), device_id)
        if not path.exists():
            self._clear_status()
            self.message.set("Nothing saved for this device: the next Start begins afresh.")
            return
        question = f"Forget where device {device_id} stopped? The next Start begins afresh."
        if not self.confirm("Reset saved state", question):
            return
        try:
            path.unlink()
        except OSError as exc:
            self.message.set(f"Could not delete the saved state: {exc.strerror or exc}")
            return
        self._clear_status()
        self.message.set("Saved state deleted: the next Start begins afresh.")

    def _run(self, engine: Engine) -> None:
        try:
            engine.run()
        except SensorClientError as exc:
            self._error = window_message(str(exc))
        except Exception as exc:  # shown to the user instead of a traceback
            log.exception("engine failed")
            self._error = f"Unexpected error: {exc}"

    def _observe(self, progress: Progress) -> None:
        with self._lock:  # engine thread; the UI reads it in _poll
            self._latest = progress

    def pause(self) -> None:
        """Hold the engine after the batch in flight."""
        if self._engine is not None:
            self._engine.pause()

    def resume(self) -> None:
        """Continue a paused engine."""
        if self._engine is not None:
            self._engine.resume()

    def stop(self) -> None:
        """Stop the engine; the next Start continues where it stopped."""
        if self._engine is not None:
            self._engine.stop()

    def _set_buttons(self, running: bool) -> None:
        self.start_button.state(["disabled"] if running else ["!disabled"])
        self.reset_button.state(["disabled"] if running else ["!disabled"])
        for button in (self.pause_button, self.resume_button, self.stop_button):
            button.state(["!disabled"] if running else ["disabled"])

    def _poll(self) -> None:
        with self._lock:
            progress = self._latest
        if progress is not None:
            self._show(progress)
        if self._thread is not None and not self._thread.is_alive():
            self._thread = None
            self._set_buttons(running=False)
            if self._error:
                self.message.set(self._error)
        self._after_id = self.root.after(POLL_MS, self._poll)

    def _show(self, progress: Progress) -> None:
        self.progressbar.configure(maximum=max(progress.total, 1), value=progress.sent)
        self.status["count"].set(f"{progress.sent}/{progress.total}")
        if progress.last_value_kwh is not None and progress.last_timestamp_ms is not None:
            stamp = local_time(progress.last_timestamp_ms)
            self.status["last"].set(f"{progress.last_value_kwh:.3f} kWh at {stamp}")
        conn = progress.connection + (" (paused)" if progress.paused else "")
        self.status["conn"].set(conn + (" — done" if progress.done else ""))
        self.status["retries"].set(str(progress.retries))
        if self._thread is not None:
            self.pause_button.state(["disabled"] if progress.paused else ["!disabled"])
            self.resume_button.state(["!disabled"] if progress.paused else ["disabled"])

    def close(self) -> None:
        """Stop the engine, give it a moment to save its state, close the window."""
        self.stop()
        if self._thread is not None:
            self._thread.join(5)
        # drop the engine (it holds our observer): Tk objects must die on the Tk thread
        self._engine, self._thread = None, None
        self.root.after_cancel(self._after_id)
        self.root.destroy()


def main() -> int:
    """Open the window and run the Tk main loop; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        root = tk.Tk()
    except tk.TclError as exc:
        sys.stderr.write(
            f"error: cannot open a window ({exc}); headless: python -m sensor_client\n"
        )
        return 2
    window = SensorWindow(root)
    root.protocol("WM_DELETE_WINDOW", window.close)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
