"""Turn `app.get_functions()` output into typed records: HTTP routes and queue triggers."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import azure.functions as func

from local.funchost.routes import RouteTemplate, compile_route, join_route
from local.funchost.template import RouteTemplateError

Binding = Mapping[str, Any]
Cardinality = Literal["one", "many"]
ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class FunctionIndexError(ValueError):
    """A function cannot be served; the message names the function and the problem."""


@dataclass(frozen=True, slots=True)
class HostFunction:
    """What the host needs to invoke one function, whatever its trigger."""

    name: str
    trigger: Binding
    bindings: tuple[Binding, ...]  # every binding except the trigger
    user_function: Callable[..., Any]
    is_async: bool
    directory: str

    @property
    def trigger_type(self) -> str:
        """The trigger's `type`, e.g. `httpTrigger`, `serviceBusTrigger`, `rabbitMQTrigger`."""
        return str(self.trigger["type"])

    @property
    def trigger_arg(self) -> str:
        """The Python parameter that receives the trigger value."""
        return str(self.trigger["name"])


@dataclass(frozen=True, slots=True)
class HttpFunction:
    """An HTTP-triggered function with its compiled route (prefix included)."""

    function: HostFunction
    route: str
    template: RouteTemplate
    methods: frozenset[str]

    def allows(self, method: str) -> bool:
        """True when the trigger accepts `method`."""
        return method.upper() in self.methods


@dataclass(frozen=True, slots=True)
class QueueFunction:
    """A queue-triggered function (Service Bus, RabbitMQ, ...) that a TriggerBinder can feed."""

    name: str
    trigger_type: str
    queue_name: str
    connection: str | None  # the app-setting *name* holding the connection string
    cardinality: Cardinality
    data_type: str | None
    user_function: Callable[..., Any]
    function: HostFunction


@dataclass(frozen=True, slots=True)
class Catalog:
    """All indexed functions; `http` is sorted most specific route first."""

    http: tuple[HttpFunction, ...]
    queue: tuple[QueueFunction, ...]
    other: tuple[HostFunction, ...]


def plain(value: Any) -> Any:
    """Make binding values JSON-like: enums become their member name, recursively."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items() if item is not None}
    return value


def to_host_function(function: func.Function) -> HostFunction:
    """Read one indexed `func.Function` into a HostFunction."""
    name = function.get_function_name() or function.get_user_function().__name__
    trigger = function.get_trigger()
    if trigger is None:
        raise FunctionIndexError(f"function {name!r} has no trigger")
    user_function = function.get_user_function()
    others = tuple(plain(b.get_dict_repr()) for b in function.get_bindings() if b is not trigger)
    source = inspect.getsourcefile(user_function) or ""
    return HostFunction(
        name=name,
        trigger=plain(trigger.get_dict_repr()),
        bindings=others,
        user_function=user_function,
        is_async=inspect.iscoroutinefunction(user_function),
        directory=os.path.dirname(source),
    )


def to_http_function(function: HostFunction, route_prefix: str) -> HttpFunction:
    """Compile the route of an HTTP-triggered function under `route_prefix`."""
    route = str(function.trigger.get("route") or function.name)
    try:
        template = compile_route(join_route(route_prefix, route))
    except RouteTemplateError as exc:
        raise FunctionIndexError(f"function {function.name!r}: {exc}") from exc
    declared = function.trigger.get("methods") or []
    methods = frozenset(str(m).upper() for m in declared) if declared else ALL_METHODS
    return HttpFunction(function, route, template, methods)


# Trigger types whose extension has no batching: RabbitMQTriggerAttribute has no Cardinality,
# so Azure ignores `cardinality: many` and invokes the function once per message.
SINGLE_MESSAGE_TRIGGERS = frozenset({"rabbitmqtrigger"})


def to_queue_function(function: HostFunction) -> QueueFunction:
    """Describe a queue-triggered function for binders."""
    trigger = function.trigger
    cardinality = str(trigger.get("cardinality") or "one").lower()
    if cardinality == "many" and function.trigger_type.lower() in SINGLE_MESSAGE_TRIGGERS:
        raise FunctionIndexError(
            f"function {function.name!r}: {function.trigger_type} has no batching "
            "(the Azure RabbitMQ extension delivers one message per invocation and ignores "
            "cardinality); remove cardinality='many' and take one message"
        )
    connection = trigger.get("connection") or trigger.get("connectionStringSetting")
    data_type = trigger.get("dataType")
    return QueueFunction(
        name=function.name,
        trigger_type=function.trigger_type,
        queue_name=str(trigger["queueName"]),
        connection=str(connection) if connection else None,
        cardinality="many" if cardinality == "many" else "one",
        data_type=str(data_type).lower() if data_type else None,
        user_function=function.user_function,
        function=function,
    )


def build_catalog(functions: Sequence[func.Function], route_prefix: str) -> Catalog:
    """Sort functions into HTTP routes (by ASP.NET precedence), queue triggers and the rest."""
    http: list[HttpFunction] = []
    queue: list[QueueFunction] = []
    other: list[HostFunction] = []
    for function in functions:
        record = to_host_function(function)
        if record.trigger_type.lower() == "httptrigger":
            http.append(to_http_function(record, route_prefix))
        elif record.trigger.get("queueName"):
            queue.append(to_queue_function(record))
        else:
            other.append(record)
    http.sort(key=lambda item: item.template.precedence)
    return Catalog(tuple(http), tuple(queue), tuple(other))
