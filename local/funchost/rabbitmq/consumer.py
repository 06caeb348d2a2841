"""The consumer thread behind the RabbitMQ binder, with the real trigger's semantics.

What the Azure Functions RabbitMQ extension does (`RabbitMQListener.cs`, extension 2.x on
RabbitMQ.Client 6.4 with `DispatchConsumersAsync = true` and the default
`ConsumerDispatchConcurrency` of 1), and so what this consumer does:
- `basic.qos(prefetchCount)` then `basic.consume(queue)` — the trigger never declares its
  queue; a missing queue fails the listener (here: logged, retried with backoff);
- one message per invocation, one invocation at a time per listener (the client's consumer
  dispatcher runs the async handler serially); up to `prefetchCount` messages wait unacked;
- success → `basic.ack` (after the invocation's `rabbitMQ` outputs are published);
- failure → a copy is republished to the same queue with the header
  `x-ms-rabbitmq-requeuecount` incremented, then the original is acked; once the count would
  reach 5 the message is `basic.reject`ed without requeue, so the queue's dead-letter exchange
  (if any) receives it.

pika's BlockingConnection is not thread-safe, so every channel call happens on this thread;
the function runs on the host's event loop while this thread keeps pumping the connection.
Other threads only use `add_callback_threadsafe`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from local.funchost.rabbitmq.topology import (
    NOT_FOUND,
    OutputQueueMissing,
    connection_parameters,
    ensure_output_queue,
    publish_persistent,
    redact,
)

logger = logging.getLogger(__name__)
IDLE_POLL_S = 0.25
PREVIEW_BYTES = 200  # of a rejected message, in the log
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
REQUEUE_COUNT_HEADER = "x-ms-rabbitmq-requeuecount"
MAX_DELIVERIES = 5  # the extension's constant: rejected when the requeue count reaches 5

# (queue, body) pairs the function produced on `rabbitMQ` output bindings.
Outputs = Sequence[tuple[str, bytes]]
# Starts one invocation with one message body; the future yields the outputs to publish.
Processor = Callable[[bytes], "concurrent.futures.Future[Outputs]"]


class Backoff:
    """Exponential delays for reconnecting: `initial`, doubling up to `cap`."""

    def __init__(self, initial: float, cap: float) -> None:
        self.initial = initial
        self.cap = max(cap, initial)
        self._current = initial

    def next(self) -> float:
        """The delay to wait now; the following one doubles."""
        delay = self._current
        self._current = min(self.cap, self._current * 2)
        return delay

    def reset(self) -> None:
        """Start again from `initial`."""
        self._current = self.initial


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """From host.json `extensions.rabbitMQ.prefetchCount` (30 by default, as in Azure)."""

    prefetch_count: int = 30
    reconnect_initial: float = 0.1  # local only: the real client's recovery interval differs
    reconnect_cap: float = 5.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One unacknowledged message on the current channel."""

    tag: int
    body: bytes
    properties: pika.BasicProperties


