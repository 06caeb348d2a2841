"""Helpers for the chat tests: people with tokens, stream readers, config."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import ChatConfig
from shared.platform import Platform
from shared.security.tokens import TokenClaims

TYPING_THROTTLE_S = 0.3
TYPING_TTL_S = 0.8


@dataclass(frozen=True)
class Someone:
    """A test user with an access token."""

    user_id: str
    username: str
    role: str
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


@dataclass(frozen=True)
class People:
    client1: Someone
    client2: Someone
    admin1: Someone
    admin2: Someone


def chat_config(**overrides: Any) -> ChatConfig:
    """Fast typing timings and a short grace, port 0."""
    values: dict[str, Any] = {
        "port": 0,
        "host": "127.0.0.1",
        "typing_throttle_s": TYPING_THROTTLE_S,
        "typing_ttl_s": TYPING_TTL_S,
        "grace_s": 0.5,
    }
    return ChatConfig(**{**values, **overrides})


def issue_token(
    platform: Platform,
    user_id: str,
    role: str,
    *,
    expired: bool = False,
    expires_in: float | None = None,
) -> str:
    """An access token: fresh, long expired (`expired`) or ending `expires_in` seconds from now."""
    now = datetime.now(UTC) - (timedelta(days=2) if expired else timedelta())
    if expires_in is not None:
        lifetime = timedelta(minutes=platform.settings.ACCESS_TOKEN_MINUTES)
        now = datetime.now(UTC) - lifetime + timedelta(seconds=expires_in)
    return platform.tokens.issue(TokenClaims(user_id, role, 0, "access"), now=now)


async def next_event(call: Any, kind: str, *, within: float = 5.0) -> pb.ChatEvent:
    """The next event of a kind on a Subscribe call (heartbeats and other kinds skipped)."""
    async with asyncio.timeout(within):
        while True:
            event = await call.read()
            assert event is not grpc.aio.EOF, f"stream ended while waiting for {kind}"
            if event.WhichOneof("event") == kind:
                return event  # type: ignore[no-any-return]


async def subscribe_ready(
    stub: Any, who: Someone, conversation_id: str = "", resume: dict[str, int] | None = None
) -> tuple[Any, list[pb.ChatMessage]]:
    """Open a stream; return it and the replayed messages once Ready arrives."""
    call = stub.Subscribe(
        pb.SubscribeRequest(conversation_id=conversation_id, resume_after_seq=resume or {}),
        metadata=who.metadata,
    )
    replayed: list[pb.ChatMessage] = []
    while True:
        event = await asyncio.wait_for(call.read(), 5)
        assert event is not grpc.aio.EOF
        kind = event.WhichOneof("event")
        if kind == "ready":
            return call, replayed
        if kind == "message":
            replayed.append(event.message)


async def own_conversation(stub: Any, client: Someone) -> str:
    response = await stub.ListConversations(pb.ListConversationsRequest(), metadata=client.metadata)
    assert len(response.conversations) == 1
    return str(response.conversations[0].conversation_id)


async def send(
    stub: Any, who: Someone, conversation_id: str, text: str, key: str = ""
) -> pb.ChatMessage:
    response = await stub.SendMessage(
        pb.SendMessageRequest(conversation_id=conversation_id, text=text, client_message_id=key),
        metadata=who.metadata,
    )
    return response.message
