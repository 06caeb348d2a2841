"""Choose the dead-letter store: the ingestion queue's, RabbitMQ locally, Service Bus in Azure."""

from __future__ import annotations

import os
from collections.abc import Mapping

from shared.console.deadletters import DeadLetterStore, DeadLettersUnavailable, NoDeadLetters
from shared.settings import Settings

SERVICEBUS_SETTING = "SERVICEBUS_CONNECTION"  # the binding's setting (string or identity-based)


def chosen_transport(settings: Settings, environ: Mapping[str, str] = os.environ) -> str:
    """rabbitmq | servicebus | none: DEADLETTER_TRANSPORT, else what ingestion uses."""
    if settings.DEADLETTER_TRANSPORT:
        return settings.DEADLETTER_TRANSPORT
    if settings.MEASUREMENTS_TRANSPORT:
        return settings.MEASUREMENTS_TRANSPORT
    if settings.RABBITMQ_URL:
        return "rabbitmq"
    if any(name.startswith(SERVICEBUS_SETTING) for name in environ):
        return "servicebus"
    return "none"


def dead_letter_queue(settings: Settings) -> str:
    """The main queue whose dead letters are shown: DEADLETTER_QUEUE or MEASUREMENTS_QUEUE."""
    return settings.DEADLETTER_QUEUE or settings.MEASUREMENTS_QUEUE


def dead_letter_store(settings: Settings) -> DeadLetterStore:
    """The configured store; an empty one without a broker; 503 when half configured."""
    transport = chosen_transport(settings)
    if transport == "none":
        return NoDeadLetters()
    if transport == "rabbitmq" and settings.RABBITMQ_URL:
        from shared.console.deadletters_rabbitmq import RabbitMqDeadLetters

        return RabbitMqDeadLetters(settings.RABBITMQ_URL, dead_letter_queue(settings))
    if transport == "servicebus":
        from shared.console.deadletters_servicebus import ServiceBusDeadLetters
        from shared.ingestion.servicebus import client_from_settings

        return ServiceBusDeadLetters(client_from_settings, dead_letter_queue(settings))
    raise DeadLettersUnavailable(
        f"The dead letters are on {transport}, but its connection setting is missing."
    )
