"""Azure Service Bus via azure-servicebus: one sender on the `measurements` queue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from azure.servicebus import ServiceBusClient, ServiceBusMessage
from azure.servicebus.exceptions import (
    MessageSizeExceededError,
    MessagingEntityDisabledError,
    MessagingEntityNotFoundError,
    ServiceBusAuthenticationError,
    ServiceBusAuthorizationError,
    ServiceBusError,
)

from sensor_client.errors import PermanentTransportError, TransportError
from sensor_client.message import CONTENT_TYPE, Measurement

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "measurements"
PERMANENT_ERRORS = (
    ServiceBusAuthenticationError,
    ServiceBusAuthorizationError,
    MessagingEntityNotFoundError,
    MessagingEntityDisabledError,
    MessageSizeExceededError,
)


class Sender(Protocol):
    """The part of `ServiceBusSender` this transport uses."""

    def send_messages(self, message: Any) -> None:
        """Send a list of messages as one batch."""

    def close(self) -> None:
        """Close the sender's link."""


def build_message(measurement: Measurement) -> ServiceBusMessage:
    """A JSON message whose id enables the queue's duplicate detection."""
    return ServiceBusMessage(
        measurement.to_json(), message_id=measurement.message_id, content_type=CONTENT_TYPE
    )


def map_error(exc: Exception) -> TransportError:
    """Credentials, a missing or disabled queue and oversize messages are permanent."""
    detail = f"Service Bus: {type(exc).__name__}: {exc}"
    if isinstance(exc, PERMANENT_ERRORS):
        return PermanentTransportError(detail)
    if isinstance(exc, ServiceBusError):
        return TransportError(detail)
    if isinstance(exc, ValueError):  # malformed connection string
        return PermanentTransportError(detail)
    return TransportError(detail)


class ServiceBusTransport:
    """Sends each batch with `send_messages`; it returns once Service Bus accepted the batch."""

    def __init__(
        self,
        connection_string: str,
        *,
        queue: str = DEFAULT_QUEUE,
        sender_factory: Callable[[], Sender] | None = None,
    ) -> None:
        self._connection_string = connection_string
        self.queue = queue
        self._sender_factory = sender_factory or self._open_sender
        self._client: ServiceBusClient | None = None
        self._sender: Sender | None = None

    def _open_sender(self) -> Sender:
        # the engine owns retries and backoff, so the SDK's own retries are kept short
        self._client = ServiceBusClient.from_connection_string(
            self._connection_string, retry_total=1
        )
        sender: Sender = self._client.get_queue_sender(self.queue)
        return sender

    def connect(self) -> None:
        """Create the client and the queue sender."""
        try:
            self._sender = self._sender_factory()
        except Exception as exc:
            self.close()
            raise map_error(exc) from None
        log.info("Service Bus sender ready for queue %s", self.queue)

    def publish(self, batch: Sequence[Measurement]) -> None:
        """Send the batch; raise TransportError unless Service Bus accepted it."""
        if self._sender is None:
            raise TransportError("not connected")
        try:
            self._sender.send_messages([build_message(m) for m in batch])
        except Exception as exc:
            raise map_error(exc) from None

    def close(self) -> None:
        """Close sender and client, ignoring errors of a broken link."""
        for closable in (self._sender, self._client):
            if closable is not None:
                try:
                    closable.close()
                except Exception as exc:  # a broken link may fail to close
                    log.debug("ignoring error on close: %s", exc)
        self._sender, self._client = None, None
