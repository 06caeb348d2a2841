"""The client WebSocket endpoint `/client/hubs/{hub}`: handshake, reader and writer."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import WSCloseCode, WSMsgType, web

from local.webpubsub.client_requests import handle_json_text
from local.webpubsub.names import is_valid_hub
from local.webpubsub.permissions import grants_from_roles
from local.webpubsub.protocol import SUPPORTED_SUBPROTOCOLS, connected_frame, disconnected_frame
from local.webpubsub.registry import CloseRequest, Connection, Hub, new_connection_id
from local.webpubsub.state import twin_state
from local.webpubsub.tokens import (
    ClientIdentity,
    TokenError,
    bearer_token,
    identity_from_claims,
    verify_token,
)

logger = logging.getLogger(__name__)

_MAX_CLOSE_REASON_BYTES = 123
_CLOSE_HANDSHAKE_SECONDS = 5.0


def _close_reason(reason: str) -> bytes:
    """Trim a close reason to the WebSocket limit without splitting a UTF-8 character."""
    raw = reason.encode("utf-8")[:_MAX_CLOSE_REASON_BYTES]
    return raw.decode("utf-8", errors="ignore").encode("utf-8")


def _authenticate(request: web.Request) -> ClientIdentity:
    """Read and verify the client access token of a handshake request."""
    token = request.query.get("access_token") or bearer_token(request.headers.get("Authorization"))
    claims = verify_token(
        token, key=twin_state(request).settings.access_key, expected_url=request.url
    )
    return identity_from_claims(claims)


async def _write_frames(ws: web.WebSocketResponse, connection: Connection) -> None:
    """Write queued frames in order until a close request or a dead socket."""
    while True:
        item = await connection.outbox.get()
        try:
            if isinstance(item, CloseRequest):
                connection.closing = True
                if connection.uses_json_protocol:
                    await ws.send_str(disconnected_frame(item.reason))
                await ws.close(code=WSCloseCode.OK, message=_close_reason(item.reason))
                return
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_str(item)
        except ConnectionError as exc:
            logger.debug("write failed connection=%s: %s", connection.connection_id, exc)
            return


async def _read_frames(ws: web.WebSocketResponse, hub: Hub, connection: Connection) -> None:
    """Handle client frames until the socket closes."""
    async for message in ws:
        if message.type == WSMsgType.TEXT and connection.uses_json_protocol:
            handle_json_text(hub, connection, message.data)
        elif message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            # Plain frames (and binary frames on the JSON protocol) would go to an upstream
            # `message` event handler, which the twin does not have.
            logger.info(
                "message hub=%s connection=%s type=%s dropped (no upstream)",
                hub.name,
                connection.connection_id,
                message.type.name,
            )
        elif message.type == WSMsgType.ERROR:
            logger.warning(
                "socket error connection=%s: %s", connection.connection_id, ws.exception()
            )


async def handle_client(request: web.Request) -> web.StreamResponse:
    """Accept a client WebSocket after checking its access token."""
    hub_name = request.match_info["hub"]
    if not is_valid_hub(hub_name):
        return web.Response(status=400, text=f"Invalid hub name {hub_name!r}")
    try:
        identity = _authenticate(request)
    except TokenError as exc:
        logger.warning("refused client handshake hub=%s: %s", hub_name, exc)
        return web.Response(status=401, text=str(exc))
    ws = web.WebSocketResponse(protocols=SUPPORTED_SUBPROTOCOLS, timeout=_CLOSE_HANDSHAKE_SECONDS)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="Expected a WebSocket upgrade request")
    await ws.prepare(request)
    hub = twin_state(request).hubs.get(hub_name)
    connection = Connection(
        connection_id=new_connection_id(),
        hub=hub.name,
        user_id=identity.user_id,
        subprotocol=ws.ws_protocol,
        grants=grants_from_roles(identity.roles),
    )
    if connection.uses_json_protocol:
        connection.send_frame(connected_frame(connection.connection_id, connection.user_id))
    hub.add(connection, identity.groups)
    writer = asyncio.create_task(_write_frames(ws, connection))
    try:
        await _read_frames(ws, hub, connection)
    finally:
        hub.remove(connection)
        if connection.closing:
            # Let the writer finish the close handshake it started.
            await asyncio.wait([writer], timeout=_CLOSE_HANDSHAKE_SECONDS)
        writer.cancel()
        await asyncio.wait([writer])
    return ws
