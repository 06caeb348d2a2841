"""Plug-in points: trigger binders (e.g. RabbitMQ), input providers and output sinks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from local.funchost.catalog import Binding, QueueFunction


class QueueInvoker(Protocol):
    """What a binder calls to deliver messages; FunctionHost implements it."""

    async def invoke_queue(self, name: str, bodies: Sequence[bytes | str]) -> None:
        """Invoke queue function `name` with message bodies (one call per body unless many)."""
        ...


class TriggerBinder(Protocol):
    """Feeds one queue function from a broker; started and stopped by the host."""

    async def start(self, function: QueueFunction) -> None:
        """Start consuming `function.queue_name` and invoking the function."""
        ...

    async def stop(self) -> None:
        """Stop consuming and release connections."""
        ...


BinderFactory = Callable[[QueueInvoker], TriggerBinder]
# An input provider returns the value for a non-trigger input binding of one invocation.
InputProvider = Callable[[Binding, Any], Awaitable[Any]]
# An output sink receives the value a function set on an output binding (or returned).
OutputSink = Callable[[Binding, Any], Awaitable[None]]


@dataclass
class BindingRegistry:
    """Maps binding type names (case-insensitive) to binders, input providers, output sinks."""

    binders: dict[str, BinderFactory] = field(default_factory=dict)
    inputs: dict[str, InputProvider] = field(default_factory=dict)
    outputs: dict[str, OutputSink] = field(default_factory=dict)

    def add_binder(self, trigger_type: str, factory: BinderFactory) -> None:
        """Register the binder factory for a trigger type such as `rabbitMQTrigger`."""
        self.binders[trigger_type.lower()] = factory

    def add_input(self, binding_type: str, provider: InputProvider) -> None:
        """Register the provider for an input binding type such as `webPubSubConnection`."""
        self.inputs[binding_type.lower()] = provider

    def add_output(self, binding_type: str, sink: OutputSink) -> None:
        """Register the sink for an output binding type such as `rabbitMQ` or `serviceBus`."""
        self.outputs[binding_type.lower()] = sink

    def binder_for(self, trigger_type: str) -> BinderFactory | None:
        """The binder factory for `trigger_type`, if any."""
        return self.binders.get(trigger_type.lower())

    def input_for(self, binding_type: str) -> InputProvider | None:
        """The input provider for `binding_type`, if any."""
        return self.inputs.get(binding_type.lower())

    def output_for(self, binding_type: str) -> OutputSink | None:
        """The output sink for `binding_type`, if any."""
        return self.outputs.get(binding_type.lower())


def binding_type(binding: Mapping[str, Any]) -> str:
    """The `type` of a binding dict."""
    return str(binding.get("type", ""))
