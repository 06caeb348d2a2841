"""Many SendMessage calls in one transaction (group commit), with per-message outcomes.

`send_messages` does what `service.send_message` does for each request, with a handful of
set-based statements for the whole batch instead of ~7 ORM round trips per message: it checks
every request (text, key, conversation, who may reach it), answers retries of a stored
client_message_id with the stored message, hands out consecutive seqs per conversation
(the conversation rows are updated in id order, so concurrent batches lock in the same order),
inserts the messages and moves each sender's watermark. A request that is refused gets its
DomainError in its slot; the others are stored. A database error aborts the whole batch (the
caller then falls back to one transaction per message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared.chat.models import Conversation, Message, ReadState
from shared.chat.views import MessageView, Person, clean_client_message_id, clean_text
from shared.errors import DomainError, Forbidden, NotFound, ValidationFailed
from shared.models import utcnow

ADMIN = "admin"
CONVERSATIONS = cast(Table, Conversation.__table__)
MESSAGES = cast(Table, Message.__table__)
READ_STATES = cast(Table, ReadState.__table__)

# Built once: a statement built per call costs more CPU than running it (construction and
# cache-key generation); the lists travel as expanding parameters.
_OWNERS = select(CONVERSATIONS.c.id, CONVERSATIONS.c.client_id).where(
    CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True))
)
_STORED = select(MESSAGES).where(
    MESSAGES.c.conversation_id.in_(bindparam("ids", expanding=True)),
    MESSAGES.c.client_message_id.in_(bindparam("keys", expanding=True)),
)
_RESERVE = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("b_id"))
    .values(
        last_seq=CONVERSATIONS.c.last_seq + bindparam("b_count"),
        last_activity_at=bindparam("b_now"),
    )
)
_LAST_SEQS = select(CONVERSATIONS.c.id, CONVERSATIONS.c.last_seq).where(
    CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True))
)
_WATERMARKS = select(
    READ_STATES.c.conversation_id, READ_STATES.c.user_id, READ_STATES.c.seen_seq
).where(
    READ_STATES.c.conversation_id.in_(bindparam("ids", expanding=True)),
    READ_STATES.c.user_id.in_(bindparam("users", expanding=True)),
)
_MOVE_WATERMARK = (
    update(READ_STATES)
    .where(
        READ_STATES.c.conversation_id == bindparam("b_cid"),
        READ_STATES.c.user_id == bindparam("b_uid"),
        READ_STATES.c.seen_seq < bindparam("b_seq"),
    )
    .values(seen_seq=bindparam("b_seq"), updated_at=bindparam("b_now"))
)
_INSERT_MESSAGES = insert(MESSAGES)
_INSERT_WATERMARKS = insert(READ_STATES)

Sent = tuple[MessageView, bool]
Outcome = Sent | DomainError
Key = tuple[str, str, str]  # (conversation_id, sender_id, client_message_id)


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One SendMessage: the conversation is already chosen (a client's own, or named)."""

    sender: Person
    conversation_id: str
    text: str
    client_message_id: str


@dataclass(slots=True)
class _Checked:
    index: int
    request: SendRequest
    text: str
    key: str | None


def _view(row: Any) -> MessageView:
    return MessageView(
        conversation_id=row["conversation_id"],
        seq=int(row["seq"]),
        sender=Person(
            user_id=row["sender_id"] or "",
            username=row["sender_username"],
            name=row["sender_name"],
            role=row["sender_role"],
        ),
        text=row["text"],
        created_at=row["created_at"],
        client_message_id=row["client_message_id"] or "",
    )


def _check_inputs(requests: list[SendRequest], results: list[Outcome | None]) -> list[_Checked]:
    checked = []
    for index, request in enumerate(requests):
        try:
            text = clean_text(request.text)
            key = clean_client_message_id(request.client_message_id)
            if not request.conversation_id:
                if request.sender.role == ADMIN:
                    raise ValidationFailed("conversation_id is required for administrators.")
                raise NotFound("You have no conversation yet.")
        except DomainError as error:
            results[index] = error
            continue
        checked.append(_Checked(index, request, text, key))
    return checked


def _check_access(
    db: Connection, checked: list[_Checked], results: list[Outcome | None]
) -> list[_Checked]:
    ids = sorted({c.request.conversation_id for c in checked})
    owners: dict[str, str] = {}
    if ids:
        owners = {cid: owner for cid, owner in db.execute(_OWNERS, {"ids": ids})}
    allowed = []
    for item in checked:
        sender, conversation_id = item.request.sender, item.request.conversation_id
        owner = owners.get(conversation_id)
        if owner is None:
            results[item.index] = NotFound(f"Conversation {conversation_id!r} does not exist.")
        elif sender.role != ADMIN and owner != sender.user_id:
            results[item.index] = Forbidden("A client can only reach their own conversation.")
        else:
            allowed.append(item)
    return allowed


