"""The OpenAPI document lists exactly the routes the FunctionApp registers."""

from __future__ import annotations

import re

import pytest
from openapi import openapi_document
from routes import users
from routes._doc import Operation

from local.funchost.server import load_function_app
from tests.functions.conftest import FUNCTIONS_DIR, Api


def _registered_routes() -> set[tuple[str, str]]:
    app = load_function_app(FUNCTIONS_DIR / "function_app.py")
    routes = set()
    for function in app.get_functions():
        if not function.is_http_function():
            continue
        trigger = function.get_trigger()
        route = re.sub(r"\{(\*?)(\w+)[^}]*\}", r"{\2}", trigger.route)
        for method in trigger.methods:
            routes.add((str(getattr(method, "value", method)).lower(), "/" + route))
    return routes


def test_document_matches_registered_routes(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == _registered_routes()


def test_every_protected_operation_declares_401(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op["security"]:
                assert "401" in op["responses"], (method, path)


def test_every_operation_but_the_docs_declares_503(api: Api) -> None:
    """`endpoint` answers 503 when the database is unavailable: documented where it can."""
    doc = api.get("/openapi.json").json()
    without = {
        (method, path)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if "503" not in op["responses"]
    }
    assert without == {("get", "/openapi.json"), ("get", "/docs")}
    problem = doc["paths"]["/me/devices"]["get"]["responses"]["503"]["content"]
    assert problem == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_docs_page_is_readable_html(api: Api) -> None:
    r = api.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/api/me/devices/{id}/consumption" in r.text


def test_an_operation_with_an_undocumented_query_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="no schema for query"):
        Operation("get", "/x", "X", "x", "none", query=("limit", "no_such_parameter"))


def test_each_route_module_documents_its_own_handlers() -> None:
    documented = {(op.method, op.path) for op in users.api_doc.operations}
    assert documented == {
        ("get", "/users"),
        ("post", "/users"),
        ("get", "/users/{id}"),
        ("patch", "/users/{id}"),
        ("delete", "/users/{id}"),
    }
    document = openapi_document(users.api_doc.operations)
    create = document["paths"]["/users"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserCreate"
    }
    assert set(create["responses"]) == {"201", "400", "401", "403", "409", "422", "503"}
    assert "UserCreate" in document["components"]["schemas"]
