"""The OpenAPI 3.1 document of the REST API, assembled from the routes' own documentation.

Each operation is declared beside its handler in `routes/*.py` (see `routes/_doc.py`); this
module only turns those operations into the document: parameters, request and response
schemas (from the pydantic models), error responses and security.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from routes._doc import QUERY_NAMES, QUERY_SCHEMAS, Operation

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
        kind = "object" if op.media == "application/json" else "string"
        ok["content"] = {op.media: {"schema": {"type": kind}}}
    codes = set(op.errors) | ({401} if op.auth != "none" else set())
    codes |= {403} if op.auth in ("admin", "device") else set()
    codes |= {503} if op.database else set()
    out: dict[str, Any] = {str(op.ok): ok}
    for code in sorted(codes):
        content = (
            {"application/problem+json": {"schema": PROBLEM}}
            if op.problem_errors
            else {"application/json": {"schema": {"type": "object"}}}
        )
        out[str(code)] = {"description": "Error", "content": content}
    return out


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", op.path.lower()).strip("_")
    return f"{op.method}_{words}"


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": QUERY_NAMES.get(q, q),
            "in": "query",
            "required": q in op.required,
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


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations` (paths relative to the /api server)."""
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
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
