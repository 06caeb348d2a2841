"""Turn raw queue message bodies into the trigger values a queue function expects."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any, Literal

import azure.functions as func

from local.funchost.catalog import QueueFunction

Body = bytes | str
RawKind = Literal["str", "bytes"] | None


class QueueInvocationError(RuntimeError):
    """Some invocations failed (each already logged by the host); `failures`: index -> error."""

    def __init__(self, function_name: str, failures: dict[int, BaseException]) -> None:
        super().__init__(
            f"function {function_name!r} failed for {len(failures)} message(s) "
            f"at positions {sorted(failures)}"
        )
        self.function_name = function_name
        self.failures = failures


def trigger_values(function: QueueFunction, bodies: Sequence[Body]) -> list[Any]:
    """One trigger value per invocation: a list for cardinality many, else one per body."""
    raw = raw_kind(function)
    items = [convert_body(function, body, raw) for body in bodies]
    return [items] if function.cardinality == "many" else items


def convert_body(function: QueueFunction, body: Body, raw: RawKind) -> Any:
    """Build one message value: ServiceBusMessage for Service Bus, else str/bytes."""
    if raw is None and function.trigger_type.lower() == "servicebustrigger":
        return func.ServiceBusMessage(body=body)
    if raw == "bytes":
        return body.encode() if isinstance(body, str) else body
    if raw == "str" or isinstance(body, str):
        return body if isinstance(body, str) else body.decode("utf-8", errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def raw_kind(function: QueueFunction) -> RawKind:
    """Whether the function wants `str` or `bytes` (dataType first, then the annotation)."""
    if function.data_type == "binary":
        return "bytes"
    if function.data_type == "string":
        return "str"
    hint = _trigger_hint(function)
    if typing.get_origin(hint) in (list, Sequence):
        args = typing.get_args(hint)
        hint = args[0] if args else None
    if hint is bytes:
        return "bytes"
    if hint is str:
        return "str"
    return None


def _trigger_hint(function: QueueFunction) -> Any:
    try:
        hints = typing.get_type_hints(function.user_function)
    except (NameError, TypeError):
        hints = getattr(function.user_function, "__annotations__", {})
    return hints.get(function.function.trigger_arg)
