"""Pure conversions between the chat domain values and the protobuf messages."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from shared.chat.views import ConversationView, MessageView, Person

ROLES = {"client": pb.ROLE_CLIENT, "admin": pb.ROLE_ADMIN}


EPOCH = datetime(1970, 1, 1)


def timestamp(moment: datetime) -> Timestamp:
    """A Timestamp for a naive-UTC (as stored) or aware datetime."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    since = moment - EPOCH  # days may be negative; seconds and microseconds never are
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def participant(who: Person) -> pb.Participant:
    """The protobuf identity of a person."""
    return pb.Participant(
        user_id=who.user_id,
        username=who.username,
        display_name=who.name,
        role=ROLES.get(who.role, pb.ROLE_UNSPECIFIED),
    )


def chat_message(message: MessageView) -> pb.ChatMessage:
    """The protobuf form of a stored message."""
    return pb.ChatMessage(
        conversation_id=message.conversation_id,
        seq=message.seq,
        sender=participant(message.sender),
        text=message.text,
        created_at=timestamp(message.created_at),
        client_message_id=message.client_message_id,
    )


def conversation_summary(view: ConversationView) -> pb.ConversationSummary:
    """The protobuf form of a conversation as one viewer sees it."""
    summary = pb.ConversationSummary(
        conversation_id=view.conversation_id,
        client=participant(view.client),
        last_seq=view.last_seq,
        unread_count=view.unread_count,
        my_seen_seq=view.my_seen_seq,
        client_seen_seq=view.client_seen_seq,
        support_seen_seq=view.support_seen_seq,
        last_activity_at=timestamp(view.last_activity_at),
        created_at=timestamp(view.created_at),
    )
    if view.last_message is not None:
        summary.last_message.CopyFrom(chat_message(view.last_message))
    return summary


def message_event(message: MessageView) -> pb.ChatEvent:
    """A live event for a new message."""
    return pb.ChatEvent(message=chat_message(message))


def typing_event(conversation_id: str, who: Person, *, typing: bool, ttl_ms: int) -> pb.ChatEvent:
    """A live event for typing started (refreshed) or stopped."""
    return pb.ChatEvent(
        typing=pb.TypingEvent(
            conversation_id=conversation_id,
            user=participant(who),
            typing=typing,
            expires_in_ms=ttl_ms if typing else 0,
        )
    )


def seen_event(conversation_id: str, who: Person, seen_seq: int) -> pb.ChatEvent:
    """A live event for a moved read watermark."""
    return pb.ChatEvent(
        seen=pb.SeenEvent(conversation_id=conversation_id, user=participant(who), seen_seq=seen_seq)
    )


def event_conversation_id(event: pb.ChatEvent) -> str:
    """The conversation an event belongs to ('' for stream-level events)."""
    kind = event.WhichOneof("event")
    if kind == "message":
        return event.message.conversation_id
    if kind == "typing":
        return event.typing.conversation_id
    if kind == "seen":
        return event.seen.conversation_id
    if kind == "conversation_created":
        return event.conversation_created.conversation_id
    return ""


def event_actor_id(event: pb.ChatEvent) -> str:
    """The user who caused a typing event (others never see their own typing)."""
    return event.typing.user.user_id if event.WhichOneof("event") == "typing" else ""
