"""The range view as served (day rows, the dense path) equals the hour-by-hour reference priced
from the hourly rows, on SQLite and MariaDB: gaps, partial and estimated hours, DST days, a
tariff change mid-day, a tariff whose validity ends mid-period, an owner's bound mid-day."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from shared.db import GROUP_CONCAT_MAX, transaction
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


def test_a_bound_after_the_period_leaves_the_owner_nothing(
    sessions: sessionmaker[Session],
) -> None:
    owner_id, device_id = _world(sessions)
    period = parse_period("2026-02-23", "2026-03-01", "Europe/Bucharest", "day")
    with sessions() as session:
        seen = device_range_view(session, device_id=device_id, owner_id=owner_id, period=period)
        everything = device_range_view(session, device_id=device_id, owner_id=None, period=period)
    assert all(b.kwh is None and b.cost is None for b in seen.buckets)
    assert seen.total_kwh is None and seen.currency == "EUR"
    assert everything.total_kwh is not None


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_a_cut_read_falls_back_to_the_separate_statements(
    sessions: sessionmaker[Session],
) -> None:
    """MySQL/MariaDB: the one-statement read, cut at group_concat_max_len, is never parsed."""
    owner_id, device_id = _world(sessions)
    period = parse_period("2026-02-23", "2026-04-08", "America/New_York", "week")
    with sessions() as session:
        assert session.get_bind().dialect.name in ("mysql", "mariadb")
        whole = device_range_view(session, device_id=device_id, owner_id=owner_id, period=period)
        for limit in (40, 4_000):  # the history and the days cut; the days cut only
            session.execute(text(f"SET SESSION group_concat_max_len = {limit}"))
            try:
                cut = device_range_view(
                    session, device_id=device_id, owner_id=owner_id, period=period
                )
            finally:
                session.execute(text(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"))
            assert cut == whole, limit


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_a_cut_tariff_history_falls_back_too(sessions: sessionmaker[Session]) -> None:
    """Four tariffs make a history text longer than the one day row's: only it is cut."""
    with transaction(sessions) as session:
        device = make_device(session, owner=make_user(session))
        write_hours(session, device_id=device.id, energy_by_hour={datetime(2026, 3, 10, 5): 1.5})
        for month, price in ((1, "0.1"), (2, "0.2"), (3, "0.3"), (4, "0.4")):
            tariff = create_tariff(
                session,
                data=TariffCreate(
                    name=f"T{month}", kind="flat", currency="EUR", tz="UTC",
                    valid_from="2026-01-01", price_per_kwh=price,
                ),
            )  # fmt: skip
            assign_tariff(
                session,
                device=device,
                data=AssignmentCreate(tariff_id=tariff.id, effective_from=f"2026-0{month}-01"),
            )
        device_id = device.id
    period = parse_period("2026-03-10", "2026-03-10", "UTC", "day")
    with sessions() as session:
        whole = device_range_view(session, device_id=device_id, owner_id=None, period=period)
        session.execute(text("SET SESSION group_concat_max_len = 150"))  # 3 records: 170
        try:
            cut = device_range_view(session, device_id=device_id, owner_id=None, period=period)
        finally:
            session.execute(text(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"))
    assert whole.total_cost == "0.45000"  # 1.5 kWh at 0.3, the third tariff's
    assert cut == whole
