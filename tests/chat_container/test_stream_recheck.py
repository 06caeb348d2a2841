"""Open Subscribe streams re-check their caller: revoked, expired, deleted or demoted -> ended."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import grpc
import jwt
import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from chat_container import store as store_module
from chat_container.events import Hub
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import ChatConfig, RunningServer
from chat_container.store import ChatStore
from chat_container.stream import ResumableStream
from shared import accounts
from shared import sessions as auth_sessions
from shared.db import transaction
from shared.models import User
from shared.platform import Platform
from shared.schemas import UserUpdate
from shared.security.tokens import TokenClaims
from tests.chat_container.support import (
    People,
    Someone,
    chat_config,
    issue_token,
    next_event,
    own_conversation,
    send,
    subscribe_ready,
)

RECHECK_S = 0.2
CACHE_S = 0.3  # the store's identity cache, shortened: the lag bound is RECHECK_S + CACHE_S
ENDS_WITHIN = 4.0  # generous against a busy machine; the bound above is 0.5 s


@pytest.fixture(autouse=True)
def short_identity_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "AUTH_CACHE_S", CACHE_S)
    monkeypatch.setattr(store_module, "AUTH_REFRESH_AHEAD_S", CACHE_S / 3)


@pytest.fixture
def server_config() -> ChatConfig:
    """conftest's `server` and `stub`, with streams re-checked every RECHECK_S."""
    return chat_config(recheck_s=RECHECK_S)


async def ending(call: Any, *, within: float = ENDS_WITHIN) -> tuple[grpc.StatusCode, str]:
    """Read a stream until it fails; its status and details (fails the test if it does not)."""
    try:
        async with asyncio.timeout(within):
            while (event := await call.read()) is not grpc.aio.EOF:
                assert event.WhichOneof("event") in {"heartbeat", "message", "seen", "typing"}
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    except TimeoutError:
        call.cancel()
        raise AssertionError(f"the stream was still open after {within} s") from None
    raise AssertionError("the stream ended without a status")


def with_token(who: Someone, token: str) -> Someone:
    return Someone(who.user_id, who.username, who.role, token)


def session_token(
    platform: Platform, factory: sessionmaker[Session], who: Someone
) -> tuple[str, str]:
    """A signed-in (session-bound) access token for who: (token, session id)."""
    with transaction(factory) as session:
        user = session.get(User, who.user_id)
        assert user is not None
        row = auth_sessions.start(session, user, ttl=timedelta(hours=1))
        claims = TokenClaims(user.id, user.role, user.token_version, "access", row.id)
        return platform.tokens.issue(claims), row.id


def log_out(factory: sessionmaker[Session], session_id: str) -> None:
    with transaction(factory) as session:
        auth_sessions.end(session, session_id)


def change_password(factory: sessionmaker[Session], user_id: str) -> None:
    with transaction(factory) as session:
        accounts.update_user(
            session, user_id=user_id, data=UserUpdate(password="a-new-password-42")
        )


def delete(factory: sessionmaker[Session], user_id: str) -> None:
    with transaction(factory) as session:
        accounts.delete_user(session, user_id=user_id, acting_user_id="someone-else")


