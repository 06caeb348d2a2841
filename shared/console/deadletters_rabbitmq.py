"""Dead letters of a RabbitMQ queue (`<queue>.dlq`): list without consuming, replay with confirms.

Listing gets each letter without acknowledging it and then requeues them all, in order.
Replaying publishes the original message to the main queue (persistent, confirmed) and only
then acknowledges the dead letter, so a failure in between duplicates at worst, never loses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from shared.console.deadletters import (
    MAX_SCAN,
    DeadLetter,
    DeadLettersUnavailable,
    ReplayResult,
    from_envelope,
    letter_id,
    text,
)

DLQ_SUFFIX = ".dlq"
PERSISTENT = 2
DEATH_HEADERS = frozenset(
    {"x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"}
    | {"x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"}
)


def parse_letter(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    """A dead letter from what the DLQ holds: an envelope, or a message with `x-death`."""
    salt = str(properties.message_id or "")
    deaths = (properties.headers or {}).get("x-death")
    if not deaths:
        return from_envelope(body, salt=salt)
    death = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    reason = (
        f"{text(death.get('reason', 'dead-lettered'))} by the consumer of queue "
        f"{text(death.get('queue', '?'))} (failed repeatedly; see the host log)"
    )
    moment = death.get("time")
    details = {"count": death.get("count"), "message_id": properties.message_id}
    return DeadLetter(
        id=letter_id(body, salt),
        reason=reason,
        message=body,
        received_at=moment.replace(tzinfo=None) if isinstance(moment, datetime) else None,
        rejected=True,
        details={k: v for k, v in details.items() if v is not None},
    )


def replay_properties(letter: DeadLetter, properties: pika.BasicProperties) -> pika.BasicProperties:
    """Persistent properties for the replayed message; a rejected one keeps its own."""
    if not letter.rejected:
        return pika.BasicProperties(delivery_mode=PERSISTENT)
    headers = {k: v for k, v in (properties.headers or {}).items() if k not in DEATH_HEADERS}
    return pika.BasicProperties(
        content_type=properties.content_type,
        content_encoding=properties.content_encoding,
        message_id=properties.message_id,
        correlation_id=properties.correlation_id,
        timestamp=properties.timestamp,
        headers=headers or None,
        delivery_mode=PERSISTENT,
    )


class RabbitMqDeadLetters:
    """The dead letters of `queue` on the broker at `url`."""

    def __init__(
        self, url: str, queue: str, *, connection_name: str = "console-deadletters"
    ) -> None:
        self.url = url
        self.queue = queue
        self.dlq = queue + DLQ_SUFFIX
        self.connection_name = connection_name

    @contextmanager
    def _channel(self) -> Iterator[BlockingChannel]:
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 30
        params.client_properties = {"connection_name": self.connection_name}
        try:
            connection = pika.BlockingConnection(params)
        except pika.exceptions.AMQPError as exc:
            raise DeadLettersUnavailable("The message broker cannot be reached.") from exc
        try:
            yield connection.channel()
        except pika.exceptions.AMQPError as exc:
            raise DeadLettersUnavailable(f"The broker failed: {type(exc).__name__}.") from exc
        finally:
            if connection.is_open:
                connection.close()

    def _ready(self, channel: BlockingChannel) -> int:
        channel.queue_declare(self.dlq, durable=True)
        return int(channel.queue_declare(self.dlq, passive=True).method.message_count)

    def list_letters(self, *, limit: int, offset: int) -> tuple[list[DeadLetter], int]:
        """One page, oldest first; every letter got is requeued in order."""
        with self._channel() as channel:
            total = self._ready(channel)
            letters: list[DeadLetter] = []
            seen, last_tag = 0, 0
            while seen < min(offset + limit, MAX_SCAN):
                method, properties, body = channel.basic_get(self.dlq, auto_ack=False)
                if method is None:
                    break
                last_tag = method.delivery_tag
                if seen >= offset:
                    letters.append(parse_letter(properties, body))
                seen += 1
            if last_tag:
                channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)
            return letters, total

    def replay(self, *, ids: frozenset[str] | None, limit: int) -> ReplayResult:
        """Publish selected letters back to the main queue, then remove them from the DLQ."""
        with self._channel() as channel:
            self._ready(channel)
            channel.confirm_delivery()
            replayed: list[DeadLetter] = []
            skipped: list[str] = []
            scanned, keep_tag = 0, 0
            while scanned < MAX_SCAN and len(replayed) < limit:
                method, properties, body = channel.basic_get(self.dlq, auto_ack=False)
                if method is None:
                    break
                scanned += 1
                letter = parse_letter(properties, body)
                if (ids is not None and letter.id not in ids) or letter.partial:
                    keep_tag = method.delivery_tag
                    if letter.partial and (ids is None or letter.id in ids):
                        skipped.append(letter.id)
                    continue
                self._publish(channel, letter, properties)
                channel.basic_ack(delivery_tag=method.delivery_tag)
                replayed.append(letter)
            if keep_tag:
                channel.basic_nack(delivery_tag=keep_tag, multiple=True, requeue=True)
        found = {letter.id for letter in replayed} | set(skipped)
        missing = sorted(ids - found) if ids is not None else []
        return ReplayResult(replayed, missing, skipped)

    def _publish(self, channel: BlockingChannel, letter: DeadLetter, props: Any) -> None:
        channel.basic_publish(
            "", self.queue, letter.message, replay_properties(letter, props), mandatory=True
        )
