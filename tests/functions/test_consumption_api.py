"""The day view over HTTP: owners, admins, DST days and bad dates or zones."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from tests.functions.conftest import Api
from tests.utils.factories import write_hours


def _seed(sessions: sessionmaker[Session], device_id: str, hours: dict[datetime, float]) -> None:
    with transaction(sessions) as session:
        write_hours(session, device_id=device_id, energy_by_hour=hours)


def test_owner_sees_local_hours_with_maximum(api: Api, sessions: sessionmaker[Session]) -> None:
    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"], max_kwh=1.5)
    # 2026-06-01 in Bucharest (UTC+3) starts at 2026-05-31T21:00Z.
    _seed(sessions, device["id"], {datetime(2026, 5, 31, 21): 0.4, datetime(2026, 6, 1, 17): 2.25})
    token = api.login(client["username"])
    r = api.get(
        f"/me/devices/{device['id']}/consumption",
        params={"date": "2026-06-01", "tz": "Europe/Bucharest"},
        token=token,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "kWh" and body["max_hourly_kwh"] == 1.5 and len(body["hours"]) == 24
    assert body["hours"][0] == {
        "start": "2026-06-01T00:00:00+03:00",
        "kwh": 0.4,
        "estimated": False,
        "in_progress": False,
    }
    assert body["hours"][20] == {
        "start": "2026-06-01T20:00:00+03:00",
        "kwh": 2.25,
        "estimated": False,
        "in_progress": False,
    }
    assert body["total_kwh"] == pytest.approx(2.65)
    admin_view = api.get(
        f"/devices/{device['id']}/consumption",
        params={"date": "2026-06-01", "tz": "Europe/Bucharest"},
        token=api.admin_token,
    ).json()
    assert admin_view == body


@pytest.mark.parametrize(("date", "hours"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_dst_days(api: Api, date: str, hours: int) -> None:
    device = api.create_device()
    r = api.get(
        f"/devices/{device['id']}/consumption",
        params={"date": date, "tz": "Europe/Bucharest"},
        token=api.admin_token,
    )
    assert len(r.json()["hours"]) == hours
    assert r.json()["total_kwh"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-02-30"}, "date"),
        ({"date": "tomorrow"}, "date"),
        ({}, "date"),
        ({"date": "2026-01-01", "tz": "Nowhere/City"}, "tz"),
        ({"date": "2026-01-01", "tz": "Asia/Kathmandu"}, "tz"),
    ],
)
def test_bad_dates_and_zones_are_422(api: Api, params: dict[str, str], field: str) -> None:
    device = api.create_device()
    r = api.get(f"/devices/{device['id']}/consumption", params=params, token=api.admin_token)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
