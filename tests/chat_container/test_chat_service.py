"""ChatService against a real grpc.aio server on port 0 (SQLite and the real MariaDB)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.gen.energy.chat.v1 import chat_pb2_grpc
from chat_container.server import RunningServer, start_server
from shared.platform import Platform
from tests.chat_container.support import (
    TYPING_TTL_S,
    People,
    chat_config,
    next_event,
    own_conversation,
    send,
    subscribe_ready,
)


async def test_each_client_gets_one_conversation_and_admins_see_all_newest_first(
    stub: Any, people: People
) -> None:
    first = await own_conversation(stub, people.client1)
    assert await own_conversation(stub, people.client1) == first
    second = await own_conversation(stub, people.client2)
    await send(stub, people.client1, "", "hello from one")
    await send(stub, people.client2, "", "hello from two")

    listed = await stub.ListConversations(
        pb.ListConversationsRequest(), metadata=people.admin1.metadata
    )
    by_id = {c.conversation_id: c for c in listed.conversations}
    assert {first, second} <= set(by_id)
    ids = [c.conversation_id for c in listed.conversations]
    assert ids.index(second) < ids.index(first)  # newest activity first
    summary = by_id[second]
    assert summary.client.username == people.client2.username
    assert summary.client.role == pb.ROLE_CLIENT
    assert summary.last_message.text == "hello from two"
    assert summary.last_message.sender.display_name
    assert summary.unread_count == 1
    assert summary.last_activity_at.seconds > 0


async def test_live_messages_reach_the_other_party_and_both_admins(
    stub: Any, people: People
) -> None:
    conversation = await own_conversation(stub, people.client1)
    client_stream, _ = await subscribe_ready(stub, people.client1)
    admin1_stream, _ = await subscribe_ready(stub, people.admin1)
    admin2_stream, _ = await subscribe_ready(stub, people.admin2, conversation)

    sent = await send(stub, people.client1, "", "my meter is odd")
    for stream in (admin1_stream, admin2_stream):
        got = (await next_event(stream, "message")).message
        assert (got.conversation_id, got.seq, got.text) == (conversation, sent.seq, sent.text)
        assert got.sender.user_id == people.client1.user_id

    reply = await send(stub, people.admin1, conversation, "let me look")
    assert reply.seq == sent.seq + 1
    echo = (await next_event(client_stream, "message")).message  # the client's other devices
    assert echo.seq == sent.seq
    got = (await next_event(client_stream, "message")).message
    assert (got.seq, got.text, got.sender.role) == (reply.seq, "let me look", pb.ROLE_ADMIN)
    assert got.created_at.seconds > 0
    for stream in (client_stream, admin1_stream, admin2_stream):
        stream.cancel()


async def test_clients_are_isolated_from_each_other(stub: Any, people: People) -> None:
    theirs = await own_conversation(stub, people.client1)
    await send(stub, people.client1, "", "private")
    intruder = people.client2.metadata
    calls = [
        stub.GetHistory(pb.GetHistoryRequest(conversation_id=theirs), metadata=intruder),
        stub.SendMessage(
            pb.SendMessageRequest(conversation_id=theirs, text="hi"), metadata=intruder
        ),
        stub.MarkSeen(pb.MarkSeenRequest(conversation_id=theirs, up_to_seq=1), metadata=intruder),
        stub.SetTyping(pb.SetTypingRequest(conversation_id=theirs), metadata=intruder),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "own conversation" in (caught.value.details() or "")
    for request in (
        pb.SubscribeRequest(conversation_id=theirs),
        pb.SubscribeRequest(resume_after_seq={theirs: 0}),
    ):
        stream = stub.Subscribe(request, metadata=intruder)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stream.read()
        assert caught.value.code() in {
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.INVALID_ARGUMENT,
        }
    listed = await stub.ListConversations(pb.ListConversationsRequest(), metadata=intruder)
    assert [c.conversation_id for c in listed.conversations] != [theirs]
    assert len(listed.conversations) == 1


async def test_retry_with_the_same_client_message_id_stores_one_message(
    stub: Any, people: People
) -> None:
    first = await send(stub, people.client1, "", "once", key="k-1")
    again = await send(stub, people.client1, "", "once", key="k-1")
    assert again.seq == first.seq and again.client_message_id == "k-1"
    history = await stub.GetHistory(pb.GetHistoryRequest(), metadata=people.client1.metadata)
    assert [m.text for m in history.messages] == ["once"]


async def test_concurrent_senders_get_consecutive_unique_seqs(stub: Any, people: People) -> None:
    conversation = await own_conversation(stub, people.client1)
    senders = [people.client1, people.admin1, people.admin2]
    sent = await asyncio.gather(
        *(send(stub, senders[i % 3], conversation, f"m{i}") for i in range(24))
    )
    assert sorted(m.seq for m in sent) == list(range(1, 25))
    history = await stub.GetHistory(
        pb.GetHistoryRequest(conversation_id=conversation, limit=500),
        metadata=people.admin1.metadata,
    )
    assert [m.seq for m in history.messages] == list(range(1, 25))
    assert sorted(m.text for m in history.messages) == sorted(f"m{i}" for i in range(24))


async def test_resume_after_reconnect_has_no_gaps_or_duplicates(stub: Any, people: People) -> None:
    conversation = await own_conversation(stub, people.client1)
    stream, _ = await subscribe_ready(stub, people.client1)
    await send(stub, people.admin1, conversation, "one")
    last_seen = (await next_event(stream, "message")).message.seq
    stream.cancel()  # the network drops

    missed = [await send(stub, people.admin2, conversation, f"missed {i}") for i in range(3)]
    stream, replayed = await subscribe_ready(stub, people.client1, resume={conversation: last_seen})
    assert [m.seq for m in replayed] == [m.seq for m in missed]
    live = await send(stub, people.admin1, conversation, "live again")
    got = (await next_event(stream, "message")).message
    assert got.seq == live.seq == missed[-1].seq + 1
    stream.cancel()

    # an administrator's all-conversations stream resumes the same way
    admin_stream, replayed = await subscribe_ready(
        stub, people.admin1, resume={conversation: last_seen}
    )
    assert [m.seq for m in replayed] == [*(m.seq for m in missed), live.seq]
    admin_stream.cancel()


async def test_history_pages_and_survives_a_server_restart(
    platform: Platform, people: People
) -> None:
    first = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        conversation = await own_conversation(stub, people.client1)
        for i in range(5):
            await send(stub, people.client1 if i % 2 else people.admin1, conversation, f"t{i}")
    await first.stop()

    second = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            full = await stub.GetHistory(pb.GetHistoryRequest(), metadata=people.client1.metadata)
            assert [m.text for m in full.messages] == [f"t{i}" for i in range(5)]
            assert full.last_seq == 5 and not full.has_more
            newest = await stub.GetHistory(
                pb.GetHistoryRequest(before_seq=6, limit=2), metadata=people.client1.metadata
            )
            assert [m.seq for m in newest.messages] == [4, 5] and newest.has_more
            after = await stub.GetHistory(
                pb.GetHistoryRequest(after_seq=3), metadata=people.client1.metadata
            )
            assert [m.seq for m in after.messages] == [4, 5]
    finally:
        await second.stop()


async def test_typing_is_throttled_hidden_from_the_typist_and_expires(
    stub: Any, people: People
) -> None:
    conversation = await own_conversation(stub, people.client1)
    client_stream, _ = await subscribe_ready(stub, people.client1)
    admin_stream, _ = await subscribe_ready(stub, people.admin1)
    typing = pb.SetTypingRequest(conversation_id=conversation)

    assert (await stub.SetTyping(typing, metadata=people.admin1.metadata)).accepted
    assert not (await stub.SetTyping(typing, metadata=people.admin1.metadata)).accepted
    started = (await next_event(client_stream, "typing")).typing
    assert started.typing and started.user.user_id == people.admin1.user_id
    assert started.expires_in_ms == int(TYPING_TTL_S * 1000)
    loop = asyncio.get_running_loop()
    began = loop.time()
    stopped = (await next_event(client_stream, "typing")).typing
    assert not stopped.typing and loop.time() - began >= TYPING_TTL_S * 0.8

    # the admin's own stream never carried their typing
    await send(stub, people.client1, "", "marker")
    assert (await next_event(admin_stream, "message")).message.text == "marker"

    # a message ends the typing state: the next refresh is accepted at once
    assert (await stub.SetTyping(typing, metadata=people.client1.metadata)).accepted
    assert (await next_event(admin_stream, "typing")).typing.typing
    await send(stub, people.client1, "", "done typing")
    assert (await stub.SetTyping(typing, metadata=people.client1.metadata)).accepted
    stop = pb.SetTypingRequest(conversation_id=conversation, stopped=True)
    assert (await stub.SetTyping(stop, metadata=people.client1.metadata)).accepted
    kinds = []
    while len(kinds) < 3:
        event = await next_event(admin_stream, "typing")
        kinds.append(event.typing.typing)
        if not event.typing.typing:
            break
    assert kinds[-1] is False
    client_stream.cancel()
    admin_stream.cancel()


async def test_seen_watermarks_and_unread_counts(stub: Any, people: People) -> None:
    conversation = await own_conversation(stub, people.client1)
    admin_stream, _ = await subscribe_ready(stub, people.admin1)
    for i in range(3):
        await send(stub, people.admin1, conversation, f"a{i}")

    def mine(listed: Any) -> Any:
        return next(c for c in listed.conversations if c.conversation_id == conversation)

    as_client = mine(
        await stub.ListConversations(
            pb.ListConversationsRequest(), metadata=people.client1.metadata
        )
    )
    assert (as_client.unread_count, as_client.support_seen_seq) == (3, 3)

    seen = await stub.MarkSeen(
        pb.MarkSeenRequest(conversation_id=conversation, up_to_seq=2),
        metadata=people.client1.metadata,
    )
    assert (seen.seen_seq, seen.unread_count) == (2, 1)
    event = (await next_event(admin_stream, "seen")).seen
    assert (event.user.user_id, event.seen_seq) == (people.client1.user_id, 2)

    backwards = await stub.MarkSeen(
        pb.MarkSeenRequest(up_to_seq=1), metadata=people.client1.metadata
    )
    assert backwards.seen_seq == 2  # watermarks never move back

    as_admin1 = mine(
        await stub.ListConversations(pb.ListConversationsRequest(), metadata=people.admin1.metadata)
    )
    assert (as_admin1.client_seen_seq, as_admin1.unread_count) == (2, 0)
    as_admin2 = mine(
        await stub.ListConversations(pb.ListConversationsRequest(), metadata=people.admin2.metadata)
    )
    assert (as_admin2.unread_count, as_admin2.my_seen_seq) == (3, 0)  # per-user watermarks

    await send(stub, people.client1, "", "thanks")
    as_admin2 = mine(
        await stub.ListConversations(pb.ListConversationsRequest(), metadata=people.admin2.metadata)
    )
    assert as_admin2.unread_count == 4 and as_admin2.last_message.text == "thanks"
    admin_stream.cancel()


async def _status(call: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        result = call
        if hasattr(result, "read"):
            await result.read()
        else:
            await result
    return caught.value.code(), caught.value.details() or ""


async def test_bad_input_gets_readable_statuses_and_the_server_carries_on(
    stub: Any, people: People, platform: Platform
) -> None:
    from tests.chat_container.support import issue_token

    conversation = await own_conversation(stub, people.client1)
    bystander, _ = await subscribe_ready(stub, people.admin2)
    client = people.client1.metadata
    admin = people.admin1.metadata
    expired = (("authorization", "Bearer " + issue_token(platform, "x", "admin", expired=True)),)
    cases: list[tuple[Any, grpc.StatusCode, str]] = [
        (
            stub.SendMessage(pb.SendMessageRequest(text=""), metadata=client),
            grpc.StatusCode.INVALID_ARGUMENT,
            "empty",
        ),
        (
            stub.SendMessage(pb.SendMessageRequest(text="   "), metadata=client),
            grpc.StatusCode.INVALID_ARGUMENT,
            "empty",
        ),
        (
            stub.SendMessage(pb.SendMessageRequest(text="x" * 2001), metadata=client),
            grpc.StatusCode.INVALID_ARGUMENT,
            "2000",
        ),
        (
            stub.SendMessage(pb.SendMessageRequest(text="hi"), metadata=admin),
            grpc.StatusCode.INVALID_ARGUMENT,
            "conversation_id is required",
        ),
        (
            stub.SendMessage(
                pb.SendMessageRequest(conversation_id="nope", text="hi"), metadata=admin
            ),
            grpc.StatusCode.NOT_FOUND,
            "does not exist",
        ),
        (
            stub.GetHistory(pb.GetHistoryRequest(after_seq=99), metadata=client),
            grpc.StatusCode.OUT_OF_RANGE,
            "future",
        ),
        (
            stub.GetHistory(pb.GetHistoryRequest(limit=-1), metadata=client),
            grpc.StatusCode.INVALID_ARGUMENT,
            "limit",
        ),
        (
            stub.MarkSeen(pb.MarkSeenRequest(up_to_seq=99), metadata=client),
            grpc.StatusCode.OUT_OF_RANGE,
            "future",
        ),
        (
            stub.Subscribe(
                pb.SubscribeRequest(resume_after_seq={conversation: 99}), metadata=client
            ),
            grpc.StatusCode.OUT_OF_RANGE,
            "future",
        ),
        (
            stub.ListConversations(pb.ListConversationsRequest()),
            grpc.StatusCode.UNAUTHENTICATED,
            "Missing",
        ),
        (
            stub.ListConversations(
                pb.ListConversationsRequest(), metadata=(("authorization", "Bearer junk"),)
            ),
            grpc.StatusCode.UNAUTHENTICATED,
            "invalid",
        ),
        (
            stub.ListConversations(pb.ListConversationsRequest(), metadata=expired),
            grpc.StatusCode.UNAUTHENTICATED,
            "expired",
        ),
        (
            stub.Subscribe(pb.SubscribeRequest(), metadata=(("authorization", "Basic x"),)),
            grpc.StatusCode.UNAUTHENTICATED,
            "Bearer",
        ),
    ]
    for call, code, words in cases:
        got_code, details = await _status(call)
        assert (got_code, words in details) == (code, True), details

    ok = await send(stub, people.client1, "", "y" * 2000)
    assert len(ok.text) == 2000
    got = (await next_event(bystander, "message")).message
    assert got.seq == ok.seq  # other streams carried on
    bystander.cancel()


async def test_health_and_graceful_shutdown_end_streams_with_unavailable(
    platform: Platform, people: People
) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    running: RunningServer = await start_server(chat_config(), platform=platform, rabbitmq_url=None)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "energy.chat.v1.ChatService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        stream, _ = await subscribe_ready(stub, people.client1)
        await running.stop()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            while True:
                event = await asyncio.wait_for(stream.read(), 5)
                assert event is not grpc.aio.EOF
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_new_conversation_shows_up_live_for_administrators(
    stub: Any, people: People
) -> None:
    admin_stream, _ = await subscribe_ready(stub, people.admin1)
    conversation = await own_conversation(stub, people.client2)
    created = (await next_event(admin_stream, "conversation_created")).conversation_created
    assert created.conversation_id == conversation
    assert created.client.username == people.client2.username
    assert (created.last_seq, created.unread_count) == (0, 0)
    first = await send(stub, people.client2, "", "first words")
    got = (await next_event(admin_stream, "message")).message
    assert (got.conversation_id, got.seq, got.text) == (conversation, first.seq, "first words")
    admin_stream.cancel()


async def test_deleting_users_keeps_the_rest_of_the_chat_consistent(
    stub: Any, people: People, sessions: Any
) -> None:
    from sqlalchemy import func, select

    from shared import accounts
    from shared.chat.models import Conversation
    from shared.db import transaction

    conversation = await own_conversation(stub, people.client1)
    await send(stub, people.admin2, conversation, "from an admin who leaves")
    await send(stub, people.client1, "", "thanks")
    with transaction(sessions) as session:
        accounts.delete_user(session, user_id=people.admin2.user_id, acting_user_id="x")
    history = await stub.GetHistory(pb.GetHistoryRequest(), metadata=people.client1.metadata)
    first = history.messages[0]
    assert first.text == "from an admin who leaves" and first.sender.user_id == ""
    assert first.sender.display_name  # the name as it was when the message was sent

    with transaction(sessions) as session:
        accounts.delete_user(session, user_id=people.client1.user_id, acting_user_id="x")
        left = session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.id == conversation)
        )
    assert left == 0
    code, _ = await _status(
        stub.GetHistory(
            pb.GetHistoryRequest(conversation_id=conversation), metadata=people.admin1.metadata
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
