"""What a caller sees when a request is malformed or the server fails: a generic message.

A server interceptor wraps every chat method: a request that does not decode is answered
INVALID_ARGUMENT (grpc would say UNKNOWN and name the DecodeError class), and an exception the
servicer did not map is logged with its traceback and answered INTERNAL with a fixed text (grpc
would send the exception's text: SQL, parameters, database names).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

logger = logging.getLogger(__name__)

MALFORMED_TEXT = "The request could not be decoded."
INTERNAL_TEXT = "The chat service could not complete the request; try again."

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Continuation: TypeAlias = "Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]"


class Malformed:
    """Stands in for a request whose bytes did not decode."""


MALFORMED = Malformed()


def tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any]:
    """A deserializer that returns MALFORMED instead of raising."""

    def decode(data: bytes) -> Any:
        if deserializer is None:
            return data
        try:
            return deserializer(data)
        except (DecodeError, ValueError, TypeError):
            return MALFORMED

    return decode


async def _fail(context: grpc.aio.ServicerContext[Any, Any], method: str, error: Exception) -> None:
    if context.done():  # e.g. the status could not be sent: the client or the server went away
        logger.debug("%s ended after its call was over: %r", method, error)
        return
    logger.error("%s failed", method, exc_info=error)
    await context.abort(grpc.StatusCode.INTERNAL, INTERNAL_TEXT)


def _is_control(error: BaseException) -> bool:
    return isinstance(error, (grpc.aio.AbortError, asyncio.CancelledError))


def guard_unary(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a unary-response handler."""

    async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        if request is MALFORMED:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, MALFORMED_TEXT)
        try:
            return await behavior(request, context)
        except Exception as error:
            if _is_control(error):
                raise
            await _fail(context, method, error)

    return call


def guard_stream(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a server-streaming handler."""

    async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        if request is MALFORMED:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, MALFORMED_TEXT)
        try:
            async for item in behavior(request, context):
                yield item
        except Exception as error:
            if _is_control(error):
                raise
            await _fail(context, method, error)

    return call


class SafeErrors(grpc.aio.ServerInterceptor):
    """Generic messages for malformed requests and unexpected failures; details only in logs.

    The wrapped handler of each method is built once (a method's handler never changes).
    """

    def __init__(self) -> None:
        self._wrapped: dict[str, Handler | None] = {}

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        method = handler_call_details.method
        if method in self._wrapped:
            return self._wrapped[method]
        handler = self._wrap(method, await continuation(handler_call_details))
        if handler is not None:  # unknown methods are not remembered (the table stays bounded)
            self._wrapped[method] = handler
        return handler

    @staticmethod
    def _wrap(method: str, handler: Handler | None) -> Handler | None:
        if handler is None or handler.request_streaming:
            return handler  # no client-streaming methods in this service
        behavior = handler.unary_stream if handler.response_streaming else handler.unary_unary
        if behavior is None:
            return handler
        decode = tolerant(handler.request_deserializer)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(
                guard_stream(method, behavior),
                request_deserializer=decode,
                response_serializer=handler.response_serializer,
            )
        return grpc.unary_unary_rpc_method_handler(
            guard_unary(method, behavior),
            request_deserializer=decode,
            response_serializer=handler.response_serializer,
        )
