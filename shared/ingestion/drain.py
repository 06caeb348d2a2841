"""Batch readings under a one-message-per-invocation RabbitMQ trigger by draining the queue.

The Azure RabbitMQ extension invokes a function with one message at a time and acknowledges
it when the invocation succeeds (see docs/functions-host.md). One transaction per reading would
cap ingestion at a few hundred readings a second, and invocations of one listener never run
concurrently, so they cannot be grouped into one commit either. Instead, each invocation takes
the triggering message plus whatever is waiting in the queue (up to `max_batch`), on a
connection of its own: it consumes with a prefetch window, stops after a short idle wait,
stores everything in one transaction, publishes the dead letters, and only then acknowledges
the drained messages. The trigger's own message is acknowledged by the runtime when the
function returns.

The consumer stays open for the whole invocation with room for two batches, so while one
batch is stored the broker already delivers the next into the connection's buffers; the
invocation goes on batch after batch while messages wait (at most `max_invocation_s`). Every
batch is one transaction, acknowledged only after its commit. (Consuming on another thread
while storing was tried: the two threads fight over the GIL and the store's many small
database reads each wait for it, 4x slower.)

Nothing is acknowledged before it is stored: if the process dies, the drained messages are
redelivered by the broker (their channel closes with them) and the trigger's message is
redelivered by the runtime; readings are idempotent, so a replay stores nothing twice. A
systemic failure (database down) requeues the drained messages; it raises when the trigger's
own batch failed, so the runtime retries that message as it would any failed invocation, and
otherwise ends the invocation (the trigger's message is stored; the requeued ones trigger
another).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

logger = logging.getLogger(__name__)
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
PERSISTENT = 2
DLQ_SUFFIX = ".dlq"

# Stores bodies; returns, per body, the dead-letter envelope to publish (None when stored).
BatchHandler = Callable[[Sequence[bytes]], Sequence[str | None]]


@dataclass(frozen=True, slots=True)
class DrainOptions:
    """How much to take per invocation and how long to wait for more."""

    max_batch: int = 2000  # messages per transaction, the trigger's included
    idle_wait_s: float = 0.01  # stop draining after this long without a message
    max_invocation_s: float = 30.0  # start no new batch after this long in one invocation


@dataclass(frozen=True, slots=True)
class Drained:
    """A message taken from the queue on the drain's channel (unacknowledged)."""

    tag: int
    body: bytes


class DeadLetterError(RuntimeError):
    """A dead-letter envelope could not be published."""


