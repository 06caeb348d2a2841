"""REST endpoints for group membership, permissions, member listing and client tokens."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from aiohttp import web

from local.webpubsub.permissions import Permission, parse_permission, revoke
from local.webpubsub.registry import Connection, Hub
from local.webpubsub.rest_common import HUB_PREFIX, RestError, group_of, hub_of, int_param
from local.webpubsub.state import twin_state
from local.webpubsub.tokens import issue_client_token

logger = logging.getLogger(__name__)

routes = web.RouteTableDef()

_OK = 200
_NO_CONTENT = 204
_MAX_PAGE_SIZE = 200
_MAX_INT32 = 2_147_483_647


def _live_connection(request: web.Request, hub: Hub) -> Connection:
    """The connection named in the path, or 404 when it is not connected."""
    connection_id = request.match_info["connection"]
    connection = hub.connections.get(connection_id)
    if connection is None:
        raise RestError(404, "NotFound", f"Connection {connection_id!r} does not exist")
    return connection


def _permission_of(request: web.Request) -> Permission:
    """The permission named in the path (joinLeaveGroup or sendToGroup)."""
    name = request.match_info["permission"]
    permission = parse_permission(name)
    if permission is None:
        raise RestError(
            400,
            "InvalidPermission",
            f"Unknown permission {name!r}: use joinLeaveGroup or sendToGroup",
        )
    return permission


@routes.put(HUB_PREFIX + "/groups/{group}/connections/{connection}")
async def add_connection_to_group(request: web.Request) -> web.Response:
    """Add a live connection to a group."""
    hub = hub_of(request)
    group = group_of(request)
    hub.join(_live_connection(request, hub), group)
    return web.Response(status=_OK)


@routes.delete(HUB_PREFIX + "/groups/{group}/connections/{connection}")
async def remove_connection_from_group(request: web.Request) -> web.Response:
    """Remove a connection from a group (no-op when it is not a member)."""
    hub = hub_of(request)
    group = group_of(request)
    connection = hub.connections.get(request.match_info["connection"])
    if connection is not None:
        hub.leave(connection, group)
    return web.Response(status=_NO_CONTENT)


@routes.delete(HUB_PREFIX + "/connections/{connection}/groups")
async def remove_connection_from_all_groups(request: web.Request) -> web.Response:
    """Remove a connection from every group."""
    hub = hub_of(request)
    connection = hub.connections.get(request.match_info["connection"])
    if connection is not None:
        hub.leave_all(connection)
    return web.Response(status=_NO_CONTENT)


@routes.put(HUB_PREFIX + "/users/{user}/groups/{group}")
async def add_user_to_group(request: web.Request) -> web.Response:
    """Add every current connection of a user to a group."""
    hub = hub_of(request)
    group = group_of(request)
    for connection in hub.of_user(request.match_info["user"]):
        hub.join(connection, group)
    return web.Response(status=_OK)


@routes.delete(HUB_PREFIX + "/users/{user}/groups/{group}")
async def remove_user_from_group(request: web.Request) -> web.Response:
    """Remove every connection of a user from a group."""
    hub = hub_of(request)
    group = group_of(request)
    for connection in hub.of_user(request.match_info["user"]):
        hub.leave(connection, group)
    return web.Response(status=_NO_CONTENT)


@routes.delete(HUB_PREFIX + "/users/{user}/groups")
async def remove_user_from_all_groups(request: web.Request) -> web.Response:
    """Remove every connection of a user from every group."""
    hub = hub_of(request)
    for connection in hub.of_user(request.match_info["user"]):
        hub.leave_all(connection)
    return web.Response(status=_NO_CONTENT)


@routes.put(HUB_PREFIX + "/permissions/{permission}/connections/{connection}")
async def grant_permission(request: web.Request) -> web.Response:
    """Grant a permission on `targetName` (or on every group) to a live connection."""
    hub = hub_of(request)
    permission = _permission_of(request)
    connection = _live_connection(request, hub)
    connection.grants.add((permission, request.query.get("targetName")))
    return web.Response(status=_OK)


@routes.delete(HUB_PREFIX + "/permissions/{permission}/connections/{connection}")
async def revoke_permission(request: web.Request) -> web.Response:
    """Revoke a permission on `targetName`, or every grant of it without a target."""
    hub = hub_of(request)
    permission = _permission_of(request)
    connection = hub.connections.get(request.match_info["connection"])
    if connection is not None:
        revoke(connection.grants, permission, request.query.get("targetName"))
    return web.Response(status=_NO_CONTENT)


@routes.head(HUB_PREFIX + "/permissions/{permission}/connections/{connection}")
async def has_permission(request: web.Request) -> web.Response:
    """200 when the connection holds the permission on `targetName` (or hub-wide), else 404."""
    hub = hub_of(request)
    permission = _permission_of(request)
    connection = hub.connections.get(request.match_info["connection"])
    target = request.query.get("targetName")
    granted = connection is not None and (
        (permission, None) in connection.grants
        or (target is not None and (permission, target) in connection.grants)
    )
    return web.Response(status=_OK if granted else 404)


def _offset_of(request: web.Request) -> int:
    """Decode the continuation token, which is the offset of the next page."""
    token = request.query.get("continuationToken", "0")
    if not token.isdigit():
        raise RestError(400, "InvalidParameter", f"Invalid continuationToken {token!r}")
    return int(token)


@routes.get(HUB_PREFIX + "/groups/{group}/connections")
async def list_connections(request: web.Request) -> web.Response:
    """Page through a group's members as `{"value": [...], "nextLink"?}`."""
    hub = hub_of(request)
    group = group_of(request)
    page_size = int_param(request, "maxpagesize", minimum=1, maximum=_MAX_PAGE_SIZE)
    top = int_param(request, "top", minimum=1, maximum=_MAX_INT32)
    offset = _offset_of(request)
    limit = min(page_size or _MAX_PAGE_SIZE, top or _MAX_INT32)
    members = sorted(hub.in_group(group), key=lambda c: c.connection_id)
    page = members[offset : offset + limit]
    body: dict[str, object] = {
        "value": [{"connectionId": c.connection_id, "userId": c.user_id} for c in page]
    }
    remaining_top = None if top is None else top - len(page)
    if offset + len(page) < len(members) and remaining_top != 0:
        query = {"continuationToken": str(offset + len(page)), "maxpagesize": str(limit)}
        if remaining_top is not None:
            query["top"] = str(remaining_top)
        path = f"/api/hubs/{quote(hub.name)}/groups/{quote(group, safe='')}/connections"
        body["nextLink"] = f"{path}?{urlencode(query)}"
    return web.json_response(body, status=_OK)


@routes.post(HUB_PREFIX + "/:generateToken")
async def generate_client_token(request: web.Request) -> web.Response:
    """Issue a client access token signed with the access key, like the Entra-only call."""
    hub = hub_of(request)
    client_type = request.query.get("clientType", "Default")
    if client_type.lower() != "default":
        raise RestError(400, "InvalidParameter", f"clientType {client_type!r} is not supported")
    minutes = int_param(request, "minutesToExpire", minimum=1, maximum=_MAX_INT32) or 60
    token = issue_client_token(
        key=twin_state(request).settings.access_key,
        audience=f"{request.scheme}://{request.host}/client/hubs/{request.match_info['hub']}".lower(),
        user_id=request.query.get("userId"),
        roles=request.query.getall("role", []),
        groups=request.query.getall("group", []),
        minutes_to_expire=minutes,
    )
    logger.info("issued client token hub=%s user=%s", hub.name, request.query.get("userId"))
    return web.json_response({"token": token}, status=_OK)
