"""Chat edges: generic error texts with the right codes, and a per-sender message rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import ChatConfig, RunningServer
from tests.chat_container.support import People, issue_token, own_conversation, send

# The behaviour tests below talk gRPC only (no import of the modules they test), so that they
# also run, and fail, against a tree without the fix.

LEAKS = ("Error", "INSERT", "chat_", "sqlite", "mysql", "Unexpected", "<class")


async def _status(call: Any) -> tuple[grpc.StatusCode, str]:
    try:
        result = call
        if hasattr(call, "read"):
            while await call.read() is not grpc.aio.EOF:
                pass
        else:
            await result
    except grpc.aio.AioRpcError as error:
        return error.code(), error.details() or ""
    raise AssertionError("the call succeeded")


async def test_undecodable_requests_get_invalid_argument_without_class_names(
    server: RunningServer,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        unary = channel.unary_unary("/energy.chat.v1.ChatService/SendMessage")
        stream = channel.unary_stream("/energy.chat.v1.ChatService/Subscribe")
        for call in (unary(b"\xff\xff\xff"), stream(b"\x0a\xff")):
            code, details = await _status(call)
            assert code == grpc.StatusCode.INVALID_ARGUMENT, details
            assert details == "The request could not be decoded."


async def test_a_just_deleted_user_is_unauthenticated_and_sees_no_sql(
    stub: Any, people: People, sessions: Any
) -> None:
    from shared import accounts
    from shared.db import transaction

    await own_conversation(stub, people.client1)  # caches the client's identity
    with transaction(sessions) as session:
        accounts.delete_user(session, user_id=people.client1.user_id, acting_user_id="x")
    code, details = await _status(
        stub.SendMessage(
            pb.SendMessageRequest(text="still here?"), metadata=people.client1.metadata
        )
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
    assert not [word for word in LEAKS if word in details], details


async def test_an_unexpected_failure_is_internal_with_a_fixed_text(
    stub: Any, people: People, server: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("connection to db-prod-7.internal:3306 refused, user energyadmin")

    await own_conversation(stub, people.client1)
    monkeypatch.setattr(server.store, "list_conversations", broken)
    code, details = await _status(
        stub.ListConversations(pb.ListConversationsRequest(), metadata=people.admin1.metadata)
    )
    assert code == grpc.StatusCode.INTERNAL, details
    assert "db-prod-7" not in details and "RuntimeError" not in details
    assert "db-prod-7" in caplog.text  # the detail stays in the log
    monkeypatch.undo()  # the server carries on
    listed = await stub.ListConversations(
        pb.ListConversationsRequest(), metadata=people.admin1.metadata
    )
    assert len(listed.conversations) >= 1


async def test_one_client_flooding_messages_is_refused_past_its_rate(
    stub: Any, people: People
) -> None:
    await own_conversation(stub, people.client1)

    async def one(n: int) -> grpc.StatusCode:
        try:
            await send(stub, people.client1, "", f"flood {n}")
            return grpc.StatusCode.OK
        except grpc.aio.AioRpcError as error:
            return error.code()

    codes = await asyncio.gather(*(one(n) for n in range(300)))
    accepted = codes.count(grpc.StatusCode.OK)
    refused = codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert accepted + refused == 300, set(codes)
    assert 20 <= accepted <= 40  # the burst (20), plus what refilled while it ran
    # others are not affected: another client and support staff still get through
    assert (await send(stub, people.client2, "", "hello")).seq == 1
    conversation = await own_conversation(stub, people.client1)
    assert (await send(stub, people.admin1, conversation, "slow down")).text == "slow down"


def test_the_limiter_refills_at_its_rate_per_key() -> None:
    from chat_container.ratelimit import RateLimiter, RatePolicy

    limiter = RateLimiter(RatePolicy(rate_per_s=2.0, burst=3))
    assert [limiter.acquire("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a", 0.0) == pytest.approx(0.5)  # empty: one token in 0.5 s
    assert limiter.acquire("a", 0.1) == pytest.approx(0.4)  # a refusal costs nothing
    assert limiter.acquire("b", 0.0) == 0.0  # another key has its own bucket
    assert limiter.acquire("a", 0.6) == 0.0  # one token back after half a second
    assert limiter.acquire("a", 0.6) == pytest.approx(0.4)
    assert limiter.acquire("c", 100.0) == 0.0
    assert len(limiter) == 1  # keys with a full bucket were forgotten


def test_rate_settings_from_the_environment() -> None:
    from chat_container.ratelimit import RatePolicy

    assert ChatConfig().client_sends == RatePolicy(5.0, 20)  # the flood test relies on it
    config = ChatConfig.from_env({"CHAT_SEND_RATE_PER_S": "1.5", "CHAT_ADMIN_SEND_BURST": "9"})
    assert config.client_sends == RatePolicy(1.5, ChatConfig().client_sends.burst)
    assert config.admin_sends.burst == 9
    with pytest.raises(SystemExit):
        ChatConfig.from_env({"CHAT_SEND_BURST": "0"})


async def test_one_bad_sender_in_a_batch_does_not_fail_the_others(
    stub: Any, people: People, sessions: Any
) -> None:
    """A deleted sender's row breaks the batch's foreign key: the rest are stored one by one."""
    from shared import accounts
    from shared.db import transaction

    await own_conversation(stub, people.client1)  # caches the identity
    conversation = await own_conversation(stub, people.client2)
    with transaction(sessions) as session:
        accounts.delete_user(session, user_id=people.client1.user_id, acting_user_id="x")

    async def attempt(who: Any, text: str) -> Any:
        try:
            return await send(stub, who, "", text)
        except grpc.aio.AioRpcError as error:
            return error.code()

    results = await asyncio.gather(
        *(attempt(people.client2, f"fine {n}") for n in range(5)),
        attempt(people.client1, "gone"),
    )
    assert results[-1] == grpc.StatusCode.UNAUTHENTICATED
    stored = results[:-1]
    assert sorted(m.seq for m in stored) == [1, 2, 3, 4, 5]
    assert {m.conversation_id for m in stored} == {conversation}


async def test_a_cached_identity_never_outlives_its_token(
    stub: Any, people: People, platform: Any
) -> None:
    token = issue_token(platform, people.client1.user_id, "client", expires_in=1.5)
    metadata = (("authorization", f"Bearer {token}"),)
    assert (
        await stub.ListConversations(pb.ListConversationsRequest(), metadata=metadata)
    ).conversations
    await asyncio.sleep(2.0)
    code, details = await _status(
        stub.ListConversations(pb.ListConversationsRequest(), metadata=metadata)
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED, details
