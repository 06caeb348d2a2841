"""The OpenAPI 3.1 document of the REST API, declared operation by operation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from shared.audit import ENTITY_TYPES
from shared.console.fleet import SORTS as FLEET_SORTS
from shared.console.people import USER_SORTS
from shared.console.schemas import (
    AdminAlertPage,
    AuditPage,
    DeadLetterPage,
    DeviceFleetItem,
    FleetOverview,
    ReplayRequest,
    ReplayResultPublic,
    UserListItem,
)
from shared.schemas import (
    AckAllResult,
    AlertPage,
    AlertPublic,
    DeviceCreate,
    DeviceCreated,
    DeviceKey,
    DevicePublic,
    DeviceUpdate,
    LoginRequest,
    MeasurementBatch,
    MeasurementResults,
    NegotiateResult,
    Page,
    PasswordChange,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserDeleted,
    UserPublic,
    UserUpdate,
)
from shared.usage.schemas import (
    AssignmentCreate,
    AssignmentList,
    ConsumptionView,
    TariffCreate,
    TariffList,
    TariffPublic,
)

Auth = str  # "none" | "user" | "admin"


@dataclass(frozen=True)
class Operation:
    """One documented API operation."""

    method: str
    path: str
    summary: str
    tag: str
    auth: Auth
    ok: int = 200
    response: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    query: tuple[str, ...] = ()
    errors: tuple[int, ...] = field(default=())
    required: tuple[str, ...] = ()


ID = "/{id}"
PAGE = ("limit", "offset")
DAY = ("date", "tz")
VIEW = ("date", "from", "to", "group_by", "tz")
EXPORT = ("from", "to", "tz")
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post",
        "/auth/login",
        "Log in",
        "auth",
        "none",
        response=TokenPair,
        request=LoginRequest,
        errors=(400, 401, 422, 429),
    ),
    Operation(
        "post",
        "/auth/refresh",
        "Refresh tokens",
        "auth",
        "none",
        response=TokenPair,
        request=RefreshRequest,
        errors=(400, 401, 422),
    ),
    Operation("get", "/auth/me", "Current user", "auth", "user", response=UserPublic),
    Operation("post", "/auth/logout", "End my session", "auth", "user", ok=204),
    Operation(
        "post",
        "/me/password",
        "Change my password (ends my other sessions)",
        "auth",
        "user",
        response=TokenPair,
        request=PasswordChange,
        errors=(400, 422, 429),
    ),
    Operation(
        "get",
        "/users",
        "List users",
        "users",
        "admin",
        response=Page[UserListItem],
        query=(*PAGE, "role", "q", "user_sort"),
        errors=(422,),
    ),
    Operation(
        "post",
        "/users",
        "Create a user",
        "users",
        "admin",
        ok=201,
        response=UserPublic,
        request=UserCreate,
        errors=(400, 409, 422),
    ),
    Operation(
        "get", "/users" + ID, "Get a user", "users", "admin", response=UserPublic, errors=(404,)
    ),
    Operation(
        "patch",
        "/users" + ID,
        "Update a user",
        "users",
        "admin",
        response=UserPublic,
        request=UserUpdate,
        errors=(400, 404, 409, 422),
    ),
    Operation(
        "delete",
        "/users" + ID,
        "Delete a user",
        "users",
        "admin",
        response=UserDeleted,
        errors=(404, 409),
    ),
    Operation(
        "get",
        "/devices",
        "List devices",
        "devices",
        "admin",
        response=Page[DeviceFleetItem],
        query=(*PAGE, "owner_id", "status", "q", "device_sort"),
        errors=(404, 422),
    ),
    Operation(
        "post",
        "/devices",
        "Create a device",
        "devices",
        "admin",
        ok=201,
        response=DeviceCreated,
        request=DeviceCreate,
        errors=(400, 422),
    ),
    Operation(
        "get",
        "/devices" + ID,
        "Get a device",
        "devices",
        "admin",
        response=DevicePublic,
        errors=(404,),
    ),
    Operation(
        "patch",
        "/devices" + ID,
        "Update or (un)assign a device",
        "devices",
        "admin",
        response=DevicePublic,
        request=DeviceUpdate,
        errors=(400, 404, 422),
    ),
    Operation(
        "delete", "/devices" + ID, "Delete a device", "devices", "admin", ok=204, errors=(404,)
    ),
    Operation(
        "post",
        "/devices/{id}/key",
        "Rotate a device's ingestion key",
        "devices",
        "admin",
        response=DeviceKey,
        errors=(404,),
    ),
    Operation(
        "get",
        "/devices/{id}/consumption",
        "Any device's day view (?date) or range view (?from&to&group_by)",
        "consumption",
        "admin",
        response=ConsumptionView,
        query=VIEW,
        errors=(404, 422),
    ),
    Operation(
        "get",
        "/me/devices",
        "My devices",
        "me",
        "user",
        response=Page[DevicePublic],
        query=PAGE,
        errors=(422,),
    ),
    Operation(
        "get",
        "/me/devices/{id}/consumption",
        "My device's day view (?date) or range view (?from&to&group_by)",
        "consumption",
        "user",
        response=ConsumptionView,
        query=VIEW,
        errors=(404, 422),
    ),
    *(
        Operation(
            "get",
            f"{prefix}/devices/{{id}}/consumption.{ext}",
            f"{who} hourly {label} export",
            "consumption",
            auth,
            query=EXPORT,
            required=("from", "to"),
            errors=(404, 422),
        )
        for prefix, who, auth in (("/me", "My device's", "user"), ("", "Any device's", "admin"))
        for ext, label in (("csv", "CSV"), ("xml", "Green Button ESPI Atom"))
    ),
    Operation("get", "/tariffs", "List tariffs", "tariffs", "admin", response=TariffList),
    Operation(
        "post",
        "/tariffs",
        "Create a flat or time-of-use tariff",
        "tariffs",
        "admin",
        ok=201,
        response=TariffPublic,
        request=TariffCreate,
        errors=(400, 422),
    ),
    Operation(
        "get",
        "/tariffs" + ID,
        "Get a tariff",
        "tariffs",
        "admin",
        response=TariffPublic,
        errors=(404,),
    ),
    Operation(
        "get",
        "/devices/{id}/tariffs",
        "A device's tariff history",
        "tariffs",
        "admin",
        response=AssignmentList,
        errors=(404,),
    ),
    Operation(
        "post",
        "/devices/{id}/tariffs",
        "Assign a tariff to a device from a date or hour on",
        "tariffs",
        "admin",
        ok=201,
        response=AssignmentList,
        request=AssignmentCreate,
        errors=(400, 404, 409, 422),
    ),
    Operation(
        "post",
        "/measurements",
        "Ingest readings (device key or admin token)",
        "ingestion",
        "device",
        response=MeasurementResults,
        request=MeasurementBatch,
        errors=(400, 401, 403, 422),
    ),
    Operation(
        "get",
        "/me/alerts",
        "My alerts, newest first",
        "alerts",
        "user",
        response=AlertPage,
        query=(*PAGE, "since", "unacknowledged", "state"),
        errors=(422,),
    ),
    Operation(
        "post",
        "/me/alerts/{id}/ack",
        "Acknowledge an alert",
        "alerts",
        "user",
        response=AlertPublic,
        errors=(404,),
    ),
    Operation(
        "post",
        "/me/alerts/ack-all",
        "Acknowledge all my alerts",
        "alerts",
        "user",
        response=AckAllResult,
    ),
    Operation(
        "post",
        "/realtime/negotiate",
        "WebSocket URL for live alerts",
        "realtime",
        "user",
        response=NegotiateResult,
        errors=(503,),
    ),
    # Operator console (issue 14)
    Operation(
        "get",
        "/fleet/overview",
        "Fleet overview: devices by status, today's energy, open alerts",
        "console",
        "admin",
        response=FleetOverview,
    ),
    Operation(
        "get",
        "/alerts",
        "Every client's alerts (over-maximum hours and silent meters)",
        "console",
        "admin",
        response=AdminAlertPage,
        query=(*PAGE, "device_id", "owner_id", "admin_alert_state", "kind", "since"),
        errors=(422,),
    ),
    Operation(
        "get",
        "/audit",
        "The audit trail of administrative changes",
        "console",
        "admin",
        response=AuditPage,
        query=(*PAGE, "actor_id", "entity_type", "entity_id", "since", "until"),
        errors=(422,),
    ),
    Operation(
        "get",
        "/deadletters",
        "Dead letters of the ingestion queue (nothing consumed)",
        "console",
        "admin",
        response=DeadLetterPage,
        query=PAGE,
        errors=(422, 503),
    ),
    Operation(
        "post",
        "/deadletters/replay",
        "Replay chosen (or all) dead letters to the ingestion queue",
        "console",
        "admin",
        response=ReplayResultPublic,
        request=ReplayRequest,
        errors=(400, 422, 503),
    ),
    Operation("get", "/health", "Health", "health", "none"),
    Operation("get", "/openapi.json", "This document", "docs", "none"),
    Operation("get", "/docs", "Readable API documentation", "docs", "none"),
)

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
    # Operator console (issue 14)
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
# Query names that differ from their documented name (two lists sort by different keys).
QUERY_NAMES = {"device_sort": "sort", "user_sort": "sort", "admin_alert_state": "state"}
REQUIRED_QUERY: set[str] = set()  # per operation: Operation.required
FILE_MEDIA = {".csv": "text/csv", ".xml": "application/atom+xml"}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "none": [],
    "user": [{"bearer": []}],
    "admin": [{"bearer": []}],
    "device": [{"deviceKey": []}, {"bearer": []}],
}
PROBLEM = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _schema_ref(model: type[BaseModel], schemas: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    name = schema.get("title", model.__name__).replace("[", "_").replace("]", "")
    schemas[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _responses(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        ref = _schema_ref(op.response, schemas, "serialization")
        ok["content"] = {"application/json": {"schema": ref}}
    elif op.ok == 200:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        if op.path == "/docs":
            ok["content"] = {"text/html": {"schema": {"type": "string"}}}
        for ext, media in FILE_MEDIA.items():
            if op.path.endswith(ext):
                ok["content"] = {media: {"schema": {"type": "string"}}}
    codes = set(op.errors) | ({401} if op.auth != "none" else set())
    codes |= {403} if op.auth in ("admin", "device") else set()
    codes |= {503} if op.path in ("/health", "/realtime/negotiate") else set()
    out: dict[str, Any] = {str(op.ok): ok}
    for code in sorted(codes):
        plain = code == 503 and op.path == "/health"
        media = "application/json" if plain else "application/problem+json"
        out[str(code)] = {
            "description": "Error",
            "content": {media: {"schema": {"type": "object"} if plain else PROBLEM}},
        }
    return out


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", op.path.lower()).strip("_")
    return f"{op.method}_{words}"


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": QUERY_NAMES.get(q, q),
            "in": "query",
            "required": q in REQUIRED_QUERY or q in op.required,
            "schema": QUERY_SCHEMAS[q],
        }
        for q in op.query
    ]
    if "{id}" in op.path:
        params.insert(
            0,
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "format": "uuid"},
            },
        )
    doc: dict[str, Any] = {
        "operationId": _operation_id(op),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": _responses(op, schemas),
        "security": SECURITY[op.auth],
    }
    if op.request is not None:
        ref = _schema_ref(op.request, schemas, "validation")
        doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
    return doc


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document (paths relative to the /api server)."""
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Online Energy Utility Platform API",
            "version": "1.0.0",
            "description": "Accounts, devices and hourly consumption. Errors are "
            "application/problem+json.",
        },
        "servers": [{"url": "/api"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "deviceKey": {"type": "apiKey", "in": "header", "name": "X-Device-Key"},
            },
        },
    }
