"""Service Bus dead letters with a fake namespace (none is reachable here): sources, replay."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.servicebus import ServiceBusSubQueue

from shared.console.deadletters_servicebus import ServiceBusDeadLetters


@dataclass
class FakeMessage:
    """The attributes of ServiceBusReceivedMessage the store reads."""

    body: Any
    sequence_number: int
    message_id: str | None = None
    dead_letter_reason: str | None = None
    dead_letter_error_description: str | None = None
    enqueued_time_utc: datetime | None = None
    delivery_count: int = 1


@dataclass
class FakeQueue:
    """One queue (or sub-queue): messages in order, and what happened to them."""

    messages: list[FakeMessage]
    completed: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    locked: set[int] = field(default_factory=set)


class FakeReceiver:
    def __init__(self, queue: FakeQueue) -> None:
        self.queue = queue

    def __enter__(self) -> FakeReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def peek_messages(self, max_message_count: int) -> list[FakeMessage]:
        return list(self.queue.messages[:max_message_count])

    def receive_messages(self, max_message_count: int, max_wait_time: float) -> list[FakeMessage]:
        free = [m for m in self.queue.messages if m.sequence_number not in self.queue.locked]
        batch = free[:max_message_count]
        self.queue.locked |= {m.sequence_number for m in batch}
        return batch

    def complete_message(self, message: FakeMessage) -> None:
        self.queue.completed.append(message.sequence_number)
        self.queue.messages.remove(message)

    def abandon_message(self, message: FakeMessage) -> None:
        self.queue.abandoned.append(message.sequence_number)
        self.queue.locked.discard(message.sequence_number)


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def __enter__(self) -> FakeSender:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_messages(self, message: Any) -> None:
        self.sent.append(message)


class FakeClient:
    def __init__(self, queues: dict[tuple[str, Any], FakeQueue]) -> None:
        self.queues = queues
        self.sender = FakeSender()

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def get_queue_receiver(self, queue: str, sub_queue: Any = None) -> FakeReceiver:
        return FakeReceiver(self.queues.setdefault((queue, sub_queue), FakeQueue([])))

    def get_queue_sender(self, queue: str) -> FakeSender:
        assert queue == "measurements"
        return self.sender


def _namespace() -> FakeClient:
    envelope = {"reason": "unknown device", "message": '{"d": 1}', "received_at_ms": 0}
    return FakeClient(
        {
            ("measurements-invalid", None): FakeQueue(
                [FakeMessage([json.dumps(envelope).encode()], 1, "a")]
            ),
            ("measurements", ServiceBusSubQueue.DEAD_LETTER): FakeQueue(
                [
                    FakeMessage(
                        [b"poison"],
                        7,
                        "p",
                        dead_letter_reason="MaxDeliveryCountExceeded",
                        dead_letter_error_description="failed 10 times",
                        enqueued_time_utc=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
                        delivery_count=10,
                    ),
                    FakeMessage([b"other"], 8, "q", dead_letter_reason="TTLExpired"),
                ]
            ),
        }
    )


def test_list_reads_envelopes_and_service_dead_letters() -> None:
    client = _namespace()
    store = ServiceBusDeadLetters(lambda: client, "measurements")  # type: ignore[arg-type,return-value]
    letters, total = store.list_letters(limit=10, offset=0)
    assert total == 3
    assert [(x.reason, x.message, x.rejected) for x in letters] == [
        ("unknown device", b'{"d": 1}', False),
        ("MaxDeliveryCountExceeded: failed 10 times", b"poison", True),
        ("TTLExpired", b"other", True),
    ]
    assert letters[1].received_at == datetime(2026, 12, 1, 8, 0)
    page, _ = store.list_letters(limit=1, offset=1)
    assert [x.id for x in page] == [letters[1].id]
    assert all(not q.completed for q in client.queues.values())  # peeking consumes nothing


def test_replay_sends_then_completes_the_chosen_and_abandons_the_rest() -> None:
    client = _namespace()
    store = ServiceBusDeadLetters(lambda: client, "measurements")  # type: ignore[arg-type,return-value]
    letters, _ = store.list_letters(limit=10, offset=0)
    result = store.replay(ids=frozenset({letters[1].id}), limit=100)
    assert [x.id for x in result.replayed] == [letters[1].id] and result.missing == []
    assert [str(m) for m in client.sender.sent] == ["poison"]
    assert client.sender.sent[0].message_id == "p"
    dead = client.queues[("measurements", ServiceBusSubQueue.DEAD_LETTER)]
    assert dead.completed == [7] and dead.abandoned == [8]
    assert client.queues[("measurements-invalid", None)].abandoned == [1]
    everything = store.replay(ids=None, limit=100)
    assert len(everything.replayed) == 2 and [str(m) for m in client.sender.sent[1:]] == [
        '{"d": 1}',
        "other",
    ]
    assert store.list_letters(limit=10, offset=0)[1] == 0


def test_a_letter_with_only_the_start_of_its_message_is_never_replayed() -> None:
    envelope = {
        "reason": "too large",
        "message": "[[[",
        "received_at_ms": 0,
        "size_bytes": 2_000_000,
        "truncated": True,
    }
    cut = FakeQueue([FakeMessage([json.dumps(envelope).encode()], 3, "c")])
    client = FakeClient({("measurements-invalid", None): cut})
    store = ServiceBusDeadLetters(lambda: client, "measurements")  # type: ignore[arg-type,return-value]
    (letter,), _ = store.list_letters(limit=10, offset=0)
    assert (letter.size_bytes, letter.partial, letter.preview()) == (2_000_000, True, ("[[[", True))
    result = store.replay(ids=None, limit=100)
    assert result.replayed == [] and result.skipped == [letter.id]
    assert client.sender.sent == [] and cut.abandoned == [3] and cut.completed == []
