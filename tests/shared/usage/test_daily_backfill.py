"""Migration 0005 backfills day rows from hourly rows already stored (SQLite and MariaDB)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from shared import migrate
from shared.db import create_db_engine, session_factory
from shared.usage.store import read_hourly_series, read_series


def test_upgrade_to_0005_packs_existing_hours(database_url: str) -> None:
    migrate.upgrade(database_url, "0004")
    engine = create_db_engine(database_url)
    start = datetime(2025, 10, 25, 18)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO devices (id, description, address, max_hourly_kwh, key_hash, "
                    "created_at) VALUES ('d1', 'd', 'a', 1.0, :k, :t)"
                ),
                {"k": "x" * 64, "t": start},
            )
            conn.execute(
                text(
                    "INSERT INTO hourly_consumption (device_id, hour_start_utc, energy_kwh, "
                    "estimated) VALUES ('d1', :h, :v, :e)"
                ),
                [
                    {"h": start + timedelta(hours=i), "v": 0.1 + i / 7, "e": i % 5 == 0}
                    for i in range(0, 60)
                    if i % 4
                ],
            )
        migrate.upgrade(database_url)
        sessions = session_factory(database_url)
        with sessions() as session:
            end = start + timedelta(days=3)
            days = read_series(session, device_id="d1", start_utc=start, end_utc=end)
            hours = read_hourly_series(session, device_id="d1", start_utc=start, end_utc=end)
        assert len(hours.offsets) == 45 and any(hours.estimated)
        assert days == hours
    finally:
        engine.dispose()
        migrate.downgrade(database_url, "base")
