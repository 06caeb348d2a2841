"""Ingestion into the real databases: exact hourly totals, idempotence, late data, alerts."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.ingestion.messages import Measurement, Rejection, parse_body, parse_item
from shared.ingestion.service import ingest
from shared.ingestion.store import hour_ms
from shared.metering import HOUR_MS, Reading
from shared.models import Alert, HourlyConsumption
from tests.utils.factories import make_device, make_user
from tests.utils.reference import reference_hours, sensor_values

START_MS = int(datetime(2026, 3, 28, 18, 3, tzinfo=UTC).timestamp() * 1000)  # spans the DST night
STEP_MS = 10 * 60 * 1000


def stored_hours(sessions: sessionmaker[Session], device_id: str) -> dict[int, float]:
    with sessions() as session:
        rows = session.execute(
            select(HourlyConsumption.hour_start_utc, HourlyConsumption.energy_kwh).where(
                HourlyConsumption.device_id == device_id
            )
        )
        return {hour_ms(h): kwh for h, kwh in rows}


def messages(device_id: str, values: list[float]) -> list[Measurement]:
    return [
        Measurement(device_id, Reading(START_MS + i * STEP_MS, v)) for i, v in enumerate(values)
    ]


def run_batches(sessions: sessionmaker[Session], items: list[Measurement], size: int) -> list[str]:
    statuses: list[str] = []
    for start in range(0, len(items), size):
        with transaction(sessions) as session:
            statuses += [r.status for r in ingest(session, items[start : start + size]).results]
    return statuses


def assert_hours_equal(actual: dict[int, float], expected: dict[int, float]) -> None:
    assert set(actual) == set(expected)
    for hour, kwh in expected.items():
        assert actual[hour] == pytest.approx(kwh, abs=1e-6), hour


@pytest.fixture
def device_id(sessions: sessionmaker[Session]) -> str:
    with transaction(sessions) as session:
        return make_device(session, max_kwh=10_000).id


def test_sensor_csv_in_order_matches_the_reference(
    sessions: sessionmaker[Session], device_id: str
) -> None:
    values = sensor_values()
    statuses = run_batches(sessions, messages(device_id, values), 500)
    assert statuses.count("stored") == len(values)
    assert_hours_equal(stored_hours(sessions, device_id), reference_hours(values, START_MS))


def test_shuffled_and_redelivered_readings_give_the_same_totals(
    sessions: sessionmaker[Session], device_id: str
) -> None:
    values = sensor_values(600)
    items = messages(device_id, values)
    rng = random.Random(5)
    delivered = items + rng.sample(items, 120)  # 20 % redelivered
    rng.shuffle(delivered)
    statuses = run_batches(sessions, delivered, 97)
    assert statuses.count("stored") == len(values)
    assert statuses.count("duplicate") == 120
    assert_hours_equal(stored_hours(sessions, device_id), reference_hours(values, START_MS))


def test_mostly_in_order_with_late_readings(
    sessions: sessionmaker[Session], device_id: str
) -> None:
    values = sensor_values(800)
    items = messages(device_id, values)
    late = set(random.Random(9).sample(range(len(items)), 40))
    ordered = [m for i, m in enumerate(items) if i not in late] + [items[i] for i in sorted(late)]
    run_batches(sessions, ordered, 200)
    assert_hours_equal(stored_hours(sessions, device_id), reference_hours(values, START_MS))


def test_conflicting_duplicates_and_unknown_devices_are_rejected(
    sessions: sessionmaker[Session], device_id: str
) -> None:
    now = START_MS + 10 * STEP_MS
    batch = [
        parse_item(
            {"timestamp": START_MS, "device_id": device_id, "measurement_value": 1.0}, now_ms=now
        ),
        parse_item(
            {"timestamp": START_MS, "device_id": device_id, "measurement_value": 1.0}, now_ms=now
        ),
        parse_item(
            {"timestamp": START_MS, "device_id": device_id, "measurement_value": 2.0}, now_ms=now
        ),
        parse_item(
            {
                "timestamp": START_MS,
                "device_id": "00000000-0000-4000-8000-000000000000",
                "measurement_value": 1.0,
            },
            now_ms=now,
        ),
        parse_body(b"{oops", now_ms=now),
    ]
    with transaction(sessions) as session:
        results = ingest(session, batch).results
    assert [r.status for r in results] == [
        "stored",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert "conflicting" in (results[2].reason or "")
    assert "unknown device" in (results[3].reason or "")
    assert "malformed JSON" in (results[4].reason or "")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"timestamp": 1, "device_id": "x", "measurement_value": 1}, "UUID"),
        (
            {"timestamp": 1_700_000_000_000, "device_id": "00000000-0000-4000-8000-000000000000"},
            "missing",
        ),
        (
            {
                "timestamp": 1_700_000_000_000,
                "device_id": "00000000-0000-4000-8000-000000000000",
                "measurement_value": "3",
            },
            "number",
        ),
        (
            {
                "timestamp": 1_700_000_000_000,
                "device_id": "00000000-0000-4000-8000-000000000000",
                "measurement_value": -1,
            },
            ">= 0",
        ),
        (
            {
                "timestamp": 900_000_000_000,
                "device_id": "00000000-0000-4000-8000-000000000000",
                "measurement_value": 1,
            },
            "2000",
        ),
        (
            {
                "timestamp": 4_000_000_000_000,
                "device_id": "00000000-0000-4000-8000-000000000000",
                "measurement_value": 1,
            },
            "after now",
        ),
        ([1, 2], "object"),
    ],
)
def test_bad_messages_get_a_reason(payload: object, reason: str) -> None:
    result = parse_item(payload, now_ms=1_800_000_000_000)
    assert isinstance(result, Rejection) and reason in result.reason


def test_one_alert_per_device_and_hour_with_peak_updates(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        owner = make_user(session)
        device = make_device(session, owner=owner, max_kwh=1.0)
    hour = START_MS // HOUR_MS * HOUR_MS + HOUR_MS
    readings = [
        (hour, 10.0),
        (hour + 20 * 60_000, 10.6),
        (hour + 40 * 60_000, 11.2),
        (hour + 50 * 60_000, 11.5),
    ]
    events = []
    for ts, value in readings + readings:  # the second pass is a full redelivery
        with transaction(sessions) as session:
            events += ingest(session, [Measurement(device.id, Reading(ts, value))]).alerts
    assert [e.change for e in events] == ["opened", "updated"]
    assert events[0].owner_id == owner.id and events[0].max_hourly_kwh == 1.0
    assert events[1].energy_kwh == pytest.approx(1.5)
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Alert).where(Alert.device_id == device.id)
            )
            == 1
        )
