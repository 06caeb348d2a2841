"""The Service Bus fan-out (Azure), checked offline: no Service Bus exists on this machine.

What runs against a real broker is the RabbitMQ twin (test_replicas_rabbitmq.py, two chat
processes). Here: the bus is chosen from the settings, the subscription each replica creates,
the message encoding, and the SDK accepting the connection string Bicep stores.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.servicebus.aio import ServiceBusClient

from chat_container.events import Hub, MemoryBus
from chat_container.gen.energy.chat.v1 import chat_pb2 as pb
from chat_container.rabbit import RabbitBus
from chat_container.server import make_bus
from chat_container.servicebus import (
    TOPIC,
    ServiceBusBus,
    SubscriptionSpec,
    decode,
    encode,
)
from tests.chat_container.support import chat_config

# The shape of a topic-scoped SAS rule's primaryConnectionString (listKeys()).
CONNECTION_STRING = (
    "Endpoint=sb://sb-test.servicebus.windows.net/;SharedAccessKeyName=chat-replicas;"
    f"SharedAccessKey={'k' * 44};EntityPath={TOPIC}"
)


def test_the_bus_follows_the_settings() -> None:
    hub = Hub()
    config = chat_config()
    assert isinstance(
        make_bus(hub, config, rabbitmq_url="amqp://x@h/", servicebus=None, topic=TOPIC), RabbitBus
    )
    chosen = make_bus(hub, config, rabbitmq_url=None, servicebus=CONNECTION_STRING, topic=TOPIC)
    assert isinstance(chosen, ServiceBusBus)
    assert isinstance(
        make_bus(hub, config, rabbitmq_url=None, servicebus=None, topic=TOPIC), MemoryBus
    )


def test_each_replica_gets_its_own_short_lived_subscription() -> None:
    first, second = SubscriptionSpec.for_new_replica(), SubscriptionSpec.for_new_replica()
    assert first.name != second.name
    assert len(first.name) <= 50  # Service Bus limit for subscription names
    assert first.auto_delete_on_idle >= timedelta(minutes=5)  # the shortest Service Bus allows
    assert first.default_message_time_to_live <= timedelta(minutes=5)


def test_events_round_trip_and_garbage_is_dropped() -> None:
    event = pb.ChatEvent(typing=pb.TypingEvent(conversation_id="c1", typing=True))
    message = encode(event)
    assert message.content_type == "application/x-protobuf"
    assert decode(b"".join(message.body)) == event
    assert decode(b"\xff\xff\xff") is None


async def test_the_sdk_accepts_the_stored_connection_string() -> None:
    client = ServiceBusClient.from_connection_string(CONNECTION_STRING)
    async with client:
        sender = client.get_topic_sender(TOPIC)
        receiver = client.get_subscription_receiver(TOPIC, "replica-x")
        assert sender.fully_qualified_namespace == "sb-test.servicebus.windows.net"
        await sender.close()
        await receiver.close()
        with pytest.raises(ValueError):
            client.get_topic_sender("another-topic")  # the rule is scoped to the chat topic


async def test_publish_before_start_is_a_programming_error() -> None:
    bus = ServiceBusBus(Hub(), CONNECTION_STRING)
    with pytest.raises(RuntimeError):
        await bus.publish(pb.ChatEvent())