def _stored_by_key(db: Connection, items: list[_Checked]) -> dict[Key, MessageView]:
    keyed = [i for i in items if i.key is not None]
    if not keyed:
        return {}
    found = db.execute(
        _STORED,
        {
            "ids": sorted({i.request.conversation_id for i in keyed}),
            "keys": sorted({i.key for i in keyed if i.key}),
        },
    )
    return {
        (row["conversation_id"], row["sender_id"], row["client_message_id"]): _view(row)
        for row in found.mappings()
    }


def _key(item: _Checked) -> Key | None:
    if item.key is None:
        return None
    return (item.request.conversation_id, item.request.sender.user_id, item.key)


def _assign_seqs(db: Connection, new: list[_Checked]) -> dict[str, int]:
    """Reserve len(batch) seqs per conversation; the first seq of each conversation's run."""
    counts = Counter(item.request.conversation_id for item in new)
    ids = sorted(counts)
    now = utcnow()
    db.execute(_RESERVE, [{"b_id": cid, "b_count": counts[cid], "b_now": now} for cid in ids])
    last = db.execute(_LAST_SEQS, {"ids": ids})
    return {cid: int(seq) - counts[cid] + 1 for cid, seq in last}


def _advance_watermarks(db: Connection, rows: list[dict[str, Any]]) -> None:
    """Each sender has seen their own newest message (never moves a watermark back)."""
    top: dict[tuple[str, str], tuple[int, str]] = {}
    for row in rows:
        pair = (row["conversation_id"], row["sender_id"])
        if pair not in top or top[pair][0] < row["seq"]:
            top[pair] = (row["seq"], row["sender_role"])
    have = {
        (cid, uid): int(seen)
        for cid, uid, seen in db.execute(
            _WATERMARKS,
            {"ids": sorted({c for c, _ in top}), "users": sorted({u for _, u in top})},
        )
    }
    now = utcnow()
    moves = [
        {"b_cid": cid, "b_uid": uid, "b_seq": seq, "b_now": now}
        for (cid, uid), (seq, _) in sorted(top.items())
        if (cid, uid) in have and have[(cid, uid)] < seq
    ]
    if moves:
        db.execute(_MOVE_WATERMARK, moves)
    fresh = [
        {"conversation_id": cid, "user_id": uid, "user_role": role, "seen_seq": seq,
         "updated_at": now}
        for (cid, uid), (seq, role) in sorted(top.items())
        if (cid, uid) not in have
    ]  # fmt: skip
    if fresh:
        db.execute(_INSERT_WATERMARKS, fresh)


def send_messages(session: Session, requests: list[SendRequest]) -> list[Outcome]:
    """Store every acceptable request in this transaction; one outcome per request, in order."""
    results: list[Outcome | None] = [None] * len(requests)
    db = session.connection()  # Core statements on the session's connection (same transaction)
    allowed = _check_access(db, _check_inputs(requests, results), results)
    stored = _stored_by_key(db, allowed)
    new: list[_Checked] = []
    first_in_batch: dict[Key, _Checked] = {}
    repeats: list[tuple[_Checked, _Checked]] = []
    for item in allowed:
        key = _key(item)
        if key is not None and key in stored:
            results[item.index] = (stored[key], False)
        elif key is not None and key in first_in_batch:
            repeats.append((item, first_in_batch[key]))
        else:
            if key is not None:
                first_in_batch[key] = item
            new.append(item)
    if new:
        next_seq = _assign_seqs(db, new)
        now = utcnow()
        rows = []
        for item in new:
            cid, sender = item.request.conversation_id, item.request.sender
            row = {
                "conversation_id": cid,
                "seq": next_seq[cid],
                "sender_id": sender.user_id,
                "sender_role": sender.role,
                "sender_username": sender.username,
                "sender_name": sender.name,
                "text": item.text,
                "client_message_id": item.key,
                "created_at": now,
            }
            next_seq[cid] += 1
            rows.append(row)
            results[item.index] = (_view(row), True)
        db.execute(_INSERT_MESSAGES, rows)
        _advance_watermarks(db, rows)
    for item, first in repeats:
        outcome = results[first.index]
        assert isinstance(outcome, tuple)
        results[item.index] = (outcome[0], False)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
