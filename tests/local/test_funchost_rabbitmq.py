"""The local host's RabbitMQ binder against the real broker: batches, dead letters, retries."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import pika
import pika.exceptions
import pytest

from local.funchost import BindingRegistry, FunctionHost, default_registry
from local.funchost.config import HostConfig, HostConfigError
from local.funchost.rabbitmq import RabbitMQBinder, rabbitmq_options, register
from local.funchost.rabbitmq_consumer import ConsumerOptions
from local.funchost.rabbitmq_retry import Delivery, RetryTracker
from local.funchost.rabbitmq_topology import declare_topology, output_bodies
from tests.utils.services import unavailable

BROKER = ("127.0.0.1", 5672)
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
SETTING = "FUNCHOST_TEST_RABBITMQ_URL"
FAST = {
    "retryBackoffMilliseconds": 10,
    "maxRetryBackoffMilliseconds": 100,
    "minAttemptIntervalMilliseconds": 100,
}


@dataclass
class Recorder:
    """Batches the test function saw (thread-safe) and how it should misbehave."""

    batches: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    fail_first: int = 0  # raise on this many first calls
    poison: str | None = None  # raise for any batch holding a body starting with this
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, messages: list[str]) -> list[str]:
        """Record a batch, maybe raise; return envelopes for bodies that are not JSON."""
        with self.lock:
            poisoned = self.poison is not None and any(m.startswith(self.poison) for m in messages)
            if self.fail_first > 0 or poisoned:
                self.fail_first -= 1
                self.failures.append(list(messages))
                raise RuntimeError("database is down")
            self.batches.append(list(messages))
        dead = []
        for message in messages:
            try:
                json.loads(message)
            except ValueError as exc:
                dead.append(json.dumps({"reason": f"invalid JSON: {exc}", "message": message}))
        return dead

    def seen(self) -> list[str]:
        """Every body of every successful batch, in order."""
        with self.lock:
            return [message for batch in self.batches for message in batch]


def build_app(queue: str, recorder: Recorder, cardinality: str = "many") -> func.FunctionApp:
    """The ingestion function's shape, on a queue of this test."""
    app = func.FunctionApp()

    @app.function_name("ingest")
    @app.generic_trigger(
        arg_name="messages",
        type="rabbitMQTrigger",
        queue_name=queue,
        connection_string_setting=SETTING,
        cardinality=cardinality,
        data_type="string",
    )
    @app.generic_output_binding(
        arg_name="deadletters",
        type="rabbitMQ",
        queue_name=f"{queue}.dlq",
        connection_string_setting=SETTING,
    )
    def ingest(messages: list[str] | str, deadletters: func.Out[list[str]]) -> None:
        batch = messages if isinstance(messages, list) else [messages]
        dead = recorder.handle(batch)
        if dead:
            deadletters.set(dead)

    return app


def broker_url() -> str:
    """The broker URL, or skip (fail in CI) when RabbitMQ is unreachable."""
    try:
        pika.BlockingConnection(pika.URLParameters(URL)).close()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", f"{URL}: {exc!r}")
    return URL


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A queue of this test only (declared with its .dlq); both deleted afterwards."""
    url = broker_url()
    monkeypatch.setenv(SETTING, url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    with channel_on(url) as channel:
        declare_topology(channel, name)
    yield name
    with channel_on(url) as channel:
        channel.queue_delete(name)
        channel.queue_delete(f"{name}.dlq")


@contextmanager
def channel_on(url: str) -> Iterator[Any]:
    """A confirm-mode channel on its own connection."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        yield channel
    finally:
        if connection.is_open:
            connection.close()


def publish(queue: str, bodies: list[str], url: str = URL) -> None:
    """Publish persistent messages with confirms; resumes after a closed connection (other
    suites' fault tests may close every connection on the shared broker)."""
    sent = 0
    for _ in range(5):
        try:
            with channel_on(url) as channel:
                for body in bodies[sent:]:
                    properties = pika.BasicProperties(delivery_mode=2)
                    channel.basic_publish("", queue, body.encode(), properties, mandatory=True)
                    sent += 1
            return
        except pika.exceptions.AMQPConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"could not publish to {queue}")


