"""Azure Service Bus fan-out between replicas: one topic, one subscription per replica.

The Azure twin of chat_container.rabbit (a fanout exchange with one exclusive queue per
replica). Each replica creates its own subscription on start, named after a random id, with
`auto_delete_on_idle` so that a replica that dies without cleaning up loses its subscription
after AUTO_DELETE_AFTER; a clean stop deletes it at once. Events are received in
RECEIVE_AND_DELETE mode (like RabbitMQ's no_ack): a live event that is lost is recovered by the
stream's gap fill from storage, and a broken receiver ends the local streams so that their
clients resume from storage.

Creating a subscription needs the Manage right: the connection string is a topic-scoped SAS rule
(Manage, Send, Listen) kept in Key Vault (infra/bicep/core/servicebus.bicep).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from azure.servicebus import ServiceBusMessage, ServiceBusReceiveMode
from azure.servicebus.aio import ServiceBusClient, ServiceBusReceiver, ServiceBusSender
from azure.servicebus.aio.management import ServiceBusAdministrationClient
from google.protobuf.message import DecodeError

from chat_container.events import Hub
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb

logger = logging.getLogger(__name__)

TOPIC = "chat-events"
# Service Bus accepts 5 minutes as the shortest auto-delete-on-idle interval.
AUTO_DELETE_AFTER = timedelta(minutes=5)
# A live event older than this is useless (the stream fills gaps from storage).
EVENT_TTL = timedelta(minutes=1)
RETRY_S = 2.0
CONTENT_TYPE = "application/x-protobuf"


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    """This replica's subscription: its name and the options it is created with."""

    name: str
    auto_delete_on_idle: timedelta = AUTO_DELETE_AFTER
    default_message_time_to_live: timedelta = EVENT_TTL

    @classmethod
    def for_new_replica(cls) -> SubscriptionSpec:
        """A fresh name (Service Bus allows 50 characters; this one has 20)."""
        return cls(name=f"replica-{uuid.uuid4().hex[:12]}")


def encode(event: pb.ChatEvent) -> ServiceBusMessage:
    """The message carrying one event."""
    return ServiceBusMessage(event.SerializeToString(), content_type=CONTENT_TYPE)


def decode(body: bytes) -> pb.ChatEvent | None:
    """The event in a message body, or None (logged) when it does not decode."""
    try:
        return pb.ChatEvent.FromString(body)
    except DecodeError:
        logger.warning("dropping an undecodable chat event (%d bytes)", len(body))
        return None


class ServiceBusBus:
    """Publishes every event to the topic; this replica's subscription feeds the local hub."""

    def __init__(self, hub: Hub, connection_string: str, *, topic: str = TOPIC) -> None:
        self._hub = hub
        self._connection_string = connection_string
        self._topic = topic
        self.subscription = SubscriptionSpec.for_new_replica()
        self._client: ServiceBusClient | None = None
        self._sender: ServiceBusSender | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create this replica's subscription, open the sender, start receiving."""
        async with ServiceBusAdministrationClient.from_connection_string(
            self._connection_string
        ) as admin:
            await admin.create_subscription(
                self._topic,
                self.subscription.name,
                auto_delete_on_idle=self.subscription.auto_delete_on_idle,
                default_message_time_to_live=self.subscription.default_message_time_to_live,
            )
        self._client = ServiceBusClient.from_connection_string(self._connection_string)
        self._sender = self._client.get_topic_sender(self._topic)
        self._pump = asyncio.create_task(self._receive_forever(self._client))
        logger.info(
            "chat events via Service Bus topic %s, subscription %s",
            self._topic,
            self.subscription.name,
        )

    async def _receive_forever(self, client: ServiceBusClient) -> None:
        while True:
            receiver: ServiceBusReceiver = client.get_subscription_receiver(
                self._topic,
                self.subscription.name,
                receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE,
            )
            try:
                async with receiver:
                    async for message in receiver:
                        event = decode(b"".join(message.body))
                        if event is not None:
                            self._hub.dispatch(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Events may have been missed: end the local streams so their clients resume
                # from storage (resume_after_seq), then receive again.
                logger.exception("Service Bus receiver failed; ending %d streams", len(self._hub))
                self._hub.close()
                await asyncio.sleep(RETRY_S)

    async def publish(self, event: pb.ChatEvent) -> None:
        """Send the event to every replica (this one included)."""
        if self._sender is None:
            raise RuntimeError("ServiceBusBus.publish before start()")
        await self._sender.send_messages(encode(event))

    async def close(self) -> None:
        """Stop receiving, delete this replica's subscription, close the client."""
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._sender = None
            try:
                async with ServiceBusAdministrationClient.from_connection_string(
                    self._connection_string
                ) as admin:
                    await admin.delete_subscription(self._topic, self.subscription.name)
            except Exception:  # auto_delete_on_idle removes it later anyway
                logger.warning("could not delete subscription %s", self.subscription.name)
