"""Run the twin on its own event loop in a daemon thread, for synchronous SDK callers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from local.webpubsub.connstr import format_connection_string, parse_connection_string
from local.webpubsub.server import start_twin

_START_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class RunningTwin:
    """A started twin: the port it took and the connection string that reaches it."""

    port: int
    connection_string: str
    loop: asyncio.AbstractEventLoop


@contextmanager
def twin_in_thread(connection_string: str, port: int | None = 0) -> Iterator[RunningTwin]:
    """Start a twin in a background thread (port 0 = any free port) and stop it on exit."""
    settings = parse_connection_string(connection_string)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="webpubsub-twin", daemon=True)
    thread.start()
    try:
        started = asyncio.run_coroutine_threadsafe(start_twin(connection_string, port), loop)
        runner, actual_port = started.result(timeout=_START_TIMEOUT_SECONDS)
        try:
            yield RunningTwin(
                port=actual_port,
                connection_string=format_connection_string(
                    settings.host, actual_port, settings.access_key
                ),
                loop=loop,
            )
        finally:
            stopped = asyncio.run_coroutine_threadsafe(runner.cleanup(), loop)
            stopped.result(timeout=_START_TIMEOUT_SECONDS)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_START_TIMEOUT_SECONDS)
        loop.close()
