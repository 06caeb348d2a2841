"""Convert between aiohttp requests/responses and `func.HttpRequest`/`func.HttpResponse`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import azure.functions as func
from aiohttp import web
from multidict import CIMultiDict

PROBLEM_JSON = "application/problem+json"
# Hop-by-hop or length headers are aiohttp's job; a function must not set them.
_DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class UnsupportedResultError(TypeError):
    """An HTTP function returned something the host cannot turn into a response."""


def to_func_request(
    request: web.Request, route_params: Mapping[str, str], body: bytes
) -> func.HttpRequest:
    """Build the `func.HttpRequest` the worker would pass (query: last value wins)."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    # Like the platform's front end: append the TCP peer to X-Forwarded-For (the app trusts the
    # right-most entries it was told to, never what the client wrote further left).
    if request.remote:
        forwarded = headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = (
            f"{forwarded}, {request.remote}" if forwarded else request.remote
        )
    params = {name: value for name, value in request.query.items()}
    return func.HttpRequest(
        method=request.method.upper(),
        url=str(request.url),
        headers=headers,
        params=params,
        route_params=dict(route_params),
        body=body,
    )


def to_web_response(result: Any, extra_headers: Mapping[str, str]) -> web.Response:
    """Convert an HTTP function's result (`HttpResponse`, `str` or None) into a response."""
    if isinstance(result, func.HttpResponse):
        return _from_http_response(result, extra_headers)
    if isinstance(result, str):
        headers = CIMultiDict(extra_headers)
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return web.Response(body=result.encode("utf-8"), headers=headers)
    if result is None:
        return web.Response(status=HTTPStatus.NO_CONTENT, headers=CIMultiDict(extra_headers))
    raise UnsupportedResultError(f"cannot convert {type(result).__name__} to an HTTP response")


def _from_http_response(response: func.HttpResponse, extra: Mapping[str, str]) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in response.headers.items():
        if name.lower() not in _DROPPED_HEADERS:
            headers.add(name, value)
    for name, value in extra.items():
        headers.setdefault(name, value)  # the function's own headers win, as in the host
    if "Content-Type" not in headers:
        mimetype, charset = response.mimetype, response.charset
        text = mimetype.startswith("text/")
        headers["Content-Type"] = f"{mimetype}; charset={charset}" if text else mimetype
    return web.Response(
        status=int(response.status_code), body=response.get_body() or b"", headers=headers
    )


def problem_response(
    status: HTTPStatus, detail: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An `application/problem+json` response (RFC 9457) with no internals in it."""
    body = {"type": "about:blank", "title": status.phrase, "status": status.value, "detail": detail}
    merged = CIMultiDict(headers or {})
    merged["Content-Type"] = PROBLEM_JSON
    return web.Response(status=status.value, body=json.dumps(body).encode(), headers=merged)
