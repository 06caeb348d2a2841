"""The chat store's identity checks: a burst of uncached tokens is one read, answers apart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from chat_container.store import AUTH_CACHE_S, AUTH_REFRESH_AHEAD_S, ChatStore
from shared.errors import Unauthorized
from shared.models import User
from shared.platform import Platform
from tests.chat_container.support import Someone


def _counting_user_reads(platform: Platform) -> tuple[list[str], Callable[[], None]]:
    readers = platform.readers.kw["bind"]
    assert isinstance(readers, Engine)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM users" in statement:
            reads.append(statement)

    event.listen(readers, "before_cursor_execute", count)
    return reads, lambda: event.remove(readers, "before_cursor_execute", count)


async def test_a_burst_of_uncached_tokens_is_checked_with_one_read(
    platform: Platform, make_person: Callable[[str], Someone]
) -> None:
    people = [make_person("client") for _ in range(12)] + [make_person("admin")]
    user_reads, stop = _counting_user_reads(platform)
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
        stop()
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


def _near_expiry(store: ChatStore, key: str, seconds_left: float) -> None:
    """Age a cached identity so that it has `seconds_left` of trust left."""
    who, _until, token_expiry = store._auth_cache[key]
    store._auth_cache[key] = (who, time.time() + seconds_left, token_expiry)


async def test_an_identity_used_near_its_end_is_rechecked_without_waiting(
    platform: Platform, make_person: Callable[[str], Someone]
) -> None:
    person = make_person("client")
    key = f"Bearer {person.token}"
    reads, stop = _counting_user_reads(platform)
    store = ChatStore(platform)
    try:
        first = await store.authenticate(key)
        assert len(reads) == 1
        assert await store.authenticate(key) == first and len(reads) == 1  # fresh: no re-check
        _near_expiry(store, key, AUTH_REFRESH_AHEAD_S / 2)
        assert await store.authenticate(key) == first  # answered from the cache at once
        assert len(reads) == 1  # the re-check has not run yet: the caller did not wait for it
        for _ in range(200):
            if len(reads) == 2 and not store._refreshing:
                break
            await asyncio.sleep(0.01)
        assert len(reads) == 2
        assert store._auth_cache[key][1] > time.time() + AUTH_CACHE_S - 2  # trusted anew
    finally:
        stop()
        store.close()


async def test_a_background_recheck_that_is_refused_drops_the_identity(
    platform: Platform, make_person: Callable[[str], Someone]
) -> None:
    person = make_person("client")
    key = f"Bearer {person.token}"
    store = ChatStore(platform)
    try:
        await store.authenticate(key)
        with platform.sessions() as session, session.begin():  # every token of the user revoked
            session.execute(
                update(User)
                .where(User.id == person.user_id)
                .values(token_version=User.token_version + 1)
            )
        assert (await store.authenticate(key)).user_id == person.user_id  # still trusted
        _near_expiry(store, key, AUTH_REFRESH_AHEAD_S / 2)
        await store.authenticate(key)  # trusted until its end, but re-checked behind
        for _ in range(100):  # 1 s: less than the 1.5 s of trust left
            if key not in store._auth_cache and not store._refreshing:
                break
            await asyncio.sleep(0.01)
        with pytest.raises(Unauthorized):
            await store.authenticate(key)
    finally:
        store.close()
