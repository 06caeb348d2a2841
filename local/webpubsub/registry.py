"""In-memory hubs: connections, users, groups and per-connection permissions."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from local.webpubsub.permissions import Grant
from local.webpubsub.protocol import (
    JSON_SUBPROTOCOL,
    Frame,
    Payload,
    group_message_frame,
    server_message_frame,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CloseRequest:
    """Ask a connection's writer to say goodbye and close the socket."""

    reason: str


Outgoing = Frame | CloseRequest


def new_connection_id() -> str:
    """A random, URL-safe connection id."""
    return secrets.token_urlsafe(18)


@dataclass(eq=False)
class Connection:
    """One client WebSocket; frames for it are queued and written by its own task."""

    connection_id: str
    hub: str
    user_id: str | None
    subprotocol: str | None
    grants: set[Grant] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    seen_ack_ids: set[int] = field(default_factory=set)
    outbox: asyncio.Queue[Outgoing] = field(default_factory=asyncio.Queue)
    closing: bool = False

    @property
    def uses_json_protocol(self) -> bool:
        """Whether this client speaks `json.webpubsub.azure.v1` rather than plain frames."""
        return self.subprotocol == JSON_SUBPROTOCOL

    def send_frame(self, frame: Frame) -> None:
        """Queue one frame for the client."""
        self.outbox.put_nowait(frame)

    def send_from_server(self, payload: Payload) -> None:
        """Queue a message sent through REST."""
        if self.uses_json_protocol:
            self.send_frame(server_message_frame(payload))
        else:
            self.send_frame(payload.as_plain_frame())

    def send_from_group(self, payload: Payload, *, group: str, from_user_id: str | None) -> None:
        """Queue a message a client published to a group this connection is in."""
        if self.uses_json_protocol:
            self.send_frame(group_message_frame(payload, group=group, from_user_id=from_user_id))
        else:
            self.send_frame(payload.as_plain_frame())

    def request_close(self, reason: str) -> None:
        """Queue the close after every frame already queued."""
        self.outbox.put_nowait(CloseRequest(reason))


class Hub:
    """Connections of one hub, indexed by id, user and group."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.connections: dict[str, Connection] = {}
        self._users: dict[str, dict[str, Connection]] = {}
        self._groups: dict[str, dict[str, Connection]] = {}

    def add(self, connection: Connection, groups: Iterable[str] = ()) -> None:
        """Register a new connection and join its auto-join groups."""
        self.connections[connection.connection_id] = connection
        if connection.user_id is not None:
            self._users.setdefault(connection.user_id, {})[connection.connection_id] = connection
        for group in groups:
            self.join(connection, group)
        logger.info(
            "connected hub=%s connection=%s user=%s protocol=%s",
            self.name,
            connection.connection_id,
            connection.user_id,
            connection.subprotocol or "plain",
        )

    def remove(self, connection: Connection) -> bool:
        """Forget a connection; False when it was already gone."""
        if self.connections.pop(connection.connection_id, None) is None:
            return False
        self.leave_all(connection)
        if connection.user_id is not None:
            user = self._users.get(connection.user_id, {})
            user.pop(connection.connection_id, None)
            if not user:
                self._users.pop(connection.user_id, None)
        logger.info("disconnected hub=%s connection=%s", self.name, connection.connection_id)
        return True

    def join(self, connection: Connection, group: str) -> None:
        """Add a connection to a group."""
        self._groups.setdefault(group, {})[connection.connection_id] = connection
        connection.groups.add(group)

    def leave(self, connection: Connection, group: str) -> None:
        """Remove a connection from a group (no-op when it is not a member)."""
        members = self._groups.get(group)
        if members is not None:
            members.pop(connection.connection_id, None)
            if not members:
                self._groups.pop(group, None)
        connection.groups.discard(group)

    def leave_all(self, connection: Connection) -> None:
        """Remove a connection from every group."""
        for group in list(connection.groups):
            self.leave(connection, group)

    def of_user(self, user_id: str) -> list[Connection]:
        """Connections of a user, oldest first."""
        return list(self._users.get(user_id, {}).values())

    def in_group(self, group: str) -> list[Connection]:
        """Connections in a group, in join order."""
        return list(self._groups.get(group, {}).values())

    def close(self, connections: Iterable[Connection], reason: str) -> None:
        """Unregister connections now and let their writers close the sockets."""
        for connection in connections:
            if self.remove(connection):
                connection.request_close(reason)


class HubRegistry:
    """All hubs of the twin; hub names are case-insensitive."""

    def __init__(self) -> None:
        self._hubs: dict[str, Hub] = {}

    def get(self, name: str) -> Hub:
        """Return the hub, creating it on first use."""
        key = name.lower()
        hub = self._hubs.get(key)
        if hub is None:
            hub = self._hubs[key] = Hub(key)
        return hub

    def all_connections(self) -> list[Connection]:
        """Every live connection of every hub."""
        return [c for hub in self._hubs.values() for c in hub.connections.values()]
