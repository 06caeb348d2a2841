"""Device administration and ownership over real HTTP."""

from __future__ import annotations

import uuid

import pytest

from tests.functions.conftest import Api


def test_device_lifecycle(api: Api) -> None:
    r = api.post(
        "/devices",
        token=api.admin_token,
        json={"description": "Boiler", "address": "2 Main St", "max_hourly_kwh": 3.5},
    )
    assert r.status_code == 201, r.text
    device = r.json()
    assert device["device_key"].startswith("dk_") and device["owner_id"] is None
    got = api.get(f"/devices/{device['id']}", token=api.admin_token).json()
    assert "device_key" not in got and got["max_hourly_kwh"] == 3.5
    r = api.patch(
        f"/devices/{device['id']}",
        json={"max_hourly_kwh": 4, "address": "3 Main St"},
        token=api.admin_token,
    )
    assert r.status_code == 200 and r.json()["max_hourly_kwh"] == 4.0
    assert r.json()["description"] == "Boiler"
    assert api.delete(f"/devices/{device['id']}", token=api.admin_token).status_code == 204
    assert api.get(f"/devices/{device['id']}", token=api.admin_token).status_code == 404


def test_assign_and_unassign(api: Api) -> None:
    client = api.create_user(role="client")
    device = api.create_device()
    r = api.patch(
        f"/devices/{device['id']}", json={"owner_id": client["id"]}, token=api.admin_token
    )
    assert r.json()["owner_id"] == client["id"]
    token = api.login(client["username"])
    mine = api.get("/me/devices", token=token).json()
    assert [d["id"] for d in mine["items"]] == [device["id"]] and mine["total"] == 1
    listed = api.get("/devices", params={"owner_id": client["id"]}, token=api.admin_token).json()
    assert [d["id"] for d in listed["items"]] == [device["id"]]
    r = api.patch(f"/devices/{device['id']}", json={"owner_id": None}, token=api.admin_token)
    assert r.json()["owner_id"] is None
    assert api.get("/me/devices", token=token).json()["items"] == []


def test_patch_without_owner_keeps_owner(api: Api) -> None:
    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    r = api.patch(
        f"/devices/{device['id']}", json={"description": "Renamed"}, token=api.admin_token
    )
    assert r.json()["owner_id"] == client["id"] and r.json()["description"] == "Renamed"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"max_hourly_kwh": -1}, "max_hourly_kwh"),
        ({"max_hourly_kwh": 0}, "max_hourly_kwh"),
        ({"max_hourly_kwh": 1e9}, "max_hourly_kwh"),
        ({"max_hourly_kwh": "3"}, "max_hourly_kwh"),
        ({"max_hourly_kwh": True}, "max_hourly_kwh"),
        ({"description": ""}, "description"),
        ({"description": "x" * 256}, "description"),
        ({"address": None}, "address"),
        ({"owner_id": "nope"}, "owner_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_device_updates_are_422(api: Api, patch: dict[str, object], field: str) -> None:
    device = api.create_device()
    r = api.patch(f"/devices/{device['id']}", json=patch, token=api.admin_token)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


def test_non_finite_maximum_is_refused(api: Api) -> None:
    raw = b'{"description": "a", "address": "b", "max_hourly_kwh": NaN}'
    r = api.request(
        "POST",
        "/devices",
        content=raw,
        token=api.admin_token,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "max_hourly_kwh"


def test_owner_must_exist_and_be_a_client(api: Api) -> None:
    admin = api.create_user(role="admin")
    for owner in (str(uuid.uuid4()), admin["id"]):
        r = api.post(
            "/devices",
            token=api.admin_token,
            json={"description": "a", "address": "b", "max_hourly_kwh": 1, "owner_id": owner},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "owner_id"


def test_key_rotation_returns_a_new_key(api: Api) -> None:
    device = api.create_device()
    r = api.post(f"/devices/{device['id']}/key", token=api.admin_token)
    assert r.status_code == 200
    assert r.json()["device_key"] != device["device_key"]
