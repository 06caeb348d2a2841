"""Thin-edge helpers: parse requests, map domain errors to problem+json responses."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import azure.functions as func
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from shared.auth import Caller, authenticate, authenticate_caller, require_admin, require_admin_role
from shared.db import transaction
from shared.errors import (
    BadRequest,
    DatabaseUnavailable,
    DomainError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from shared.ids import is_uuid
from shared.models import User
from shared.platform import Platform, get_platform
from shared.realtime import disconnect_user
from shared.security.client_address import client_address

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[func.HttpRequest], func.HttpResponse]
PROBLEM_BASE = "https://energy-platform.example/problems/"
MAX_LIMIT = 500
JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# Methods whose handler is run again, once, after the database connection was lost under it:
# safe methods only (every GET handler reads, on the autocommit reader pool). A POST, PATCH or
# DELETE may have written before the connection died: never run twice.
RETRIED_METHODS = frozenset({"GET", "HEAD"})
# Retry-After of a 503 for an unavailable database: a lost connection was already retried
# once, so what is left is a failover in progress or a lock conflict (deadlock, lock wait
# timeout); a client that waits 2 s finds a fresh connection or the lock released.
DB_RETRY_AFTER_SECONDS = 2


def problem(error: DomainError) -> func.HttpResponse:
    """Render a domain error as application/problem+json."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + error.type_slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    headers = dict(JSON_HEADERS)
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return func.HttpResponse(
        json.dumps(body),
        status_code=error.status,
        mimetype="application/problem+json",
        headers=headers,
    )


def internal_error() -> func.HttpResponse:
    """A 500 that reveals nothing about the failure."""
    body = {
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": "An unexpected error occurred; it has been logged.",
    }
    return func.HttpResponse(
        json.dumps(body), status_code=500, mimetype="application/problem+json", headers=JSON_HEADERS
    )


def json_response(payload: BaseModel | dict[str, Any], status: int = 200) -> func.HttpResponse:
    """Serialize a model or dict as a JSON response."""
    text = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
    return func.HttpResponse(
        text, status_code=status, mimetype="application/json", headers=JSON_HEADERS
    )


def database_unavailable() -> func.HttpResponse:
    """A 503 with Retry-After that reveals nothing about the failure."""
    return problem(
        DatabaseUnavailable(
            "The database is unavailable; try again shortly.",
            retry_after_seconds=DB_RETRY_AFTER_SECONDS,
        )
    )


