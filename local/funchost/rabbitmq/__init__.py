"""Bind `rabbitMQTrigger` functions to a real RabbitMQ and publish `rabbitMQ` outputs.

host.json `extensions.rabbitMQ` takes what the Azure extension's `RabbitMQOptions` reads:
`prefetchCount` (30 by default), `connectionString`, `queueName`,
`disableCertificateValidation`. Any other key is refused: the real extension would ignore it
silently (it has no batching, no retry tuning), and a local host that honoured it would test a
platform Azure does not run. The connection URL comes from the environment variable named by
the trigger's `connectionStringSetting`; without it the function is not bound (a warning says
so). See consumer.py for the delivery semantics.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from local.funchost.bindings import BindingRegistry, QueueInvoker, binding_type
from local.funchost.catalog import QueueFunction
from local.funchost.config import RABBITMQ_KEYS, HostConfigError, check_known_keys, get_key
from local.funchost.rabbitmq.consumer import Consumer, ConsumerOptions, Outputs
from local.funchost.rabbitmq.topology import output_bodies, publish_all, url_from_setting

logger = logging.getLogger(__name__)
TRIGGER_TYPE = "rabbitMQTrigger"
OUTPUT_TYPE = "rabbitMQ"
MAX_PREFETCH = 65535  # AMQP basic.qos prefetch-count is a short
DEFAULT_START_TIMEOUT_S = 5.0
DEFAULT_STOP_TIMEOUT_S = 30.0


def rabbitmq_options(extensions: Mapping[str, Any]) -> ConsumerOptions:
    """Read host.json `extensions.rabbitMQ`; HostConfigError names a bad or unknown key."""
    section = get_key(extensions, "rabbitMQ") or {}
    if not isinstance(section, Mapping):
        raise HostConfigError(f"extensions.rabbitMQ must be an object, got {section!r}")
    check_known_keys(extensions, "rabbitMQ", RABBITMQ_KEYS)
    return ConsumerOptions(prefetch_count=_int(section, "prefetchCount", 30, 1, MAX_PREFETCH))


def _int(section: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = get_key(section, key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HostConfigError(
            f"extensions.rabbitMQ.{key} must be an integer in [{low}, {high}], got {value!r}"
        )
    return value


@dataclass(slots=True)
class _Collector:
    """Output messages of the running invocation, published by the binder before the ack."""

    url: str
    items: list[tuple[str, bytes]] = field(default_factory=list)


_COLLECTOR: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar(
    "funchost_rabbitmq_outputs", default=None
)


async def rabbitmq_output(binding: Mapping[str, Any], value: Any) -> None:
    """The `rabbitMQ` output sink: each list item becomes one persistent message.

    Inside a RabbitMQ-triggered invocation the messages are published by the binder on its
    own connection, with confirms, before the batch is acknowledged (and not at all if the
    batch fails); elsewhere they are published right away on a short-lived connection.
    """
    bodies = output_bodies(value)
    if not bodies:
        return
    queue = str(binding["queueName"])
    setting = binding.get("connectionStringSetting") or binding.get("connection")
    url = url_from_setting(str(setting) if setting else None)
    collector = _COLLECTOR.get()
    if collector is not None and url in (None, collector.url):
        collector.items.extend((queue, body) for body in bodies)
        return
    if url is None:
        raise RuntimeError(
            f"output binding {binding.get('name')!r}: environment variable {setting!r} "
            "holding the RabbitMQ URL is not set"
        )
    await asyncio.to_thread(publish_all, url, queue, bodies)


class RabbitMQBinder:
    """A TriggerBinder feeding one queue function from RabbitMQ (one consumer thread)."""

    def __init__(
        self,
        invoker: QueueInvoker,
        options: ConsumerOptions | None = None,
        *,
        environ: Mapping[str, str] = os.environ,
        start_timeout: float = DEFAULT_START_TIMEOUT_S,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT_S,
    ) -> None:
        self.invoker = invoker
        self.options = options or ConsumerOptions()
        self.environ = environ
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.consumer: Consumer | None = None  # None when not bound
        self._function: QueueFunction | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, function: QueueFunction) -> None:
        """Connect and consume `function.queue_name`; waits up to `start_timeout` for it."""
        url = url_from_setting(function.connection, self.environ)
        if function.connection is None:
            logger.warning(
                "Function %s is not bound to RabbitMQ: its trigger has no "
                "connectionStringSetting (hostName/userNameSetting are not supported locally)",
                function.name,
            )
            return
        if url is None:
            logger.warning(
                "Function %s is not bound to RabbitMQ: environment variable %r (its "
                "connectionStringSetting) is not set; queue %s is not consumed",
                function.name,
                function.connection,
                function.queue_name,
            )
            return
        options = self.options
        self._function = function
        self._loop = asyncio.get_running_loop()
        self.consumer = Consumer(
            url,
            function.queue_name,
            options,
            self._submit,
            name=function.name,
            output_queues=output_queues(function.function.bindings),
        )
        self.consumer.start()
        if not await asyncio.to_thread(self.consumer.consuming.wait, self.start_timeout):
            logger.warning(
                "RabbitMQ consumer %s is not connected after %.0fs; still retrying",
                function.name,
                self.start_timeout,
            )

    async def stop(self) -> None:
        """Finish the running batch, requeue undelivered messages and close the connection."""
        consumer, self.consumer = self.consumer, None
        if consumer is None:
            return
        consumer.request_stop()
        if not await asyncio.to_thread(consumer.join, self.stop_timeout):
            logger.warning("RabbitMQ consumer %s did not stop in time", consumer.name)

    def _submit(self, body: bytes) -> concurrent.futures.Future[Outputs]:
        """Called on the consumer thread: run the function on the host loop."""
        assert self._loop is not None and self.consumer is not None
        return asyncio.run_coroutine_threadsafe(self._invoke(body, self.consumer.url), self._loop)

    async def _invoke(self, body: bytes, url: str) -> Outputs:
        assert self._function is not None
        collector = _Collector(url)
        token = _COLLECTOR.set(collector)
        try:
            await self.invoker.invoke_queue(self._function.name, [body])
        finally:
            _COLLECTOR.reset(token)
        return collector.items


def output_queues(bindings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Queue names of a function's `rabbitMQ` output bindings."""
    return [
        str(binding["queueName"])
        for binding in bindings
        if binding_type(binding).lower() == OUTPUT_TYPE.lower() and binding.get("queueName")
    ]


def binder_factory(invoker: QueueInvoker) -> RabbitMQBinder:
    """A binder configured from the host's host.json (when the invoker is a FunctionHost)."""
    config = getattr(invoker, "config", None)
    extensions = getattr(config, "extensions", None) or {}
    return RabbitMQBinder(invoker, rabbitmq_options(extensions))


def register(registry: BindingRegistry) -> BindingRegistry:
    """Add the `rabbitMQTrigger` binder and the `rabbitMQ` output sink to `registry`."""
    registry.add_binder(TRIGGER_TYPE, binder_factory)
    registry.add_output(OUTPUT_TYPE, rabbitmq_output)
    return registry
