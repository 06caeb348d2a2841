"""The Service Bus ingestion function: a native batch, dead letters through the SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from sqlalchemy import func as sqlfunc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.ingestion import servicebus
from shared.models import StoredReading
from shared.platform import reset_platform
from tests.utils.factories import make_device

STEP_MS = 600_000


class Sender:
    def __init__(self, sent: list[tuple[str, str]], queue: str) -> None:
        self.sent, self.queue = sent, queue

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def create_message_batch(self) -> list[Any]:
        return []

    def send_messages(self, batch: list[Any]) -> None:
        self.sent.extend((self.queue, str(message)) for message in batch)


class Client:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def get_queue_sender(self, queue_name: str) -> Any:
        sender = Sender(self.sent, queue_name)

        class Batch(list[Any]):
            def add_message(self, message: Any) -> None:
                self.append(message)

        sender.create_message_batch = Batch  # type: ignore[method-assign,assignment]
        return sender


@pytest.fixture
def client(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("MEASUREMENTS_QUEUE", "measurements")
    reset_platform()
    fake = Client()
    monkeypatch.setattr(servicebus, "_client", fake)
    yield fake
    reset_platform()


def test_a_service_bus_batch_is_stored_and_bad_messages_go_to_the_invalid_queue(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    from routes.ingest import ingest_servicebus_batch

    with transaction(sessions) as session:
        device_id = make_device(session, max_kwh=10_000).id
    start = (int(time.time() * 1000) - 50 * STEP_MS) // STEP_MS * STEP_MS
    bodies = [
        json.dumps(
            {"timestamp": start + i * STEP_MS, "device_id": device_id, "measurement_value": i}
        )
        for i in range(10)
    ]
    bodies.insert(4, "{broken")
    messages = [func.ServiceBusMessage(body=body.encode()) for body in bodies]
    ingest_servicebus_batch(messages)
    with sessions() as session:
        query = select(sqlfunc.count()).select_from(StoredReading)
        assert session.scalar(query.where(StoredReading.device_id == device_id)) == 10
    [(queue, letter)] = client.sent
    assert queue == "measurements-invalid"
    assert json.loads(letter)["message"] == "{broken"
