"""The alert lifecycle end to end: a shuffled, duplicated stream through the real RabbitMQ,
two competing host processes, MariaDB. Once settled, exactly the true hours are alerted."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pika
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from local.funchost.server import host_command
from shared.db import transaction
from shared.ingestion.store import hour_ms
from shared.models import Alert, StoredReading
from tests.utils.factories import make_device, make_user
from tests.utils.pipeline import broker_url, declared_queue, host_healthy, wait_for
from tests.utils.reference import STEP_MS, reference_hours, sensor_values
from tests.utils.services import free_port, mariadb_database

pytestmark = [pytest.mark.rabbitmq, pytest.mark.mariadb, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
START_MS = int((datetime.now(UTC) - timedelta(days=30)).timestamp() * 1000) // STEP_MS * STEP_MS


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """MariaDB only: two consumers racing on row locks is the point."""
    with mariadb_database() as url:
        yield url


@pytest.fixture(scope="module")
def rabbit() -> str:
    return broker_url()


@pytest.fixture
def queue(rabbit: str) -> Iterator[str]:
    with declared_queue(rabbit, "test_alerts") as name:
        yield name


@pytest.fixture
def two_hosts(migrated_url: str, rabbit: str, queue: str) -> Iterator[None]:
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "RABBITMQ_URL": rabbit,
        "MEASUREMENTS_QUEUE": queue,
        "WEBPUBSUB_CONNECTION_STRING": "",
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    host_command(Path("functions/function_app.py"), port),
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for(lambda port=port: host_healthy(port), 60, "host healthy")  # type: ignore[misc]
        yield
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)


def test_shuffled_stream_two_consumers_settle_on_exactly_the_true_alerts(
    two_hosts: None, rabbit: str, queue: str, sessions: sessionmaker[Session]
) -> None:
    values = sensor_values()
    reference = reference_hours(values, START_MS)
    ordered = sorted(reference.values())
    maximum = ordered[int(0.9 * (len(ordered) - 1))]
    with transaction(sessions) as session:
        device_id = make_device(session, owner=make_user(session), max_kwh=maximum).id
    bodies = [
        json.dumps(
            {"timestamp": START_MS + i * STEP_MS, "device_id": device_id, "measurement_value": v}
        ).encode()
        for i, v in enumerate(values)
    ]
    rng = random.Random(11)
    delivered = bodies + rng.sample(bodies, len(bodies) // 5)
    rng.shuffle(delivered)
    conn = pika.BlockingConnection(pika.URLParameters(rabbit))
    channel = conn.channel()
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    for body in delivered:
        channel.basic_publish("", queue, body, props)
    conn.close()

    def stored() -> int:
        with sessions() as session:
            count = select(func.count()).select_from(StoredReading)
            return session.scalar(count.where(StoredReading.device_id == device_id)) or 0

    wait_for(lambda: stored() == len(values), 180, "every reading stored")
    time.sleep(1.0)  # the duplicates still in flight change nothing, but let them land
    with sessions() as session:
        alerts = list(session.scalars(select(Alert).where(Alert.device_id == device_id)))
    true_hours = {h for h, kwh in reference.items() if kwh > maximum}
    assert {hour_ms(a.hour_start_utc) for a in alerts if a.state == "active"} == true_hours
    assert len({a.hour_start_utc for a in alerts}) == len(alerts)  # one per device-hour
    for alert in alerts:
        assert alert.energy_kwh == pytest.approx(reference[hour_ms(alert.hour_start_utc)], abs=1e-6)
