"""Shared REST plumbing: bearer-token auth, error responses and query parameter parsing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from local.webpubsub.names import MAX_GROUP_LENGTH, is_valid_group, is_valid_hub
from local.webpubsub.protocol import (
    Payload,
    ProtocolError,
    UnsupportedContentType,
    payload_from_body,
)
from local.webpubsub.registry import Hub
from local.webpubsub.state import twin_state
from local.webpubsub.tokens import TokenError, bearer_token, verify_token

logger = logging.getLogger(__name__)

HUB_PREFIX = "/api/hubs/{hub}"
_MAX_TTL_SECONDS = 300

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestError(Exception):
    """A data-plane error with its HTTP status and service error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(request: web.Request, error: RestError) -> web.Response:
    """The service's error shape: `{"code", "message"}` plus an `x-ms-error-code` header."""
    headers = {"x-ms-error-code": error.code}
    if request.method == "HEAD":
        return web.Response(status=error.status, headers=headers)
    body = {"code": error.code, "message": error.message}
    return web.json_response(body, status=error.status, headers=headers)


def _authenticate(request: web.Request) -> None:
    """Verify the REST bearer token against the access key and the request URL."""
    token = bearer_token(request.headers.get("Authorization"))
    try:
        verify_token(token, key=twin_state(request).settings.access_key, expected_url=request.url)
    except TokenError as exc:
        raise RestError(401, "Unauthorized", str(exc)) from None


@web.middleware
async def rest_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate `/api/hubs/...` calls and turn RestError into error responses."""
    try:
        if request.path.startswith("/api/hubs/"):
            _authenticate(request)
        return await handler(request)
    except RestError as error:
        logger.warning(
            "rest %s %s -> %s %s: %s",
            request.method,
            request.path,
            error.status,
            error.code,
            error.message,
        )
        return error_response(request, error)


def hub_of(request: web.Request) -> Hub:
    """The hub named in the path, validated like the service does."""
    name = request.match_info["hub"]
    if not is_valid_hub(name):
        raise RestError(400, "InvalidHubName", f"Invalid hub name {name!r}")
    return twin_state(request).hubs.get(name)


def group_of(request: web.Request) -> str:
    """The group named in the path, validated like the service does."""
    group = request.match_info["group"]
    if not is_valid_group(group):
        raise RestError(
            400,
            "InvalidGroupName",
            f"Group names must be 1-{MAX_GROUP_LENGTH} characters and not only whitespace",
        )
    return group


def excluded_of(request: web.Request) -> set[str]:
    """Connection ids listed in repeated `excluded` query parameters."""
    return set(request.query.getall("excluded", []))


def reason_of(request: web.Request) -> str:
    """The optional close `reason`."""
    return request.query.get("reason", "")


def int_param(request: web.Request, name: str, *, minimum: int, maximum: int) -> int | None:
    """An optional integer query parameter within bounds."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise RestError(
            400, "InvalidParameter", f"{name} must be an integer, got {raw!r}"
        ) from None
    if not minimum <= value <= maximum:
        raise RestError(
            400, "InvalidParameter", f"{name} must be between {minimum} and {maximum}, got {value}"
        )
    return value


async def payload_of(request: web.Request) -> Payload:
    """The message body of a send call; rejects `filter`, checks `messageTtlSeconds`."""
    if "filter" in request.query:
        raise RestError(
            400,
            "FilterNotSupported",
            "The local Web PubSub twin does not support the OData 'filter' parameter",
        )
    # The twin delivers at once, so a TTL is validated but has nothing to expire.
    int_param(request, "messageTtlSeconds", minimum=0, maximum=_MAX_TTL_SECONDS)
    body = await request.read()
    try:
        return payload_from_body(body, request.content_type)
    except UnsupportedContentType as exc:
        raise RestError(415, "UnsupportedMediaType", str(exc)) from None
    except ProtocolError as exc:
        raise RestError(400, "InvalidMessage", str(exc)) from None
