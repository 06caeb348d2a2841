"""The chat service's pure helpers: ordering, throttling, status mapping, fan-out filters."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from chat_container import convert
from chat_container.events import Hub, Overflowed
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.server import ChatConfig
from chat_container.servicer import status_for
from chat_container.stream import ResumableStream, plan
from chat_container.typing_state import TypingThrottle
from shared.chat.views import MessageView, Person, SeqOutOfRange
from shared.errors import Forbidden, NotFound, Unauthorized, ValidationFailed

ALICE = Person("u1", "alice", "Alice", "client")
SUPPORT = Person("a1", "sam", "Sam", "admin")


def message(seq: int, conversation: str = "c1") -> MessageView:
    return MessageView(conversation, seq, ALICE, f"m{seq}", datetime(2026, 1, 1), "")


def test_plan_skips_old_delivers_next_and_fills_gaps() -> None:
    assert plan(5, 3) == "skip"
    assert plan(5, 5) == "skip"
    assert plan(5, 6) == "deliver"
    assert plan(5, 8) == "fill"
    assert plan(0, 1) == "deliver"


def test_typing_throttle_accepts_once_per_interval_per_key() -> None:
    throttle = TypingThrottle(2.0)
    key = ("c1", "u1")
    assert throttle.accept(key, 10.0)
    assert not throttle.accept(key, 11.9)
    assert throttle.accept(("c1", "u2"), 11.9)  # other people are independent
    assert throttle.accept(key, 12.0)
    throttle.forget(key)
    assert throttle.accept(key, 12.1)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (Unauthorized("x"), grpc.StatusCode.UNAUTHENTICATED),
        (Forbidden("x"), grpc.StatusCode.PERMISSION_DENIED),
        (NotFound("x"), grpc.StatusCode.NOT_FOUND),
        (SeqOutOfRange("x"), grpc.StatusCode.OUT_OF_RANGE),
        (ValidationFailed("x"), grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_domain_errors_map_to_grpc_statuses(error: Exception, code: grpc.StatusCode) -> None:
    assert status_for(error) == code  # type: ignore[arg-type]


async def test_subscriptions_filter_by_conversation_and_hide_own_typing() -> None:
    hub = Hub()
    one = hub.subscribe("u1", frozenset({"c1"}))
    every = hub.subscribe("a1", None)
    hub.dispatch(convert.message_event(message(1, "c2")))
    hub.dispatch(convert.typing_event("c1", ALICE, typing=True, ttl_ms=6000))
    hub.dispatch(convert.seen_event("c1", SUPPORT, 1))
    assert (await one.next()).WhichOneof("event") == "seen"  # not c2, not its own typing
    kinds = [(await every.next()).WhichOneof("event") for _ in range(3)]
    assert kinds == ["message", "typing", "seen"]
    hub.unsubscribe(one)
    assert len(hub) == 1


async def test_a_subscriber_that_falls_behind_is_told_to_resume(monkeypatch: Any) -> None:
    monkeypatch.setattr("chat_container.events.QUEUE_LIMIT", 3)
    hub = Hub()
    slow = hub.subscribe("u1", None)
    for seq in range(1, 6):
        hub.dispatch(convert.message_event(message(seq)))
    with pytest.raises(Overflowed):
        await slow.next()


class FakeStore:
    """Serves stored messages for gap fills."""

    def __init__(self, stored: list[MessageView]) -> None:
        self.stored = stored
        self.reads: list[tuple[int, int | None]] = []

    async def messages_between(
        self, conversation_id: str, after_seq: int, up_to_seq: int | None = None
    ) -> list[MessageView]:
        self.reads.append((after_seq, up_to_seq))
        top = up_to_seq if up_to_seq is not None else 10**9
        return [m for m in self.stored if after_seq < m.seq <= top]


async def test_stream_replays_then_fills_gaps_and_drops_duplicates() -> None:
    store = FakeStore([message(seq) for seq in range(1, 8)])
    hub = Hub()
    subscription = hub.subscribe("a1", None)
    stream = ResumableStream(store, subscription, {"c1": 7}, {"c1": 2})  # type: ignore[arg-type]
    for seq in (3, 9, 8, 10):  # 3: already replayed; 9 before 8: a replica raced
        hub.dispatch(convert.message_event(message(seq)))
    store.stored.extend([message(8), message(9), message(10)])
    events = stream.events()
    seqs = []
    async for event in events:
        if event.WhichOneof("event") == "message":
            seqs.append(event.message.seq)
        if len(seqs) == 8:
            break
    await events.aclose()
    assert seqs == [3, 4, 5, 6, 7, 8, 9, 10]


async def test_stream_sends_heartbeats_when_idle() -> None:
    hub = Hub()
    stream = ResumableStream(FakeStore([]), hub.subscribe("a1", None), {}, {}, heartbeat_s=0.01)  # type: ignore[arg-type]
    events = stream.events()
    assert (await anext(events)).WhichOneof("event") == "ready"
    beat = await asyncio.wait_for(anext(events), 2)
    assert beat.heartbeat.server_time.seconds > 0
    await events.aclose()


def test_conversions_carry_identity_role_and_utc_time() -> None:
    converted = convert.chat_message(message(4))
    assert converted.sender.display_name == "Alice" and converted.sender.role == pb.ROLE_CLIENT
    assert converted.created_at.ToDatetime().isoformat() == "2026-01-01T00:00:00"
    assert convert.participant(SUPPORT).role == pb.ROLE_ADMIN
    assert convert.event_conversation_id(pb.ChatEvent(ready=pb.Ready())) == ""


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 31, 1, 59, 59, 999_999),  # naive: UTC, as stored
        datetime(1969, 12, 31, 23, 59, 59, 500_000),  # before the epoch
        datetime(2024, 6, 1, 12, 0, 0, 123_456, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_timestamps_match_protobufs_own_conversion(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    assert convert.timestamp(moment) == expected


def test_config_from_the_environment() -> None:
    config = ChatConfig.from_env({"CHAT_PORT": "6000", "CHAT_TYPING_TTL_S": "3.5"})
    assert (config.port, config.typing_ttl_s, config.typing_throttle_s) == (6000, 3.5, 2.0)
    assert ChatConfig.from_env({}).port == 50051
    assert ChatConfig.from_env({}).recheck_s == 8.0
    assert ChatConfig.from_env({"CHAT_STREAM_RECHECK_S": "0.5"}).recheck_s == 0.5
    with pytest.raises(SystemExit, match="CHAT_"):
        ChatConfig.from_env({"CHAT_PORT": "many"})


def test_the_server_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chat_container"],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "python -m shared.migrate upgrade" in result.stderr