def requeue_count(properties: pika.BasicProperties) -> int:
    """The extension's retry counter carried in the message headers (0 when absent)."""
    headers = properties.headers or {}
    try:
        return int(headers.get(REQUEUE_COUNT_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class Consumer:
    """Consumes one queue on a dedicated thread; `process` runs one invocation per message."""

    def __init__(
        self,
        url: str,
        queue: str,
        options: ConsumerOptions,
        process: Processor,
        *,
        name: str,
        output_queues: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.queue = queue
        self.options = options
        self.name = name
        self.output_queues = list(dict.fromkeys(output_queues))
        self.consuming = threading.Event()  # set while a consumer is registered on the broker
        self.connects = 0  # successful connections so far (a reconnect makes it > 1)
        self.last_error: str | None = None  # why the last connection attempt failed
        self._process = process
        self._stopping = threading.Event()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._publisher: BlockingChannel | None = None
        self._consumer_tag = ""
        self._pending: deque[Delivery] = deque()
        self._checked_outputs: set[str] = set()  # output queues known to exist (per connection)
        self._thread = threading.Thread(target=self._run, name=f"rabbitmq-{queue}", daemon=True)

    def start(self) -> None:
        """Start the consumer thread; it connects, and reconnects, on its own."""
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to finish the running invocation, requeue the rest and close."""
        self._stopping.set()
        self._wake()

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end; False on timeout."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _wake(self) -> None:
        connection = self._connection
        if connection is None:
            return
        with contextlib.suppress(*BROKER_ERRORS):  # closed: the thread is not blocked on it
            connection.add_callback_threadsafe(_nothing)

    def _run(self) -> None:
        reconnect = Backoff(self.options.reconnect_initial, self.options.reconnect_cap)
        while not self._stopping.is_set():
            connected_at = None
            try:
                self._connect()
                connected_at = time.monotonic()
                self.last_error = None
                self._consume()
            except pika.exceptions.ChannelClosedByBroker as exc:
                self._report(exc, missing_queue=exc.reply_code == NOT_FOUND)
            except BROKER_ERRORS as exc:
                self._report(exc)
            except Exception:
                logger.exception("RabbitMQ consumer %s failed; reconnecting", self.name)
            finally:
                self._close()
            if connected_at is not None and time.monotonic() - connected_at >= reconnect.cap:
                reconnect.reset()
            if not self._stopping.is_set():
                self._stopping.wait(reconnect.next())
        logger.info("RabbitMQ consumer %s stopped", self.name)

    def _report(self, exc: BaseException, *, missing_queue: bool = False) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self._stopping.is_set():
            logger.debug("RabbitMQ consumer %s: error while stopping", self.name, exc_info=True)
        elif missing_queue:
            logger.error(
                "RabbitMQ consumer %s: %s; the RabbitMQ trigger does not declare its queue "
                "(neither does the Azure extension): declare %r (and its dead-letter queue) "
                "before starting; retrying",
                self.name,
                exc,
                self.queue,
            )
        else:
            logger.warning(
                "RabbitMQ consumer %s: connection to %s failed or lost (%s); reconnecting",
                self.name,
                redact(self.url),
                self.last_error,
            )

    def _connect(self) -> None:
        self._connection = pika.BlockingConnection(
            connection_parameters(self.url, f"funchost:{self.name}")
        )
        channel = self._connection.channel()
        channel.basic_qos(prefetch_count=self.options.prefetch_count)
        publisher = self._connection.channel()
        publisher.confirm_delivery()
        self._checked_outputs.clear()
        self._consumer_tag = channel.basic_consume(self.queue, self._on_message, auto_ack=False)
        self._channel, self._publisher = channel, publisher
        self.connects += 1
        self.consuming.set()
        logger.info(
            "RabbitMQ consumer %s: consuming %s on %s (prefetch %d, one message per invocation)",
            self.name,
            self.queue,
            redact(self.url),
            self.options.prefetch_count,
        )

    def _on_message(
        self,
        _channel: BlockingChannel,
        method: Any,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        self._pending.append(Delivery(int(method.delivery_tag), body, properties))

    def _consume(self) -> None:
        assert self._connection is not None
        while not self._stopping.is_set():
            if self._pending:
                self._handle(self._pending.popleft())
                continue
            self._connection.process_data_events(time_limit=IDLE_POLL_S)
        self._requeue_pending()

    def _handle(self, delivery: Delivery) -> None:
        assert self._channel is not None
        outputs, error = self._invoke(delivery)
        if error is None:
            try:
                self._publish(outputs)
            except OutputQueueMissing as exc:
                error = exc  # the invocation fails, as when the extension cannot bind its output
        if error is None:
            self._channel.basic_ack(delivery_tag=delivery.tag)
            return
        count = requeue_count(delivery.properties) + 1
        if count >= MAX_DELIVERIES:
            logger.error(
                "RabbitMQ consumer %s: invocation failed (%s: %s) for the %dth time; message "
                "rejected without requeue (to the queue's dead-letter exchange, if any): %r",
                self.name,
                type(error).__name__,
                error,
                count,
                delivery.body[:PREVIEW_BYTES],
            )
            self._channel.basic_reject(delivery_tag=delivery.tag, requeue=False)
            return
        logger.warning(
            "RabbitMQ consumer %s: invocation failed (%s: %s); republished with %s=%d",
            self.name,
            type(error).__name__,
            error,
            REQUEUE_COUNT_HEADER,
            count,
        )
        self._republish(delivery, count)
        self._channel.basic_ack(delivery_tag=delivery.tag)

    def _republish(self, delivery: Delivery, count: int) -> None:
        assert self._publisher is not None
        properties = delivery.properties
        properties.headers = {**(properties.headers or {}), REQUEUE_COUNT_HEADER: count}
        self._publisher.basic_publish(
            exchange="", routing_key=self.queue, body=delivery.body, properties=properties
        )

    def _invoke(self, delivery: Delivery) -> tuple[Outputs, BaseException | None]:
        """Run the function on the host loop while pumping this connection."""
        try:
            future = self._process(delivery.body)
        except Exception as exc:  # e.g. the host loop is closed
            return (), exc
        future.add_done_callback(lambda _: self._wake())
        lost: BaseException | None = None
        while not future.done():
            try:
                assert self._connection is not None
                self._connection.process_data_events(time_limit=1.0)
            except BROKER_ERRORS as exc:
                lost = exc  # finish the invocation first, then reconnect
                concurrent.futures.wait([future])
        if lost is not None:
            raise lost  # unacked: the broker redelivers; outputs are dropped with it
        try:
            return future.result(), None
        except Exception as exc:
            return (), exc

    def _publish(self, outputs: Outputs) -> None:
        assert self._publisher is not None and self._connection is not None
        for queue in dict.fromkeys(queue for queue, _ in outputs):
            if queue not in self._checked_outputs:
                ensure_output_queue(self._connection, queue)
                self._checked_outputs.add(queue)
        for queue, body in outputs:
            publish_persistent(self._publisher, queue, body)

    def _requeue_pending(self) -> None:
        channel = self._channel
        if channel is not None and channel.is_open:
            channel.basic_cancel(self._consumer_tag)  # also nacks what was not dispatched yet
            if self._pending:  # delivered, not yet run: everything before was settled
                channel.basic_nack(self._pending[-1].tag, multiple=True, requeue=True)
        self._pending.clear()

    def _close(self) -> None:
        self.consuming.clear()
        connection, self._connection = self._connection, None
        self._channel = self._publisher = None
        self._pending.clear()
        if connection is not None and connection.is_open:
            with contextlib.suppress(*BROKER_ERRORS):
                connection.close()


def _nothing() -> None:
    """Wakes a blocked `process_data_events`."""
