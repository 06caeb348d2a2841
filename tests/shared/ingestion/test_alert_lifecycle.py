"""The alert lifecycle, estimated hours and the work bounds, on SQLite and the real MariaDB."""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared import devices
from shared.db import transaction
from shared.ingestion.messages import Measurement
from shared.ingestion.service import IngestPolicy, ingest
from shared.ingestion.store import hour_ms
from shared.metering import HOUR_MS, MeteringPolicy, Reading
from shared.models import Alert, HourlyConsumption
from shared.schemas import DeviceUpdate
from tests.utils.factories import make_device, make_user
from tests.utils.reference import reference_hours, sensor_values

START_MS = int(datetime(2026, 3, 28, 18, 3, tzinfo=UTC).timestamp() * 1000)
STEP_MS = 10 * 60 * 1000


def percentile_90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.9 * (len(ordered) - 1))]


def alerts_of(sessions: sessionmaker[Session], device_id: str) -> dict[int, Alert]:
    with sessions() as session:
        rows = session.scalars(select(Alert).where(Alert.device_id == device_id))
        return {hour_ms(a.hour_start_utc): a for a in rows}


def hours_of(sessions: sessionmaker[Session], device_id: str) -> dict[int, HourlyConsumption]:
    with sessions() as session:
        rows = session.scalars(
            select(HourlyConsumption).where(HourlyConsumption.device_id == device_id)
        )
        return {hour_ms(h.hour_start_utc): h for h in rows}


def deliver(
    sessions: sessionmaker[Session],
    items: list[Measurement],
    size: int,
    policy: IngestPolicy | None = None,
) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for start in range(0, len(items), size):
        with transaction(sessions) as session:
            results = ingest(session, items[start : start + size], policy).results
        out += [(r.status, r.reason) for r in results]
    return out


def new_device(sessions: sessionmaker[Session], max_kwh: float) -> str:
    with transaction(sessions) as session:
        return make_device(session, owner=make_user(session), max_kwh=max_kwh).id


