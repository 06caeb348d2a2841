"""Choose the dead-letter store from settings: RabbitMQ locally, Service Bus in Azure."""

from __future__ import annotations

from shared.console.deadletters import DeadLetterStore, DeadLettersUnavailable, NoDeadLetters
from shared.settings import Settings


def chosen_transport(settings: Settings) -> str:
    """rabbitmq | servicebus | none; `auto` picks what is configured."""
    if settings.DEADLETTER_TRANSPORT != "auto":
        return settings.DEADLETTER_TRANSPORT
    if settings.RABBITMQ_URL:
        return "rabbitmq"
    if settings.SERVICEBUS_CONNECTION:
        return "servicebus"
    return "none"


def dead_letter_store(settings: Settings) -> DeadLetterStore:
    """The configured store; an empty one without a broker; 503 when half configured."""
    transport = chosen_transport(settings)
    if transport == "rabbitmq" and settings.RABBITMQ_URL:
        from shared.console.deadletters_rabbitmq import RabbitMqDeadLetters

        return RabbitMqDeadLetters(settings.RABBITMQ_URL, settings.DEADLETTER_QUEUE)
    if transport == "servicebus" and settings.SERVICEBUS_CONNECTION:
        from shared.console.deadletters_servicebus import ServiceBusDeadLetters

        return ServiceBusDeadLetters.from_connection_string(
            settings.SERVICEBUS_CONNECTION, settings.DEADLETTER_QUEUE
        )
    if transport == "none":
        return NoDeadLetters()
    raise DeadLettersUnavailable(
        f"DEADLETTER_TRANSPORT is {transport} but its connection setting is missing "
        "(RABBITMQ_URL, or SERVICEBUS_CONNECTION as a connection string)."
    )