def message_count(queue: str) -> int:
    """Ready messages in `queue`."""
    with channel_on(URL) as channel:
        return int(channel.queue_declare(queue, passive=True).method.message_count)


def drain(queue: str) -> list[tuple[Any, bytes]]:
    """Take every message of `queue` (acked): (properties, body) pairs."""
    taken = []
    with channel_on(URL) as channel:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return taken
            taken.append((properties, body))


async def eventually(check: Callable[[], bool], within: float = 8.0) -> None:
    """Poll `check` while the loop keeps running the host."""
    end = time.monotonic() + within
    while not check():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def bound(
    app: func.FunctionApp, extensions: dict[str, Any] | None = None
) -> AsyncIterator[RabbitMQBinder]:
    """A host for `app` with a started RabbitMQ binder for its `ingest` function."""
    config = HostConfig(extensions={"rabbitMQ": extensions or {}})
    host = FunctionHost(app, config, registry=register(BindingRegistry()))
    binder = RabbitMQBinder(host, rabbitmq_options(config.extensions))
    await binder.start(host.queue_function("ingest"))
    try:
        yield binder
    finally:
        await binder.stop()
        await host.stop()


def good(count: int, tag: str = "m") -> list[str]:
    """`count` distinct JSON messages."""
    return [json.dumps({"n": index, "tag": tag}) for index in range(count)]


