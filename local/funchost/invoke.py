"""Invoke a user function like the Python worker: bind arguments, pick thread or loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from local.funchost.bindings import BindingRegistry, binding_type
from local.funchost.catalog import HostFunction
from local.funchost.context import LocalContext, LocalOut

logger = logging.getLogger(__name__)
RETURN = "$return"
_SKIPPABLE_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class BindingError(RuntimeError):
    """A function's parameters cannot be bound; raised before user code runs."""


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """The function's return value and the values it set on its output bindings."""

    invocation_id: str
    value: Any
    outputs: Mapping[str, Any]


async def invoke(
    function: HostFunction,
    trigger_value: Any,
    *,
    executor: Executor,
    registry: BindingRegistry,
    invocation_id: str | None = None,
) -> InvocationResult:
    """Run one invocation; sync functions go to `executor`, coroutines run on the loop."""
    invocation_id = invocation_id or str(uuid.uuid4())
    outs: dict[str, LocalOut] = {}
    kwargs = await bind_arguments(function, trigger_value, registry, outs, invocation_id)
    started = time.perf_counter()
    outcome = "Failed"
    try:
        value = await run_user_function(function, kwargs, executor)
        outcome = "Succeeded"
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "Executed 'Functions.%s' (%s, Id=%s, Duration=%.0fms)",
            function.name,
            outcome,
            invocation_id,
            elapsed_ms,
        )
    outputs = {name: out.get() for name, out in outs.items() if out.is_set}
    await dispatch_outputs(function, outputs, value, registry)
    return InvocationResult(invocation_id, value, outputs)


async def bind_arguments(
    function: HostFunction,
    trigger_value: Any,
    registry: BindingRegistry,
    outs: dict[str, LocalOut],
    invocation_id: str,
) -> dict[str, Any]:
    """Build keyword arguments by parameter name: trigger, bindings, `context`."""
    by_name = {str(binding["name"]): binding for binding in function.bindings}
    kwargs: dict[str, Any] = {}
    for name, param in _parameters(function.user_function):
        if name == function.trigger_arg:
            kwargs[name] = trigger_value
        elif name in by_name:
            kwargs[name] = await _bind_one(function, by_name[name], trigger_value, registry, outs)
        elif name == "context":
            kwargs[name] = LocalContext(invocation_id, function.name, function.directory)
        elif param.default is inspect.Parameter.empty and param.kind not in _SKIPPABLE_KINDS:
            raise BindingError(f"parameter {name!r} of function {function.name!r} has no binding")
    return kwargs


@functools.lru_cache(maxsize=1024)
def _parameters(user_function: Any) -> tuple[tuple[str, inspect.Parameter], ...]:
    """A function's parameters, read once (the worker also inspects a function once, at load)."""
    return tuple(inspect.signature(user_function).parameters.items())


async def _bind_one(
    function: HostFunction,
    binding: Mapping[str, Any],
    trigger_value: Any,
    registry: BindingRegistry,
    outs: dict[str, LocalOut],
) -> Any:
    name = str(binding["name"])
    if is_output(binding):
        outs[name] = LocalOut()
        return outs[name]
    provider = registry.input_for(binding_type(binding))
    if provider is None:
        raise BindingError(
            f"function {function.name!r}: no local provider for input binding {name!r} "
            f"of type {binding_type(binding)!r}"
        )
    return await provider(binding, trigger_value)


async def run_user_function(
    function: HostFunction, kwargs: Mapping[str, Any], executor: Executor
) -> Any:
    """Await a coroutine function on the loop, or run a sync one in a worker thread."""
    if function.is_async:
        return await function.user_function(**kwargs)
    call = functools.partial(contextvars.copy_context().run, function.user_function, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(executor, call)


async def dispatch_outputs(
    function: HostFunction,
    outputs: Mapping[str, Any],
    value: Any,
    registry: BindingRegistry,
) -> None:
    """Hand output-binding values (and a non-HTTP `$return`) to the registered sinks."""
    for binding, payload in _output_payloads(function, outputs, value):
        sink = registry.output_for(binding_type(binding))
        if sink is None:
            logger.warning(
                "Function %s set output %s (type %s) but no local sink is registered; dropped",
                function.name,
                binding["name"],
                binding_type(binding),
            )
            continue
        await sink(binding, payload)


def _output_payloads(
    function: HostFunction, outputs: Mapping[str, Any], value: Any
) -> list[tuple[Mapping[str, Any], Any]]:
    payloads: list[tuple[Mapping[str, Any], Any]] = []
    for binding in function.bindings:
        name = str(binding["name"])
        if binding_type(binding).lower() == "http" or not is_output(binding):
            continue
        if name == RETURN and value is not None:
            payloads.append((binding, value))
        elif name in outputs:
            payloads.append((binding, outputs[name]))
    return payloads


def is_output(binding: Mapping[str, Any]) -> bool:
    """True for OUT bindings."""
    return str(binding.get("direction", "IN")).upper() == "OUT"
