"""A local Azure Functions host for our Python v2 `FunctionApp` (HTTP and queue triggers)."""

from local.funchost.bindings import (
    BinderFactory,
    BindingRegistry,
    InputProvider,
    OutputSink,
    QueueInvoker,
    TriggerBinder,
)
from local.funchost.catalog import FunctionIndexError, HostFunction, HttpFunction, QueueFunction
from local.funchost.config import HostConfig, load_host_config, parse_host_config
from local.funchost.cors import CorsPolicy
from local.funchost.host import FunctionHost
from local.funchost.queue_values import QueueInvocationError
from local.funchost.routes import RouteTemplate, RouteTemplateError, compile_route
from local.funchost.server import (
    create_host,
    default_registry,
    host_command,
    load_function_app,
    serve,
    start_host,
)

__all__ = [
    "BinderFactory",
    "BindingRegistry",
    "CorsPolicy",
    "FunctionHost",
    "FunctionIndexError",
    "HostConfig",
    "HostFunction",
    "HttpFunction",
    "InputProvider",
    "OutputSink",
    "QueueFunction",
    "QueueInvocationError",
    "QueueInvoker",
    "RouteTemplate",
    "RouteTemplateError",
    "TriggerBinder",
    "compile_route",
    "create_host",
    "default_registry",
    "host_command",
    "load_function_app",
    "load_host_config",
    "parse_host_config",
    "serve",
    "start_host",
]
