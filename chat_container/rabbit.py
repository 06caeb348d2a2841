"""RabbitMQ fan-out between replicas: one fanout exchange, one exclusive queue per replica."""

from __future__ import annotations

import logging
import os

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection
from google.protobuf.message import DecodeError

from chat_container.events import Hub
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb

logger = logging.getLogger(__name__)

EXCHANGE = "chat.events"
RECONNECT_INTERVAL_S = 1


class RabbitBus:
    """Publishes every event to the exchange; feeds what arrives into the local hub."""

    def __init__(self, hub: Hub, url: str, *, exchange: str = EXCHANGE) -> None:
        self._hub = hub
        self._url = url
        self._exchange_name = exchange
        self.connection_name = f"chat-replica-{os.getpid()}-{id(self):x}"
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        """Connect, declare the exchange and this replica's queue, start consuming."""
        self._connection = await aio_pika.connect_robust(
            self._url,
            client_properties={"connection_name": self.connection_name},
            reconnect_interval=RECONNECT_INTERVAL_S,
        )
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        channel = await self._connection.channel()
        self._exchange = await channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.FANOUT, auto_delete=True
        )
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(self._exchange)
        await queue.consume(self._on_message, no_ack=True)
        logger.info("chat events via RabbitMQ exchange %s, queue %s", EXCHANGE, queue.name)

    def _on_reconnect(self, *_: object) -> None:
        # Events published while the link was down never reached this replica: end the local
        # streams so their clients resume from storage (resume_after_seq) and miss nothing.
        logger.warning("RabbitMQ link restored; ending %d local streams to resync", len(self._hub))
        self._hub.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            event = pb.ChatEvent.FromString(message.body)
        except DecodeError:
            logger.warning("dropping an undecodable chat event (%d bytes)", len(message.body))
            return
        self._hub.dispatch(event)

    async def publish(self, event: pb.ChatEvent) -> None:
        """Send the event to every replica."""
        if self._exchange is None:
            raise RuntimeError("RabbitBus.publish before start()")
        await self._exchange.publish(
            aio_pika.Message(event.SerializeToString(), content_type="application/x-protobuf"),
            routing_key="",
        )

    async def close(self) -> None:
        """Close the connection (the exclusive queue goes with it)."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
