"""RabbitMQ basics shared by the binder and the dead-letter CLI: URLs, queues, publishing."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

DLQ_SUFFIX = ".dlq"
PERSISTENT = 2  # AMQP delivery_mode: written to disk by the broker
NOT_FOUND = 404  # AMQP reply code of a passive declare for a missing queue
# A blocked connection (broker memory/disk alarm) fails publishes instead of hanging forever.
BLOCKED_CONNECTION_TIMEOUT_S = 30.0


def dead_letter_queue(queue: str) -> str:
    """The dead-letter queue of `queue`: `<queue>.dlq`."""
    return f"{queue}{DLQ_SUFFIX}"


def queue_arguments(queue: str) -> dict[str, str]:
    """The main queue's arguments; the sensor client declares exactly the same ones."""
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letter_queue(queue)}


def declare_topology(channel: BlockingChannel, queue: str) -> None:
    """Declare `<queue>.dlq` and `<queue>` (durable, dead-lettering to the first); idempotent."""
    channel.queue_declare(queue=dead_letter_queue(queue), durable=True)
    channel.queue_declare(queue=queue, durable=True, arguments=queue_arguments(queue))


def connection_parameters(url: str, name: str | None = None) -> pika.URLParameters:
    """pika parameters for an `amqp://user:pass@host:5672/vhost` URL (single attempt)."""
    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.blocked_connection_timeout = BLOCKED_CONNECTION_TIMEOUT_S
    if name:
        parameters.client_properties = {"connection_name": name}
    return parameters


def url_from_setting(setting: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The connection URL held by the environment variable named `setting`, if set."""
    if not setting:
        return None
    value = environ.get(setting, "").strip()
    return value or None


def redact(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def output_bodies(value: Any) -> list[bytes]:
    """Message bodies for an output-binding value: a list gives one message per item."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [_to_body(item) for item in items if item is not None]


def _to_body(item: Any) -> bytes:
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("utf-8")
    return json.dumps(item).encode("utf-8")


def publish_persistent(
    channel: BlockingChannel,
    queue: str,
    body: bytes,
    properties: pika.BasicProperties | None = None,
) -> None:
    """Publish to `queue` via the default exchange, persistent and mandatory.

    On a channel in confirm mode this returns once the broker confirmed; an unroutable
    message (no such queue) raises `pika.exceptions.UnroutableError`.
    """
    props = properties or pika.BasicProperties()
    props.delivery_mode = PERSISTENT
    channel.basic_publish(
        exchange="", routing_key=queue, body=body, properties=props, mandatory=True
    )


def publish_all(url: str, queue: str, bodies: list[bytes]) -> None:
    """Open a short-lived connection and publish `bodies` to `queue` with confirms."""
    if not bodies:
        return
    connection = pika.BlockingConnection(connection_parameters(url, "funchost-output"))
    try:
        ensure_output_queue(connection, queue)
        channel = connection.channel()
        channel.confirm_delivery()
        for body in bodies:
            publish_persistent(channel, queue, body)
    finally:
        if connection.is_open:
            connection.close()


class OutputQueueMissing(RuntimeError):
    """A `rabbitMQ` output binding names a queue that does not exist."""


def ensure_output_queue(connection: pika.BlockingConnection, queue: str) -> None:
    """Check that an output queue exists, as the extension does (`QueueDeclarePassive`).

    The Azure extension never declares an output queue: creating the output binding's service
    fails when the queue is missing, and so does the invocation. Raises OutputQueueMissing.
    """
    channel = connection.channel()
    try:
        channel.queue_declare(queue=queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code != NOT_FOUND:
            raise
        raise OutputQueueMissing(
            f"output queue {queue!r} does not exist; the RabbitMQ output binding declares "
            "passively (the queue must be declared beforehand)"
        ) from exc
    if channel.is_open:
        channel.close()
