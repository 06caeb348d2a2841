"""The queue edges of ingestion: per-message isolation, the RabbitMQ drain, Service Bus letters."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pika
import pika.exceptions
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from local.funchost.rabbitmq.topology import declare_topology
from shared.db import transaction
from shared.ingestion import pipeline
from shared.ingestion.drain import DrainOptions, RabbitDrain
from shared.ingestion.messages import DEAD_LETTER_PREFIX_CHARS, Rejection, dead_letter, parse_body
from shared.ingestion.servicebus import send_dead_letters
from shared.models import StoredReading
from shared.platform import Platform, build_platform
from shared.settings import Settings
from tests.utils.factories import make_device
from tests.utils.services import unavailable

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
NOW_MS = 1_764_000_000_000
STEP_MS = 600_000


def reading(device_id: str, index: int, value: float | None = None) -> bytes:
    body = {
        "timestamp": NOW_MS - 100 * STEP_MS + index * STEP_MS,
        "device_id": device_id,
        "measurement_value": float(index) if value is None else value,
    }
    return json.dumps(body).encode()


@pytest.fixture
def platform(migrated_url: str) -> Platform:
    return build_platform(Settings(DATABASE_URL=migrated_url))


@pytest.fixture
def device_id(sessions: sessionmaker[Session]) -> str:
    with transaction(sessions) as session:
        return make_device(session, max_kwh=10_000).id


def stored(sessions: sessionmaker[Session], device_id: str) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(StoredReading)
        return session.scalar(query.where(StoredReading.device_id == device_id)) or 0


def test_a_message_that_crashes_ingestion_is_isolated_with_a_reason(
    platform: Platform, device_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.store_batch
    poison = reading(device_id, 7)

    def crashing(platform: Platform, items: Sequence[Any], notifier: Any = None) -> Any:
        if any(getattr(item, "reading", None) and item.reading.value_kwh == 7.0 for item in items):
            raise RuntimeError("a bug that only this reading triggers")
        return real(platform, items, notifier)

    monkeypatch.setattr(pipeline, "store_batch", crashing)
    bodies = [reading(device_id, i) for i in range(20)]
    letters = pipeline.queue_batch_letters(platform, bodies)
    reasons = [json.loads(letter)["reason"] for letter in letters if letter]
    assert reasons == ["ingestion failed: RuntimeError"]
    assert letters[bodies.index(poison)] is not None
    assert stored(platform.sessions, device_id) == 19  # the neighbours are stored


def test_a_systemic_failure_raises_instead_of_dead_lettering(
    platform: Platform, device_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server has gone away"))

    monkeypatch.setattr(pipeline, "store_batch", down)
    with pytest.raises(OperationalError):
        pipeline.queue_batch_letters(platform, [reading(device_id, 1)])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 1000 + b"]" * 1000, "nested too deeply"),
        (b'{"timestamp": 1, "device_id": "x", "measurement_value": 1' + b"0" * 400 + b"}", ""),
        ('{"a": "' + "\U0001d11e" * 10_000 + '"}', "a reading may be at most"),
        (b'{"timestamp": 1700000000000, "device_id": "%s", "measurement_value": NaN}', "NaN"),
    ],
)
def test_hostile_bodies_are_rejections_never_exceptions(body: bytes | str, reason: str) -> None:
    if isinstance(body, bytes) and b"%s" in body:
        body = body.replace(b"%s", str(uuid.uuid4()).encode())
    result = parse_body(body, now_ms=NOW_MS)
    assert type(result).__name__ == "Rejection"
    assert reason in result.reason  # type: ignore[union-attr]


def test_dead_letters_are_capped_and_say_how_big_the_message_was() -> None:
    body = "\U0001d11e" * 5_000_000  # 20 MB of 4-byte characters
    envelope = json.loads(dead_letter("too big", body, received_at_ms=1))
    assert envelope["truncated"] is True and envelope["size_bytes"] == 20_000_000
    assert len(envelope["message"]) == DEAD_LETTER_PREFIX_CHARS
    assert len(json.dumps(envelope, ensure_ascii=False).encode()) < 20_000


class FakeBatch:
    def __init__(self, capacity: int) -> None:
        self.capacity, self.messages = capacity, []  # type: ignore[var-annotated]

    def add_message(self, message: Any) -> None:
        if len(self.messages) >= self.capacity:
            raise ValueError("ServiceBusMessageBatch has reached its size limit")
        self.messages.append(message)


class FakeSender:
    def __init__(self, sent: list[list[str]]) -> None:
        self.sent = sent

    def __enter__(self) -> FakeSender:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def create_message_batch(self) -> FakeBatch:
        return FakeBatch(capacity=2)

    def send_messages(self, batch: FakeBatch) -> None:
        self.sent.append([str(message) for message in batch.messages])


def test_service_bus_dead_letters_go_out_in_sdk_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.ingestion import servicebus

    sent: list[list[str]] = []
    queues: list[str] = []

    class Client:
        def get_queue_sender(self, queue_name: str) -> FakeSender:
            queues.append(queue_name)
            return FakeSender(sent)

    monkeypatch.setattr(servicebus, "_client", None)
    send_dead_letters("measurements-invalid", ["a", "b", "c"], factory=Client)
    assert queues == ["measurements-invalid"]
    assert sent == [["a", "b"], ["c"]]
    servicebus.reset_client()


@pytest.fixture
def rabbit_queue() -> Iterator[str]:
    try:
        connection = pika.BlockingConnection(pika.URLParameters(URL))
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", repr(exc))
    name = f"test_drain_{uuid.uuid4().hex[:10]}"
    declare_topology(connection.channel(), name)
    connection.close()
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    channel.queue_delete(name)
    channel.queue_delete(f"{name}.dlq")
    connection.close()


def put(queue: str, bodies: list[bytes]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    channel = connection.channel()
    channel.confirm_delivery()
    for body in bodies:
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    connection.close()


def ready(queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    count = int(connection.channel().queue_declare(queue, passive=True).method.message_count)
    connection.close()
    return count


@pytest.mark.rabbitmq
def test_the_drain_takes_what_waits_and_settles_after_storing(rabbit_queue: str) -> None:
    put(rabbit_queue, [b"m%d" % i for i in range(50)])
    seen: list[Sequence[bytes]] = []

    def handle(bodies: Sequence[bytes]) -> list[str | None]:
        seen.append(list(bodies))
        return [json.dumps({"reason": "odd"}) if body.endswith(b"3") else None for body in bodies]

    drain = RabbitDrain(URL, rabbit_queue, DrainOptions(max_batch=100, idle_wait_s=0.2))
    try:
        assert drain.run(b"trigger3", handle) == 51
    finally:
        drain.close()
    assert seen[0][0] == b"trigger3" and sorted(seen[0][1:]) == sorted(
        b"m%d" % i for i in range(50)
    )
    assert ready(rabbit_queue) == 0
    assert ready(f"{rabbit_queue}.dlq") == 1 + 5  # the trigger's own letter, and m3, m13, ...


@pytest.mark.rabbitmq
def test_the_drain_respects_its_batch_size(rabbit_queue: str) -> None:
    put(rabbit_queue, [b"m%d" % i for i in range(20)])
    sizes: list[int] = []

    def handle(bodies: Sequence[bytes]) -> list[str | None]:
        sizes.append(len(bodies))
        return [None] * len(bodies)

    drain = RabbitDrain(URL, rabbit_queue, DrainOptions(max_batch=5, idle_wait_s=0.2))
    try:
        assert drain.run(b"t", handle) == 21  # the invocation goes on while messages wait
    finally:
        drain.close()
    assert max(sizes) == 5 and sum(sizes) == 21  # but every transaction is at most a batch
    assert ready(rabbit_queue) == 0


@pytest.mark.rabbitmq
def test_the_drain_starts_no_batch_after_its_time(rabbit_queue: str) -> None:
    put(rabbit_queue, [b"m%d" % i for i in range(20)])
    options = DrainOptions(max_batch=5, idle_wait_s=0.2, max_invocation_s=0.0)
    drain = RabbitDrain(URL, rabbit_queue, options)
    try:
        assert drain.run(b"t", lambda bodies: [None] * len(bodies)) == 5
    finally:
        drain.close()
    assert ready(rabbit_queue) == 16  # the rest waits for the next invocation


@pytest.mark.rabbitmq
def test_a_later_batch_that_fails_is_requeued_and_the_stored_ones_stay_acked(
    rabbit_queue: str,
) -> None:
    """Batches are pipelined, yet each is acknowledged only after its own transaction."""
    put(rabbit_queue, [b"m%d" % i for i in range(12)])
    calls: list[int] = []

    def handle(bodies: Sequence[bytes]) -> list[str | None]:
        calls.append(len(bodies))
        if len(calls) == 2:  # the database goes away after the first commit
            raise OperationalError("INSERT", {}, Exception("database is down"))
        return [None] * len(bodies)

    drain = RabbitDrain(URL, rabbit_queue, DrainOptions(max_batch=5, idle_wait_s=0.2))
    try:
        assert drain.run(b"t", handle) == 5  # the trigger's batch is stored: no raise
    finally:
        drain.close()
    assert len(calls) == 2 and calls[0] == 5
    assert ready(rabbit_queue) == 8  # the failed batch and any taken behind it


@pytest.mark.rabbitmq
def test_a_failed_batch_gives_the_drained_messages_back(rabbit_queue: str) -> None:
    put(rabbit_queue, [b"m%d" % i for i in range(10)])

    def down(_bodies: Sequence[bytes]) -> list[str | None]:
        raise OperationalError("INSERT", {}, Exception("database is down"))

    drain = RabbitDrain(URL, rabbit_queue, DrainOptions(max_batch=100, idle_wait_s=0.2))
    try:
        with pytest.raises(OperationalError):
            drain.run(b"t", down)
    finally:
        drain.close()
    assert ready(rabbit_queue) == 10  # nothing was acknowledged


@pytest.mark.rabbitmq
def test_stored_messages_are_settled_even_when_dead_lettering_fails(
    rabbit_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    connection.channel().queue_delete(f"{rabbit_queue}.dlq")  # the letters cannot be routed
    connection.close()
    put(rabbit_queue, [b"bad1", b"good", b"bad2"])
    drain = RabbitDrain(URL, rabbit_queue, DrainOptions(max_batch=100, idle_wait_s=0.2))
    try:
        drain.run(
            b"t",
            lambda bodies: [json.dumps({"reason": "x"}) if b"bad" in b else None for b in bodies],
        )
    finally:
        drain.close()
    assert ready(rabbit_queue) == 0  # settled, not redelivered forever
    assert "dead letter to" in caplog.text and "rejecting the message" in caplog.text


@pytest.mark.parametrize(
    "huge",
    ["[" * 150 + "]" * 150, "[" + "0, " * 4000 + "0]", '"' + "x" * 10_000 + '"'],
    ids=["deep", "wide", "long"],
)
def test_a_rejection_never_echoes_a_huge_value_back(huge: str) -> None:
    body = f'{{"timestamp": 1700000000000, "device_id": {huge}, "measurement_value": 1}}'
    result = parse_body(body, now_ms=NOW_MS)
    assert isinstance(result, Rejection)
    assert "device_id must be a UUID" in result.reason and len(result.reason) < 120
    device = uuid.uuid4()
    value = (
        f'{{"timestamp": 1700000000000, "device_id": "{device}", "measurement_value": ' + huge + "}"
    )
    rejected = parse_body(value, now_ms=NOW_MS)
    assert isinstance(rejected, Rejection)
    assert "must be a number" in rejected.reason and len(rejected.reason) < 120
