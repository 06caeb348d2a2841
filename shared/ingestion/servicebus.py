"""Send dead-letter envelopes to a Service Bus queue with the official SDK.

The Functions Service Bus output binding takes one `str`/`bytes` per invocation (its converter
refuses lists), while one batch can hold several bad messages; so the function sends them
itself. The connection follows the binding's conventions for `SERVICEBUS_CONNECTION`: a
connection string in that setting, or an identity-based connection through
`SERVICEBUS_CONNECTION__fullyQualifiedNamespace` (the function app's managed identity needs the
"Azure Service Bus Data Sender" role on the queue).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage

SETTING = "SERVICEBUS_CONNECTION"

ClientFactory = Callable[[], Any]  # returns an object with get_queue_sender(queue_name=...)
_lock = threading.Lock()
_client: Any = None


def client_from_settings(environ: Mapping[str, str] = os.environ) -> ServiceBusClient:
    """A ServiceBusClient from the binding's connection settings."""
    connection_string = environ.get(SETTING, "").strip()
    if connection_string:
        return ServiceBusClient.from_connection_string(connection_string)
    namespace = environ.get(f"{SETTING}__fullyQualifiedNamespace", "").strip()
    if not namespace:
        raise RuntimeError(f"set {SETTING} or {SETTING}__fullyQualifiedNamespace")
    from azure.identity import DefaultAzureCredential

    client_id = environ.get(f"{SETTING}__clientId") or None
    credential = DefaultAzureCredential(managed_identity_client_id=client_id)
    return ServiceBusClient(namespace, credential)


def _shared_client(factory: ClientFactory) -> Any:
    global _client
    with _lock:
        if _client is None:
            _client = factory()
        return _client


def send_dead_letters(
    queue: str, letters: Sequence[str], factory: ClientFactory = client_from_settings
) -> None:
    """Send every envelope to `queue` in as few SDK batches as fit; raises on failure."""
    if not letters:
        return
    client = _shared_client(factory)
    with client.get_queue_sender(queue_name=queue) as sender:
        batch = sender.create_message_batch()
        for letter in letters:
            message = ServiceBusMessage(letter, content_type="application/json")
            try:
                batch.add_message(message)
            except ValueError:  # the batch is full: send it, start another
                sender.send_messages(batch)
                batch = sender.create_message_batch()
                batch.add_message(message)
        sender.send_messages(batch)


def reset_client() -> None:
    """Forget the shared client (tests, or after a settings change)."""
    global _client
    with _lock:
        if _client is not None and hasattr(_client, "close"):
            _client.close()
        _client = None
