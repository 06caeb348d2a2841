"""Service Bus: message construction and error mapping with a fake sender (no namespace here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.servicebus.exceptions import (
    MessagingEntityNotFoundError,
    ServiceBusAuthenticationError,
    ServiceBusConnectionError,
    ServiceBusServerBusyError,
)
from sensor_fakes import DEVICE

from sensor_client.csvsource import CsvSource
from sensor_client.engine import Engine, EngineConfig
from sensor_client.errors import PermanentTransportError, TransportError
from sensor_client.message import Measurement
from sensor_client.transports.servicebus import ServiceBusTransport, build_message

START_MS = 1767225600000


class FakeSender:
    """Records sent messages; raises the queued errors first."""

    def __init__(self, errors: list[Exception] | None = None) -> None:
        self.sent: list[Any] = []
        self.errors = errors or []
        self.closed = 0

    def send_messages(self, message: Any) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.extend(message)

    def close(self) -> None:
        self.closed += 1


def test_message_has_json_body_id_and_content_type() -> None:
    message = build_message(Measurement(DEVICE, START_MS, 12.5))
    assert json.loads(str(message)) == {
        "timestamp": START_MS,
        "device_id": DEVICE,
        "measurement_value": 12.5,
    }
    assert message.message_id == f"{DEVICE}:{START_MS}"
    assert message.content_type == "application/json"


def test_engine_sends_batches_through_the_sender(tmp_path: Path, values_csv: CsvSource) -> None:
    sender = FakeSender([ServiceBusServerBusyError(message="busy"), ServiceBusConnectionError()])
    transport = ServiceBusTransport("Endpoint=sb://unused/", sender_factory=lambda: sender)
    config = EngineConfig(
        DEVICE, tmp_path / "s.json", replay=True, start_ms=START_MS, backoff_initial_s=0.001
    )
    final = Engine(config, values_csv, transport).run()
    assert final.done and final.retries == 2
    assert [m.message_id for m in sender.sent] == [
        f"{DEVICE}:{START_MS + 600_000 * i}" for i in range(25)
    ]


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (ServiceBusAuthenticationError(message="bad key"), True),
        (MessagingEntityNotFoundError(message="no queue"), True),
        (ServiceBusConnectionError(message="lost"), False),
        (ServiceBusServerBusyError(message="busy"), False),
        (TimeoutError("slow"), False),
    ],
)
def test_errors_are_mapped(error: Exception, permanent: bool) -> None:
    transport = ServiceBusTransport("x", sender_factory=lambda: FakeSender([error]))
    transport.connect()
    with pytest.raises(TransportError) as caught:
        transport.publish([Measurement(DEVICE, START_MS, 1.0)])
    assert isinstance(caught.value, PermanentTransportError) is permanent
    assert type(error).__name__ in str(caught.value)


def test_malformed_connection_string_is_permanent() -> None:
    with pytest.raises(PermanentTransportError, match="Service Bus"):
        ServiceBusTransport("Endpoint=nonsense").connect()
