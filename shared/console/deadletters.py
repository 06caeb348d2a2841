"""Dead letters as the product shows them: why, when, the message as received (size-capped).

Two kinds share a dead-letter queue: envelopes the ingestion function wrote
(`{"reason", "message", "received_at_ms"}`) and raw messages the broker dead-lettered after
repeated failures (RabbitMQ `x-death`, Service Bus's own dead-letter sub-queue). The stores
(`deadletters_rabbitmq`, `deadletters_servicebus`) read them into `DeadLetter` values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.errors import DomainError

PREVIEW_BYTES = 4096
MAX_SCAN = 10_000  # letters walked at most by one list or replay


class DeadLettersUnavailable(DomainError):
    """No broker is configured, or it cannot be reached."""

    status = 503
    title = "Dead letters unavailable"
    type_slug = "deadletters-unavailable"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead letter: a stable id, the reason, when, and the original message."""

    id: str
    reason: str
    message: bytes
    received_at: datetime | None = None
    rejected: bool = False  # dead-lettered by the broker, not an envelope from the function
    details: dict[str, Any] = field(default_factory=dict)
    # The function keeps only the start of a huge message: its real size, and that it was cut.
    original_size: int | None = None
    partial: bool = False

    @property
    def size_bytes(self) -> int:
        """The size of the message as it was received."""
        return self.original_size if self.original_size is not None else len(self.message)

    def preview(self, cap: int = PREVIEW_BYTES) -> tuple[str, bool]:
        """The message as text, cut to `cap` bytes; True when it is not whole."""
        cut = len(self.message) > cap or self.partial
        return self.message[:cap].decode("utf-8", errors="replace"), cut


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a replay moved back, which chosen ids were not found, and which were kept because
    only the start of their message was kept (replaying them could only fail again)."""

    replayed: list[DeadLetter]
    missing: list[str]
    skipped: list[str] = field(default_factory=list)


class DeadLetterStore(Protocol):
    """Read and replay one queue's dead letters."""

    def list_letters(self, *, limit: int, offset: int) -> tuple[list[DeadLetter], int]:
        """One page of dead letters (oldest first) and how many there are; leaves them queued."""

    def replay(self, *, ids: frozenset[str] | None, limit: int) -> ReplayResult:
        """Move the selected letters (or, with ids None, up to `limit`) back to the main queue."""


class NoDeadLetters:
    """No broker configured: readings come over HTTP, which answers per item and never
    dead-letters, so there is nothing to list or replay."""

    def list_letters(self, *, limit: int, offset: int) -> tuple[list[DeadLetter], int]:
        """Always empty."""
        return [], 0

    def replay(self, *, ids: frozenset[str] | None, limit: int) -> ReplayResult:
        """Nothing moves; every chosen id is reported missing."""
        return ReplayResult([], sorted(ids) if ids is not None else [])


def letter_id(raw: bytes, salt: str = "") -> str:
    """A stable id for a dead letter: a digest of what the queue holds (and its message id)."""
    return hashlib.sha256(salt.encode() + b"\0" + raw).hexdigest()[:32]


def from_envelope(raw: bytes, *, salt: str = "") -> DeadLetter:
    """Read an envelope the function wrote; anything else is kept whole with a reason."""
    ident = letter_id(raw, salt)
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or "message" not in envelope:
        return DeadLetter(
            ident, "unknown: not an envelope and not dead-lettered by the broker", raw
        )
    message = envelope["message"]
    original = message if isinstance(message, str) else json.dumps(message)
    received = envelope.get("received_at_ms")
    known = ("reason", "message", "received_at_ms", "size_bytes", "truncated")
    details = {k: v for k, v in envelope.items() if k not in known}
    size = envelope.get("size_bytes")
    return DeadLetter(
        id=ident,
        reason=str(envelope.get("reason") or "(no reason given)"),
        message=original.encode(),
        received_at=_from_ms(received),
        details=details,
        original_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        partial=envelope.get("truncated") is True,
    )


def _from_ms(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 2**53:
        return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)
    return None


def text(value: Any) -> str:
    """A header value as text."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