@pytest.mark.rabbitmq
async def test_bulk_messages_arrive_in_batches_and_are_all_acked(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    bodies = good(300)
    publish(queue, bodies)  # already waiting when the host starts
    extensions = {"prefetchCount": 200, "maxBatchSize": 64, "batchWaitMilliseconds": 50}
    host = FunctionHost(
        build_app(queue, recorder), HostConfig(extensions={"rabbitMQ": extensions})
    )  # default_registry path: host.start() creates the binder itself
    host.registry = default_registry()
    await host.start()
    try:
        await eventually(lambda: len(recorder.seen()) >= len(bodies))
    finally:
        await host.stop()
    assert sorted(recorder.seen()) == sorted(bodies)  # each exactly once
    sizes = [len(batch) for batch in recorder.batches]
    assert max(sizes) == 64 and all(size <= 64 for size in sizes)
    assert message_count(queue) == 0  # everything acked: nothing came back on close
    assert message_count(f"{queue}.dlq") == 0


@pytest.mark.rabbitmq
async def test_messages_published_while_consuming_are_batched_by_time(queue: str) -> None:
    recorder = Recorder()
    async with bound(build_app(queue, recorder), {"batchWaitMilliseconds": 200}):
        publish(queue, good(20))
        await eventually(lambda: len(recorder.seen()) == 20)
    assert len(recorder.batches) < 20  # bulk-published messages share invocations
    assert message_count(queue) == 0


@pytest.mark.rabbitmq
async def test_cardinality_one_invokes_once_per_message(queue: str) -> None:
    recorder = Recorder()
    async with bound(build_app(queue, recorder, cardinality="one")):
        publish(queue, [*good(5), "oops"])
        await eventually(lambda: len(recorder.seen()) == 6 and message_count(f"{queue}.dlq") == 1)
    assert [len(batch) for batch in recorder.batches] == [1] * 6
    assert message_count(queue) == 0


@pytest.mark.rabbitmq
async def test_bad_messages_go_to_the_dlq_with_reasons_while_good_ones_flow(queue: str) -> None:
    recorder = Recorder()
    bad = ["not json", "{broken", "<xml/>"]
    bodies = good(40)
    bodies[5:5] = bad[:1]
    bodies[20:20] = bad[1:]
    async with bound(build_app(queue, recorder)):
        publish(queue, bodies)
        await eventually(lambda: message_count(f"{queue}.dlq") == 3)
        await eventually(lambda: len(recorder.seen()) == 43)
    letters = [json.loads(body) for _, body in drain(f"{queue}.dlq")]
    assert sorted(letter["message"] for letter in letters) == sorted(bad)
    assert all(letter["reason"].startswith("invalid JSON") for letter in letters)
    assert message_count(queue) == 0


@pytest.mark.rabbitmq
async def test_a_failed_batch_is_redelivered_and_nothing_is_lost(
    queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(fail_first=1)
    bodies = good(30)
    publish(queue, bodies)
    with caplog.at_level(logging.WARNING, logger="local.funchost"):
        async with bound(build_app(queue, recorder), FAST):
            await eventually(lambda: len(recorder.seen()) >= 30)
    assert sorted(set(recorder.seen())) == sorted(bodies)
    assert len(recorder.failures) == 1
    assert set(recorder.failures[0]) <= set(recorder.seen())  # the same messages came back
    assert message_count(queue) == 0 and message_count(f"{queue}.dlq") == 0
    assert any("requeued, retrying" in record.getMessage() for record in caplog.records)


@pytest.mark.rabbitmq
async def test_a_poison_message_is_dead_lettered_after_n_attempts(
    queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(poison="POISON")
    bodies = good(40)
    bodies[17:17] = ["POISON"]
    with caplog.at_level(logging.ERROR, logger="local.funchost"):
        async with bound(build_app(queue, recorder), {**FAST, "maxDeliveryAttempts": 3}):
            publish(queue, bodies)
            await eventually(lambda: message_count(f"{queue}.dlq") == 1)
            await eventually(lambda: len(set(recorder.seen())) == 40)
    assert "POISON" not in recorder.seen()
    alone = [batch for batch in recorder.failures if batch == ["POISON"]]
    assert len(alone) >= 3  # N counted attempts on its own, after bisection isolated it
    [(properties, body)] = drain(f"{queue}.dlq")
    assert body == b"POISON"
    assert properties.headers["x-death"][0]["reason"] == "rejected"
    assert any("failed 3 times alone" in record.getMessage() for record in caplog.records)
    assert message_count(queue) == 0


@pytest.mark.rabbitmq
async def test_adjacent_poison_messages_are_both_dead_lettered(queue: str) -> None:
    recorder = Recorder(poison="POISON")
    bodies = good(30)
    bodies[10:10] = ["POISON-1", "POISON-2"]
    async with bound(build_app(queue, recorder), {**FAST, "maxDeliveryAttempts": 2}):
        publish(queue, bodies)
        await eventually(lambda: message_count(f"{queue}.dlq") == 2)
        await eventually(lambda: len(set(recorder.seen())) == 30)
    assert sorted(body for _, body in drain(f"{queue}.dlq")) == [b"POISON-1", b"POISON-2"]
    assert message_count(queue) == 0


@pytest.mark.rabbitmq
async def test_a_database_outage_does_not_dead_letter_good_messages(queue: str) -> None:
    recorder = Recorder(fail_first=12)  # every call fails for a while, then all succeed
    bodies = good(10)
    publish(queue, bodies)
    extensions = {**FAST, "maxDeliveryAttempts": 2, "minAttemptIntervalMilliseconds": 5000}
    async with bound(build_app(queue, recorder), extensions):
        await eventually(lambda: len(set(recorder.seen())) == 10)
    assert len(recorder.failures) == 12
    assert message_count(f"{queue}.dlq") == 0
    assert max(len(batch) for batch in recorder.batches) > 1  # full batches again at once


class TcpProxy:
    """Forwards a local port to the broker; `cut()` drops every connection like a crash."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.down = threading.Event()  # set: connections are closed at once, like a dead broker
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Reset every proxied connection."""
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        """Stop accepting and cut everything."""
        self.closed.set()
        self.thread.join()
        self.listener.close()
        self.cut()


@pytest.mark.rabbitmq
async def test_the_binder_reconnects_after_the_connection_is_cut(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = TcpProxy(BROKER)
    monkeypatch.setenv(SETTING, f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")
    recorder = Recorder()
    bodies = good(600)
    try:
        async with bound(build_app(queue, recorder), {**FAST, "prefetchCount": 50}) as binder:
            assert binder.consumer is not None
            publisher = threading.Thread(target=publish, args=(queue, bodies))
            publisher.start()  # directly to the broker, while the binder consumes
            await eventually(lambda: len(recorder.seen()) >= 100)
            proxy.cut()
            await eventually(lambda: len(recorder.seen()) >= 300)
            proxy.cut()
            await asyncio.to_thread(publisher.join)
            await eventually(lambda: set(recorder.seen()) == set(bodies))
            assert binder.consumer.connects >= 3
    finally:
        proxy.close()
    assert message_count(queue) == 0 and message_count(f"{queue}.dlq") == 0


@pytest.mark.rabbitmq
async def test_a_broker_that_is_down_at_start_is_retried_until_it_is_back(
    queue: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = TcpProxy(BROKER)
    proxy.down.set()
    monkeypatch.setenv(SETTING, f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")
    recorder = Recorder()
    config = HostConfig(extensions={"rabbitMQ": FAST})
    host = FunctionHost(build_app(queue, recorder), config, registry=register(BindingRegistry()))
    binder = RabbitMQBinder(host, rabbitmq_options(config.extensions), start_timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="local.funchost"):
            await binder.start(host.queue_function("ingest"))
        assert any("not connected after" in record.getMessage() for record in caplog.records)
        assert any("reconnecting" in record.getMessage() for record in caplog.records)
        publish(queue, good(10))
        proxy.down.clear()
        await eventually(lambda: len(recorder.seen()) == 10)
    finally:
        await binder.stop()
        await host.stop()
        proxy.close()


@pytest.mark.rabbitmq
async def test_stop_requeues_messages_in_flight(queue: str) -> None:
    recorder = Recorder()
    release = threading.Event()
    original = recorder.handle

    def slow(messages: list[str]) -> list[str]:
        release.wait(5)
        return original(messages)

    recorder.handle = slow  # type: ignore[method-assign]
    extensions = {"prefetchCount": 20, "maxBatchSize": 5, "batchWaitMilliseconds": 1000}
    publish(queue, good(20))
    async with bound(build_app(queue, recorder), extensions) as binder:
        assert binder.consumer is not None
        await asyncio.sleep(0.3)  # one batch is running; the rest waits in the prefetch
        stopping = asyncio.create_task(binder.stop())
        await asyncio.sleep(0.1)
        release.set()
        await stopping
    assert len(recorder.seen()) == 5  # the running batch finished and was acked
    assert message_count(queue) == 15  # the prefetched rest went back to the queue


@pytest.mark.rabbitmq
async def test_outputs_of_invocations_outside_the_binder_are_published_at_once(
    queue: str,
) -> None:
    recorder = Recorder()
    host = FunctionHost(build_app(queue, recorder), registry=register(BindingRegistry()))
    await host.invoke_queue("ingest", ['{"ok": 1}', "nope"])  # no binder: no ack to wait for
    await host.stop()
    [(properties, body)] = drain(f"{queue}.dlq")
    assert json.loads(body)["message"] == "nope" and properties.delivery_mode == 2


@pytest.mark.rabbitmq
async def test_a_queue_declared_with_other_arguments_is_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(SETTING, broker_url())
    name = f"test_{uuid.uuid4().hex[:12]}"
    with channel_on(URL) as channel:
        channel.queue_declare(name, durable=True)  # no dead-letter arguments
    host = FunctionHost(build_app(name, Recorder()), registry=register(BindingRegistry()))
    binder = RabbitMQBinder(host, ConsumerOptions(), start_timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger="local.funchost"):
            await binder.start(host.queue_function("ingest"))
    finally:
        await binder.stop()
        await host.stop()
        with channel_on(URL) as channel:
            channel.queue_delete(name)
            channel.queue_delete(f"{name}.dlq")
    assert any("PRECONDITION_FAILED" in record.getMessage() for record in caplog.records)


async def test_without_the_connection_setting_the_function_is_not_bound(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    host = FunctionHost(build_app("unbound", Recorder()), registry=default_registry())
    with caplog.at_level(logging.WARNING, logger="local.funchost"):
        await host.start()
    await host.stop()
    message = next(r.getMessage() for r in caplog.records if "not bound" in r.getMessage())
    assert SETTING in message and "unbound" in message


def test_options_come_from_host_json() -> None:
    assert rabbitmq_options({}) == ConsumerOptions()
    options = rabbitmq_options(
        {"RabbitMQ": {"prefetchCount": 1000, "batchWaitMilliseconds": 5, "maxDeliveryAttempts": 9}}
    )
    assert (options.prefetch_count, options.max_batch_size) == (1000, 1000)
    assert (options.batch_wait, options.max_delivery_attempts) == (0.005, 9)
    capped = rabbitmq_options({"rabbitMQ": {"prefetchCount": 10, "maxBatchSize": 50}})
    assert capped.max_batch_size == 10
    for bad in ({"prefetchCount": 0}, {"maxBatchSize": "10"}, {"batchWaitMilliseconds": -1}):
        with pytest.raises(HostConfigError, match=next(iter(bad))):
            rabbitmq_options({"rabbitMQ": bad})


def test_output_bodies() -> None:
    assert output_bodies(["a", b"b", {"c": 1}, None]) == [b"a", b"b", b'{"c": 1}']
    assert output_bodies("one") == [b"one"]
    assert output_bodies(None) == [] and output_bodies([]) == []


def deliveries(*keys: str) -> list[Delivery]:
    return [Delivery(index + 1, b"", key, pika.BasicProperties()) for index, key in enumerate(keys)]


def test_retry_tracker_bisects_then_counts_attempts() -> None:
    tracker = RetryTracker(max_attempts=2, attempt_interval=10.0)
    batch = deliveries(*"abcdefgh")
    assert tracker.batch_size(batch, 100) == 8
    assert not tracker.failed(batch, now=0.0)
    assert tracker.batch_size(batch, 100) == 4  # halves after a failure
    assert not tracker.failed(batch[:4], now=0.0)
    assert tracker.batch_size(batch, 100) == 2
    tracker.succeeded(batch[2:4])
    assert tracker.batch_size(batch[:2], 100) == 2
    assert not tracker.failed(batch[:2], now=0.0)
    assert not tracker.failed(batch[:1], now=0.0)  # first attempt alone counts
    assert tracker.attempts("a") == 1
    assert not tracker.failed(batch[1:2], now=0.0)
    assert not tracker.failed(batch[:1], now=5.0)  # nothing succeeded: maybe an outage
    assert tracker.attempts("a") == 1
    tracker.succeeded(batch[1:2])
    assert tracker.failed(batch[:1], now=5.0)  # fails while others succeed: dead-letter
    assert tracker.attempts("a") == 0
    lone = deliveries("z")
    assert not tracker.failed(lone, now=0.0)
    assert not tracker.failed(lone, now=5.0)  # too soon after the last counted attempt
    assert tracker.failed(lone, now=10.0)  # one attempt per interval when nothing succeeds
    assert tracker.attempts("z") == 0


def test_retry_tracker_lifts_limits_after_a_systemic_failure() -> None:
    tracker = RetryTracker(max_attempts=3, attempt_interval=60.0)
    batch = deliveries(*"abcd")
    tracker.failed(batch, now=0.0)
    tracker.failed(batch[:2], now=0.0)
    tracker.failed(batch[:1], now=0.0)
    assert tracker.succeeded(batch[1:2]) == 0  # one message failing alone: maybe poison
    assert tracker.batch_size(batch, 100) == 1
    tracker.failed(batch[:1], now=0.0)
    tracker.failed(batch[2:3], now=0.0)  # a second message fails alone: the database is down
    assert tracker.succeeded(batch[3:]) == 2
    assert tracker.batch_size(batch[:3], 100) == 3
    assert tracker.attempts("a") == 2  # kept: adjacent poison messages still get dead-lettered
