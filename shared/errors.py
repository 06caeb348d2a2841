"""Domain errors; the edges (HTTP, gRPC) map them to their own status codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input field."""

    field: str
    message: str


class DomainError(Exception):
    """Base class of every error the domain reports to a caller."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"
    # When set, the HTTP edge sends it as Retry-After (seconds).
    retry_after_seconds: int | None = None

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class BadRequest(DomainError):
    """The request could not be parsed."""


class ValidationFailed(DomainError):
    """The request parsed but its content is invalid."""

    status = 422
    title = "Validation failed"
    type_slug = "validation-failed"


class Unauthorized(DomainError):
    """Missing, invalid or expired credentials."""

    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(DomainError):
    """The addressed resource does not exist (or is not visible to the caller)."""

    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    """The request conflicts with existing state."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class RetryLater(DomainError):
    """An error that tells the caller when to try again (sent as Retry-After)."""

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class TooManyRequests(RetryLater):
    """Too many attempts; retry later."""

    status = 429
    title = "Too many requests"
    type_slug = "too-many-requests"


class DatabaseUnavailable(RetryLater):
    """The database cannot be reached or refused for now (failover, deadlock); retry later.

    Raised by no domain code: the HTTP edge maps such driver errors to it (routes/_http.py).
    """

    status = 503
    title = "Service unavailable"
    type_slug = "database-unavailable"
