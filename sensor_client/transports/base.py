"""The transport interface every destination implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sensor_client.message import Measurement


class Transport(Protocol):
    """Delivers batches of measurements; `publish` returns only once the destination confirmed.

    A transport may also offer `keepalive()` (called while idle, raising TransportError when the
    link died) and a `rejected` count of readings the destination refused for good.
    """

    def connect(self) -> None:
        """Open the connection; raise TransportError on failure."""

    def publish(self, batch: Sequence[Measurement]) -> None:
        """Deliver every message of the batch or raise TransportError."""

    def close(self) -> None:
        """Release the connection; never raises."""
