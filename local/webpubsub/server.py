"""Build and start the twin's aiohttp application."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from local.webpubsub import rest_groups, rest_messages
from local.webpubsub.client_ws import handle_client
from local.webpubsub.connstr import TwinSettings, parse_connection_string
from local.webpubsub.rest_common import rest_middleware
from local.webpubsub.state import STATE_KEY, TwinState

logger = logging.getLogger(__name__)

_SHUTDOWN_REASON = "The local Web PubSub twin is shutting down"
_SHUTDOWN_GRACE_SECONDS = 2.0


async def _close_clients(app: web.Application) -> None:
    """Say goodbye to every client so shutdown does not wait on open sockets."""
    state = app[STATE_KEY]
    connections = state.hubs.all_connections()
    for connection in connections:
        state.hubs.get(connection.hub).close([connection], _SHUTDOWN_REASON)
    deadline = asyncio.get_running_loop().time() + _SHUTDOWN_GRACE_SECONDS
    while any(not c.outbox.empty() for c in connections):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.01)


def build_app(settings: TwinSettings) -> web.Application:
    """The twin as an aiohttp application: REST data plane plus client WebSockets."""
    app = web.Application(middlewares=[rest_middleware])
    app[STATE_KEY] = TwinState(settings=settings)
    app.add_routes(rest_messages.routes)
    app.add_routes(rest_groups.routes)
    app.router.add_get("/client/hubs/{hub}", handle_client, allow_head=False)
    app.on_shutdown.append(_close_clients)
    return app


async def start_twin(
    connection_string: str, port: int | None = None, *, bind_host: str | None = None
) -> tuple[web.AppRunner, int]:
    """Start the twin; `port` (0 = any free port) overrides the connection string's port."""
    settings = parse_connection_string(connection_string)
    runner = web.AppRunner(
        build_app(settings), access_log=None, shutdown_timeout=_SHUTDOWN_GRACE_SECONDS
    )
    await runner.setup()
    host = bind_host or settings.host
    site = web.TCPSite(runner, host, settings.port if port is None else port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    actual_port = int(runner.addresses[0][1])
    logger.info("Web PubSub twin listening on http://%s:%s", host, actual_port)
    return runner, actual_port
