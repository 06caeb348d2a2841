"""The local host's RabbitMQ binder against the real broker, with the Azure extension's semantics.

One message per invocation and one invocation at a time, at most `prefetchCount` unacked,
ack after success, republish with `x-ms-rabbitmq-requeuecount` on failure and reject after 5
deliveries, no declaration of the trigger queue, passive declaration of output queues.
"""

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
from local.funchost.catalog import FunctionIndexError
from local.funchost.config import HostConfig, HostConfigError, parse_host_config
from local.funchost.rabbitmq import RabbitMQBinder, rabbitmq_options, register
from local.funchost.rabbitmq.consumer import REQUEUE_COUNT_HEADER, ConsumerOptions
from local.funchost.rabbitmq.topology import declare_topology, output_bodies
from tests.utils.services import unavailable

BROKER = ("127.0.0.1", 5672)
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
SETTING = "FUNCHOST_TEST_RABBITMQ_URL"


@dataclass
class Recorder:
    """Messages the test function saw (thread-safe), overlap, and how it should misbehave."""

    messages: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    fail_first: int = 0  # raise on this many first calls
    poison: str | None = None  # raise for any message starting with this
    delay: float = 0.0  # seconds each invocation takes
    running: int = 0
    most_running: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, message: str) -> str | None:
        """Record a message, maybe raise; return an envelope when it is not JSON."""
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            if self.delay:
                time.sleep(self.delay)
            with self.lock:
                poisoned = self.poison is not None and message.startswith(self.poison)
                if self.fail_first > 0 or poisoned:
                    self.fail_first -= 1
                    self.failures.append(message)
                    raise RuntimeError("database is down")
                self.messages.append(message)
        finally:
            with self.lock:
                self.running -= 1
        try:
            json.loads(message)
        except ValueError as exc:
            return json.dumps({"reason": f"invalid JSON: {exc}", "message": message})
        return None

    def seen(self) -> list[str]:
        """Every message stored, in order."""
        with self.lock:
            return list(self.messages)


def build_app(queue: str, recorder: Recorder, output: str | None = None) -> func.FunctionApp:
    """The ingestion function's shape: one `str` per invocation, dead letters on an output."""
    app = func.FunctionApp()

    @app.function_name("ingest")
    @app.generic_trigger(
        arg_name="message",
        type="rabbitMQTrigger",
        queue_name=queue,
        connection_string_setting=SETTING,
        data_type="string",
    )
    @app.generic_output_binding(
        arg_name="deadletter",
        type="rabbitMQ",
        queue_name=output or f"{queue}.dlq",
        connection_string_setting=SETTING,
    )
    def ingest(message: str, deadletter: func.Out[str]) -> None:
        letter = recorder.handle(message)
        if letter:
            deadletter.set(letter)

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


def queue_exists(queue: str) -> bool:
    """Whether `queue` exists on the broker (a passive declare)."""
    try:
        with channel_on(URL) as channel:
            channel.queue_declare(queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker as exc:
        assert exc.reply_code == 404
        return False


def message_count(queue: str) -> int:
    """Ready messages in `queue`."""
    with channel_on(URL) as channel:
        return int(channel.queue_declare(queue, passive=True).method.message_count)


def take_all(queue: str) -> list[tuple[Any, bytes]]:
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
    app: func.FunctionApp, extensions: dict[str, Any] | None = None, **kwargs: Any
) -> AsyncIterator[RabbitMQBinder]:
    """A host for `app` with a started RabbitMQ binder for its `ingest` function."""
    config = HostConfig(extensions={"rabbitMQ": extensions or {}})
    host = FunctionHost(app, config, registry=register(BindingRegistry()))
    binder = RabbitMQBinder(host, rabbitmq_options(config.extensions), **kwargs)
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
async def test_one_message_per_invocation_one_at_a_time_all_acked(queue: str) -> None:
    recorder = Recorder(delay=0.002)
    bodies = good(60)
    publish(queue, bodies)
    async with bound(build_app(queue, recorder), {"prefetchCount": 30}):
        await eventually(lambda: len(recorder.seen()) == 60)
    assert recorder.seen() == bodies  # in queue order, each its own invocation
    assert recorder.most_running == 1  # the extension's dispatcher runs one at a time
    assert message_count(queue) == 0 and message_count(f"{queue}.dlq") == 0


