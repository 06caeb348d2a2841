"""The bridge's aiohttp app: gRPC-Web over HTTP/1.1 in, raw-bytes grpc.aio calls out."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Iterable
from typing import Any

import grpc
from aiohttp import web
from google.protobuf.descriptor import FileDescriptor

from local.grpcweb.wire import (
    TRAILERS,
    FrameError,
    decode_text,
    encode_frame,
    grpc_timeout_seconds,
    percent_encode,
    request_message,
    trailer_block,
)

logger = logging.getLogger(__name__)

ALLOW_HEADERS = (
    "keep-alive,user-agent,cache-control,content-type,content-transfer-encoding,"
    "x-accept-content-transfer-encoding,x-accept-response-streaming,x-user-agent,x-grpc-web,"
    "grpc-timeout,authorization,connect-protocol-version,connect-timeout-ms"
)
EXPOSE_HEADERS = "grpc-status,grpc-message,grpc-status-details-bin"
NOT_FORWARDED = {
    "host", "content-type", "content-length", "accept", "accept-encoding", "connection",
    "keep-alive", "origin", "referer", "user-agent", "x-grpc-web", "x-user-agent", "te",
    "grpc-timeout", "transfer-encoding", "upgrade", "cookie", "pragma", "cache-control",
    "x-accept-content-transfer-encoding", "x-accept-response-streaming",
}  # fmt: skip
# Connections the kernel may hold for the bridge before it accepts them. aiohttp's default
# (128) is below the 200 clients of bench.chat opening their connections at once: when the
# bridge fell a moment behind, the kernel dropped the surplus handshakes and those clients only
# retried after TCP's 1 s timeout (ListenOverflows in `nstat`; the burst's ~1.2 s maximum).
LISTEN_BACKLOG = 1024
# How long a status may trail the upstream's headers and still make a trailers-only response.
HEADERS_WAIT_S = 0.05
CHANNEL = web.AppKey("channel", grpc.aio.Channel)
# Paths (/package.Service/Method) known to be unary: relayed as one unary call (one round of
# operations in grpc) instead of a one-message stream. Unknown paths stream, which suits both.
UNARY_METHODS = web.AppKey("unary_methods", frozenset[str])
# The web app origins allowed to call cross-origin (exact, like Envoy's `exact` matcher); the
# set may grow after start (local.run learns the web app's port once it listens).
ALLOWED_ORIGINS = web.AppKey("allowed_origins", set[str])


def cors_headers(request: web.Request, allowed: set[str]) -> dict[str, str]:
    """CORS response headers when the request's Origin is one of the allowed origins."""
    origin = request.headers.get("Origin")
    if not origin or origin not in allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSE_HEADERS,
        "Vary": "Origin",
    }


def preflight(request: web.Request, allowed: set[str]) -> web.Response:
    """Answer an OPTIONS preflight (no CORS headers for an origin that is not allowed)."""
    headers = cors_headers(request, allowed)
    if headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": "1728000",
            }
        )
    return web.Response(status=204, headers=headers)


def forwarded_metadata(request: web.Request) -> list[tuple[str, str | bytes]]:
    """Request headers that travel upstream as gRPC metadata (-bin values base64-decoded)."""
    metadata: list[tuple[str, str | bytes]] = []
    for key, value in request.headers.items():
        name = key.lower()
        if name in NOT_FORWARDED or name.startswith(("sec-", "access-control-", ":")):
            continue
        if name.endswith("-bin"):
            try:
                metadata.append((name, base64.b64decode(value + "=" * (-len(value) % 4))))
            except binascii.Error:
                logger.warning("dropping header %s: not base64", name)
        else:
            metadata.append((name, value))
    return metadata


class Reply:
    """Writes one gRPC-Web response: headers once, frames, a final trailer frame."""

    def __init__(self, request: web.Request, cors: dict[str, str]) -> None:
        self.request = request
        self.text = request.content_type.startswith("application/grpc-web-text")
        kind = "application/grpc-web-text+proto" if self.text else "application/grpc-web+proto"
        self.response = web.StreamResponse(status=200, headers={**cors, "Content-Type": kind})

    @property
    def started(self) -> bool:
        return self.response.prepared

    async def start(self, metadata: Any = ()) -> None:
        for key, value in metadata or ():
            if isinstance(value, str) and key.lower() not in {"content-type", "grpc-status"}:
                self.response.headers.add(key, value)
        await self.response.prepare(self.request)

    def _encode(self, payload: bytes, flag: int = 0) -> bytes:
        data = encode_frame(payload, flag)
        return base64.b64encode(data) if self.text else data

    async def frame(self, payload: bytes, flag: int = 0) -> None:
        await self.response.write(self._encode(payload, flag))

    async def finish(
        self, code: int, message: str, trailing: Any = (), *, last: bytes | None = None
    ) -> web.StreamResponse:
        """End the response with its status; last is a final message sent in the same write
        (a unary answer: headers, message, trailers and the end of the body in one packet)."""
        if not self.started:  # trailers-only: the status travels in the headers, body empty
            self.response.headers["grpc-status"] = str(code)
            if message:
                self.response.headers["grpc-message"] = percent_encode(message)
            await self.response.prepare(self.request)
            await self.response.write_eof()
            return self.response
        pairs = [(k, v) for k, v in trailing or () if isinstance(v, str)]
        body = self._encode(trailer_block(code, message, pairs), TRAILERS)
        if last is not None:
            body = self._encode(last) + body
        await self.response.write_eof(body)
        return self.response


