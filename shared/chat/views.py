"""Chat values handed to the edges (frozen, no ORM state) and the input rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.chat.models import CLIENT_MESSAGE_ID_MAX, TEXT_MAX_CHARS, Message
from shared.errors import ValidationFailed

HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 500


class SeqOutOfRange(ValidationFailed):
    """A sequence number beyond the conversation's newest message."""


@dataclass(frozen=True, slots=True)
class Person:
    """Who sent a message or owns a conversation."""

    user_id: str
    username: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class MessageView:
    """One stored message."""

    conversation_id: str
    seq: int
    sender: Person
    text: str
    created_at: datetime
    client_message_id: str


@dataclass(frozen=True, slots=True)
class ConversationView:
    """One conversation as a given viewer sees it."""

    conversation_id: str
    client: Person
    last_seq: int
    last_message: MessageView | None
    unread_count: int
    my_seen_seq: int
    client_seen_seq: int
    support_seen_seq: int
    last_activity_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """A page of messages."""

    messages: list[MessageView]
    last_seq: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class SeenResult:
    """A viewer's watermark after MarkSeen; moved tells whether it advanced."""

    seen_seq: int
    unread_count: int
    moved: bool


def message_view(row: Message) -> MessageView:
    """Copy a message row into a value."""
    return MessageView(
        conversation_id=row.conversation_id,
        seq=row.seq,
        sender=Person(
            user_id=row.sender_id or "",
            username=row.sender_username,
            name=row.sender_name,
            role=row.sender_role,
        ),
        text=row.text,
        created_at=row.created_at,
        client_message_id=row.client_message_id or "",
    )


def clean_text(text: str) -> str:
    """Return the message text to store, or raise ValidationFailed."""
    if not text.strip():
        raise ValidationFailed("The message text is empty.")
    if len(text) > TEXT_MAX_CHARS:
        raise ValidationFailed(
            f"The message text has {len(text)} characters; at most {TEXT_MAX_CHARS} are allowed."
        )
    return text


def clean_client_message_id(value: str) -> str | None:
    """Return the idempotency key to store (None when absent), or raise ValidationFailed."""
    if len(value) > CLIENT_MESSAGE_ID_MAX:
        raise ValidationFailed(
            f"client_message_id has {len(value)} characters; at most "
            f"{CLIENT_MESSAGE_ID_MAX} are allowed."
        )
    return value or None


def history_limit(limit: int) -> int:
    """Return the page size to use for a requested limit (0: the default)."""
    if limit < 0:
        raise ValidationFailed(f"limit must not be negative (got {limit}).")
    return min(limit or HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT)


def check_seq(name: str, seq: int, last_seq: int) -> None:
    """Refuse a negative seq or one after the conversation's newest message."""
    if seq < 0:
        raise ValidationFailed(f"{name} must not be negative (got {seq}).")
    if seq > last_seq:
        raise SeqOutOfRange(
            f"{name}={seq} is in the future: the conversation's newest message is {last_seq}."
        )
