"""The consumer thread behind the RabbitMQ binder: batches, acks, redelivery, reconnects.

pika's BlockingConnection is not thread-safe, so every channel call happens on this thread;
the function runs on the host's event loop and this thread waits for it while still pumping
the connection (heartbeats, next deliveries). Other threads only use `add_callback_threadsafe`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from local.funchost.rabbitmq_retry import Backoff, Delivery, RetryTracker, message_key
from local.funchost.rabbitmq_topology import (
    connection_parameters,
    dead_letter_queue,
    declare_topology,
    ensure_queue,
    publish_persistent,
    redact,
)

logger = logging.getLogger(__name__)
IDLE_POLL_S = 0.25
PREVIEW_BYTES = 200  # of a rejected message, in the log
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)

# (queue, body) pairs the function produced on `rabbitMQ` output bindings.
Outputs = Sequence[tuple[str, bytes]]
# Starts one invocation with the batch's bodies; the future yields the outputs to publish.
Processor = Callable[[list[bytes]], "concurrent.futures.Future[Outputs]"]


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """Consumer tuning, from host.json `extensions.rabbitMQ` (times in seconds)."""

    prefetch_count: int = 30
    max_batch_size: int = 30
    batch_wait: float = 0.02
    max_delivery_attempts: int = 5
    retry_backoff: float = 0.1
    max_retry_backoff: float = 5.0
    attempt_interval: float = 5.0  # between counted attempts of a message when nothing succeeds


class Consumer:
    """Consumes one queue on a dedicated thread; `process` runs the function for a batch."""

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
        declared = (queue, dead_letter_queue(queue))
        self.output_queues = [name for name in output_queues if name not in declared]
        self.consuming = threading.Event()  # set while a consumer is registered on the broker
        self.connects = 0  # successful connections so far (a reconnect makes it > 1)
        self.retries = RetryTracker(options.max_delivery_attempts, options.attempt_interval)
        self._process = process
        self._stopping = threading.Event()
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._publisher: BlockingChannel | None = None
        self._consumer_tag = ""
        self._pending: list[Delivery] = []
        self._first_at = 0.0
        self._failures = Backoff(options.retry_backoff, options.max_retry_backoff)
        self._thread = threading.Thread(target=self._run, name=f"rabbitmq-{queue}", daemon=True)

    def start(self) -> None:
        """Start the consumer thread; it connects, and reconnects, on its own."""
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to finish the running batch, requeue the rest and close."""
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
        reconnect = Backoff(self.options.retry_backoff, self.options.max_retry_backoff)
        while not self._stopping.is_set():
            connected_at = None
            try:
                self._connect()
                connected_at = time.monotonic()
                self._consume()
            except BROKER_ERRORS as exc:
                if self._stopping.is_set():
                    logger.debug(
                        "RabbitMQ consumer %s: error while stopping", self.name, exc_info=True
                    )
                else:
                    logger.warning(
                        "RabbitMQ consumer %s: connection to %s failed or lost (%s: %s); "
                        "reconnecting",
                        self.name,
                        redact(self.url),
                        type(exc).__name__,
                        exc,
                    )
            except Exception:
                logger.exception("RabbitMQ consumer %s failed; reconnecting", self.name)
            finally:
                self._close()
            # A connection that lasted resets the backoff; one dropping at once keeps backing off.
            if connected_at is not None and time.monotonic() - connected_at >= reconnect.cap:
                reconnect.reset()
            if not self._stopping.is_set():
                self._stopping.wait(reconnect.next())
        logger.info("RabbitMQ consumer %s stopped", self.name)

    def _connect(self) -> None:
        self._connection = pika.BlockingConnection(
            connection_parameters(self.url, f"funchost:{self.name}")
        )
        channel = self._connection.channel()
        declare_topology(channel, self.queue)
        for queue in self.output_queues:
            ensure_queue(self._connection, queue)
        channel.basic_qos(prefetch_count=self.options.prefetch_count)
        publisher = self._connection.channel()
        publisher.confirm_delivery()
        self._consumer_tag = channel.basic_consume(self.queue, self._on_message, auto_ack=False)
        self._channel, self._publisher = channel, publisher
        self.connects += 1
        self.consuming.set()
        logger.info(
            "RabbitMQ consumer %s: consuming %s on %s (prefetch %d, batch %d)",
            self.name,
            self.queue,
            redact(self.url),
            self.options.prefetch_count,
            self.options.max_batch_size,
        )

    def _on_message(
        self,
        _channel: BlockingChannel,
        method: Any,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        if not self._pending:
            self._first_at = time.monotonic()
        key = message_key(properties, body)
        self._pending.append(Delivery(int(method.delivery_tag), body, key, properties))

    def _consume(self) -> None:
        assert self._connection is not None
        while not self._stopping.is_set():
            size = self.retries.batch_size(self._pending, self.options.max_batch_size)
            deadline = self._first_at + self.options.batch_wait
            now = time.monotonic()
            if size and (
                size < len(self._pending) or size >= self.options.max_batch_size or now >= deadline
            ):
                self._flush(size)
                continue
            timeout = max(0.0, deadline - now) if self._pending else IDLE_POLL_S
            self._connection.process_data_events(time_limit=timeout)
        self._requeue_pending()

    def _flush(self, size: int) -> None:
        batch, self._pending = self._pending[:size], self._pending[size:]
        assert self._channel is not None
        outputs, error = self._run_batch(batch)
        if error is None:
            self._publish(outputs)
            self._channel.basic_ack(delivery_tag=batch[-1].tag, multiple=True)
            if forgiven := self.retries.succeeded(batch):
                logger.info(
                    "RabbitMQ consumer %s: recovered after a systemic failure; %d message(s) "
                    "may join full batches again",
                    self.name,
                    forgiven,
                )
            self._failures.reset()
            return
        if self.retries.failed(batch, now=time.monotonic()):
            logger.error(
                "RabbitMQ consumer %s: message %s failed %d times alone (last error %s: %s); "
                "rejected to %s: %r",
                self.name,
                batch[0].key,
                self.options.max_delivery_attempts,
                type(error).__name__,
                error,
                dead_letter_queue(self.queue),
                batch[0].body[:PREVIEW_BYTES],
            )
            self._channel.basic_reject(delivery_tag=batch[0].tag, requeue=False)
            return
        delay = self._failures.next()
        logger.warning(
            "RabbitMQ consumer %s: batch of %d failed (%s: %s); requeued, retrying in %.2fs",
            self.name,
            len(batch),
            type(error).__name__,
            error,
            delay,
        )
        self._channel.basic_nack(delivery_tag=batch[-1].tag, multiple=True, requeue=True)
        self._pause(delay)

    def _run_batch(self, batch: list[Delivery]) -> tuple[Outputs, BaseException | None]:
        """Run the function on the host loop while pumping this connection."""
        try:
            future = self._process([delivery.body for delivery in batch])
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
        assert self._publisher is not None
        for queue, body in outputs:
            publish_persistent(self._publisher, queue, body)

    def _pause(self, delay: float) -> None:
        """Back off without starving the connection; returns early on stop."""
        assert self._connection is not None
        end = time.monotonic() + delay
        while not self._stopping.is_set() and (left := end - time.monotonic()) > 0:
            self._connection.process_data_events(time_limit=min(left, IDLE_POLL_S))

    def _requeue_pending(self) -> None:
        channel = self._channel
        if channel is not None and channel.is_open:
            channel.basic_cancel(self._consumer_tag)  # also nacks what was not dispatched yet
            if self._pending:  # delivered, not yet run: everything before was settled
                channel.basic_nack(self._pending[-1].tag, multiple=True, requeue=True)
        self._pending = []

    def _close(self) -> None:
        self.consuming.clear()
        connection, self._connection = self._connection, None
        self._channel = self._publisher = None
        self._pending = []
        if connection is not None and connection.is_open:
            with contextlib.suppress(*BROKER_ERRORS):
                connection.close()


def _nothing() -> None:
    """Wakes a blocked `process_data_events`."""
