"""REST endpoints that send messages, close connections and check existence."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web

from local.webpubsub.protocol import Payload
from local.webpubsub.registry import Connection
from local.webpubsub.rest_common import (
    HUB_PREFIX,
    excluded_of,
    group_of,
    hub_of,
    payload_of,
    reason_of,
)

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()

_ACCEPTED = 202
_NO_CONTENT = 204


def _deliver(targets: Iterable[Connection], payload: Payload, excluded: set[str]) -> int:
    """Queue a server message for each target not excluded; return how many got it."""
    count = 0
    for connection in targets:
        if connection.connection_id not in excluded:
            connection.send_from_server(payload)
            count += 1
    return count


def _exists(found: bool) -> web.Response:
    """HEAD answer for the *_exists and has_permission calls."""
    return web.Response(status=200 if found else 404)


@routes.head("/api/health")
async def health(_: web.Request) -> web.Response:
    """The service is healthy."""
    return web.Response(status=200)


@routes.post(HUB_PREFIX + "/:send")
async def send_to_all(request: web.Request) -> web.Response:
    """Broadcast to every connection of the hub except `excluded`."""
    hub = hub_of(request)
    payload = await payload_of(request)
    count = _deliver(list(hub.connections.values()), payload, excluded_of(request))
    logger.info("send_to_all hub=%s type=%s delivered=%s", hub.name, payload.data_type, count)
    return web.Response(status=_ACCEPTED)


@routes.post(HUB_PREFIX + "/users/{user}/:send")
async def send_to_user(request: web.Request) -> web.Response:
    """Send to every connection of one user; nobody connected means dropped."""
    hub = hub_of(request)
    user = request.match_info["user"]
    payload = await payload_of(request)
    count = _deliver(hub.of_user(user), payload, set())
    logger.info("send_to_user hub=%s user=%s delivered=%s", hub.name, user, count)
    return web.Response(status=_ACCEPTED)


@routes.post(HUB_PREFIX + "/groups/{group}/:send")
async def send_to_group(request: web.Request) -> web.Response:
    """Send to every connection in a group except `excluded`."""
    hub = hub_of(request)
    group = group_of(request)
    payload = await payload_of(request)
    count = _deliver(hub.in_group(group), payload, excluded_of(request))
    logger.info("send_to_group hub=%s group=%s delivered=%s", hub.name, group, count)
    return web.Response(status=_ACCEPTED)


@routes.post(HUB_PREFIX + "/connections/{connection}/:send")
async def send_to_connection(request: web.Request) -> web.Response:
    """Send to one connection; an unknown connection means dropped."""
    hub = hub_of(request)
    connection_id = request.match_info["connection"]
    payload = await payload_of(request)
    connection = hub.connections.get(connection_id)
    count = _deliver([connection] if connection else [], payload, set())
    logger.info(
        "send_to_connection hub=%s connection=%s delivered=%s", hub.name, connection_id, count
    )
    return web.Response(status=_ACCEPTED)


@routes.post(HUB_PREFIX + "/:closeConnections")
async def close_all_connections(request: web.Request) -> web.Response:
    """Close every connection of the hub except `excluded`."""
    hub = hub_of(request)
    excluded = excluded_of(request)
    hub.close(
        [c for c in hub.connections.values() if c.connection_id not in excluded], reason_of(request)
    )
    return web.Response(status=_NO_CONTENT)


@routes.post(HUB_PREFIX + "/users/{user}/:closeConnections")
async def close_user_connections(request: web.Request) -> web.Response:
    """Close every connection of one user except `excluded`."""
    hub = hub_of(request)
    excluded = excluded_of(request)
    targets = [
        c for c in hub.of_user(request.match_info["user"]) if c.connection_id not in excluded
    ]
    hub.close(targets, reason_of(request))
    return web.Response(status=_NO_CONTENT)


@routes.post(HUB_PREFIX + "/groups/{group}/:closeConnections")
async def close_group_connections(request: web.Request) -> web.Response:
    """Close every connection in a group except `excluded`."""
    hub = hub_of(request)
    excluded = excluded_of(request)
    targets = [c for c in hub.in_group(group_of(request)) if c.connection_id not in excluded]
    hub.close(targets, reason_of(request))
    return web.Response(status=_NO_CONTENT)


@routes.delete(HUB_PREFIX + "/connections/{connection}")
async def close_connection(request: web.Request) -> web.Response:
    """Close one connection; closing an unknown connection succeeds."""
    hub = hub_of(request)
    connection = hub.connections.get(request.match_info["connection"])
    if connection is not None:
        hub.close([connection], reason_of(request))
    return web.Response(status=_NO_CONTENT)


@routes.head(HUB_PREFIX + "/connections/{connection}")
async def connection_exists(request: web.Request) -> web.Response:
    """200 when the connection is live, else 404."""
    return _exists(request.match_info["connection"] in hub_of(request).connections)


@routes.head(HUB_PREFIX + "/users/{user}")
async def user_exists(request: web.Request) -> web.Response:
    """200 when the user has a live connection, else 404."""
    return _exists(bool(hub_of(request).of_user(request.match_info["user"])))


@routes.head(HUB_PREFIX + "/groups/{group}")
async def group_exists(request: web.Request) -> web.Response:
    """200 when the group has a live connection, else 404."""
    hub = hub_of(request)
    return _exists(bool(hub.in_group(group_of(request))))
