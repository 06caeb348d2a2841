"""What the service does with each frame a connected client sends."""

from __future__ import annotations

import logging

from local.webpubsub.names import MAX_GROUP_LENGTH, is_valid_group
from local.webpubsub.permissions import is_allowed
from local.webpubsub.protocol import (
    ClientRequest,
    ProtocolError,
    ack_frame,
    parse_client_frame,
    peek_ack_id,
    pong_frame,
)
from local.webpubsub.registry import Connection, Hub

logger = logging.getLogger(__name__)

AckError = tuple[str, str]
"""An ack error as (name, message)."""


def _check_group(group: str) -> AckError | None:
    """Refuse group names the service would refuse."""
    if is_valid_group(group):
        return None
    return "BadRequest", f"Group names must be 1-{MAX_GROUP_LENGTH} characters, not only spaces"


def _join_or_leave(hub: Hub, connection: Connection, request: ClientRequest) -> AckError | None:
    """Join or leave a group when the connection holds joinLeaveGroup for it."""
    group = request.group or ""
    invalid = _check_group(group)
    if invalid is not None:
        return invalid
    if not is_allowed(connection.grants, "joinLeaveGroup", group):
        return "Forbidden", f"The connection has no permission to join or leave group {group!r}"
    if request.type == "joinGroup":
        hub.join(connection, group)
    else:
        hub.leave(connection, group)
    return None


def _send_to_group(hub: Hub, connection: Connection, request: ClientRequest) -> AckError | None:
    """Publish to a group when the connection holds sendToGroup for it."""
    group = request.group or ""
    invalid = _check_group(group)
    if invalid is not None:
        return invalid
    if not is_allowed(connection.grants, "sendToGroup", group):
        return "Forbidden", f"The connection has no permission to send to group {group!r}"
    assert request.payload is not None
    for member in hub.in_group(group):
        if request.no_echo and member is connection:
            continue
        member.send_from_group(request.payload, group=group, from_user_id=connection.user_id)
    return None


def _dispatch(hub: Hub, connection: Connection, request: ClientRequest) -> AckError | None:
    """Carry out one parsed request and return its ack error, if any."""
    if request.type in ("joinGroup", "leaveGroup"):
        return _join_or_leave(hub, connection, request)
    if request.type == "sendToGroup":
        return _send_to_group(hub, connection, request)
    if request.type == "event":
        # No upstream event handler is configured in the twin, so the event is only logged.
        logger.info(
            "event hub=%s connection=%s event=%s dropped (no upstream)",
            hub.name,
            connection.connection_id,
            request.event,
        )
    return None


def _is_duplicate(connection: Connection, ack_id: int) -> bool:
    """Record an ackId and report whether the connection already used it."""
    if ack_id in connection.seen_ack_ids:
        return True
    connection.seen_ack_ids.add(ack_id)
    return False


def handle_json_text(hub: Hub, connection: Connection, text: str) -> None:
    """Handle one text frame of a `json.webpubsub.azure.v1` client."""
    try:
        request = parse_client_frame(text)
    except ProtocolError as exc:
        ack_id = peek_ack_id(text)
        logger.warning(
            "invalid frame hub=%s connection=%s ackId=%s: %s",
            hub.name,
            connection.connection_id,
            ack_id,
            exc,
        )
        if ack_id is not None:
            connection.send_frame(ack_frame(ack_id, error="BadRequest", message=str(exc)))
        return
    if request.type == "ping":
        connection.send_frame(pong_frame())
        return
    if request.ack_id is not None and _is_duplicate(connection, request.ack_id):
        connection.send_frame(
            ack_frame(request.ack_id, error="Duplicate", message="The ackId was already used")
        )
        return
    error = _dispatch(hub, connection, request)
    if request.ack_id is None:
        return
    if error is None:
        connection.send_frame(ack_frame(request.ack_id))
    else:
        connection.send_frame(ack_frame(request.ack_id, error=error[0], message=error[1]))
