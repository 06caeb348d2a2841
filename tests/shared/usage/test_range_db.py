"""The range view as served (day rows, the dense path) equals the hour-by-hour reference priced
from the hourly rows, on SQLite and MariaDB: gaps, partial and estimated hours, DST days, a
tariff change mid-day, a tariff whose validity ends mid-period, an owner's bound mid-day."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.models import Device, HourlyConsumption
from shared.usage.daily import refresh_days
from shared.usage.periods import parse_period
from shared.usage.schemas import AssignmentCreate, BandIn, TariffCreate
from shared.usage.store import load_assignments, read_hourly_series
from shared.usage.tariffs import assign_tariff, create_tariff
from shared.usage.view import _range, device_range_view, range_view
from tests.shared.usage.test_dense import Hour, reference_totals
from tests.utils.factories import make_device, make_user, write_hours

HOUR = timedelta(hours=1)
BOUND = datetime(2026, 3, 2, 9)  # the owner sees from 11:00 Bucharest on 2 March


def _world(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """A device with 50 days of hours around both March 2026 DST changes; (owner, device)."""
    rng = random.Random(13)
    hours: dict[datetime, float] = {}
    flagged = []
    day = datetime(2026, 2, 20)
    while day < datetime(2026, 4, 12):
        kind = rng.choice(["whole"] * 4 + ["none", "some"])
        chosen = [] if kind == "none" else range(24) if kind == "whole" else sorted(
            rng.sample(range(24), rng.randint(1, 23))
        )  # fmt: skip
        for h in chosen:
            micros = rng.choice([rng.randint(0, 2_500_000), 5, 15, 25, 2_500, 100])
            hours[day + h * HOUR] = micros / 1_000_000
            if rng.random() < 0.05:
                flagged.append(day + h * HOUR)
        day += timedelta(days=1)
    with transaction(sessions) as session:
        owner = make_user(session)
        device = make_device(session, owner=owner)
        write_hours(session, device_id=device.id, energy_by_hour=hours)
        session.execute(
            update(HourlyConsumption)
            .where(HourlyConsumption.device_id == device.id)
            .where(HourlyConsumption.hour_start_utc.in_(flagged))
            .values(estimated=True)
        )
        refresh_days(session, [(device.id, h) for h in flagged])
        weekdays = ["mon", "tue", "wed", "thu", "fri"]
        tou = create_tariff(
            session,
            data=TariffCreate(
                name="ToU", kind="time_of_use", currency="EUR", tz="Europe/Bucharest",
                valid_from="2026-01-01",
                bands=[
                    BandIn(days=weekdays, from_hour=0, to_hour=7, price_per_kwh="0.09"),  # type: ignore[arg-type]
                    BandIn(days=weekdays, from_hour=7, to_hour=24, price_per_kwh="0.31"),  # type: ignore[arg-type]
                    BandIn(days=["sat", "sun"], from_hour=0, to_hour=24, price_per_kwh="0.05"),
                ],
            ),
        )  # fmt: skip
        flat = create_tariff(
            session,
            data=TariffCreate(
                name="Flat", kind="flat", currency="EUR", tz="America/New_York",
                valid_from="2026-03-01", valid_to="2026-03-20", price_per_kwh="1.0",
            ),
        )  # fmt: skip
        for tariff_id, when in (
            (tou.id, "2026-01-01"),
            (flat.id, "2026-03-05T13:00:00+02:00"),  # mid-day
            (tou.id, "2026-03-25T02:00:00-04:00"),  # the flat one ended on 20 March
        ):
            assign_tariff(
                session,
                device=device,
                data=AssignmentCreate(tariff_id=tariff_id, effective_from=when),
            )
        device.visible_from_utc = BOUND
        return owner.id, device.id


@pytest.mark.parametrize("zone", ["Europe/Bucharest", "America/New_York", "UTC"])
def test_the_served_range_view_is_the_hour_by_hour_reference(
    sessions: sessionmaker[Session], zone: str
) -> None:
    owner_id, device_id = _world(sessions)
    with sessions() as session:
        history = load_assignments(session, device_id=device_id)
        for group_by in ("day", "week", "month"):
            period = parse_period("2026-02-23", "2026-04-08", zone, group_by)
            rows = read_hourly_series(
                session, device_id=device_id, start_utc=period.start_utc, end_utc=period.end_utc
            )
            hours = {
                rows.hour_utc(i): Hour(m, e)
                for i, (m, e) in enumerate(zip(rows.micros, rows.estimated, strict=True))
            }
            views = []
            for owner, bound in ((owner_id, BOUND), (None, None)):
                served = device_range_view(
                    session, device_id=device_id, owner_id=owner, period=period
                )
                expected = reference_totals(period, hours, history, bound)
                assert served == _range(device_id, period, expected, "EUR"), (group_by, owner)
                views.append(served)
            device = session.get_one(Device, device_id)
            plain = range_view(session, device=device, period=period)
            assert views[1].model_dump_json() == plain.model_dump_json()  # byte for byte
            owners, everything = views
            assert owners.total_kwh is not None and everything.total_kwh is not None
            assert owners.total_kwh < everything.total_kwh  # the bound hides hours
            assert sum(b.estimated_hours for b in everything.buckets) > 0
