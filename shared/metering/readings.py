"""Meter readings as values: validation, stored points and duplicate classification."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

DUPLICATE_TOLERANCE_KWH: Final = 1e-9
DEFAULT_MAX_FUTURE_MS: Final = 5 * 60_000

ReadingStatus = Literal["new", "duplicate", "conflict"]


class InvalidReading(ValueError):
    """A reading that can never be stored (bad type, not finite, negative, far future)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One cumulative register value of a device at `timestamp_ms` (epoch ms, UTC)."""

    timestamp_ms: int
    value_kwh: float

    def __post_init__(self) -> None:
        """Refuse values the metering rule cannot use."""
        if not math.isfinite(self.value_kwh) or self.value_kwh < 0.0:
            raise InvalidReading(f"value_kwh must be finite and >= 0, got {self.value_kwh!r}")


@dataclass(frozen=True, slots=True)
class MeterPoint(Reading):
    """A stored reading plus `register_kwh`, the trusted register value after it.

    `register_kwh` is what the next reading is measured from: the reading's own value, except
    after a noise dip, where it keeps the earlier trusted value. Persist it exactly (a DOUBLE).
    """

    register_kwh: float

    def __post_init__(self) -> None:
        """Refuse a register the metering rule could not have produced."""
        Reading.__post_init__(self)
        if not math.isfinite(self.register_kwh) or self.register_kwh < 0.0:
            raise InvalidReading(f"register_kwh must be finite and >= 0, got {self.register_kwh!r}")


def brief(value: object, limit: int = 40) -> str:
    """`repr(value)` cut to `limit` characters: an error never echoes a huge input back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def validate_reading(
    timestamp_ms: object,
    value_kwh: object,
    *,
    now_ms: int | None = None,
    max_future_ms: int = DEFAULT_MAX_FUTURE_MS,
) -> Reading:
    """Build a Reading from untrusted input or raise InvalidReading naming the bad field."""
    timestamp = _as_timestamp_ms(timestamp_ms)
    if now_ms is not None and timestamp > now_ms + max_future_ms:
        raise InvalidReading(
            f"timestamp {timestamp} is more than {max_future_ms} ms after now ({now_ms})"
        )
    if isinstance(value_kwh, bool) or not isinstance(value_kwh, int | float):
        raise InvalidReading(f"measurement value must be a number, got {brief(value_kwh)}")
    return Reading(timestamp, float(value_kwh))


def _as_timestamp_ms(raw: object) -> int:
    """Accept an int (or an integral float) epoch-ms timestamp >= 0."""
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidReading(f"timestamp must be integer epoch milliseconds, got {brief(raw)}")
    if raw < 0:
        raise InvalidReading(f"timestamp must be >= 0, got {raw}")
    return raw


def classify_reading(stored: Reading | None, incoming: Reading) -> ReadingStatus:
    """Classify `incoming` against what is stored for its (device, timestamp).

    "new" when nothing is stored, "duplicate" (a no-op) when the values agree within
    DUPLICATE_TOLERANCE_KWH, otherwise "conflict": the caller rejects it, the stored value wins.
    """
    if stored is None:
        return "new"
    if stored.timestamp_ms != incoming.timestamp_ms:
        raise ValueError(
            f"stored reading is at {stored.timestamp_ms}, incoming at {incoming.timestamp_ms}"
        )
    if abs(stored.value_kwh - incoming.value_kwh) <= DUPLICATE_TOLERANCE_KWH:
        return "duplicate"
    return "conflict"
