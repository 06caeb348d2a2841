"""A small aiohttp server implementing the planned `POST /api/measurements` contract."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sensor_fakes import DEVICE

DEVICE_KEY = "test-device-key"
ADMIN_TOKEN = "test-admin-token"
REJECT_ABOVE_KWH = 1_000_000.0


@dataclass
class IngestState:
    """What the server stored and saw; `fail_next` answers 503 that many times."""

    stored: dict[tuple[str, int], float] = field(default_factory=dict)
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    fail_next: int = 0
    statuses: list[int] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=lambda: {DEVICE_KEY: DEVICE})


def _caller(state: IngestState, request: web.Request) -> str | None:
    """The device a key is bound to, "*" for the admin token, None when unauthenticated."""
    key = request.headers.get("X-Device-Key")
    if key is not None:
        return state.keys.get(key)
    return "*" if request.headers.get("Authorization") == f"Bearer {ADMIN_TOKEN}" else None


def _outcome(state: IngestState, caller: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    if caller not in ("*", item.get("device_id")):
        return {"index": index, "status": "rejected", "reason": "key of another device"}
    value = item.get("measurement_value")
    if not isinstance(value, int | float) or value < 0 or value > REJECT_ABOVE_KWH:
        return {"index": index, "status": "rejected", "reason": f"bad value {value!r}"}
    key = (str(item["device_id"]), int(item["timestamp"]))
    if key in state.stored:
        return {"index": index, "status": "duplicate"}
    state.stored[key] = float(value)
    return {"index": index, "status": "stored"}


def build_app(state: IngestState) -> web.Application:
    """The app: key or admin token, 503 on demand, per-item results with de-duplication."""

    async def ingest(request: web.Request) -> web.Response:
        caller = _caller(state, request)
        if caller is None:
            state.statuses.append(401)
            return web.json_response({"title": "bad device key"}, status=401)
        if state.fail_next:
            state.fail_next -= 1
            state.statuses.append(503)
            return web.json_response({"title": "busy"}, status=503)
        items = await request.json()
        state.requests.append(items)
        state.statuses.append(200)
        results = [_outcome(state, caller, i, item) for i, item in enumerate(items)]
        return web.json_response({"results": results})

    app = web.Application()
    app.router.add_post("/api/measurements", ingest)
    return app


@contextmanager
def running_server() -> Iterator[tuple[str, IngestState]]:
    """Serve on 127.0.0.1 on a free port from a background thread; yield (base URL, state)."""
    state = IngestState()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(build_app(state))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", state
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()
