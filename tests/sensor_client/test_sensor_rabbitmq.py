"""The RabbitMQ transport against the real broker: confirms, persistence, a cut connection."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest
from sensor_fakes import DEVICE

from sensor_client.cli import main
from sensor_client.csvsource import CsvSource, read_csv
from sensor_client.engine import Engine, EngineConfig
from sensor_client.errors import PermanentTransportError, TransportError
from sensor_client.message import Measurement
from sensor_client.transports.rabbitmq import RabbitMqTransport
from tests.utils.services import unavailable

pytestmark = pytest.mark.rabbitmq

URL = "amqp://guest:guest@127.0.0.1:5672/"
START_MS = 1767225600000


@pytest.fixture
def channel() -> Iterator[Any]:
    """A channel on the real broker, or skip/fail when it is unreachable."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(URL))
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", f"{URL}: {exc!r}")
        raise
    yield connection.channel()
    connection.close()


@pytest.fixture
def queue(channel: Any) -> Iterator[str]:
    """A queue name of this test only; deleted afterwards with its dead-letter queue."""
    name = f"test.sensor.{uuid.uuid4().hex[:10]}"
    yield name
    channel.queue_delete(name)
    channel.queue_delete(f"{name}.dlq")


@pytest.fixture
def readings_200(tmp_path: Path) -> CsvSource:
    """200 cumulative readings."""
    path = tmp_path / "200.csv"
    path.write_text("".join(f"{i * 0.25}\n" for i in range(200)))
    return read_csv(path)


def drain(channel: Any, queue: str) -> list[tuple[Any, dict[str, Any]]]:
    """Every message now in the queue, acknowledged, in delivery order."""
    received = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return received
        received.append((properties, json.loads(body)))


def config(tmp_path: Path, batch_size: int = 50) -> EngineConfig:
    return EngineConfig(
        DEVICE,
        tmp_path / "state.json",
        replay=True,
        start_ms=START_MS,
        batch_size=batch_size,
        backoff_initial_s=0.05,
    )


def test_replay_of_200_arrives_in_order_persistent_and_identified(
    tmp_path: Path, channel: Any, queue: str, readings_200: CsvSource
) -> None:
    transport = RabbitMqTransport(URL, queue=queue)
    assert Engine(config(tmp_path), readings_200, transport).run().sent == 200
    received = drain(channel, queue)
    assert len(received) == 200
    for index, (properties, body) in enumerate(received):
        stamp = START_MS + 600_000 * index
        assert body == {"timestamp": stamp, "device_id": DEVICE, "measurement_value": index * 0.25}
        assert properties.delivery_mode == 2
        assert properties.content_type == "application/json"
        assert properties.message_id == f"{DEVICE}:{stamp}"
    declared = channel.queue_declare(f"{queue}.dlq", passive=True)
    assert declared.method.message_count == 0


class CuttingTransport(RabbitMqTransport):
    """Loses its connection in the middle of the third batch, once."""

    def __init__(self, url: str, queue: str, how: str) -> None:
        super().__init__(url, queue=queue, connection_name=f"cut-{queue}")
        self.batches = 0
        self.how = how

    def publish(self, batch: Sequence[Measurement]) -> None:
        self.batches += 1
        if self.batches != 3:
            super().publish(batch)
            return
        super().publish(batch[:7])
        self.cut()
        super().publish(batch[7:])

    def cut(self) -> None:
        """Close from the broker's side with rabbitmqctl, or kill the socket under pika."""
        if self.how == "broker":
            assert close_by_name(f"cut-{self.queue}"), "rabbitmqctl could not close it"
        else:
            self._connection._impl._transport._sock.shutdown(socket.SHUT_RDWR)


def rabbitmqctl_works() -> bool:
    """True when rabbitmqctl exists and can talk to the node."""
    if shutil.which("rabbitmqctl") is None:
        return False
    try:
        subprocess.run(["rabbitmqctl", "-q", "status"], capture_output=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def close_by_name(name: str) -> bool:
    """Close, on the broker, only the connection whose client named itself `name`."""
    command = ["rabbitmqctl", "-q", "list_connections", "--no-table-headers"]
    try:
        listed = subprocess.run(
            [*command, "pid", "client_properties"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        # text rows: `<rabbit@host.1.2.3>\t[..., {"connection_name","<name>"}]`
        marker = f'{{"connection_name","{name}"}}'
        pids = [line.split("\t")[0] for line in listed.stdout.splitlines() if marker in line]
        for pid in pids:
            subprocess.run(
                ["rabbitmqctl", "-q", "close_connection", pid, "test cut"],
                capture_output=True,
                timeout=10,
                check=True,
            )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(pids)


@pytest.mark.parametrize("how", ["broker", "socket"])
def test_connection_cut_mid_stream_loses_nothing(
    tmp_path: Path, channel: Any, queue: str, readings_200: CsvSource, how: str
) -> None:
    if how == "broker" and not rabbitmqctl_works():
        pytest.skip("rabbitmqctl is not usable here; the socket variant covers the cut")
    transport = CuttingTransport(URL, queue, how)
    final = Engine(config(tmp_path, batch_size=20), readings_200, transport).run()
    assert final.sent == 200 and final.retries >= 1
    stamps = [body["timestamp"] for _, body in drain(channel, queue)]
    assert sorted(set(stamps)) == [START_MS + 600_000 * i for i in range(200)]
    assert len(stamps) - 200 <= 20  # at most the batch in flight was sent twice


def test_unreachable_broker_and_bad_credentials_are_reported(channel: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    transport = RabbitMqTransport(f"amqp://guest:guest@127.0.0.1:{free_port}/")
    with pytest.raises(TransportError, match="cannot connect"):
        transport.connect()
    with pytest.raises(PermanentTransportError, match="user and password"):
        RabbitMqTransport("amqp://guest:wrong@127.0.0.1:5672/").connect()


def test_idle_live_connection_survives_heartbeats(tmp_path: Path, channel: Any, queue: str) -> None:
    path = tmp_path / "two.csv"
    path.write_text("1\n2\n")
    transport = RabbitMqTransport(f"{URL}?heartbeat=1", queue=queue)
    config = EngineConfig(DEVICE, tmp_path / "live.json", interval_s=3.5, backoff_initial_s=0.05)
    final = Engine(config, read_csv(path), transport).run()
    assert final.sent == 2 and final.retries == 0  # heartbeats were served while waiting
    assert len(drain(channel, queue)) == 2


def test_cli_simulates_several_devices_through_the_broker(
    tmp_path: Path, channel: Any, queue: str, readings_200: CsvSource
) -> None:
    args = [
        *("--device-id", DEVICE, "--csv", str(readings_200.path), "--dest", URL),
        *("--queue", queue, "--replay", "--devices", "3", "--state-dir", str(tmp_path)),
    ]
    assert main(args) == 0
    received = drain(channel, queue)
    per_device: dict[str, list[int]] = {}
    for _, body in received:
        per_device.setdefault(body["device_id"], []).append(body["timestamp"])
    assert len(per_device) == 3 and len(received) == 600
    assert all(stamps == sorted(stamps) and len(stamps) == 200 for stamps in per_device.values())
