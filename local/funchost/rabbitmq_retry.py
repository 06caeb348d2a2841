"""Retry bookkeeping for the RabbitMQ consumer: backoff, batch bisection, poison messages.

A failed batch is nacked back to the queue as a whole. To keep one poison message from taking
its neighbours down with it, every message of a failed batch may afterwards only join batches
half as big (bisection), until it runs alone. A message that fails alone counts an attempt;
after `max_attempts` it is dead-lettered. Its first failure alone always counts; a later one
counts when something else succeeded since its previous counted attempt (it is the message,
not the database), or else once `attempt_interval` seconds passed since then. A database
outage (everything fails, nothing succeeds) therefore counts at most one attempt per message
per interval, and with the retry backoff capped at a few seconds the messages cycling through
the prefetch window are retried far less often than that: good messages are not dead-lettered
by a short outage, while poison messages are dead-lettered after N attempts whether other
messages flow (fast) or they are all that is left (one attempt per interval).

When two different messages fail alone with no success in between, the failure is systemic
(the database was down), not the messages' fault: the first success afterwards lifts the batch
limits of every message that failed during that streak, so recovery runs at full batch size
instead of one message at a time. Counted attempts are kept, so two adjacent poison messages
are still dead-lettered after N rounds.

Counts live in memory (RabbitMQ classic queues carry no delivery count) keyed by the AMQP
`message_id`, or by a hash of the body when there is none; a host restart forgets them.
"""

from __future__ import annotations

import hashlib
import sys
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import pika

DEFAULT_CAPACITY = 100_000
UNLIMITED = sys.maxsize


class Backoff:
    """Exponential delays: `initial`, doubling up to `cap`; `reset()` after a success."""

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
class Delivery:
    """One unacknowledged message on the current channel."""

    tag: int
    body: bytes
    key: str
    properties: pika.BasicProperties


def message_key(properties: pika.BasicProperties, body: bytes) -> str:
    """The message's identity for retry counting: its message_id, else a hash of the body."""
    message_id = getattr(properties, "message_id", None)
    if message_id:
        return f"id:{message_id}"
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(slots=True)
class Suspect:
    """A message that was part of a failed batch."""

    limit: int  # the largest batch it may join now
    attempts: int = 0  # failures while running alone that counted
    mark: int = -1  # the success counter when an attempt was last counted
    counted_at: float = 0.0  # monotonic time of the last counted attempt


class RetryTracker:
    """Suspect messages by key (bounded, oldest forgotten first)."""

    def __init__(
        self, max_attempts: int, attempt_interval: float, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        self.max_attempts = max_attempts
        self.attempt_interval = attempt_interval
        self.capacity = capacity
        self.successes = 0
        self.failures = 0
        self._suspects: OrderedDict[str, Suspect] = OrderedDict()
        self._streak: set[str] = set()  # keys that failed since the last success
        self._streak_alone: set[str] = set()  # ... of which failed alone

    def __len__(self) -> int:
        return len(self._suspects)

    def attempts(self, key: str) -> int:
        """Counted attempts of a message (0 when it never failed alone)."""
        suspect = self._suspects.get(key)
        return suspect.attempts if suspect else 0

    def batch_size(self, pending: Sequence[Delivery], max_batch: int) -> int:
        """How many of `pending` (a prefix, in delivery order) may run together now."""
        cap = max_batch
        size = 0
        for delivery in pending:
            suspect = self._suspects.get(delivery.key)
            if suspect is not None:
                cap = min(cap, suspect.limit)
            if size >= cap:
                break
            size += 1
        return size

    def succeeded(self, batch: Sequence[Delivery]) -> int:
        """The batch was processed: forget its messages; returns how many were forgiven."""
        self.successes += 1
        for delivery in batch:
            self._suspects.pop(delivery.key, None)
        forgiven = 0
        if len(self._streak_alone) >= 2:  # a systemic failure just ended
            for key in self._streak:
                suspect = self._suspects.get(key)
                if suspect is not None:
                    suspect.limit = UNLIMITED
                    forgiven += 1
        self._streak.clear()
        self._streak_alone.clear()
        return forgiven

    def failed(self, batch: Sequence[Delivery], now: float) -> bool:
        """Record a failed batch; True when its single message must now be dead-lettered."""
        size = len(batch)
        self.failures += 1
        self._streak.update(delivery.key for delivery in batch)
        if size == 1:
            self._streak_alone.add(batch[0].key)
        for delivery in batch:
            suspect = self._suspects.pop(delivery.key, None) or Suspect(limit=size)
            suspect.limit = max(1, min(suspect.limit, size // 2))
            if size == 1 and self._counts(suspect, now):
                suspect.attempts += 1
                suspect.mark = self.successes
                suspect.counted_at = now
            self._suspects[delivery.key] = suspect
        while len(self._suspects) > self.capacity:
            self._suspects.popitem(last=False)
        if size == 1 and self._suspects[batch[0].key].attempts >= self.max_attempts:
            del self._suspects[batch[0].key]
            return True
        return False

    def _counts(self, suspect: Suspect, now: float) -> bool:
        if suspect.attempts == 0 or suspect.mark != self.successes:
            return True
        return now - suspect.counted_at >= self.attempt_interval
