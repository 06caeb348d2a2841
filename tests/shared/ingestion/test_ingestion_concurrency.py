"""Two consumers ingesting the same devices at once on MariaDB: row locks keep totals exact."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.ingestion.messages import Measurement
from shared.ingestion.service import ingest
from shared.models import Alert
from tests.shared.ingestion.test_ingestion_service import (
    START_MS,
    assert_hours_equal,
    messages,
    stored_hours,
)
from tests.utils.factories import make_device, make_user
from tests.utils.reference import reference_hours, sensor_values
from tests.utils.services import mariadb_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """MariaDB only: SQLite serialises writers, so there is no row-lock race to exercise."""
    with mariadb_database() as url:
        yield url


@pytest.mark.mariadb
def test_two_concurrent_consumers_lose_nothing_and_alert_once(
    sessions: sessionmaker[Session], migrated_url: str
) -> None:
    with transaction(sessions) as session:
        owner = make_user(session)
        ids = [make_device(session, owner=owner, max_kwh=5.0).id for _ in range(3)]
    values = sensor_values(400)
    items = [m for d in ids for m in messages(d, values)]
    random.Random(3).shuffle(items)
    halves = [items[0::2] + items[1::7], items[1::2] + items[0::9]]  # overlapping redeliveries
    errors: list[BaseException] = []

    def consume(part: list[Measurement]) -> None:
        try:
            for start in range(0, len(part), 50):
                for attempt in range(5):
                    try:
                        with transaction(sessions) as session:
                            ingest(session, part[start : start + 50])
                        break
                    except Exception:  # deadlock victim: the broker would redeliver the batch
                        if attempt == 4:
                            raise
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(h,)) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = reference_hours(values, START_MS)
    for device in ids:
        assert_hours_equal(stored_hours(sessions, device), expected)
    over = {h for h, kwh in expected.items() if kwh > 5.0}
    with sessions() as session:
        alerts = session.execute(
            select(Alert.device_id, Alert.hour_start_utc).where(Alert.device_id.in_(ids))
        ).all()
    assert len(alerts) == len(set(alerts)) == len(over) * len(ids)