@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_duplicated_sensor_stream_leaves_exactly_the_true_alerts(
    sessions: sessionmaker[Session], seed: int
) -> None:
    values = sensor_values()
    reference = reference_hours(values, START_MS)
    maximum = percentile_90(list(reference.values()))
    device_id = new_device(sessions, maximum)
    items = [
        Measurement(device_id, Reading(START_MS + i * STEP_MS, v)) for i, v in enumerate(values)
    ]
    rng = random.Random(seed)
    delivered = items + rng.sample(items, len(items) // 5)  # 20 % sent twice
    rng.shuffle(delivered)
    deliver(sessions, delivered, 97)

    true_hours = {h for h, kwh in reference.items() if kwh > maximum}
    alerts = alerts_of(sessions, device_id)
    active = {h for h, a in alerts.items() if a.state == "active"}
    assert active == true_hours
    for hour, alert in alerts.items():
        assert alert.energy_kwh == pytest.approx(reference[hour], abs=1e-6)  # the current total
        assert alert.peak_kwh >= alert.energy_kwh - 1e-9
        if alert.state == "cleared":
            assert alert.energy_kwh <= maximum and alert.cleared_at is not None


def test_a_gap_is_estimated_and_never_alerts_until_late_data_fills_it(
    sessions: sessionmaker[Session],
) -> None:
    device_id = new_device(sessions, 1.0)
    hour = START_MS // HOUR_MS * HOUR_MS + HOUR_MS
    first = [Measurement(device_id, Reading(hour, 0.0))]
    after_gap = [Measurement(device_id, Reading(hour + 3 * HOUR_MS, 9.0))]  # 3 kWh/h over 3 h
    deliver(sessions, first + after_gap, 10)
    hours = hours_of(sessions, device_id)
    assert {h: row.estimated for h, row in hours.items()} == {
        hour: True,
        hour + HOUR_MS: True,
        hour + 2 * HOUR_MS: True,
    }
    assert alerts_of(sessions, device_id) == {}

    # The meter's buffered readings arrive: all the energy was in the first hour.
    late = [Measurement(device_id, Reading(hour + m * STEP_MS, m * 1.5)) for m in range(1, 7)]
    late += [
        Measurement(device_id, Reading(hour + HOUR_MS + m * STEP_MS, 9.0)) for m in range(0, 12)
    ]
    deliver(sessions, late, 500)
    hours = hours_of(sessions, device_id)
    assert not any(row.estimated for row in hours.values())
    alerts = alerts_of(sessions, device_id)
    assert {h: a.state for h, a in alerts.items()} == {hour: "active"}
    assert alerts[hour].energy_kwh == pytest.approx(9.0)


def test_changing_the_maximum_re_evaluates_active_alerts(sessions: sessionmaker[Session]) -> None:
    device_id = new_device(sessions, 1.0)
    hour = START_MS // HOUR_MS * HOUR_MS + HOUR_MS
    readings = [(0, 0.0), (30, 2.0), (60, 4.0), (90, 9.0), (120, 14.0)]
    deliver(
        sessions,
        [Measurement(device_id, Reading(hour + m * 60_000, v)) for m, v in readings],
        10,
    )
    assert {a.state for a in alerts_of(sessions, device_id).values()} == {"active"}
    with transaction(sessions) as session:
        devices.update_device(session, device_id=device_id, data=DeviceUpdate(max_hourly_kwh=5.0))
    alerts = alerts_of(sessions, device_id)
    assert {h: a.state for h, a in alerts.items()} == {hour: "cleared", hour + HOUR_MS: "active"}
    assert all(a.max_hourly_kwh == 5.0 for a in alerts.values())


def test_reading_values_have_an_upper_bound_and_totals_stay_finite(
    sessions: sessionmaker[Session],
) -> None:
    device_id = new_device(sessions, 1.0)
    hour = START_MS // HOUR_MS * HOUR_MS
    values = [0.0, 1.7e308, 0.0, 1.7e308, 5.0]
    items = [Measurement(device_id, Reading(hour + i * STEP_MS, v)) for i, v in enumerate(values)]
    results = deliver(sessions, items, 10)
    assert [s for s, _ in results] == ["stored", "rejected", "stored", "rejected", "stored"]
    assert "above the platform's bound" in (results[1][1] or "")
    hours = hours_of(sessions, device_id)
    assert all(math.isfinite(row.energy_kwh) for row in hours.values())
    assert hours[hour].energy_kwh == pytest.approx(5.0)


def test_a_reading_decades_after_the_last_starts_a_new_baseline_and_says_why(
    sessions: sessionmaker[Session],
) -> None:
    device_id = new_device(sessions, 0.001)
    now_ms = int(time.time() * 1000)
    items = [
        Measurement(device_id, Reading(946_684_800_000, 1.0)),  # 2000-01-01
        Measurement(device_id, Reading(now_ms, 500.0)),
    ]
    results = deliver(sessions, items, 10)
    assert results[1][0] == "stored"
    assert "new baseline" in (results[1][1] or "") and "31-day bound" in (results[1][1] or "")
    assert hours_of(sessions, device_id) == {}
    assert alerts_of(sessions, device_id) == {}


def test_one_batch_writes_at_most_its_hour_budget(sessions: sessionmaker[Session]) -> None:
    device_id = new_device(sessions, 0.001)
    policy = IngestPolicy(MeteringPolicy(max_spread_ms=30 * 24 * HOUR_MS), 1e9, 800)
    hour = START_MS // HOUR_MS * HOUR_MS
    stamps = [hour, hour + 700 * HOUR_MS, hour + 1400 * HOUR_MS, hour + 1400 * HOUR_MS + 60_000]
    items = [Measurement(device_id, Reading(t, float(i))) for i, t in enumerate(stamps)]
    results = deliver(sessions, items, 10, policy)
    assert [s for s, _ in results] == ["stored", "stored", "rejected", "rejected"]
    assert "limit of hourly totals" in (results[2][1] or "")
    with sessions() as session:
        written = session.scalar(
            select(func.count())
            .select_from(HourlyConsumption)
            .where(HourlyConsumption.device_id == device_id)
        )
        alerts = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.device_id == device_id)
        )
    assert written == 700 and alerts is not None and alerts <= 800
    # The rejected readings are stored by a later batch.
    assert [s for s, _ in deliver(sessions, items[2:], 10, policy)] == ["stored", "stored"]
