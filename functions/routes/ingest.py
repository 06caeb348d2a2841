"""Queue-triggered ingestion: Service Bus in Azure, RabbitMQ on containers and the local host.

One setting chooses the transport (MEASUREMENTS_TRANSPORT); the storing code is shared. The
blueprint is built when the app is indexed, so the settings of that moment decide. Both
functions pass the Python worker's indexing rules (docs/functions-host.md):

- RabbitMQ: the extension has no batching, so the function takes one `str` message; it drains
  what else waits in the queue and stores it in the same transaction (shared/ingestion/drain.py).
  Dead letters are published to `<queue>.dlq` by the drain, with their reason.
- Service Bus: `cardinality="many"` with `typing.List[func.ServiceBusMessage]` (PEP 585
  `list[...]` is refused by the worker). The Service Bus output converter accepts only one
  `str`/`bytes` per invocation, so dead letters go to `<queue>-invalid` through the SDK.
"""

from __future__ import annotations

import logging
import os
import typing
from functools import lru_cache

import azure.functions as func

from shared.ingestion.drain import DrainOptions, RabbitDrain
from shared.ingestion.pipeline import queue_batch_letters
from shared.ingestion.servicebus import send_dead_letters
from shared.platform import get_platform
from shared.settings import get_settings

logger = logging.getLogger(__name__)
DEFAULT_QUEUE = "measurements"
RABBITMQ_SETTING = "RABBITMQ_URL"
SERVICEBUS_SETTING = "SERVICEBUS_CONNECTION"


def transport() -> str:
    """servicebus | rabbitmq | none: MEASUREMENTS_TRANSPORT, or inferred from the connections."""
    settings = get_settings()
    if settings.MEASUREMENTS_TRANSPORT:
        return settings.MEASUREMENTS_TRANSPORT
    if settings.RABBITMQ_URL:
        return "rabbitmq"
    if any(name.startswith(SERVICEBUS_SETTING) for name in os.environ):
        return "servicebus"
    return "none"


def queue_name() -> str:
    """The measurements queue (MEASUREMENTS_QUEUE, default `measurements`)."""
    return get_settings().MEASUREMENTS_QUEUE


@lru_cache(maxsize=1)
def rabbit_drain() -> RabbitDrain:
    """The process's drain on the measurements queue (its own connection)."""
    settings = get_settings()
    if not settings.RABBITMQ_URL:
        raise RuntimeError(f"{RABBITMQ_SETTING} is not set")
    options = DrainOptions(
        max_batch=settings.MEASUREMENTS_BATCH_MAX,
        idle_wait_s=settings.MEASUREMENTS_DRAIN_WAIT_MS / 1000,
    )
    return RabbitDrain(settings.RABBITMQ_URL, settings.MEASUREMENTS_QUEUE, options)


def ingest_one_rabbitmq(message: str) -> None:
    """Store the triggering reading together with the ones waiting behind it."""
    platform = get_platform()
    size = rabbit_drain().run(
        message.encode("utf-8"), lambda bodies: queue_batch_letters(platform, bodies)
    )
    logger.debug("stored a batch of %d RabbitMQ messages", size)


def ingest_servicebus_batch(messages: typing.List[func.ServiceBusMessage]) -> None:  # noqa: UP006
    """Store a Service Bus batch; bad messages go to the invalid-readings queue."""
    bodies = [message.get_body() for message in messages]
    letters = [letter for letter in queue_batch_letters(get_platform(), bodies) if letter]
    if letters:
        send_dead_letters(f"{queue_name()}-invalid", letters)


def _rabbitmq(bp: func.Blueprint, queue: str) -> None:
    @bp.function_name("ingest_measurements")
    @bp.generic_trigger(
        arg_name="message",
        type="rabbitMQTrigger",
        queue_name=queue,
        connection_string_setting="RABBITMQ_URL",
        data_type="string",
    )
    def ingest_rabbitmq(message: str) -> None:
        """One RabbitMQ message per invocation (the extension has no batching)."""
        ingest_one_rabbitmq(message)


def _servicebus(bp: func.Blueprint, queue: str) -> None:
    @bp.function_name("ingest_measurements")
    @bp.service_bus_queue_trigger(
        arg_name="messages",
        connection="SERVICEBUS_CONNECTION",
        queue_name=queue,
        cardinality="many",
    )
    def ingest_servicebus(messages: typing.List[func.ServiceBusMessage]) -> None:  # noqa: UP006
        """A Service Bus batch (host.json extensions.serviceBus.maxMessageBatchSize)."""
        ingest_servicebus_batch(messages)


def build_blueprint() -> func.Blueprint:
    """The ingestion blueprint for the configured transport (empty when HTTP only)."""
    bp = func.Blueprint()
    chosen = transport()
    if chosen == "rabbitmq":
        _rabbitmq(bp, queue_name())
    elif chosen == "servicebus":
        _servicebus(bp, queue_name())
    return bp
