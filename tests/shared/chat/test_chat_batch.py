"""Group-committed sends: one transaction, the outcomes of one send at a time (both backends)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.chat import service
from shared.chat.batch import SendRequest, send_messages
from shared.chat.models import Conversation, Message, ReadState
from shared.chat.views import Person
from shared.db import transaction
from shared.errors import Forbidden, NotFound, ValidationFailed
from tests.utils.factories import make_user


def _people(sessions: sessionmaker[Session]) -> tuple[Person, Person, Person, str, str]:
    with transaction(sessions) as session:
        one, two = (service.person(make_user(session, role="client")) for _ in range(2))
        admin = service.person(make_user(session, role="admin"))
        first = service.create_conversation(session, one).id
        second = service.create_conversation(session, two).id
    return one, two, admin, first, second


def test_a_mixed_batch_gets_one_outcome_per_request(sessions: sessionmaker[Session]) -> None:
    one, two, admin, first, second = _people(sessions)
    with transaction(sessions) as session:  # a retry key already stored before the batch
        stored, _ = service.send_message(
            session, one, session.get(Conversation, first), text="earlier", client_message_id="k0"
        )
    requests = [
        SendRequest(one, first, "hello", "k1"),
        SendRequest(one, first, "again", "k2"),
        SendRequest(two, second, "mine", ""),
        SendRequest(one, second, "not mine", ""),  # another client's conversation
        SendRequest(one, "no-such-conversation", "x", ""),
        SendRequest(one, first, "   ", ""),  # empty text
        SendRequest(admin, "", "to whom?", ""),
        SendRequest(one, first, "hello (retry)", "k1"),  # same key twice in the batch
        SendRequest(one, first, "earlier (retry)", "k0"),  # key stored before the batch
        SendRequest(admin, first, "support here", ""),
    ]
    with transaction(sessions) as session:
        outcomes: list[Any] = send_messages(session, requests)
    assert [type(o).__name__ for o in outcomes] == [
        "tuple", "tuple", "tuple", "Forbidden", "NotFound", "ValidationFailed",
        "ValidationFailed", "tuple", "tuple", "tuple",
    ]  # fmt: skip
    assert isinstance(outcomes[3], Forbidden) and isinstance(outcomes[4], NotFound)
    assert isinstance(outcomes[6], ValidationFailed)
    (hello, created), (again, _), (mine, _) = outcomes[0], outcomes[1], outcomes[2]
    assert created and (hello.seq, again.seq) == (stored.seq + 1, stored.seq + 2)
    assert outcomes[7] == (hello, False)  # the repeat answers with the first, not a new row
    assert outcomes[8] == (stored, False)
    support, created = outcomes[9]
    assert created and support.seq == stored.seq + 3 and support.sender.role == "admin"
    assert mine.seq == 1 and mine.conversation_id == second
    with transaction(sessions) as session:
        texts = session.scalars(
            select(Message.text).where(Message.conversation_id == first).order_by(Message.seq)
        ).all()
        last_seq = session.get(Conversation, first).last_seq  # type: ignore[union-attr]
        marks = {
            s.user_id: s.seen_seq
            for s in session.scalars(select(ReadState).where(ReadState.conversation_id == first))
        }
    assert texts == ["earlier", "hello", "again", "support here"]
    assert last_seq == 4
    assert marks == {one.user_id: 3, admin.user_id: 4}  # each sender has seen their own newest


def test_a_batch_matches_one_at_a_time(sessions: sessionmaker[Session]) -> None:
    one, _, admin, first, _ = _people(sessions)
    with transaction(sessions) as session:
        for n in range(3):
            send_messages(session, [SendRequest(one, first, f"m{n}", f"key-{n}")])
        send_messages(session, [SendRequest(admin, first, "reply", "")])
    with transaction(sessions) as session:
        page = service.get_history(
            session,
            session.get(Conversation, first),
            after_seq=0,
            before_seq=0,
            limit=0,  # type: ignore[arg-type]
        )
        seen = service.mark_seen(session, one, session.get(Conversation, first), 4)  # type: ignore[arg-type]
    assert [(m.seq, m.text) for m in page.messages] == [
        (1, "m0"),
        (2, "m1"),
        (3, "m2"),
        (4, "reply"),
    ]
    assert (seen.seen_seq, seen.unread_count) == (4, 0)


def test_a_batch_moves_watermarks_up_only(sessions: sessionmaker[Session]) -> None:
    """A missing watermark is created, a lower one raised (with a new time), a higher one kept."""
    one, two, admin, first, second = _people(sessions)
    old = datetime(2026, 1, 1, 12, 0, 0, 123456)
    with transaction(sessions) as session:
        send_messages(
            session, [SendRequest(one, first, "a", ""), SendRequest(two, second, "b", "")]
        )
        session.execute(
            update(ReadState)
            .where(ReadState.conversation_id == second, ReadState.user_id == two.user_id)
            .values(seen_seq=50, updated_at=old)  # ahead of anything this batch stores
        )
        session.execute(
            update(ReadState)
            .where(ReadState.conversation_id == first, ReadState.user_id == one.user_id)
            .values(updated_at=old)
        )
    with transaction(sessions) as session:
        outcomes: list[Any] = send_messages(
            session,
            [
                SendRequest(one, first, "c", ""),
                SendRequest(one, first, "d", ""),
                SendRequest(two, second, "e", ""),
                SendRequest(admin, first, "f", ""),
            ],
        )
    assert [o[0].seq for o in outcomes] == [2, 3, 2, 4]
    with transaction(sessions) as session:
        marks = {
            (s.conversation_id, s.user_id): (s.seen_seq, s.updated_at, s.user_role)
            for s in session.scalars(select(ReadState))
            if s.conversation_id in (first, second)
        }
    raised, kept, created = (
        marks[(first, one.user_id)],
        marks[(second, two.user_id)],
        marks[(first, admin.user_id)],
    )
    assert raised[0] == 3 and raised[1] > old  # the sender's newest, with a new time
    assert kept[:2] == (50, old)  # never moved back, time untouched
    assert created[0] == 4 and created[2] == "admin"
    assert len(marks) == 3
