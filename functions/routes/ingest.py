"""Queue-triggered ingestion: Service Bus in Azure, RabbitMQ on containers and the local host.

One setting chooses the transport (MEASUREMENTS_TRANSPORT); the handler code is shared. The
blueprint is built when the app is indexed, so the settings of that moment decide.
"""

from __future__ import annotations

import os

import azure.functions as func

from shared.ingestion.pipeline import process_queue_batch
from shared.platform import get_platform

DEFAULT_QUEUE = "measurements"


def transport() -> str:
    """servicebus | rabbitmq | none, from MEASUREMENTS_TRANSPORT or what is configured."""
    chosen = os.environ.get("MEASUREMENTS_TRANSPORT", "").strip().lower()
    if chosen:
        return chosen
    if os.environ.get("RABBITMQ_URL"):
        return "rabbitmq"
    if any(name.startswith("SERVICEBUS_CONNECTION") for name in os.environ):
        return "servicebus"
    return "none"


def _handle(bodies: list[str] | list[bytes], deadletters: func.Out[list[str]]) -> None:
    _outcome, letters = process_queue_batch(get_platform(), bodies)
    if letters:
        deadletters.set(letters)


def _rabbitmq(bp: func.Blueprint, queue: str) -> None:
    @bp.function_name("ingest_measurements")
    @bp.generic_trigger(
        arg_name="messages",
        type="rabbitMQTrigger",
        queue_name=queue,
        connection_string_setting="RABBITMQ_URL",
        cardinality="many",
        data_type="string",
    )
    @bp.generic_output_binding(
        arg_name="deadletters",
        type="rabbitMQ",
        queue_name=f"{queue}.dlq",
        connection_string_setting="RABBITMQ_URL",
    )
    def ingest_rabbitmq(messages: list[str], deadletters: func.Out[list[str]]) -> None:
        """Store a batch from RabbitMQ; bad messages go to the dead-letter queue with a reason."""
        _handle(messages, deadletters)


def _servicebus(bp: func.Blueprint, queue: str) -> None:
    @bp.function_name("ingest_measurements")
    @bp.service_bus_queue_trigger(
        arg_name="messages",
        connection="SERVICEBUS_CONNECTION",
        queue_name=queue,
        cardinality="many",
    )
    @bp.service_bus_queue_output(
        arg_name="deadletters", connection="SERVICEBUS_CONNECTION", queue_name=f"{queue}-invalid"
    )
    def ingest_servicebus(
        messages: list[func.ServiceBusMessage], deadletters: func.Out[list[str]]
    ) -> None:
        """Store a batch from Service Bus; bad messages go to the invalid-readings queue."""
        _handle([m.get_body() for m in messages], deadletters)


def build_blueprint() -> func.Blueprint:
    """The ingestion blueprint for the configured transport (empty when HTTP only)."""
    bp = func.Blueprint()
    queue = os.environ.get("MEASUREMENTS_QUEUE", DEFAULT_QUEUE)
    chosen = transport()
    if chosen == "rabbitmq":
        _rabbitmq(bp, queue)
    elif chosen == "servicebus":
        _servicebus(bp, queue)
    return bp
