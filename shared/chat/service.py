"""Chat operations on one database session: conversations, messages, watermarks."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.chat.models import Conversation, Message, ReadState
from shared.chat.views import (
    ConversationView,
    History,
    MessageView,
    Person,
    SeenResult,
    check_seq,
    clean_client_message_id,
    clean_text,
    history_limit,
    message_view,
)
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.models import User, utcnow

ADMIN = "admin"


def person(user: User) -> Person:
    """The public identity of a user."""
    return Person(user_id=user.id, username=user.username, name=user.name, role=user.role)


def find_own_conversation(session: Session, client: Person) -> Conversation | None:
    """Return the client's conversation, if it exists."""
    return session.scalar(select(Conversation).where(Conversation.client_id == client.user_id))


def create_conversation(session: Session, client: Person) -> Conversation:
    """Insert the client's conversation (IntegrityError when another request won the race)."""
    conversation = Conversation(client_id=client.user_id)
    session.add(conversation)
    session.flush()
    return conversation


def resolve(session: Session, viewer: Person, conversation_id: str) -> Conversation:
    """Return the conversation the viewer addresses, enforcing who may reach it."""
    if not conversation_id:
        if viewer.role == ADMIN:
            raise ValidationFailed("conversation_id is required for administrators.")
        own = find_own_conversation(session, viewer)
        if own is None:
            raise NotFound("You have no conversation yet.")
        return own
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id!r} does not exist.")
    if viewer.role != ADMIN and conversation.client_id != viewer.user_id:
        raise Forbidden("A client can only reach their own conversation.")
    return conversation


def list_conversations(session: Session, viewer: Person) -> list[ConversationView]:
    """Conversations visible to the viewer, most recent activity first."""
    query = select(Conversation, User).join(User, User.id == Conversation.client_id)
    if viewer.role != ADMIN:
        query = query.where(Conversation.client_id == viewer.user_id)
    rows = session.execute(
        query.order_by(Conversation.last_activity_at.desc(), Conversation.id)
    ).all()
    ids = [conversation.id for conversation, _ in rows]
    last = _last_messages(session, ids)
    states = _read_states(session, ids)
    return [
        summarize(conversation, person(client), last.get(conversation.id), states, viewer)
        for conversation, client in rows
    ]


def summary(session: Session, conversation: Conversation, viewer: Person) -> ConversationView:
    """One conversation as the viewer sees it."""
    client = session.get(User, conversation.client_id)
    if client is None:
        raise NotFound(f"Conversation {conversation.id!r} has no client.")
    last = _last_messages(session, [conversation.id]).get(conversation.id)
    return summarize(
        conversation, person(client), last, _read_states(session, [conversation.id]), viewer
    )


def summarize(
    conversation: Conversation,
    client: Person,
    last: MessageView | None,
    states: dict[str, list[ReadState]],
    viewer: Person,
) -> ConversationView:
    """Build the viewer's view from rows already read."""
    mine = client_seen = support_seen = 0
    for state in states.get(conversation.id, []):
        if state.user_id == viewer.user_id:
            mine = state.seen_seq
        if state.user_id == conversation.client_id:
            client_seen = state.seen_seq
        elif state.user_role == ADMIN:
            support_seen = max(support_seen, state.seen_seq)
    return ConversationView(
        conversation_id=conversation.id,
        client=client,
        last_seq=conversation.last_seq,
        last_message=last,
        unread_count=max(0, conversation.last_seq - mine),
        my_seen_seq=mine,
        client_seen_seq=client_seen,
        support_seen_seq=support_seen,
        last_activity_at=conversation.last_activity_at,
        created_at=conversation.created_at,
    )


def _last_messages(session: Session, ids: list[str]) -> dict[str, MessageView]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.conversation_id.in_(ids), Message.seq == Conversation.last_seq)
    )
    return {row.conversation_id: message_view(row) for row in rows}


def _read_states(session: Session, ids: list[str]) -> dict[str, list[ReadState]]:
    found: dict[str, list[ReadState]] = {}
    if ids:
        for state in session.scalars(select(ReadState).where(ReadState.conversation_id.in_(ids))):
            found.setdefault(state.conversation_id, []).append(state)
    return found