@pytest.mark.rabbitmq
async def test_at_most_prefetch_count_messages_are_taken_from_the_queue(queue: str) -> None:
    recorder = Recorder(delay=0.3)
    publish(queue, good(20))
    async with bound(build_app(queue, recorder), {"prefetchCount": 3}):
        await eventually(lambda: message_count(queue) < 20)
        await asyncio.sleep(0.1)
        assert message_count(queue) == 17  # three unacked: the running one and two waiting
        assert recorder.most_running == 1


@pytest.mark.rabbitmq
async def test_bad_messages_go_to_the_output_queue_with_reasons(queue: str) -> None:
    recorder = Recorder()
    bodies = [*good(5), "{nope", *good(5, "late")]
    publish(queue, bodies)
    async with bound(build_app(queue, recorder)):
        await eventually(lambda: len(recorder.seen()) == 11)
        await eventually(lambda: message_count(f"{queue}.dlq") == 1)
    [(properties, body)] = take_all(f"{queue}.dlq")
    letter = json.loads(body)
    assert letter["message"] == "{nope" and "invalid JSON" in letter["reason"]
    assert properties.delivery_mode == 2


@pytest.mark.rabbitmq
async def test_a_failed_invocation_is_republished_with_a_count_and_then_succeeds(
    queue: str,
) -> None:
    recorder = Recorder(fail_first=2)
    publish(queue, good(1))
    async with bound(build_app(queue, recorder)):
        await eventually(lambda: len(recorder.seen()) == 1)
    assert len(recorder.failures) == 2
    assert message_count(queue) == 0 and message_count(f"{queue}.dlq") == 0


@pytest.mark.rabbitmq
async def test_a_poison_message_is_rejected_after_five_deliveries_while_others_flow(
    queue: str,
) -> None:
    recorder = Recorder(poison="POISON")
    bodies = [*good(10), "POISON 1", *good(10, "after")]
    publish(queue, bodies)
    async with bound(build_app(queue, recorder)):
        await eventually(lambda: len(recorder.seen()) == 20)
        await eventually(lambda: message_count(f"{queue}.dlq") == 1)
    assert recorder.failures == ["POISON 1"] * 5  # exactly five deliveries, as in Azure
    [(properties, body)] = take_all(f"{queue}.dlq")
    assert body == b"POISON 1"
    assert properties.headers[REQUEUE_COUNT_HEADER] == 4  # the last republished copy
    assert properties.headers["x-death"][0]["reason"] == "rejected"