def _connection_lost(error: BaseException) -> bool:
    """SQLAlchemy saw a disconnect (e.g. MySQL 2013) and invalidated the connection."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


# MySQL/MariaDB error codes that mean "not now" rather than "wrong": the server is unreachable,
# gone, shutting down, read-only during a failover, out of connections, killed the connection,
# refused the login (an account not created yet, a password being rotated), or a lock conflict.
# PyMySQL raises OperationalError for these but also for many server errors it has no class for
# (1292 a bad datetime, 1690 a value out of range, 1142 a missing grant): those stay a 500.
MYSQL_UNAVAILABLE = frozenset(
    {1040, 1045, 1053, 1205, 1213, 1290, 1836, 1927, 2002, 2003, 2005, 2006, 2013, 2055, 4031}
)
# SQLite (local profile): another writer holds the file.
SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "database is busy")


def _unavailable(error: BaseException) -> bool:
    """A lost connection, or an OperationalError whose driver error means "try again later"."""
    if _connection_lost(error):
        return True
    if not isinstance(error, OperationalError):
        return False
    args = getattr(error.orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL / mysqlclient: (code, message)
        return args[0] in MYSQL_UNAVAILABLE
    return str(error.orig).startswith(SQLITE_UNAVAILABLE)


def _where(req: func.HttpRequest) -> tuple[str, str]:
    """Method and path for a log line (no query string: its values stay out of the logs)."""
    return req.method.upper(), urlsplit(req.url).path


def _run(handler: Handler, req: func.HttpRequest) -> func.HttpResponse:
    """The handler's answer; a safe method whose connection was lost is run once more.

    A pooled connection that died silently (no FIN/RST: a failover, a load balancer or NAT that
    forgot the flow) within IDLE_PING_SECONDS of its last use passes the checkout check and
    fails its first query; SQLAlchemy then invalidates the pool, so the second run gets a
    fresh connection (docs/security.md).
    """
    try:
        return handler(req)
    except DBAPIError as error:
        if not (_connection_lost(error) and req.method.upper() in RETRIED_METHODS):
            raise
        args = getattr(error.orig, "args", ())
        code = args[0] if args and isinstance(args[0], int) else "?"  # MySQL: 2013, 2006...
        logger.warning(
            "%s %s: database connection lost (driver error %s); running it once more",
            *_where(req),
            code,
        )
    return handler(req)


def endpoint(handler: Handler) -> Handler:
    """Wrap a handler so domain errors become problem+json and nothing leaks a traceback.

    An unavailable database (`_unavailable`: unreachable, a failover, a refused login, a
    deadlock or lock wait timeout; or a connection lost again after the retry in `_run`) answers
    503 with Retry-After; any other error a generic 500.
    """

    @functools.wraps(handler)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return _run(handler, req)
        except DomainError as error:
            return problem(error)
        except Exception as error:
            if _unavailable(error):
                logger.warning("%s %s: database unavailable", *_where(req), exc_info=True)
                return database_unavailable()
            logger.exception("unhandled error in %s %s", req.method, req.url)
            return internal_error()

    return wrapper


def _field_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(".".join(str(p) for p in err["loc"]) or "body", err["msg"])
        for err in exc.errors(include_url=False)
    ]


def load_json(raw: bytes) -> Any:
    """Decode a JSON body; 400 for malformed or too deeply nested JSON (never a 500)."""
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise BadRequest("The request body is nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from exc


def parse_body(req: func.HttpRequest, model: type[M]) -> M:
    """Parse a JSON body into model; 400 for malformed JSON, 422 for invalid content."""
    raw = req.get_body()
    if not raw:
        raise BadRequest("A JSON request body is required.")
    data = load_json(raw)
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The request body must be a JSON object.",
            errors=[FieldError("body", "expected an object")],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed("The request body is invalid.", errors=_field_errors(exc)) from exc


def _int_param(req: func.HttpRequest, name: str, default: int, low: int, high: int) -> int:
    text = req.params.get(name)
    if text is None or text == "":
        return default
    if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
        raise ValidationFailed(
            f"{name} must be an integer between {low} and {high}.",
            errors=[FieldError(name, "out of range")],
        )
    return int(text)


def page_params(req: func.HttpRequest) -> tuple[int, int]:
    """Return (limit, offset) from the query, validated."""
    return _int_param(req, "limit", 50, 1, MAX_LIMIT), _int_param(req, "offset", 0, 0, 10**9)


def choice_param(req: func.HttpRequest, name: str, choices: tuple[str, ...]) -> str | None:
    """Return an optional enumerated query parameter, validated."""
    value = req.params.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise ValidationFailed(
            f"{name} must be one of {', '.join(choices)}.",
            errors=[FieldError(name, "invalid value")],
        )
    return str(value)


def uuid_param(value: str | None, *, what: str) -> str:
    """Return a valid UUID from a route or query value, else a 404 naming it."""
    if value is None or not is_uuid(value):
        raise NotFound(f"{value!r} is not a valid {what} id (expected a UUID).")
    return value.lower()


@contextmanager
def user_scope(
    req: func.HttpRequest, *, admin: bool = False, read_only: bool = False
) -> Iterator[tuple[Session, User]]:
    """Authenticate the caller (optionally requiring an admin) inside one transaction.

    read_only scopes use the autocommit reader pool: no BEGIN/COMMIT round trips.
    """
    platform = get_platform()
    if read_only:
        with platform.readers() as session:
            yield session, _caller(platform, session, req, admin=admin)
        return
    with transaction(platform.sessions) as session:
        yield session, _caller(platform, session, req, admin=admin)


@contextmanager
def caller_scope(req: func.HttpRequest, *, admin: bool = False) -> Iterator[tuple[Session, Caller]]:
    """A read-only scope whose caller is checked with one statement and no ORM entity.

    For the hottest reads (the consumption views); the checks are those of `user_scope`.
    """
    platform = get_platform()
    with platform.readers() as session:
        caller = authenticate_caller(platform, session, req.headers.get("Authorization"))
        if admin:
            require_admin_role(caller.role)
        yield session, caller


def client_address_of(req: func.HttpRequest) -> str:
    """The caller's address as the trusted front end reported it (docs/security.md)."""
    hops = get_platform().settings.TRUSTED_PROXY_HOPS
    return client_address(req.headers.get("x-forwarded-for"), trusted_hops=hops)


def disconnector(platform: Platform) -> Callable[[str], None]:
    """Close a user's live Web PubSub connections (after their tokens were revoked)."""
    return functools.partial(disconnect_user, platform.settings)


def _caller(platform: Platform, session: Session, req: func.HttpRequest, *, admin: bool) -> User:
    user = authenticate(platform, session, req.headers.get("Authorization"))
    return require_admin(user) if admin else user
