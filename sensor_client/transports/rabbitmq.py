"""RabbitMQ via pika: durable queue, persistent messages, publisher confirms."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pika
import pika.exceptions

from sensor_client.errors import PermanentTransportError, TransportError
from sensor_client.message import CONTENT_TYPE, Measurement

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "measurements"
PERSISTENT = 2


def queue_arguments(queue: str) -> dict[str, Any]:
    """The arguments the platform declares the queue with (a mismatch is a 406 error)."""
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": f"{queue}.dlq"}


def message_properties(measurement: Measurement) -> pika.BasicProperties:
    """Persistent JSON message whose id lets consumers spot redelivery."""
    return pika.BasicProperties(
        content_type=CONTENT_TYPE,
        delivery_mode=PERSISTENT,
        message_id=measurement.message_id,
        timestamp=measurement.timestamp_ms // 1000,
    )


class RabbitMqTransport:
    """Publishes each message with a confirm; any loss of the connection is a TransportError."""

    def __init__(
        self, url: str, *, queue: str = DEFAULT_QUEUE, connection_name: str = "sensor-client"
    ) -> None:
        self._url = url
        self.queue = queue
        self._connection_name = connection_name
        self._connection: Any = None
        self._channel: Any = None

    def connect(self) -> None:
        """Open a blocking connection, declare the queues and turn on publisher confirms."""
        try:
            params = pika.URLParameters(self._url)
        except (ValueError, TypeError) as exc:
            raise PermanentTransportError(f"bad AMQP URL {_redact(self._url)!r}: {exc}") from None
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 30
        params.client_properties = {"connection_name": self._connection_name}
        try:
            self._connection = pika.BlockingConnection(params)
            channel = self._connection.channel()
            channel.queue_declare(f"{self.queue}.dlq", durable=True)
            channel.queue_declare(self.queue, durable=True, arguments=queue_arguments(self.queue))
            channel.confirm_delivery()
            self._channel = channel
        except Exception as exc:
            self.close()
            raise _map_error(exc, f"cannot connect to {_redact(self._url)}") from None
        log.info("connected to %s, queue %s", _redact(self._url), self.queue)

    def publish(self, batch: Sequence[Measurement]) -> None:
        """Publish every message and wait for the broker's confirm of each."""
        if self._channel is None:
            raise TransportError("not connected")
        try:
            for measurement in batch:
                self._channel.basic_publish(
                    exchange="",
                    routing_key=self.queue,
                    body=measurement.to_json().encode(),
                    properties=message_properties(measurement),
                    mandatory=True,
                )
        except Exception as exc:
            raise _map_error(exc, "publish failed") from None

    def keepalive(self) -> None:
        """Serve heartbeats between sends (a blocking connection only does so when called)."""
        if self._connection is None:
            return
        try:
            self._connection.process_data_events(time_limit=0)
        except Exception as exc:
            raise _map_error(exc, "connection lost while idle") from None

    def close(self) -> None:
        """Close the connection, ignoring errors of an already broken one."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception as exc:  # a dead socket cannot be closed cleanly
                log.debug("ignoring error on close: %s", exc)


def _map_error(exc: Exception, context: str) -> TransportError:
    """Credentials and queue mismatches are permanent; everything else is worth a retry."""
    detail = f"{context}: {type(exc).__name__} {exc}".strip()
    if isinstance(exc, pika.exceptions.ProbableAuthenticationError | ValueError):
        return PermanentTransportError(f"{detail} (check the user and password)")
    if isinstance(exc, pika.exceptions.ChannelClosedByBroker) and exc.reply_code in (403, 406):
        return PermanentTransportError(f"{detail} (queue declared differently or access refused)")
    if isinstance(exc, pika.exceptions.ProbableAccessDeniedError):
        return PermanentTransportError(f"{detail} (no access to this virtual host)")
    return TransportError(detail)


def _redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