@pytest.mark.parametrize("revoke", ["logout", "password change", "deletion"])
async def test_a_stream_ends_unauthenticated_when_its_caller_is_revoked(
    stub: Any, people: People, platform: Platform, sessions: sessionmaker[Session], revoke: str
) -> None:
    token, session_id = session_token(platform, sessions, people.client1)
    client = with_token(people.client1, token)
    conversation = await own_conversation(stub, client)
    call, _ = await subscribe_ready(stub, client)
    await send(stub, people.admin1, conversation, "before")
    assert (await next_event(call, "message")).message.text == "before"
    actions: dict[str, Callable[[], None]] = {
        "logout": lambda: log_out(sessions, session_id),
        "password change": lambda: change_password(sessions, client.user_id),
        "deletion": lambda: delete(sessions, client.user_id),
    }
    actions[revoke]()
    code, details = await ending(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    assert details and "Error" not in details and "sql" not in details.lower()


async def test_a_stream_ends_unauthenticated_when_its_token_expires(
    stub: Any, people: People, platform: Platform
) -> None:
    token = issue_token(platform, people.client1.user_id, "client", expires_in=1.5)
    call, _ = await subscribe_ready(stub, with_token(people.client1, token))
    code, details = await ending(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]  # whole seconds
    assert time.time() >= expiry  # not before the token's end


async def test_a_demoted_administrator_loses_the_all_conversations_stream(
    stub: Any, people: People, sessions: sessionmaker[Session]
) -> None:
    conversation = await own_conversation(stub, people.client1)
    call, _ = await subscribe_ready(stub, people.admin1)  # every conversation
    await send(stub, people.client1, conversation, "to support")
    assert (await next_event(call, "message")).message.text == "to support"
    with transaction(sessions) as session:  # as PATCH /users/{id} does: tokens revoked too
        accounts.update_user(session, user_id=people.admin1.user_id, data=UserUpdate(role="client"))
    code, details = await ending(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details


async def test_an_all_conversations_stream_needs_the_administrator_role_itself(
    stub: Any, people: People, sessions: sessionmaker[Session]
) -> None:
    # The role changed under a token that stays valid (no version bump): the caller is
    # authenticated, but as a client, so the stream covering everyone's messages must end.
    call, _ = await subscribe_ready(stub, people.admin1)
    with transaction(sessions) as session:
        session.execute(update(User).where(User.id == people.admin1.user_id).values(role="client"))
    code, details = await ending(call)
    assert code == grpc.StatusCode.PERMISSION_DENIED, details
    assert "administrator" in details


def count_checks(
    server: RunningServer, who: Someone, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], int]:
    """Count the store's authenticate() calls with who's token (the stream's re-checks)."""
    calls = 0
    original = server.store.authenticate

    async def counting(authorization: str | None) -> Any:
        nonlocal calls
        if authorization == f"Bearer {who.token}":
            calls += 1
        return await original(authorization)

    monkeypatch.setattr(server.store, "authenticate", counting)
    return lambda: calls


async def watched_stream(
    stub: Any, server: RunningServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Any, Callable[[], int]]:
    """client1's conversation, its open stream, and how many checks it had since it opened."""
    conversation = await own_conversation(stub, people.client1)
    checks = count_checks(server, people.client1, monkeypatch)
    call, _ = await subscribe_ready(stub, people.client1)
    opened = checks()
    return conversation, call, lambda: checks() - opened


async def test_a_valid_callers_idle_stream_stays_open_across_rechecks(
    stub: Any, server: RunningServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation, call, rechecks = await watched_stream(stub, server, people, monkeypatch)
    for round_ in range(3):
        await asyncio.sleep(4 * RECHECK_S + CACHE_S)  # idle: past re-checks and cache expiries
        sent = await send(stub, people.admin1, conversation, f"round {round_}")
        assert (await next_event(call, "message")).message.seq == sent.seq
    assert rechecks() >= 8  # re-checked all along (about 3 * 5)
    call.cancel()


async def test_a_valid_callers_busy_stream_is_rechecked_and_stays_open(
    stub: Any, server: RunningServer, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation, call, rechecks = await watched_stream(stub, server, people, monkeypatch)
    loop = asyncio.get_running_loop()
    until = loop.time() + 8 * RECHECK_S
    sent = 0
    while loop.time() < until:  # a steady flow, well under the admins' send rate
        await send(stub, people.admin1, conversation, f"m{sent}")
        sent += 1
        await asyncio.sleep(0.02)
    seqs = [(await next_event(call, "message")).message.seq for _ in range(sent)]
    assert seqs == list(range(seqs[0], seqs[0] + sent))
    assert rechecks() >= 4
    call.cancel()


async def test_a_database_failure_during_a_recheck_keeps_the_stream_open(
    stub: Any,
    server: RunningServer,
    people: People,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conversation = await own_conversation(stub, people.client1)
    call, _ = await subscribe_ready(stub, people.client1)
    key = f"Bearer {people.client1.token}"
    identities = server.store._identities
    original = identities.submit

    async def away(authorization: str) -> Any:
        if authorization == key:  # the stream's reads fail; the sender's still work
            raise OperationalError("SELECT", {}, Exception("Lost connection to db-7:3306"))
        return await original(authorization)

    monkeypatch.setattr(identities, "submit", away)
    with caplog.at_level(logging.WARNING, logger="chat_container.servicer"):
        await asyncio.sleep(6 * RECHECK_S + CACHE_S)
        sent = await send(stub, people.admin1, conversation, "still there")
        assert (await next_event(call, "message")).message.seq == sent.seq
    failed = [r for r in caplog.records if r.getMessage().startswith("stream re-check failed")]
    assert len(failed) >= 2
    monkeypatch.setattr(identities, "submit", original)  # the database is back: checks resume
    delete(sessions, people.client1.user_id)
    code, details = await ending(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    assert "db-7" not in details


async def test_a_database_failure_keeps_a_stream_no_longer_than_its_token(
    stub: Any,
    server: RunningServer,
    people: People,
    platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = issue_token(platform, people.client1.user_id, "client", expires_in=2)
    identities = server.store._identities
    original = identities.submit

    async def away(authorization: str) -> Any:
        if authorization == f"Bearer {token}":  # every read for this stream fails
            raise OperationalError("SELECT", {}, Exception("Lost connection to db-7:3306"))
        return await original(authorization)

    call, _ = await subscribe_ready(stub, with_token(people.client1, token))
    monkeypatch.setattr(identities, "submit", away)
    code, details = await ending(call)
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    assert "db-7" not in details
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert time.time() >= expiry  # not before the token's end


def test_outlived_reads_the_tokens_own_expiry(platform: Platform) -> None:
    token = platform.tokens.issue(TokenClaims("u", "client", 0, "access"))
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert not ChatStore.outlived(f"Bearer {token}", now=expiry - 1)
    assert ChatStore.outlived(f"Bearer {token}", now=expiry)
    assert ChatStore.outlived("Bearer not-a-token") and ChatStore.outlived(None)


class EmptyStore:
    async def messages_between(self, *_: Any) -> list[Any]:
        return []


async def test_a_busy_inbox_is_rechecked_on_elapsed_time() -> None:
    # Events always waiting: the stream takes them without a timer, and heartbeats never fire.
    hub = Hub()
    subscription = hub.subscribe("u1", None)
    checked: list[int] = []

    async def recheck() -> None:
        checked.append(subscription.queue.qsize())

    stream = ResumableStream(
        EmptyStore(),  # type: ignore[arg-type]
        subscription,
        {},
        {},
        heartbeat_s=60,
        recheck=recheck,
        recheck_s=0.05,
    )
    for seq in range(1, 1001):
        hub.dispatch(
            pb.ChatEvent(message=pb.ChatMessage(conversation_id="c1", seq=seq, text=f"m{seq}"))
        )
    events = stream.events()
    assert (await anext(events)).WhichOneof("event") == "ready"
    for seq in range(1, 41):
        assert (await anext(events)).message.seq == seq
        await asyncio.sleep(0.01)  # a slow reader: 0.4 s in all
    await events.aclose()
    assert len(checked) >= 4
    assert min(checked) > 900  # every check ran with the inbox still full
