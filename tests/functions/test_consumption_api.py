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


def _login_pair(api: Api, username: str) -> str:
    r = api.post("/auth/login", json={"username": username, "password": api.password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_refusals_keep_their_order_when_the_parameters_are_bad(api: Api) -> None:
    """401, then 403, then 404 or 422: the caller is checked before the device id and the day,
    also when those are refused before the one statement of the day view."""
    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    token = api.login(client["username"])
    ended = _login_pair(api, client["username"])
    assert api.post("/auth/logout", token=ended).status_code == 204
    good = {"date": "2026-06-01", "tz": "Europe/Bucharest"}
    cases = [
        (ended, f"/me/devices/{device['id']}/consumption", {"date": "2026-02-30"}, 401),
        (ended, "/me/devices/not-a-uuid/consumption", good, 401),
        (ended, f"/devices/{device['id']}/consumption", good, 401),
        (token, "/devices/not-a-uuid/consumption", good, 403),
        (token, f"/devices/{device['id']}/consumption", {"tz": "Nowhere/City"}, 403),
        (token, "/me/devices/not-a-uuid/consumption", {"date": "2026-02-30"}, 404),
        (token, f"/me/devices/{device['id']}/consumption", {"date": "2026-02-30"}, 422),
        (token, f"/me/devices/{device['id']}/consumption", good, 200),
    ]
    for caller, path, params, status in cases:
        r = api.get(path, params=params, token=caller)
        assert r.status_code == status, (path, params, r.text)


def test_a_day_view_is_one_statement(api: Api, sessions: sessionmaker[Session]) -> None:
    """The caller check, the device and its day in one statement on the readers' pool."""
    from sqlalchemy import event

    from shared.platform import get_platform

    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    _seed(sessions, device["id"], {datetime(2026, 5, 31, 21): 0.1, datetime(2026, 6, 1, 17): 0.2})
    token = api.login(client["username"])
    platform = get_platform()  # the host's, in this process
    counted: dict[str, list[str]] = {"readers": [], "writers": []}
    engines = {"readers": platform.readers.kw["bind"], "writers": platform.sessions.kw["bind"]}
    listeners = {name: (lambda *args, name=name: counted[name].append(args[2])) for name in engines}
    for name, engine in engines.items():
        event.listen(engine, "before_cursor_execute", listeners[name])
    try:
        r = api.get(
            f"/me/devices/{device['id']}/consumption",
            params={"date": "2026-06-01", "tz": "Europe/Bucharest"},
            token=token,
        )
    finally:
        for name, engine in engines.items():
            event.remove(engine, "before_cursor_execute", listeners[name])
    assert r.status_code == 200, r.text
    assert len(counted["readers"]) == 1 and counted["writers"] == [], counted
    assert r.json()["total_kwh"] == 0.3  # the exact micro-kWh sum (0.1 + 0.2 in floats is not)


def test_range_refusals_keep_their_order_when_the_parameters_are_bad(api: Api) -> None:
    """The range view as the day view: 401, then 403, then 404 or 422, whatever the parameters."""
    client = api.create_user(role="client")
    other = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    others = api.create_device(owner_id=other["id"])
    token = api.login(client["username"])
    ended = _login_pair(api, client["username"])
    assert api.post("/auth/logout", token=ended).status_code == 204
    good = {"from": "2026-06-01", "to": "2026-06-30", "group_by": "day", "tz": "Europe/Bucharest"}
    mine, admins = f"/me/devices/{device['id']}/consumption", f"/devices/{device['id']}/consumption"
    cases = [
        (ended, mine, {**good, "from": "2026-02-30"}, 401),
        (ended, mine, {**good, "group_by": "fortnight"}, 401),
        (ended, "/me/devices/not-a-uuid/consumption", good, 401),
        (ended, mine, good, 401),
        (ended, admins, good, 401),
        (token, admins, good, 403),
        (token, admins, {**good, "group_by": "fortnight"}, 403),
        (token, "/devices/not-a-uuid/consumption", good, 403),
        (token, "/me/devices/not-a-uuid/consumption", good, 404),
        (token, f"/me/devices/{others['id']}/consumption", good, 404),
        (token, mine, {**good, "group_by": "fortnight"}, 422),
        (token, mine, {**good, "from": "2026-02-30"}, 422),
        (token, mine, good, 200),
    ]
    for caller, path, params, status in cases:
        r = api.get(path, params=params, token=caller)
        assert r.status_code == status, (path, params, r.text)


def test_a_range_view_is_one_statement_on_mariadb(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    """MySQL/MariaDB: the caller check, the device, its tariffs and its days in one statement on
    the readers' pool (SQLite: a caller check and two); a repeat with its ETag is a 304."""
    from sqlalchemy import event

    from shared.platform import get_platform

    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    _seed(sessions, device["id"], {datetime(2026, 5, 31, 21): 0.1, datetime(2026, 6, 1, 17): 0.2})
    token = api.login(client["username"])
    platform = get_platform()  # the host's, in this process
    counted: dict[str, list[str]] = {"readers": [], "writers": []}
    engines = {"readers": platform.readers.kw["bind"], "writers": platform.sessions.kw["bind"]}
    listeners = {name: (lambda *args, name=name: counted[name].append(args[2])) for name in engines}
    path = f"/me/devices/{device['id']}/consumption"
    params = {
        "from": "2026-06-01",
        "to": "2026-06-30",
        "group_by": "month",
        "tz": "Europe/Bucharest",
    }
    for name, engine in engines.items():
        event.listen(engine, "before_cursor_execute", listeners[name])
    try:
        r = api.get(path, params=params, token=token)
    finally:
        for name, engine in engines.items():
            event.remove(engine, "before_cursor_execute", listeners[name])
    assert r.status_code == 200, r.text
    mariadb = engines["readers"].dialect.name in ("mysql", "mariadb")
    assert len(counted["readers"]) == (1 if mariadb else 3) and counted["writers"] == [], counted
    assert r.json()["total_kwh"] == 0.3
    again = api.get(path, params=params, token=token, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