class RabbitDrain:
    """Takes waiting messages of `queue` for the running invocation; one per process."""

    def __init__(self, url: str, queue: str, options: DrainOptions | None = None) -> None:
        self.url = url
        self.queue = queue
        self.dead_letter_queue = f"{queue}{DLQ_SUFFIX}"
        self.options = options or DrainOptions()
        self._lock = threading.Lock()  # pika connections are not thread-safe
        self._connection: pika.BlockingConnection | None = None
        self._consumer: BlockingChannel | None = None
        self._publisher: BlockingChannel | None = None
        self._deliveries: Iterator[tuple[Any, Any, Any]] | None = None

    def run(self, trigger_body: bytes, handle: BatchHandler) -> int:
        """Store the trigger's message with the drained ones; returns how many were stored.

        Raises when storing the trigger's batch fails (the drained messages are requeued
        first) or when the trigger's own dead letter cannot be published (the runtime then
        retries it).
        """
        with self._lock:
            try:
                return self._run(trigger_body, handle)
            finally:
                self._stop_consuming()

    def _run(self, trigger_body: bytes, handle: BatchHandler) -> int:
        deadline = time.monotonic() + self.options.max_invocation_s
        batch = self._take(retry=True)
        try:
            letters = list(handle([trigger_body, *(item.body for item in batch)]))
        except BaseException:
            self._release(batch)
            raise
        self._settle(batch, letters[1:])
        if letters[0] is not None:
            self._publish_letter(letters[0])
        done = len(batch) + 1
        while time.monotonic() < deadline:
            batch = self._take(retry=False)
            if not batch:
                break
            try:
                letters = list(handle([item.body for item in batch]))
            except BaseException:
                self._release(batch)
                logger.warning("storing a drained batch of %s failed; requeued", self.queue)
                break
            self._settle(batch, letters)
            done += len(batch)
        return done

    def close(self) -> None:
        """Close the drain's connection."""
        with self._lock:
            self._disconnect()

    # -- broker side -------------------------------------------------------------------------

    def _channels(self) -> tuple[BlockingChannel, BlockingChannel]:
        if self._connection is None or not self._connection.is_open:
            self._disconnect()
            parameters = pika.URLParameters(self.url)
            parameters.connection_attempts = 1
            parameters.client_properties = {"connection_name": f"ingest-drain:{self.queue}"}
            connection = pika.BlockingConnection(parameters)
            self._connection = connection
            self._consumer = connection.channel()
            self._publisher = connection.channel()
            self._publisher.confirm_delivery()
        assert self._consumer is not None and self._publisher is not None
        return self._consumer, self._publisher

    def _take(self, *, retry: bool) -> list[Drained]:
        """Take up to a batch of waiting messages.

        The first take of an invocation replaces a connection that idled out once; a later one
        gives up on a broker error (unsettled messages are requeued when their channel closes).
        """
        want = self.options.max_batch - 1
        if want <= 0:
            return []
        for attempt in (1, 2):
            try:
                return self._consume(want)
            except BROKER_ERRORS as exc:
                self._disconnect()
                if attempt == 2 or not retry:
                    logger.warning(
                        "drain of %s unavailable (%s); no more messages taken", self.queue, exc
                    )
                    break
        return []

    def _consume(self, want: int) -> list[Drained]:
        if self._deliveries is None:
            consumer, _ = self._channels()
            # Room for the batch being stored and the next one, which the broker can deliver
            # into the connection's buffers meanwhile: both are unacknowledged.
            consumer.basic_qos(prefetch_count=min(2 * want, 65535))
            self._deliveries = consumer.consume(
                self.queue, auto_ack=False, inactivity_timeout=self.options.idle_wait_s
            )
        taken: list[Drained] = []
        for method, _properties, body in self._deliveries:
            if method is None:
                break
            taken.append(Drained(int(method.delivery_tag), body))
            if len(taken) >= want:
                break
        return taken

    def _stop_consuming(self) -> None:
        """Cancel the consumer; what was delivered but not taken goes back to the queue."""
        deliveries, self._deliveries = self._deliveries, None
        if deliveries is None or self._consumer is None:
            return
        try:
            self._consumer.cancel()
        except BROKER_ERRORS as exc:
            logger.warning("drain of %s could not cancel its consumer (%s)", self.queue, exc)
            self._disconnect()

    def _release(self, drained: list[Drained]) -> None:
        """Requeue every unacknowledged message up to the last one given."""
        if not drained or self._consumer is None:
            return
        with contextlib.suppress(*BROKER_ERRORS):  # a lost channel requeues them anyway
            self._consumer.basic_nack(drained[-1].tag, multiple=True, requeue=True)

    def _settle(self, drained: list[Drained], letters: list[str | None]) -> None:
        """Publish dead letters, then acknowledge; a failed publish falls back to the DLX."""
        if not drained:
            return
        consumer = self._consumer
        if consumer is None:  # the channel was lost: the broker requeued them
            logger.warning("drain of %s lost its channel before settling", self.queue)
            return
        try:
            rejected: set[int] = set()
            for item, letter in zip(drained, letters, strict=True):
                if letter is None:
                    continue
                try:
                    self._publish_letter(letter, reconnect=False)
                except DeadLetterError as exc:
                    logger.error(
                        "%s; rejecting the message to the queue's dead-letter exchange", exc
                    )
                    consumer.basic_reject(item.tag, requeue=False)
                    rejected.add(item.tag)
            settled = [item.tag for item in drained if item.tag not in rejected]
            if settled:  # one ack for every message up to the last one not rejected
                consumer.basic_ack(settled[-1], multiple=True)
        except BROKER_ERRORS as exc:
            # The channel is gone: the broker requeues what was not acknowledged, and a replay
            # of a stored reading is a duplicate, so nothing is lost or counted twice.
            logger.warning("drain of %s lost its channel while settling (%s)", self.queue, exc)
            self._disconnect()

    def _publish_letter(self, letter: str, *, reconnect: bool = True) -> None:
        try:
            if reconnect:
                _, publisher = self._channels()
            elif self._publisher is not None:
                publisher = self._publisher
            else:
                raise DeadLetterError(f"no channel to publish to {self.dead_letter_queue}")
            publisher.basic_publish(
                exchange="",
                routing_key=self.dead_letter_queue,
                body=letter.encode("utf-8"),
                properties=pika.BasicProperties(
                    delivery_mode=PERSISTENT, content_type="application/json"
                ),
                mandatory=True,
            )
        except (*BROKER_ERRORS, pika.exceptions.UnroutableError) as exc:
            raise DeadLetterError(
                f"dead letter to {self.dead_letter_queue} failed ({type(exc).__name__}: {exc})"
            ) from exc

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self._deliveries = None
        self._consumer = self._publisher = None
        if connection is not None and connection.is_open:
            with contextlib.suppress(*BROKER_ERRORS):
                connection.close()
