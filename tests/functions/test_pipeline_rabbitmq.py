"""sensor.csv through the real RabbitMQ and the local host into MariaDB, with faults.

The host runs as a separate process (like the Functions host), so it can be SIGKILLed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pika
import pymysql
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from local.funchost.server import host_command
from sensor_client.message import Measurement as SensorMeasurement
from sensor_client.transports.rabbitmq import RabbitMqTransport
from shared.db import transaction
from shared.ingestion.store import hour_ms
from shared.models import Alert, HourlyConsumption, StoredReading
from tests.utils.factories import make_device
from tests.utils.pipeline import broker_url, declared_queue, host_healthy, wait_for
from tests.utils.reference import STEP_MS, reference_hours, sensor_values
from tests.utils.services import (
    MARIADB_HOST,
    MARIADB_PASSWORD,
    MARIADB_PORT,
    MARIADB_USER,
    free_port,
    mariadb_database,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.mariadb, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
START_MS = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000) // STEP_MS * STEP_MS


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """These tests run on MariaDB only: row locks and connection kills are the point."""
    with mariadb_database() as url:
        yield url


@pytest.fixture(scope="module")
def rabbit() -> str:
    return broker_url()


@dataclass
class Host:
    """The local Functions host process consuming one queue."""

    env: dict[str, str]
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = host_command(Path("functions/function_app.py"), self.port)
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: host_healthy(self.port), 60, "host healthy")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def queue(rabbit: str) -> Iterator[str]:
    with declared_queue(rabbit, "test_measurements") as name:
        yield name


@pytest.fixture
def host(migrated_url: str, rabbit: str, queue: str) -> Iterator[Host]:
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "RABBITMQ_URL": rabbit,
        "MEASUREMENTS_QUEUE": queue,
        "WEBPUBSUB_CONNECTION_STRING": "",
    }
    running = Host(env, free_port())
    running.start()
    yield running
    running.stop()


def publish(rabbit: str, queue: str, device_ids: list[str], values: list[float]) -> int:
    """Publish each device's readings in time order with the sensor client's transport."""
    transport = RabbitMqTransport(rabbit, queue=queue, connection_name="test-publisher")
    transport.connect()
    batch: list[SensorMeasurement] = []
    for i, value in enumerate(values):
        for device_id in device_ids:
            batch.append(SensorMeasurement(device_id, START_MS + i * STEP_MS, value))
        if len(batch) >= 500:
            transport.publish(batch)
            batch = []
    transport.publish(batch)
    transport.close()
    return len(values) * len(device_ids)


def readings_count(sessions: sessionmaker[Session], device_ids: list[str]) -> int:
    with sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(StoredReading)
                .where(StoredReading.device_id.in_(device_ids))
            )
            or 0
        )


def assert_exact_totals(
    sessions: sessionmaker[Session], device_ids: list[str], values: list[float]
) -> None:
    expected = reference_hours(values, START_MS)
    for device_id in device_ids:
        with sessions() as session:
            rows = session.execute(
                select(HourlyConsumption.hour_start_utc, HourlyConsumption.energy_kwh).where(
                    HourlyConsumption.device_id == device_id
                )
            ).all()
        actual = {hour_ms(h): kwh for h, kwh in rows}
        assert set(actual) == set(expected)
        bad = {h: (actual[h], kwh) for h, kwh in expected.items() if abs(actual[h] - kwh) > 1e-6}
        assert bad == {}


def devices(sessions: sessionmaker[Session], count: int) -> list[str]:
    with transaction(sessions) as session:
        return [make_device(session, max_kwh=10_000).id for _ in range(count)]


def test_sensor_csv_for_two_devices_matches_the_reference(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    ids = devices(sessions, 2)
    values = sensor_values()
    total = publish(rabbit, queue, ids, values)
    wait_for(lambda: readings_count(sessions, ids) == total, 120, "all readings stored")
    assert_exact_totals(sessions, ids, values)


def test_sigkill_mid_stream_then_restart_loses_and_doubles_nothing(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    ids = devices(sessions, 2)
    values = sensor_values()
    host.stop()  # pre-fill the queue, so the kill lands mid-stream whatever the machine's speed
    total = publish(rabbit, queue, ids, values)
    host.start()
    wait_for(lambda: readings_count(sessions, ids) > 500, 60, "consumption started")
    host.kill()
    stored_at_kill = readings_count(sessions, ids)
    assert stored_at_kill < total, "the kill came too late to test anything"
    host.start()
    wait_for(lambda: readings_count(sessions, ids) == total, 120, "all readings stored")
    assert_exact_totals(sessions, ids, values)


def _local_ports_of(pid: int) -> set[str]:
    """Local TCP ports of `pid`'s connections to MariaDB (so only the host's are cut)."""
    out = subprocess.run(
        ["ss", "-tnpH", "dport", "=", f":{MARIADB_PORT}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[3].rsplit(":", 1)[1] for line in out.splitlines() if f"pid={pid}," in line}


def _kill_db_connections(database: str, pid: int) -> int:
    ports = _local_ports_of(pid)
    conn = pymysql.connect(
        host=MARIADB_HOST,
        port=MARIADB_PORT,
        user=MARIADB_USER,
        password=MARIADB_PASSWORD,
        autocommit=True,
    )
    killed = 0
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, host FROM information_schema.processlist WHERE db = %s", (database,)
        )
        victims = [cid for cid, host in cur.fetchall() if host.rsplit(":", 1)[-1] in ports]
        for conn_id in victims:
            try:
                cur.execute(f"KILL CONNECTION {int(conn_id)}")
                killed += 1
            except pymysql.err.OperationalError:
                pass  # already gone
    conn.close()
    return killed


def _close_broker_connections_of(pid: int) -> int:
    """Have RabbitMQ close the connections whose peer is `pid` (other clients are untouched)."""
    out = subprocess.run(
        ["ss", "-tnpH", "dport", "=", ":5672"], capture_output=True, text=True, check=True
    ).stdout
    ports = {
        line.split()[3].rsplit(":", 1)[1] for line in out.splitlines() if f"pid={pid}," in line
    }
    listed = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "peer_port", "-q"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    closed = 0
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] in ports:
            subprocess.run(
                ["rabbitmqctl", "close_connection", fields[0], "fault test"],
                capture_output=True,
                check=False,
                timeout=60,
            )
            closed += 1
    return closed


def _repeat(action: Callable[[], object], stop: threading.Event, every: float) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(every):
            action()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_database_connections_cut_mid_batch(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session], migrated_url: str
) -> None:
    ids = devices(sessions, 2)
    values = sensor_values()
    database = migrated_url.rsplit("/", 1)[1].split("?")[0]
    stop = threading.Event()
    kills: list[int] = []
    assert host.proc is not None
    pid = host.proc.pid
    killer = _repeat(lambda: kills.append(_kill_db_connections(database, pid)), stop, 0.15)
    try:
        total = publish(rabbit, queue, ids, values)
        wait_for(lambda: readings_count(sessions, ids) > total // 2, 120, "half stored, kills")
    finally:
        stop.set()
        killer.join()
    assert sum(kills) > 0, "no database connection was cut"
    wait_for(lambda: readings_count(sessions, ids) == total, 120, "all readings stored")
    assert_exact_totals(sessions, ids, values)


def test_rabbitmq_closing_connections_loses_nothing(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    ids = devices(sessions, 4)
    values = sensor_values()
    host.stop()  # pre-fill the queue, then close the host's connections while it consumes
    total = publish(rabbit, queue, ids, values)
    host.start()
    assert host.proc is not None
    wait_for(lambda: readings_count(sessions, ids) > 0, 60, "consumption running")
    closed_mid_stream = 0
    for _ in range(3):
        if readings_count(sessions, ids) < total:
            closed_mid_stream += _close_broker_connections_of(host.proc.pid)
        time.sleep(0.3)
    assert closed_mid_stream > 0, "no broker connection was closed mid-stream"
    wait_for(lambda: readings_count(sessions, ids) == total, 120, "all readings stored")
    assert_exact_totals(sessions, ids, values)


def test_bad_messages_are_dead_lettered_while_good_ones_flow(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    ids = devices(sessions, 1)
    conn = pika.BlockingConnection(pika.URLParameters(rabbit))
    channel = conn.channel()
    channel.confirm_delivery()
    nested = "[" * 1000 + "]" * 1000
    huge_int = (
        f'{{"timestamp": {START_MS}, "device_id": "{ids[0]}", "measurement_value": 1{"0" * 400}}}'
    )
    oversize = json.dumps(
        {
            "timestamp": START_MS,
            "device_id": ids[0],
            "measurement_value": 1,
            "x": "\U0001d11e" * 250_000,
        },
        ensure_ascii=False,
    )
    bad = [
        b"{not json",
        json.dumps(
            {"timestamp": START_MS, "device_id": str(uuid.uuid4()), "measurement_value": 1}
        ).encode(),
        json.dumps(
            {"timestamp": START_MS, "device_id": ids[0], "measurement_value": "high"}
        ).encode(),
        nested.encode(),
        huge_int.encode(),
        oversize.encode(),
    ]
    good = [
        json.dumps(
            {
                "timestamp": START_MS + i * STEP_MS,
                "device_id": ids[0],
                "measurement_value": float(i),
            }
        ).encode()
        for i in range(50)
    ]
    for body in good[:25] + bad + good[25:]:
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    wait_for(lambda: readings_count(sessions, ids) == 50, 60, "good readings stored")
    letters: list[dict[str, str]] = []

    def collect() -> bool:
        method, _props, body = channel.basic_get(f"{queue}.dlq", auto_ack=True)
        if method is not None:
            letters.append(json.loads(body))
        return len(letters) == len(bad)

    wait_for(collect, 30, "a dead letter for each bad message")
    conn.close()
    reasons = sorted(letter["reason"] for letter in letters)
    assert all(reasons), reasons  # every one says why
    assert any("malformed JSON" in r for r in reasons)
    assert any("nested too deeply" in r for r in reasons)
    assert any("unknown device" in r for r in reasons)
    assert any("number" in r for r in reasons)
    assert any("out of range" in r for r in reasons)
    assert any("a reading may be at most" in r for r in reasons)
    small = {letter["message"].encode() for letter in letters if not letter.get("truncated")}
    assert small == set(bad) - {oversize.encode()}
    [cut] = [letter for letter in letters if letter.get("truncated")]
    assert cut["size_bytes"] == len(oversize.encode()) and oversize.startswith(cut["message"])
    assert len(json.dumps(cut).encode()) < 64 * 1024  # the dead letter is capped


def test_two_consumers_on_one_queue_count_everything_once(
    host: Host, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    """Two host processes share the queue (as scaled-out function instances do)."""
    second = Host(host.env, free_port())
    second.start()
    with transaction(sessions) as session:
        alerting = make_device(session, max_kwh=60.0).id
    try:
        ids = [*devices(sessions, 2), alerting]
        values = sensor_values()
        total = publish(rabbit, queue, ids, values)
        wait_for(lambda: readings_count(sessions, ids) == total, 120, "all readings stored")
    finally:
        second.stop()
    assert_exact_totals(sessions, ids, values)
    over = [h for h, kwh in reference_hours(values, START_MS).items() if kwh > 60.0]
    with sessions() as session:
        stored = session.scalars(select(Alert.hour_start_utc).where(Alert.device_id == alerting))
        hours = [hour_ms(h) for h in stored]
    # Every hour over the maximum has exactly one alert. Two consumers may apply a device's
    # readings out of order; an hour whose interpolated total went over before the missing
    # readings arrived keeps its alert (alerts are not withdrawn), so extras are allowed.
    assert over and set(over) <= set(hours)
    assert len(hours) == len(set(hours))
