"""The day rows (written with the hourly rows) read back exactly as the hourly rows do."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from shared.db import GROUP_CONCAT_MAX, transaction
from shared.models import Device, HourlyConsumption
from shared.usage.daily import refresh_days
from shared.usage.pricing import kwh_to_micro
from shared.usage.store import read_hourly_series, read_series
from tests.utils.factories import write_hours


def _device_with_hours(sessions: sessionmaker[Session], values: dict[datetime, float]) -> str:
    """A new device with these hourly totals (and their day rows); its id."""
    with transaction(sessions) as session:
        device = Device(description="d", address="a", max_hourly_kwh=1.0, key_hash="x" * 64)
        session.add(device)
        session.flush()
        write_hours(session, device_id=device.id, energy_by_hour=values)
        return device.id


def test_series_read_matches_the_stored_rows(sessions: sessionmaker[Session]) -> None:
    start = datetime(2026, 1, 1)
    values = {start + timedelta(hours=i): (i * 7919 % 1000) / 997 + 1e-7 for i in range(0, 900, 3)}
    values[start + timedelta(hours=1)] = 0.0000005  # a half micro-kWh: the rounding edge
    with transaction(sessions) as session:
        device = Device(description="d", address="a", max_hourly_kwh=1.0, key_hash="x" * 64)
        session.add(device)
        session.flush()
        write_hours(session, device_id=device.id, energy_by_hour=values)
        session.execute(
            update(HourlyConsumption)
            .where(HourlyConsumption.device_id == device.id)
            .where(HourlyConsumption.hour_start_utc == start + timedelta(hours=6))
            .values(estimated=True)
        )
        # every writer of hourly rows refreshes their day rows in the same transaction
        refresh_days(session, [(device.id, start + timedelta(hours=6))])
        device_id = device.id
    with sessions() as session:
        end = start + timedelta(hours=24 * 40)
        series = read_series(session, device_id=device_id, start_utc=start, end_utc=end)
        rows = read_hourly_series(session, device_id=device_id, start_utc=start, end_utc=end)
        shifted = read_series(
            session,
            device_id=device_id,
            start_utc=start + timedelta(hours=5),
            end_utc=end - timedelta(hours=7),
        )
        shifted_rows = read_hourly_series(
            session,
            device_id=device_id,
            start_utc=start + timedelta(hours=5),
            end_utc=end - timedelta(hours=7),
        )
        later = read_series(
            session, device_id=device_id, start_utc=end, end_utc=end + timedelta(days=1)
        )
    assert series == rows
    assert shifted == shifted_rows and shifted.offsets[0] == 1  # partial first and last days
    assert series.offsets == sorted(int((h - start) / timedelta(hours=1)) for h in values)
    assert series.micros == [kwh_to_micro(values[h]) for h in sorted(values)]
    assert series.micros[1] == 1  # floor(0.5 + 0.5)
    assert [series.offsets[i] for i, e in enumerate(series.estimated) if e] == [6]
    assert later.offsets == [] and later.micros == []


@pytest.mark.parametrize(
    "database_url", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True
)
def test_a_cut_packed_read_falls_back_to_the_rows(sessions: sessionmaker[Session]) -> None:
    """MySQL/MariaDB: a GROUP_CONCAT cut at group_concat_max_len is noticed, never parsed."""
    start = datetime(2026, 3, 1)
    values = {start + timedelta(hours=i): 0.25 + i / 1000 for i in range(0, 24 * 5, 5)}
    with transaction(sessions) as session:
        assert session.get_bind().dialect.name in ("mysql", "mariadb")  # SQLite reads rows
        device = Device(description="d", address="a", max_hourly_kwh=1.0, key_hash="x" * 64)
        session.add(device)
        session.flush()
        write_hours(session, device_id=device.id, energy_by_hour=values)
        device_id = device.id
    end = start + timedelta(days=5)
    with sessions() as session:
        whole = read_series(session, device_id=device_id, start_utc=start, end_utc=end)
        session.execute(text("SET SESSION group_concat_max_len = 40"))  # cuts the first day
        try:
            cut = read_series(session, device_id=device_id, start_utc=start, end_utc=end)
        finally:
            session.execute(text(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX}"))
        rows = read_hourly_series(session, device_id=device_id, start_utc=start, end_utc=end)
    assert whole == rows and cut == rows and len(rows.offsets) == len(values)


@pytest.mark.parametrize(
    "bound_hours",
    [None, -30, 0, 5, 20, 24, 24 * 3 + 17, 24 * 5 - 1, 24 * 5, 24 * 9],  # before, in, after
)
def test_a_bound_leaves_out_the_hours_before_it(
    sessions: sessionmaker[Session], bound_hours: int | None
) -> None:
    """An owner's bound (shared/ownership.py): only the stored hours from it on; same offsets."""
    start = datetime(2026, 4, 1, 3)  # not at midnight: the first day is partial
    values = {start + timedelta(hours=i): 0.5 + i / 1000 for i in range(-10, 24 * 5 + 10, 2)}
    device_id = _device_with_hours(sessions, values)
    end = start + timedelta(days=5)
    bound = None if bound_hours is None else start + timedelta(hours=bound_hours)
    with sessions() as session:
        clamped = read_series(
            session, device_id=device_id, start_utc=start, end_utc=end, visible_from=bound
        )
    expected = {h: kwh_to_micro(v) for h, v in values.items() if start <= h < end
                and (bound is None or h >= bound)}  # fmt: skip
    assert {clamped.hour_utc(i): m for i, m in enumerate(clamped.micros)} == expected
    assert clamped.start_utc == start  # offsets stay relative to the period
