"""Query-parameter parsing for the console routes: search text, timestamps, optional ids."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from routes._http import uuid_param
from shared.errors import FieldError, ValidationFailed

SEARCH_MAX = 100


def search_param(req: func.HttpRequest, name: str = "q") -> str | None:
    """Trimmed free text (at most 100 characters), or None when absent or blank."""
    value = (req.params.get(name) or "").strip()
    if not value:
        return None
    if len(value) > SEARCH_MAX:
        raise ValidationFailed(
            f"{name} must be at most {SEARCH_MAX} characters.",
            errors=[FieldError(name, "too long")],
        )
    return value


def time_param(req: func.HttpRequest, name: str) -> datetime | None:
    """An ISO 8601 timestamp as naive UTC (a date alone means its midnight UTC)."""
    text = req.params.get(name)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(
            f"{name} must be an ISO 8601 timestamp.",
            errors=[FieldError(name, "invalid timestamp")],
        ) from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def optional_uuid(req: func.HttpRequest, name: str) -> str | None:
    """An optional UUID query parameter; a malformed one is a 422, not a 404."""
    value = req.params.get(name)
    if not value:
        return None
    try:
        return uuid_param(value, what=name)
    except Exception as exc:
        raise ValidationFailed(
            f"{name} must be a UUID.", errors=[FieldError(name, "not a UUID")]
        ) from exc