def client_went_away(request: web.Request) -> None:
    """One quiet line for a caller that disconnected mid-call (a closed chat tab)."""
    logger.debug("client went away during %s; upstream call cancelled", request.path)


def unary_methods(*files: FileDescriptor) -> frozenset[str]:
    """The paths of the unary methods (no streaming either way) of the files' services."""
    return frozenset(
        f"/{service.full_name}/{method.name}"
        for file in files
        for service in file.services_by_name.values()
        for method in service.methods
        if not method.client_streaming and not method.server_streaming
    )


async def relay_unary(request: web.Request, reply: Reply, message: bytes) -> web.StreamResponse:
    """Call a unary upstream method and relay its message and status."""
    channel = request.app[CHANNEL]
    method: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(request.path)
    call = method(
        message,
        metadata=forwarded_metadata(request),
        timeout=grpc_timeout_seconds(request.headers.get("grpc-timeout")),
    )
    try:
        response = await call
        await reply.start(await call.initial_metadata())
        return await reply.finish(0, "", await call.trailing_metadata(), last=response)
    except grpc.aio.AioRpcError as error:
        code = error.code().value[0]
        if error.initial_metadata():  # headers came before the status: not trailers-only
            await reply.start(error.initial_metadata())
        return await reply.finish(code, error.details() or "", error.trailing_metadata())
    except ConnectionResetError:
        client_went_away(request)
        return reply.response
    except asyncio.CancelledError:
        if request.transport is None or request.transport.is_closing():
            client_went_away(request)
        raise
    finally:
        call.cancel()  # no-op when finished; stops the upstream call if the client went away


async def relay(request: web.Request, reply: Reply, message: bytes) -> web.StreamResponse:
    """Call the upstream method and relay its messages and status."""
    channel = request.app[CHANNEL]
    # raw bytes in and out, and unary calls read as one-message streams: service-agnostic
    method: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(request.path)
    call = method(
        message,
        metadata=forwarded_metadata(request),
        timeout=grpc_timeout_seconds(request.headers.get("grpc-timeout")),
    )
    headers = asyncio.ensure_future(call.initial_metadata())
    try:
        pending = asyncio.ensure_future(call.read())
        # Like Envoy, send the response headers when the upstream sends its own; a status that
        # comes with them (trailers-only) still goes out as a trailers-only response.
        await asyncio.wait({pending, headers}, return_when=asyncio.FIRST_COMPLETED)
        if not pending.done():
            await asyncio.wait({pending}, timeout=HEADERS_WAIT_S)
        if not pending.done():
            await reply.start(headers.result())
        item = await pending
        while isinstance(item, bytes):
            if not reply.started:
                await reply.start(await headers)
            await reply.frame(item)
            item = await call.read()  # no task per message: the client's going away cancels us
        return await reply.finish(0, "", await call.trailing_metadata())
    except grpc.aio.AioRpcError as error:
        code = error.code().value[0]
        return await reply.finish(code, error.details() or "", error.trailing_metadata())
    except ConnectionResetError:  # the browser tab closed: routine, not an error
        client_went_away(request)
        return reply.response
    except asyncio.CancelledError:  # aiohttp cancels the handler when the client disconnects
        if request.transport is None or request.transport.is_closing():
            client_went_away(request)
        raise
    finally:
        call.cancel()  # no-op when finished; stops the upstream call if the client went away
        headers.cancel()


def make_handler() -> Any:
    """The catch-all route handler."""

    async def handle(request: web.Request) -> web.StreamResponse:
        allowed = request.app[ALLOWED_ORIGINS]
        if request.method == "OPTIONS":
            return preflight(request, allowed)
        cors = cors_headers(request, allowed)
        if request.method != "POST":
            return web.Response(status=405, headers={**cors, "Allow": "POST, OPTIONS"})
        if not request.content_type.startswith("application/grpc-web") or (
            request.content_type.endswith("+json")
        ):
            return web.Response(status=415, text="expected application/grpc-web(-text)(+proto)")
        reply = Reply(request, cors)
        try:
            body = await request.read()
            message = request_message(decode_text(body) if reply.text else body)
        except FrameError as error:
            return await reply.finish(grpc.StatusCode.INVALID_ARGUMENT.value[0], str(error))
        if request.path in request.app[UNARY_METHODS]:
            return await relay_unary(request, reply, message)
        return await relay(request, reply, message)

    return handle


def create_app(
    upstream: str, *, allow_origins: Iterable[str] = (), unary: Iterable[str] = ()
) -> web.Application:
    """An app bridging gRPC-Web to the gRPC server at upstream (host:port).

    Browsers may call it only from allow_origins (exact origins such as
    `http://127.0.0.1:4280`); other origins get no CORS headers, as with Envoy's CORS filter.
    unary names the unary method paths (see unary_methods()); any other path is relayed as a
    server stream, which is correct for every method and only slower for unary ones.
    """
    app = web.Application()
    app[ALLOWED_ORIGINS] = {origin.rstrip("/") for origin in allow_origins}
    app[UNARY_METHODS] = frozenset(unary)

    async def channel_context(app: web.Application) -> Any:
        app[CHANNEL] = grpc.aio.insecure_channel(upstream)
        yield
        await app[CHANNEL].close()

    app.cleanup_ctx.append(channel_context)
    app.router.add_route("*", "/{tail:.*}", make_handler())
    return app
