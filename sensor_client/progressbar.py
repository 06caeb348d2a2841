"""A terminal progress line on stderr, fed by the engines' observers (any thread)."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from sensor_client.engine import Progress
from sensor_client.message import format_ms

BAR_WIDTH = 30


def render(progress: list[Progress], width: int = BAR_WIDTH) -> str:
    """One line: bar, sent/total, last reading, connection state, retries."""
    sent = sum(p.sent for p in progress)
    total = sum(p.total for p in progress) or 1
    filled = width * sent // total
    retries = sum(p.retries for p in progress)
    rejected = sum(p.rejected for p in progress)
    states = sorted({p.connection for p in progress})
    last = progress[-1] if len(progress) == 1 else None
    reading = ""
    if last is not None and last.last_value_kwh is not None and last.last_timestamp_ms:
        reading = f" last {last.last_value_kwh:.3f} kWh at {format_ms(last.last_timestamp_ms)}"
    paused = " PAUSED" if any(p.paused for p in progress) else ""
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {sent}/{total} {100 * sent // total}%"
        f"{reading} | {'/'.join(states)} | retries {retries}"
        + (f" | rejected {rejected}" if rejected else "")
        + paused
    )


class TerminalProgress:
    """Redraws in place on a terminal, writes a line per 10 % elsewhere."""

    def __init__(self, stream: TextIO, min_interval_s: float = 0.1) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._min_interval_s = min_interval_s
        self._latest: dict[str, Progress] = {}
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._last_decile = -1

    def __call__(self, progress: Progress) -> None:
        """Observer entry point."""
        with self._lock:
            self._latest[progress.device_id] = progress
            now = time.monotonic()
            if self._tty and now - self._last_draw >= self._min_interval_s:
                self._last_draw = now
                self._stream.write("\r" + render(list(self._latest.values())) + "\x1b[K")
                self._stream.flush()
            elif not self._tty:
                self._write_decile()

    def _write_decile(self) -> None:
        values = list(self._latest.values())
        total = sum(p.total for p in values) or 1
        decile = 10 * sum(p.sent for p in values) // total
        if decile > self._last_decile:
            self._last_decile = decile
            self._stream.write(render(values) + "\n")

    def finish(self) -> None:
        """Draw the final state and end the line."""
        with self._lock:
            self._stream.write(
                ("\r" if self._tty else "") + render(list(self._latest.values())) + "\n"
            )
            self._stream.flush()
