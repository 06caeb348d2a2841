"""The measurement message (docs/contracts.md) and its wire encodings."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sensor_client.errors import InputError

CONTENT_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One reading as the platform receives it."""

    device_id: str
    timestamp_ms: int
    value_kwh: float

    @property
    def message_id(self) -> str:
        """The id brokers use to spot redelivery: `device_id:timestamp`."""
        return f"{self.device_id}:{self.timestamp_ms}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the contract."""
        return {
            "timestamp": self.timestamp_ms,
            "device_id": self.device_id,
            "measurement_value": self.value_kwh,
        }

    def to_json(self) -> str:
        """The JSON text of the contract."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


def validate_device_id(text: str) -> str:
    """Return the canonical form of a device UUID or raise InputError."""
    try:
        return str(uuid.UUID(text.strip()))
    except (ValueError, AttributeError):
        raise InputError(f"device id {text!r} is not a UUID") from None


def format_ms(timestamp_ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC, for people."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
