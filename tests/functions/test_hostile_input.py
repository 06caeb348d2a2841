"""Crafted input gets a 4xx problem+json (never a 500); upper-case ids are normalised."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.models import Device
from tests.functions.conftest import Api
from tests.utils.factories import write_hours

DEEP = 100_000


def _is_problem(r: httpx.Response, *statuses: int) -> None:
    assert r.status_code in statuses, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "path", ["/auth/login", "/auth/refresh", "/users", "/devices", "/measurements"]
)
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_400(api: Api, path: str, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = opener * DEEP + "1" + closer * DEEP
    r = api.post(
        path,
        content=body.encode(),
        headers={"Content-Type": "application/json"},
        token=api.admin_token,
    )
    _is_problem(r, 400)
    assert "nested" in r.json()["detail"]


@pytest.mark.parametrize("tz", ["Europe", "America", "Etc", "zone.tab", "tzdata.zi", "Europe/"])
def test_zone_directories_and_data_files_are_422(api: Api, tz: str) -> None:
    device = api.create_device()
    r = api.get(
        f"/devices/{device['id']}/consumption",
        params={"date": "2026-05-05", "tz": tz},
        token=api.admin_token,
    )
    _is_problem(r, 422)
    assert r.json()["errors"][0]["field"] == "tz"


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_extreme_since_is_422(api: Api, since: str) -> None:
    r = api.get("/me/alerts", params={"since": since}, token=api.admin_token)
    _is_problem(r, 422)
    assert r.json()["errors"][0]["field"] == "since"


@pytest.mark.parametrize("count", [32, 40, 64])
def test_username_that_grows_when_lower_cased_is_4xx(api: Api, count: int) -> None:
    name = "\u0130" * count  # "İ".lower() is two code points
    for _ in range(2):
        r = api.post("/auth/login", json={"username": name, "password": "whatever-pw"})
        _is_problem(r, 401, 422, 429)
    r = api.post(
        "/users",
        json={"username": name, "name": "x", "password": "long-enough-pw"},
        token=api.admin_token,
    )
    _is_problem(r, 422)


def test_upper_case_owner_id_is_stored_lower_case(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    client = api.create_user(role="client")
    r = api.post(
        "/devices",
        json={
            "description": "d",
            "address": "a",
            "max_hourly_kwh": 1.0,
            "owner_id": client["id"].upper(),
        },
        token=api.admin_token,
    )
    assert r.status_code == 201, r.text
    device = r.json()
    assert device["owner_id"] == client["id"]
    with sessions() as session:
        stored = session.scalar(select(Device.owner_id).where(Device.id == device["id"]))
    assert stored == client["id"]
    with transaction(sessions) as session:
        write_hours(session, device_id=device["id"], energy_by_hour={datetime(2026, 5, 5, 10): 1})
    token = api.login(client["username"])
    day = {"date": "2026-05-05", "tz": "UTC"}
    r = api.get(f"/me/devices/{device['id'].upper()}/consumption", params=day, token=token)
    assert r.status_code == 200, r.text
    assert r.json()["total_kwh"] == 1


def test_upper_case_ids_in_patch_and_query(api: Api) -> None:
    client = api.create_user(role="client")
    device = api.create_device()
    r = api.patch(
        f"/devices/{device['id'].upper()}",
        json={"owner_id": client["id"].upper()},
        token=api.admin_token,
    )
    assert r.status_code == 200, r.text
    assert r.json()["owner_id"] == client["id"] and r.json()["id"] == device["id"]
    r = api.get("/devices", params={"owner_id": client["id"].upper()}, token=api.admin_token)
    assert [d["id"] for d in r.json()["items"]] == [device["id"]]
