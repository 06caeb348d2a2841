"""Many SendMessage calls in one transaction (group commit), with per-message outcomes.

`send_messages` does what `service.send_message` does for each request, with a handful of
set-based statements for the whole batch instead of ~7 ORM round trips per message: it checks
every request (text, key, conversation, who may reach it), answers retries of a stored
client_message_id with the stored message, hands out consecutive seqs per conversation
(one UPDATE: the conversation rows are locked in id order, so concurrent batches lock in the
same order), inserts the messages and moves each sender's watermark (one upsert). The
statements whose size grows with the batch are driver SQL (`RawSql`); a batch is six
statements and a commit on MariaDB however many conversations it touches (an executemany
UPDATE was one round trip per row there). A request that is refused gets its DomainError in
its slot; the others are stored. A database error aborts the whole batch (the
caller then falls back to one transaction per message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.orm import Session

from shared.chat.models import Conversation, Message, ReadState
from shared.chat.views import MessageView, Person, clean_client_message_id, clean_text
from shared.errors import DomainError, Forbidden, NotFound, ValidationFailed
from shared.ingestion.rawsql import RawSql
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
_LAST_SEQS = select(CONVERSATIONS.c.id, CONVERSATIONS.c.last_seq).where(
    CONVERSATIONS.c.id.in_(bindparam("ids", expanding=True))
)
_INSERT_MESSAGES = insert(MESSAGES)

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


def _assign_seqs(db: RawSql, new: list[_Checked]) -> dict[str, int]:
    """Reserve len(batch) seqs per conversation; the first seq of each conversation's run.

    One UPDATE for the whole batch, a CASE giving each row its count; MariaDB locks the rows
    in primary-key order.
    """
    counts = Counter(item.request.conversation_id for item in new)
    ids = sorted(counts)
    cases = f"WHEN {db.mark} THEN {db.mark} " * len(ids)
    sql = (
        f"UPDATE {CONVERSATIONS.name} SET last_seq = last_seq + CASE id {cases}END, "  # noqa: S608 - values are bound
        f"last_activity_at = {db.mark} WHERE id IN {db.group(len(ids))}"
    )
    counted = [v for cid in ids for v in (cid, counts[cid])]
    db.run(sql, [*counted, db.when(utcnow()), *ids])
    last = db.connection.execute(_LAST_SEQS, {"ids": ids})
    return {cid: int(seq) - counts[cid] + 1 for cid, seq in last}


# A sender's watermark goes up to their newest message, never down; updated_at changes only
# when it moves (MariaDB runs the assignments left to right: updated_at reads the old seen_seq).
_RAISE_WATERMARK = {
    True: " ON DUPLICATE KEY UPDATE"
    " updated_at = CASE WHEN VALUES(seen_seq) > seen_seq THEN VALUES(updated_at)"
    " ELSE updated_at END,"
    " seen_seq = GREATEST(seen_seq, VALUES(seen_seq))",
    False: f" ON CONFLICT (conversation_id, user_id) DO UPDATE SET"
    f" updated_at = CASE WHEN excluded.seen_seq > {READ_STATES.name}.seen_seq"
    f" THEN excluded.updated_at ELSE {READ_STATES.name}.updated_at END,"
    f" seen_seq = MAX({READ_STATES.name}.seen_seq, excluded.seen_seq)",
}
_WATERMARK_COLUMNS = ("conversation_id", "user_id", "user_role", "seen_seq", "updated_at")


def _advance_watermarks(db: RawSql, rows: list[dict[str, Any]]) -> None:
    """Each sender has seen their own newest message: one upsert for the whole batch."""
    top: dict[tuple[str, str], tuple[int, str]] = {}
    for row in rows:
        pair = (row["conversation_id"], row["sender_id"])
        if pair not in top or top[pair][0] < row["seq"]:
            top[pair] = (row["seq"], row["sender_role"])
    now = db.when(utcnow())
    values = [
        v for (cid, uid), (seq, role) in sorted(top.items()) for v in (cid, uid, role, seq, now)
    ]
    groups = ", ".join([db.group(len(_WATERMARK_COLUMNS))] * len(top))
    head = f"INSERT INTO {READ_STATES.name} ({', '.join(_WATERMARK_COLUMNS)})"
    db.run(f"{head} VALUES {groups}{_RAISE_WATERMARK[db.mysql]}", values)


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
        raw = RawSql.of(session)
        next_seq = _assign_seqs(raw, new)
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
        _advance_watermarks(raw, rows)
    for item, first in repeats:
        outcome = results[first.index]
        assert isinstance(outcome, tuple)
        results[item.index] = (outcome[0], False)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
