"""How a route documents itself for the OpenAPI document (assembled by `openapi.py`).

Each routes module keeps one `ApiDoc` and puts an `Operation` on every HTTP handler, right
above its `bp.route`: summary, tag, who may call it, the request and response models, the
query parameters (named from QUERY_SCHEMAS) and the error statuses beyond those its auth (401,
403) and its database (503) imply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from shared.audit import ENTITY_TYPES
from shared.console.fleet import SORTS as FLEET_SORTS
from shared.console.people import USER_SORTS

Auth = Literal["none", "user", "admin", "device"]
Method = Literal["get", "post", "patch", "delete"]
H = TypeVar("H")

PAGE = ("limit", "offset")
VIEW = ("date", "from", "to", "group_by", "tz")
EXPORT = ("from", "to", "tz")
# Query parameters by documented key; QUERY_NAMES maps a key to its name on the wire where they
# differ (two lists sort by different keys, two filter by different states).
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
    "offset": {"type": "integer", "minimum": 0, "default": 0},
    "role": {"type": "string", "enum": ["admin", "client"]},
    "owner_id": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date", "description": "Local day, YYYY-MM-DD"},
    "from": {"type": "string", "format": "date", "description": "First local day, inclusive"},
    "to": {"type": "string", "format": "date", "description": "Last local day, inclusive"},
    "group_by": {"type": "string", "enum": ["hour", "day", "week", "month"], "default": "day"},
    "tz": {"type": "string", "default": "UTC", "description": "IANA time zone"},
    "since": {"type": "string", "format": "date-time"},
    "unacknowledged": {"type": "boolean"},
    "state": {"type": "string", "enum": ["active", "cleared"], "description": "alert state"},
    "q": {"type": "string", "maxLength": 100, "description": "Case-insensitive search"},
    "status": {"type": "string", "enum": ["reporting", "late", "silent", "never"]},
    "device_sort": {"type": "string", "enum": list(FLEET_SORTS), "default": "description"},
    "user_sort": {"type": "string", "enum": list(USER_SORTS), "default": "username"},
    "device_id": {"type": "string", "format": "uuid"},
    "actor_id": {"type": "string", "format": "uuid"},
    "admin_alert_state": {"type": "string", "enum": ["open", "closed"]},
    "kind": {"type": "string", "enum": ["over_max", "silent"]},
    "entity_type": {"type": "string", "enum": list(ENTITY_TYPES)},
    "entity_id": {"type": "string", "maxLength": 100},
    "until": {"type": "string", "format": "date-time"},
}
QUERY_NAMES = {"device_sort": "sort", "user_sort": "sort", "admin_alert_state": "state"}


@dataclass(frozen=True)
class Operation:
    """One documented API operation (path relative to /api, `{id}` without constraints)."""

    method: Method
    path: str
    summary: str
    tag: str
    auth: Auth
    ok: int = 200
    response: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    # Media type of a success without a response model (a file, a page); JSON otherwise.
    media: str = "application/json"
    query: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    # Errors answered as application/problem+json (the rule), or as plain JSON (the health probe).
    problem_errors: bool = True
    # The handler reads the database: documents 503 (unavailable, with Retry-After; `endpoint`
    # in routes/_http.py). Only the document and the docs page do not.
    database: bool = True

    def __post_init__(self) -> None:
        """Refuse a query parameter that has no schema."""
        unknown = set(self.query) - set(QUERY_SCHEMAS)
        if unknown:
            raise ValueError(f"{self.method} {self.path}: no schema for query {sorted(unknown)}")


class ApiDoc:
    """The documented operations of one routes module, in declaration order."""

    def __init__(self) -> None:
        self.operations: list[Operation] = []

    def __call__(self, operation: Operation) -> Callable[[H], H]:
        """Decorator: record `operation` for the handler below it; the handler is unchanged."""

        def record(handler: H) -> H:
            self.operations.append(operation)
            return handler

        return record
