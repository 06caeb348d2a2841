"""Run an aiohttp server (the local Functions host, a twin) on a background event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

Starter = Callable[[], Awaitable[tuple[web.AppRunner, int]]]


@contextmanager
def serve_in_thread(start: Starter, *, timeout: float = 30.0) -> Iterator[int]:
    """Start a server with start() on its own loop thread; yield its port; stop it after."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["runner"], box["port"] = loop.run_until_complete(start())
        except BaseException as exc:  # surfaced to the test thread below
            box["error"] = exc
        ready.set()
        if "error" not in box:
            loop.run_forever()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise TimeoutError("server did not start")
    if "error" in box:
        raise box["error"]
    try:
        yield int(box["port"])
    finally:
        asyncio.run_coroutine_threadsafe(box["runner"].cleanup(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        loop.close()
