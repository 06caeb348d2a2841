"""Readings ingested in shuffled batches keep the day rows equal to the hourly rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.ingestion.messages import Measurement
from shared.ingestion.service import ingest
from shared.metering import Reading
from shared.usage.store import read_hourly_series, read_series
from tests.utils.factories import make_device

START = datetime(2026, 3, 27, 20, 3, tzinfo=UTC)  # spans UTC midnights and the DST night
STEP = timedelta(minutes=10)


def test_late_and_shuffled_readings_keep_day_rows_in_step(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        device_id = make_device(session, max_kwh=10_000).id
    rng = random.Random(13)
    value, items = 0.0, []
    for i in range(6 * 24 * 3):
        value += rng.uniform(0.0, 0.09)
        stamp = int((START + i * STEP).timestamp() * 1000)
        items.append(Measurement(device_id, Reading(stamp, round(value, 4))))
    in_order, late = items[: len(items) // 2], items[len(items) // 2 :]
    rng.shuffle(late)  # late and out-of-order readings recompute hours already stored
    for batch in (in_order[:200], in_order[200:], late[:90], late[90:]):
        with transaction(sessions) as session:
            ingest(session, batch)
    start = datetime(2026, 3, 27, 0)
    end = start + timedelta(days=5)
    with sessions() as session:
        days = read_series(session, device_id=device_id, start_utc=start, end_utc=end)
        hours = read_hourly_series(session, device_id=device_id, start_utc=start, end_utc=end)
    assert len(hours.offsets) >= 3 * 24 - 1
    assert days == hours
