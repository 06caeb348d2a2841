"""The chat store's identity checks: a burst of uncached tokens is one read, answers apart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event

from chat_container.store import ChatStore
from shared.errors import Unauthorized
from shared.platform import Platform
from tests.chat_container.support import Someone


async def test_a_burst_of_uncached_tokens_is_checked_with_one_read(
    platform: Platform, make_person: Callable[[str], Someone]
) -> None:
    people = [make_person("client") for _ in range(12)] + [make_person("admin")]
    readers = platform.readers.kw["bind"]
    assert isinstance(readers, Engine)
    user_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM users" in statement:
            user_reads.append(statement)

    event.listen(readers, "before_cursor_execute", count)
    store = ChatStore(platform)
    try:
        answers = await asyncio.gather(
            *(store.authenticate(f"Bearer {p.token}") for p in people),
            store.authenticate("Bearer not-a-token"),
            store.authenticate(None),
            return_exceptions=True,
        )
        assert len(user_reads) == 1  # every token that waited, in one statement
        *found, bad, missing = answers
        assert [(w.user_id, w.username, w.role) for w in found] == [
            (p.user_id, p.username, p.role) for p in people
        ]
        assert isinstance(bad, Unauthorized) and isinstance(missing, Unauthorized)
        again = await store.authenticate(f"Bearer {people[0].token}")
        assert again == found[0] and len(user_reads) == 1  # cached
    finally:
        event.remove(readers, "before_cursor_execute", count)
        store.close()


async def test_a_failed_batch_read_checks_each_token_alone(
    platform: Platform, make_person: Callable[[str], Someone], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import auth

    def broken(*_args: Any) -> Any:
        raise RuntimeError("the batched read failed")

    monkeypatch.setattr(auth, "authenticate_many", broken)
    people = [make_person("client") for _ in range(3)]
    store = ChatStore(platform)
    try:
        answers = await asyncio.gather(
            *(store.authenticate(f"Bearer {p.token}") for p in people),
            store.authenticate("Bearer not-a-token"),
            return_exceptions=True,
        )
    finally:
        store.close()
    assert [getattr(w, "user_id", None) for w in answers[:3]] == [p.user_id for p in people]
    assert isinstance(answers[3], Unauthorized)
