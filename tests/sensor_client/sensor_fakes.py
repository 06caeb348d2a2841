"""Shared helpers for the sensor client tests: paths, a device id, a recording transport."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sensor_client.errors import TransportError
from sensor_client.message import Measurement

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVICE = "3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b"


class RecordingTransport:
    """Keeps what it confirmed; can fail the next N publishes or only record without confirming."""

    def __init__(self) -> None:
        self.confirmed: list[Measurement] = []
        self.attempts: list[list[Measurement]] = []
        self.fail_next = 0
        self.connects = 0
        self.closed = 0
        self.on_publish: list[Callable[[], None]] = []

    def connect(self) -> None:
        self.connects += 1

    def publish(self, batch: Sequence[Measurement]) -> None:
        self.attempts.append(list(batch))
        for hook in self.on_publish:
            hook()
        if self.fail_next:
            self.fail_next -= 1
            raise TransportError("simulated connection loss")
        self.confirmed.extend(batch)

    def close(self) -> None:
        self.closed += 1
