"""Process signals for the headless client: Ctrl-C/SIGTERM stop cleanly, SIGUSR1 pauses."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from sensor_client.engine import Engine

log = logging.getLogger(__name__)

Handler = Callable[[int, FrameType | None], None]


@dataclass
class Interrupt:
    """Set once a stop was requested by a signal."""

    requested: bool = False


def _toggle_pause(engines: Sequence[Engine]) -> None:
    pause = not any(engine.progress.paused for engine in engines)
    for engine in engines:
        if pause:
            engine.pause()
        else:
            engine.resume()
    log.warning("%s by SIGUSR1", "paused" if pause else "resumed")


@contextmanager
def signal_controls(engines: Sequence[Engine]) -> Iterator[Interrupt]:
    """Install the handlers while the engines run; restore the previous ones after."""
    interrupt = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return

    # Handlers only set flags: a KeyboardInterrupt raised inside Thread.join can leave the
    # thread marked finished while it still runs, losing the confirm of the batch in flight.
    def stop(signum: int, _frame: FrameType | None) -> None:
        if interrupt.requested:
            raise KeyboardInterrupt  # a second Ctrl-C: leave now, unconfirmed readings resend
        interrupt.requested = True
        log.warning("%s: finishing the batch in flight", signal.Signals(signum).name)
        for engine in engines:
            engine.stop()

    def toggle(_signum: int, _frame: FrameType | None) -> None:
        _toggle_pause(engines)

    wanted: dict[signal.Signals, Handler] = {signal.SIGINT: stop, signal.SIGTERM: stop}
    if hasattr(signal, "SIGUSR1"):
        wanted[signal.SIGUSR1] = toggle
    previous = {signum: signal.signal(signum, handler) for signum, handler in wanted.items()}
    try:
        yield interrupt
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
