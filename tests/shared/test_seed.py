"""`make seed` goes through ingestion: the demo alerts match the demo charts."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.models import Alert, HourlyConsumption
from shared.seed import seed_demo


def test_seed_sends_readings_through_ingestion_so_alerts_match_the_hours(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        owned = seed_demo(session, days=3, rng=random.Random(7))
    with transaction(sessions) as session:  # idempotent: a second run adds nothing twice
        again = seed_demo(session, days=3, rng=random.Random(7))
    assert {d.id for d in again} == {d.id for d in owned}
    with sessions() as session:
        for device in owned:
            hours = {
                h.hour_start_utc: h.energy_kwh
                for h in session.scalars(
                    select(HourlyConsumption).where(HourlyConsumption.device_id == device.id)
                )
            }
            alerts = {
                a.hour_start_utc: a
                for a in session.scalars(select(Alert).where(Alert.device_id == device.id))
            }
            assert len(hours) == 3 * 24
            over = {h for h, kwh in hours.items() if kwh > device.max_hourly_kwh}
            assert over, "the demo profile should cross the maximum now and then"
            assert {h for h, a in alerts.items() if a.state == "active"} == over
            for hour, alert in alerts.items():
                assert alert.energy_kwh == pytest.approx(hours[hour])