def get_history(
    session: Session, conversation: Conversation, *, after_seq: int, before_seq: int, limit: int
) -> History:
    """A page of messages in ascending seq order (the newest page when before_seq is set)."""
    check_seq("after_seq", after_seq, conversation.last_seq)
    if before_seq < 0:
        raise ValidationFailed(f"before_seq must not be negative (got {before_seq}).")
    size = history_limit(limit)
    query = select(Message).where(
        Message.conversation_id == conversation.id, Message.seq > after_seq
    )
    if before_seq:
        query = query.where(Message.seq < before_seq).order_by(Message.seq.desc())
    else:
        query = query.order_by(Message.seq)
    rows = list(session.scalars(query.limit(size + 1)))
    has_more = len(rows) > size
    rows = sorted(rows[:size], key=lambda row: row.seq)
    return History([message_view(r) for r in rows], conversation.last_seq, has_more)


def last_seqs(session: Session, conversation_ids: list[str] | None) -> dict[str, int]:
    """Conversation id -> newest seq, for the given ids or every conversation."""
    query = select(Conversation.id, Conversation.last_seq)
    if conversation_ids is not None:
        query = query.where(Conversation.id.in_(conversation_ids))
    return {cid: int(seq) for cid, seq in session.execute(query)}


def messages_between(
    session: Session, conversation_id: str, after_seq: int, up_to_seq: int | None = None
) -> list[MessageView]:
    """Messages with after_seq < seq <= up_to_seq (unbounded when None), ascending."""
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.seq > after_seq
    )
    if up_to_seq is not None:
        query = query.where(Message.seq <= up_to_seq)
    return [message_view(row) for row in session.scalars(query.order_by(Message.seq))]


def send_message(
    session: Session,
    sender: Person,
    conversation: Conversation,
    *,
    text: str,
    client_message_id: str,
) -> tuple[MessageView, bool]:
    """Append a message with the next seq; (message, False) when the key was already used."""
    body = clean_text(text)
    key = clean_client_message_id(client_message_id)
    if key is not None:
        existing = session.scalar(
            select(Message).where(
                Message.conversation_id == conversation.id,
                Message.sender_id == sender.user_id,
                Message.client_message_id == key,
            )
        )
        if existing is not None:
            return message_view(existing), False
    now = utcnow()
    # The UPDATE takes the conversation's row lock until commit: seqs are handed out one by one.
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_seq=Conversation.last_seq + 1, last_activity_at=now)
    )
    seq = session.scalar(select(Conversation.last_seq).where(Conversation.id == conversation.id))
    row = Message(
        conversation_id=conversation.id,
        seq=int(seq or 0),
        sender_id=sender.user_id,
        sender_role=sender.role,
        sender_username=sender.username,
        sender_name=sender.name,
        text=body,
        client_message_id=key,
        created_at=now,
    )
    session.add(row)
    session.flush()
    advance_watermark(session, sender, conversation.id, row.seq)
    return message_view(row), True


def advance_watermark(session: Session, viewer: Person, conversation_id: str, seq: int) -> bool:
    """Move the viewer's watermark up to seq (never back); True when it moved."""
    moved = session.execute(
        update(ReadState)
        .where(
            ReadState.conversation_id == conversation_id,
            ReadState.user_id == viewer.user_id,
            ReadState.seen_seq < seq,
        )
        .values(seen_seq=seq, updated_at=utcnow())
    )
    if getattr(moved, "rowcount", 0):
        return True
    exists = session.scalar(
        select(func.count())
        .select_from(ReadState)
        .where(ReadState.conversation_id == conversation_id, ReadState.user_id == viewer.user_id)
    )
    if exists:
        return False
    session.add(
        ReadState(
            conversation_id=conversation_id,
            user_id=viewer.user_id,
            user_role=viewer.role,
            seen_seq=seq,
        )
    )
    session.flush()
    return seq > 0


def mark_seen(
    session: Session, viewer: Person, conversation: Conversation, up_to_seq: int
) -> SeenResult:
    """Record that the viewer has seen every message up to up_to_seq."""
    check_seq("up_to_seq", up_to_seq, conversation.last_seq)
    moved = advance_watermark(session, viewer, conversation.id, up_to_seq)
    seen = session.scalar(
        select(ReadState.seen_seq).where(
            ReadState.conversation_id == conversation.id, ReadState.user_id == viewer.user_id
        )
    )
    seen_seq = int(seen or 0)
    return SeenResult(seen_seq, max(0, conversation.last_seq - seen_seq), moved)
