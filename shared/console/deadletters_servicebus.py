"""Dead letters on Azure Service Bus: the function's `<queue>-invalid` queue (envelopes) and the
main queue's own dead-letter sub-queue (messages the service gave up on).

Listing peeks (nothing is locked or consumed). Replaying receives in peek-lock mode, sends the
original message to the main queue and only then completes the letter; letters not selected are
abandoned (released at once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core.exceptions import AzureError
from azure.servicebus import (
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceivedMessage,
    ServiceBusSubQueue,
)

from shared.console.deadletters import (
    MAX_SCAN,
    DeadLetter,
    DeadLettersUnavailable,
    ReplayResult,
    from_envelope,
    letter_id,
    text,
)

INVALID_SUFFIX = "-invalid"
RECEIVE_BATCH = 100
RECEIVE_WAIT_S = 2.0
# SDK and credential failures, a malformed connection string, no connection setting at all.
UNAVAILABLE = (AzureError, ValueError, RuntimeError)
Source = tuple[str, ServiceBusSubQueue | None, bool]  # queue, sub-queue, holds envelopes


def body_of(message: ServiceBusReceivedMessage) -> bytes:
    """The message body as bytes (a data body is a sequence of byte chunks)."""
    body: Any = message.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return b"".join(bytes(chunk) for chunk in body)


def parse_message(message: ServiceBusReceivedMessage, *, dead_lettered: bool) -> DeadLetter:
    """A dead letter from an envelope (invalid queue) or a service-dead-lettered message."""
    raw = body_of(message)
    salt = f"{message.message_id or ''}:{message.sequence_number or ''}"
    if not dead_lettered:
        return from_envelope(raw, salt=salt)
    reason = text(message.dead_letter_reason or "dead-lettered by Service Bus")
    if message.dead_letter_error_description:
        reason += f": {text(message.dead_letter_error_description)}"
    enqueued = message.enqueued_time_utc
    return DeadLetter(
        id=letter_id(raw, salt),
        reason=reason,
        message=raw,
        received_at=enqueued.replace(tzinfo=None) if enqueued else None,
        rejected=True,
        details={"delivery_count": message.delivery_count, "message_id": message.message_id},
    )


class ServiceBusDeadLetters:
    """The dead letters of `queue` on one Service Bus namespace."""

    def __init__(self, client_factory: Callable[[], ServiceBusClient], queue: str) -> None:
        self._client_factory = client_factory
        self.queue = queue
        # An envelope abandoned too often moves to the invalid queue's own dead-letter queue.
        self.sources: tuple[Source, ...] = (
            (queue + INVALID_SUFFIX, None, True),
            (queue + INVALID_SUFFIX, ServiceBusSubQueue.DEAD_LETTER, True),
            (queue, ServiceBusSubQueue.DEAD_LETTER, False),
        )

    def list_letters(self, *, limit: int, offset: int) -> tuple[list[DeadLetter], int]:
        """Peek both sources; the total is what was seen (up to MAX_SCAN)."""
        wanted = min(offset + limit, MAX_SCAN)
        letters: list[DeadLetter] = []
        try:
            with self._client_factory() as client:
                for queue, sub_queue, envelopes in self.sources:
                    with client.get_queue_receiver(queue, sub_queue=sub_queue) as receiver:
                        peeked = receiver.peek_messages(max_message_count=MAX_SCAN)
                    letters.extend(parse_message(m, dead_lettered=not envelopes) for m in peeked)
        except UNAVAILABLE as exc:
            raise DeadLettersUnavailable(f"Service Bus failed: {type(exc).__name__}.") from exc
        return letters[offset:wanted], len(letters)

    def replay(self, *, ids: frozenset[str] | None, limit: int) -> ReplayResult:
        """Send selected letters to the main queue, then complete them; abandon the rest."""
        replayed: list[DeadLetter] = []
        skipped: list[str] = []
        try:
            with self._client_factory() as client, client.get_queue_sender(self.queue) as sender:
                for queue, sub_queue, envelopes in self.sources:
                    with client.get_queue_receiver(queue, sub_queue=sub_queue) as receiver:
                        _replay_from(receiver, sender, not envelopes, ids, limit, replayed, skipped)
        except UNAVAILABLE as exc:
            raise DeadLettersUnavailable(f"Service Bus failed: {type(exc).__name__}.") from exc
        found = {letter.id for letter in replayed} | set(skipped)
        return ReplayResult(replayed, sorted(ids - found) if ids is not None else [], skipped)


def _replay_from(
    receiver: Any,
    sender: Any,
    dead: bool,
    ids: frozenset[str] | None,
    limit: int,
    replayed: list[DeadLetter],
    skipped: list[str],
) -> None:
    """Replay from one source; letters not chosen stay locked until the end, then abandoned."""
    kept: list[ServiceBusReceivedMessage] = []
    try:
        while len(replayed) < limit and len(kept) + len(replayed) < MAX_SCAN:
            batch = list(
                receiver.receive_messages(
                    max_message_count=RECEIVE_BATCH, max_wait_time=RECEIVE_WAIT_S
                )
            )
            if not batch:
                return
            for message in batch:
                letter = parse_message(message, dead_lettered=dead)
                chosen = ids is None or letter.id in ids
                if len(replayed) >= limit or not chosen or letter.partial:
                    if chosen and letter.partial:
                        skipped.append(letter.id)
                    kept.append(message)
                    continue
                sender.send_messages(
                    ServiceBusMessage(letter.message, message_id=message.message_id)
                )
                receiver.complete_message(message)
                replayed.append(letter)
    finally:
        for message in kept:
            receiver.abandon_message(message)
