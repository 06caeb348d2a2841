"""Pure frame building and parsing for the plain and `json.webpubsub.azure.v1` protocols."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Literal

JSON_SUBPROTOCOL = "json.webpubsub.azure.v1"
SUPPORTED_SUBPROTOCOLS = (JSON_SUBPROTOCOL,)

DataType = Literal["json", "text", "binary"]
Frame = str | bytes
"""A WebSocket frame to send: `str` goes out as a text frame, `bytes` as a binary frame."""


class ProtocolError(ValueError):
    """A client frame or a REST body is not a valid message."""


class UnsupportedContentType(ProtocolError):
    """A REST body has a Content-Type the service does not accept."""


@dataclass(frozen=True, slots=True)
class Payload:
    """Message data as it travels through the hub; json data is kept as its JSON text."""

    data_type: DataType
    data: str | bytes

    def as_plain_frame(self) -> Frame:
        """Return the raw frame a plain WebSocket client receives."""
        return self.data

    def as_json_field(self) -> Any:
        """Return the value of the `data` field in a JSON-protocol frame."""
        if self.data_type == "binary":
            raw = self.data if isinstance(self.data, bytes) else self.data.encode()
            return base64.b64encode(raw).decode("ascii")
        if self.data_type == "json":
            return json.loads(self.data)
        return self.data


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """One parsed client request of the JSON protocol."""

    type: str
    ack_id: int | None
    group: str | None = None
    event: str | None = None
    no_echo: bool = False
    payload: Payload | None = None


def payload_from_body(body: bytes, content_type: str) -> Payload:
    """Turn a REST request body into a payload according to its Content-Type."""
    if content_type == "application/octet-stream":
        return Payload("binary", body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(f"The {content_type} body is not valid UTF-8") from None
    if content_type == "text/plain":
        return Payload("text", text)
    if content_type == "application/json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolError(f"The application/json body is not valid JSON: {exc}") from None
        return Payload("json", text)
    raise UnsupportedContentType(
        f"Unsupported Content-Type {content_type!r}: use application/json, text/plain "
        "or application/octet-stream"
    )


def payload_from_request(data_type: object, data: object) -> Payload:
    """Build a payload from the `dataType` and `data` fields of a client request."""
    if data_type is None or data_type == "json":
        return Payload("json", json.dumps(data))
    if data_type == "text":
        if not isinstance(data, str):
            raise ProtocolError("data must be a string when dataType is text")
        return Payload("text", data)
    if data_type == "binary":
        if not isinstance(data, str):
            raise ProtocolError("data must be base64 text when dataType is binary")
        try:
            return Payload("binary", base64.b64decode(data, validate=True))
        except binascii.Error:
            raise ProtocolError("data is not valid base64") from None
    raise ProtocolError(f"Unsupported dataType {data_type!r}: use json, text or binary")


def _ack_id(message: dict[str, Any]) -> int | None:
    """Return the optional `ackId`, which must be a non-negative integer."""
    ack_id = message.get("ackId")
    if ack_id is None:
        return None
    if isinstance(ack_id, bool) or not isinstance(ack_id, int) or ack_id < 0:
        raise ProtocolError(f"ackId must be a non-negative integer, got {ack_id!r}")
    return ack_id


def peek_ack_id(text: str) -> int | None:
    """Best-effort `ackId` of a frame that failed to parse, so the error can be acked."""
    try:
        message = json.loads(text)
        return _ack_id(message) if isinstance(message, dict) else None
    except (ValueError, ProtocolError):
        return None


def _required_string(message: dict[str, Any], field: str) -> str:
    """Return a non-empty string field of a request, or raise ProtocolError."""
    value = message.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(f"{message.get('type')} requires a non-empty string {field!r}")
    return value


def parse_client_frame(text: str) -> ClientRequest:
    """Parse one text frame sent by a `json.webpubsub.azure.v1` client."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"The frame is not valid JSON: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("The frame must be a JSON object with a string 'type'")
    kind: str = message["type"]
    ack_id = _ack_id(message)
    if kind in ("joinGroup", "leaveGroup"):
        return ClientRequest(kind, ack_id, group=_required_string(message, "group"))
    if kind == "sendToGroup":
        return ClientRequest(
            kind,
            ack_id,
            group=_required_string(message, "group"),
            no_echo=message.get("noEcho") is True,
            payload=payload_from_request(message.get("dataType"), message.get("data")),
        )
    if kind == "event":
        return ClientRequest(
            kind,
            ack_id,
            event=_required_string(message, "event"),
            payload=payload_from_request(message.get("dataType"), message.get("data")),
        )
    if kind in ("ping", "sequenceAck"):
        return ClientRequest(kind, ack_id)
    raise ProtocolError(f"Unknown request type {kind!r}")


def _dump(message: dict[str, Any]) -> str:
    """Serialise a service-to-client message compactly."""
    return json.dumps(message, separators=(",", ":"))


def connected_frame(connection_id: str, user_id: str | None) -> str:
    """The `connected` system message sent first on the JSON protocol."""
    message: dict[str, Any] = {"type": "system", "event": "connected"}
    if user_id is not None:
        message["userId"] = user_id
    message["connectionId"] = connection_id
    return _dump(message)


def disconnected_frame(reason: str) -> str:
    """The `disconnected` system message sent before the service closes a connection."""
    return _dump({"type": "system", "event": "disconnected", "message": reason})


def ack_frame(ack_id: int, *, error: str | None = None, message: str = "") -> str:
    """An ack: success when `error` is None, else `{"name": error, "message": message}`."""
    ack: dict[str, Any] = {"type": "ack", "ackId": ack_id, "success": error is None}
    if error is not None:
        ack["error"] = {"name": error, "message": message}
    return _dump(ack)


def pong_frame() -> str:
    """The answer to a `ping` request."""
    return _dump({"type": "pong"})


def server_message_frame(payload: Payload) -> str:
    """A message sent by the server through REST, as a JSON-protocol client receives it."""
    return _dump(
        {
            "type": "message",
            "from": "server",
            "dataType": payload.data_type,
            "data": payload.as_json_field(),
        }
    )


def group_message_frame(payload: Payload, *, group: str, from_user_id: str | None) -> str:
    """A message published to a group by a client, as a JSON-protocol member receives it."""
    message: dict[str, Any] = {
        "type": "message",
        "from": "group",
        "group": group,
        "dataType": payload.data_type,
        "data": payload.as_json_field(),
    }
    if from_user_id is not None:
        message["fromUserId"] = from_user_id
    return _dump(message)
