"""Parse untrusted measurement messages (queue bodies or HTTP items) into readings.

The contract is `shared.schemas.MeasurementIn`, the same model the OpenAPI document shows:
a body is validated by it straight from its JSON text, an HTTP item from its decoded value.
What the model refuses becomes a `Rejection` whose reason names the field and what was wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from shared.metering import InvalidReading, Reading, validate_reading
from shared.metering.readings import brief
from shared.schemas import MIN_TIMESTAMP_MS, MeasurementIn

# A reading is ~120 bytes of JSON; anything far larger is refused before it is parsed.
MAX_MESSAGE_BYTES = 16 * 1024
# A dead letter keeps this much of the original message (and says how big it was), so a
# giant message never makes a dead letter the broker refuses (RabbitMQ's default maximum
# message size is 128 MiB; Service Bus Standard allows 256 KiB).
DEAD_LETTER_PREFIX_CHARS = 4096
_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


@dataclass(frozen=True, slots=True)
class Measurement:
    """A well-formed reading for one device."""

    device_id: str
    reading: Reading


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that cannot be stored, and why."""

    reason: str


def parse_body(body: str | bytes, *, now_ms: int) -> Measurement | Rejection:
    """Parse one JSON message body; never raises, whatever the body."""
    size = len(body.encode("utf-8", errors="replace") if isinstance(body, str) else body)
    if size > MAX_MESSAGE_BYTES:
        return Rejection(f"message is {size} bytes; a reading may be at most {MAX_MESSAGE_BYTES}")
    try:
        message = MeasurementIn.model_validate_json(body)
    except ValidationError as exc:
        return Rejection(rejection_reason(exc.errors(include_url=False)))
    except ValueError as exc:  # defensive: pydantic reports bad text as a ValidationError
        return Rejection(f"malformed JSON: {exc}")
    return _measurement(message, now_ms)


def parse_item(data: object, *, now_ms: int) -> Measurement | Rejection:
    """Validate one decoded message object (an item of an HTTP batch)."""
    try:
        message = MeasurementIn.model_validate(data)
    except ValidationError as exc:
        return Rejection(rejection_reason(exc.errors(include_url=False)))
    return _measurement(message, now_ms)


def _measurement(message: MeasurementIn, now_ms: int) -> Measurement | Rejection:
    """The reading of a valid message, unless it is too far ahead of `now_ms`."""
    try:
        reading = validate_reading(message.timestamp, message.measurement_value, now_ms=now_ms)
    except InvalidReading as exc:
        return Rejection(str(exc))
    return Measurement(message.device_id, reading)


def rejection_reason(errors: Sequence[ErrorDetails]) -> str:
    """One reason for what MeasurementIn refused, the most basic problem first.

    The order: not JSON, not an object, missing fields, unknown fields, then the first bad field
    in the order device_id, timestamp, measurement_value. A value is never echoed in full.
    """
    kinds = {error["type"] for error in errors}
    for error in errors:
        if error["type"] == "json_invalid":
            detail = error["msg"].removeprefix("Invalid JSON: ")
            return (
                f"malformed JSON: {'nested too deeply' if 'recursion limit' in detail else detail}"
            )
        if error["type"] == "string_unicode":  # a str with a lone surrogate
            return "malformed JSON: the text is not valid Unicode"
    if not all(error["loc"] for error in errors):
        return "message must be a JSON object"
    if "missing" in kinds:
        missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing"]
        return f"missing field(s): {', '.join(missing)}"
    if "extra_forbidden" in kinds:
        extra = sorted({str(e["loc"][0])[:40] for e in errors if e["type"] == "extra_forbidden"})
        return f"unknown field(s): {', '.join(extra)}"
    by_field: dict[str, list[ErrorDetails]] = {}
    for error in errors:
        by_field.setdefault(str(error["loc"][0]), []).append(error)
    if "device_id" in by_field:
        return f"device_id must be a UUID string, got {brief(by_field['device_id'][0]['input'])}"
    if "timestamp" in by_field:
        return _timestamp_reason(by_field["timestamp"])
    return _value_reason(by_field["measurement_value"][0])


def _timestamp_reason(errors: list[ErrorDetails]) -> str:
    value = errors[0]["input"]
    if any(error["type"] == "greater_than_equal" for error in errors) and _is_whole(value):
        return f"timestamp {value} is before 2000-01-01 ({MIN_TIMESTAMP_MS} ms)"
    return f"timestamp must be integer epoch milliseconds, got {_brief_number(value)}"


def _value_reason(error: ErrorDetails) -> str:
    value = error["input"]
    if error["type"] == "greater_than_equal":
        return f"measurement value must be >= 0, got {brief(value)}"
    if isinstance(value, int) and not isinstance(value, bool):  # a giant int, no float holds it
        return f"measurement_value is out of range (too large for a float): {brief(value)}"
    if error["type"] == "finite_number":
        return f"measurement value must be finite, got {_brief_number(value)}"
    return f"measurement value must be a number, got {brief(value)}"


def _is_whole(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _brief_number(value: object) -> str:
    """A non-finite float as JSON spells it (NaN, Infinity), anything else cut short."""
    return _NOT_FINITE.get(repr(value), brief(value)) if isinstance(value, float) else brief(value)


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
