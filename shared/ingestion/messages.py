"""Parse untrusted measurement messages (queue bodies or HTTP items) into readings."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from shared.ids import is_uuid
from shared.metering import InvalidReading, Reading, validate_reading
from shared.metering.readings import brief

MIN_TIMESTAMP_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
FIELDS = ("timestamp", "device_id", "measurement_value")
# A reading is ~120 bytes of JSON; anything far larger is refused before it is parsed.
MAX_MESSAGE_BYTES = 16 * 1024
# A dead letter keeps this much of the original message (and says how big it was), so a
# giant message never makes a dead letter the broker refuses (RabbitMQ's default maximum
# message size is 128 MiB; Service Bus Standard allows 256 KiB).
DEAD_LETTER_PREFIX_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Measurement:
    """A well-formed reading for one device."""

    device_id: str
    reading: Reading


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that cannot be stored, and why."""

    reason: str


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_body(body: str | bytes, *, now_ms: int) -> Measurement | Rejection:
    """Parse one JSON message body; never raises, whatever the body."""
    size = len(body.encode("utf-8", errors="replace") if isinstance(body, str) else body)
    if size > MAX_MESSAGE_BYTES:
        return Rejection(f"message is {size} bytes; a reading may be at most {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        return Rejection("malformed JSON: nested too deeply")
    except (ValueError, UnicodeDecodeError) as exc:
        return Rejection(f"malformed JSON: {exc}")
    return parse_item(data, now_ms=now_ms)


def parse_item(data: object, *, now_ms: int) -> Measurement | Rejection:
    """Validate one decoded message object."""
    if not isinstance(data, Mapping):
        return Rejection("message must be a JSON object")
    missing = [name for name in FIELDS if name not in data]
    if missing:
        return Rejection(f"missing field(s): {', '.join(missing)}")
    extra = sorted(set(data) - set(FIELDS))
    if extra:
        return Rejection(f"unknown field(s): {', '.join(extra)}")
    device_id = data["device_id"]
    if not isinstance(device_id, str) or not is_uuid(device_id):
        return Rejection(f"device_id must be a UUID string, got {brief(device_id)}")
    try:
        reading = validate_reading(data["timestamp"], data["measurement_value"], now_ms=now_ms)
    except InvalidReading as exc:
        return Rejection(str(exc))
    except (OverflowError, ValueError):  # e.g. an integer too large for a float
        return Rejection("measurement_value or timestamp is out of range")
    if not math.isfinite(reading.value_kwh):
        return Rejection(f"measurement value must be finite, got {reading.value_kwh}")
    if reading.timestamp_ms < MIN_TIMESTAMP_MS:
        return Rejection(f"timestamp {reading.timestamp_ms} is before 2000-01-01")
    return Measurement(device_id.lower(), reading)


def dead_letter(reason: str, body: str | bytes, *, received_at_ms: int) -> str:
    """Return the dead-letter envelope for a rejected message, its text capped in size.

    The envelope keeps the reason, the first DEAD_LETTER_PREFIX_CHARS characters of the
    message, its size in bytes and whether it was cut, so it always fits on the broker.
    """
    raw = body.encode("utf-8", errors="replace") if isinstance(body, str) else body
    text = raw[: DEAD_LETTER_PREFIX_CHARS * 4].decode("utf-8", errors="replace")
    kept = text[:DEAD_LETTER_PREFIX_CHARS]
    envelope: dict[str, object] = {
        "reason": reason[:1000],
        "message": kept,
        "received_at_ms": received_at_ms,
        "size_bytes": len(raw),
    }
    if len(kept.encode("utf-8")) < len(raw):
        envelope["truncated"] = True
    return json.dumps(envelope, ensure_ascii=False)
