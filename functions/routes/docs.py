"""The OpenAPI document and a readable docs page, from the operations each routes module
documents beside its handlers."""

from __future__ import annotations

import html
import json
from functools import lru_cache

import azure.functions as func
from openapi import openapi_document

from routes import (
    alerts,
    auth,
    console,
    consumption,
    devices,
    health,
    me,
    measurements,
    realtime,
    tariffs,
    users,
)
from routes._doc import ApiDoc, Operation

bp = func.Blueprint()
api_doc = ApiDoc()
ANON = func.AuthLevel.ANONYMOUS
# Every routes module with HTTP handlers, in the order the document lists them
# (tests/functions/test_openapi.py checks the document against the registered routes).
DOCUMENTED = (
    auth.api_doc,
    users.api_doc,
    devices.api_doc,
    me.api_doc,
    consumption.api_doc,
    tariffs.api_doc,
    measurements.api_doc,
    alerts.api_doc,
    realtime.api_doc,
    console.api_doc,
    health.api_doc,
    api_doc,
)
# Set here as well as in host.json customHeaders: a host that ignores customHeaders (or a
# function's own header winning over them) must still not let these pages be framed or sniffed.
DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
# The docs page is self-contained: its one <style> element, no scripts, nothing fetched.
DOCS_PAGE_HEADERS = {
    **DOCUMENT_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
}


@api_doc(Operation("get", "/openapi.json", "This document", "docs", "none", database=False))
@bp.route(route="openapi.json", methods=["GET"], auth_level=ANON)
def openapi_json(req: func.HttpRequest) -> func.HttpResponse:
    """Serve the OpenAPI 3.1 document."""
    return func.HttpResponse(_document(), mimetype="application/json", headers=DOCUMENT_HEADERS)


def operations() -> list[Operation]:
    """Every documented operation of the API."""
    return [operation for doc in DOCUMENTED for operation in doc.operations]


@lru_cache(maxsize=1)
def _document() -> str:
    return json.dumps(openapi_document(operations()))


def _row(method: str, path: str, summary: str, auth: str) -> str:
    return (
        f"<tr><td class='m {method}'>{method.upper()}</td><td><code>/api{html.escape(path)}"
        f"</code></td><td>{html.escape(summary)}</td><td>{auth}</td></tr>"
    )


@api_doc(
    Operation(
        "get",
        "/docs",
        "Readable API documentation",
        "docs",
        "none",
        media="text/html",
        database=False,
    )
)
@bp.route(route="docs", methods=["GET"], auth_level=ANON)
def docs_page(req: func.HttpRequest) -> func.HttpResponse:
    """Serve a readable, self-contained list of the API's operations."""
    rows = "".join(_row(o.method, o.path, o.summary, o.auth) for o in operations())
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Energy Platform API</title><style>
body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1f2937}}
table{{border-collapse:collapse;width:100%}}
td,th{{padding:.4rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left}}
.m{{font-weight:700;font-family:monospace}}.get{{color:#2563eb}}.post{{color:#16a34a}}
.patch{{color:#d97706}}.delete{{color:#dc2626}}</style></head><body>
<h1>Online Energy Utility Platform API</h1>
<p>Machine-readable document: <a href="openapi.json">/api/openapi.json</a> (OpenAPI 3.1).
Authenticate with <code>Authorization: Bearer &lt;access_token&gt;</code> from
<code>POST /api/auth/login</code>. Errors are <code>application/problem+json</code>.</p>
<table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Auth</th></tr>{rows}</table>
</body></html>"""
    return func.HttpResponse(page, mimetype="text/html", headers=DOCS_PAGE_HEADERS)