@pytest.mark.rabbitmq
async def test_the_trigger_does_not_declare_its_queue(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(SETTING, broker_url())
    name = f"test_{uuid.uuid4().hex[:12]}"
    recorder = Recorder()
    try:
        with caplog.at_level(logging.ERROR, logger="local.funchost"):
            async with bound(
                build_app(name, recorder), {"prefetchCount": 5}, start_timeout=0.3
            ) as binder:
                assert binder.consumer is not None
                await eventually(
                    lambda: binder.consumer is not None and bool(binder.consumer.last_error)
                )
                assert not queue_exists(name)  # refused, not created
                with channel_on(URL) as channel:
                    declare_topology(channel, name)
                publish(name, good(3))
                await eventually(lambda: len(recorder.seen()) == 3, within=15)
        assert any("does not declare its queue" in r.getMessage() for r in caplog.records)
    finally:
        with channel_on(URL) as channel:
            channel.queue_delete(name)
            channel.queue_delete(f"{name}.dlq")


@pytest.mark.rabbitmq
async def test_an_output_queue_that_does_not_exist_fails_the_invocation(queue: str) -> None:
    recorder = Recorder()
    missing = f"{queue}.missing"
    publish(queue, ["{bad json"])
    async with bound(build_app(queue, recorder, output=missing)):
        await eventually(lambda: message_count(f"{queue}.dlq") == 1, within=15)
    assert not queue_exists(missing)  # declared passively, never created
    assert recorder.seen() == ["{bad json"] * 5  # each delivery ran, and each failed to bind
    [(properties, body)] = take_all(f"{queue}.dlq")
    assert body == b"{bad json" and properties.headers[REQUEUE_COUNT_HEADER] == 4


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
    bodies = good(300)
    try:
        async with bound(build_app(queue, recorder), {"prefetchCount": 50}) as binder:
            assert binder.consumer is not None
            publisher = threading.Thread(target=publish, args=(queue, bodies))
            publisher.start()  # directly to the broker, while the binder consumes
            await eventually(lambda: len(recorder.seen()) >= 50, within=20)
            proxy.cut()
            await eventually(lambda: len(recorder.seen()) >= 150, within=20)
            proxy.cut()
            await asyncio.to_thread(publisher.join)
            await eventually(lambda: set(recorder.seen()) == set(bodies), within=30)
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
    host = FunctionHost(build_app(queue, recorder), registry=register(BindingRegistry()))
    binder = RabbitMQBinder(host, ConsumerOptions(reconnect_cap=0.5), start_timeout=0.5)
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
async def test_stop_requeues_messages_waiting_in_the_prefetch(queue: str) -> None:
    recorder = Recorder(delay=0.5)
    publish(queue, good(20))
    async with bound(build_app(queue, recorder), {"prefetchCount": 20}) as binder:
        assert binder.consumer is not None
        await eventually(lambda: recorder.running == 1)
        await binder.stop()  # the running invocation finishes and is acked
    assert len(recorder.seen()) == 1
    assert message_count(queue) == 19  # the prefetched rest went back to the queue


@pytest.mark.rabbitmq
async def test_outputs_of_invocations_outside_the_binder_are_published_at_once(
    queue: str,
) -> None:
    recorder = Recorder()
    host = FunctionHost(build_app(queue, recorder), registry=register(BindingRegistry()))
    await host.invoke_queue("ingest", ['{"ok": 1}', "nope"])  # no binder: no ack to wait for
    await host.stop()
    [(properties, body)] = take_all(f"{queue}.dlq")
    assert json.loads(body)["message"] == "nope" and properties.delivery_mode == 2


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


def test_a_batching_rabbitmq_trigger_is_refused_at_indexing() -> None:
    app = func.FunctionApp()

    @app.function_name("ingest")
    @app.generic_trigger(
        arg_name="messages",
        type="rabbitMQTrigger",
        queue_name="q",
        connection_string_setting=SETTING,
        cardinality="many",
    )
    def ingest(messages: str) -> None:
        del messages

    with pytest.raises(FunctionIndexError, match="has no batching"):
        FunctionHost(app)


def test_options_come_from_host_json_and_unknown_keys_are_refused() -> None:
    assert rabbitmq_options({}) == ConsumerOptions()
    assert rabbitmq_options({"RabbitMQ": {"prefetchCount": 1000}}).prefetch_count == 1000
    for bad in ({"prefetchCount": 0}, {"prefetchCount": "10"}, {"prefetchCount": 70000}):
        with pytest.raises(HostConfigError, match="prefetchCount"):
            rabbitmq_options({"rabbitMQ": bad})
    for ours in ("maxBatchSize", "batchWaitMilliseconds", "maxDeliveryAttempts"):
        with pytest.raises(HostConfigError, match="does not read"):
            rabbitmq_options({"rabbitMQ": {ours: 5}})
        with pytest.raises(HostConfigError, match=ours):
            parse_host_config({"extensions": {"rabbitMQ": {ours: 5}}})
    with pytest.raises(HostConfigError, match="maxBatch"):
        parse_host_config({"extensions": {"serviceBus": {"maxBatch": 5}}})
    parse_host_config({"extensions": {"serviceBus": {"maxMessageBatchSize": 500}}})


def test_output_bodies() -> None:
    assert output_bodies(["a", b"b", {"c": 1}, None]) == [b"a", b"b", b'{"c": 1}']
    assert output_bodies("one") == [b"one"]
    assert output_bodies(None) == [] and output_bodies([]) == []
