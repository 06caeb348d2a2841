"""User administration over real HTTP, including every kind of bad input."""

from __future__ import annotations

import uuid

import pytest

from tests.functions.conftest import Api


def test_create_read_update_list_users(api: Api) -> None:
    created = api.create_user(role="client", name="Ana Pop")
    assert set(created) == {"id", "username", "name", "role"}
    got = api.get(f"/users/{created['id']}", token=api.admin_token).json()
    assert got == created
    r = api.patch(f"/users/{created['id']}", json={"name": "Ana Ionescu"}, token=api.admin_token)
    assert r.status_code == 200 and r.json()["name"] == "Ana Ionescu"
    page = api.get("/users", params={"role": "client", "limit": 500}, token=api.admin_token).json()
    assert created["id"] in {u["id"] for u in page["items"]}
    assert all(u["role"] == "client" for u in page["items"])
    assert page["total"] >= len(page["items"])


def test_pagination(api: Api) -> None:
    for _ in range(3):
        api.create_user(role="client")
    first = api.get("/users", params={"limit": 2, "offset": 0}, token=api.admin_token).json()
    second = api.get("/users", params={"limit": 2, "offset": 2}, token=api.admin_token).json()
    assert len(first["items"]) == 2 and first["limit"] == 2
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}


def test_duplicate_username_is_409_case_insensitive(api: Api) -> None:
    user = api.create_user(role="client")
    r = api.post(
        "/users",
        token=api.admin_token,
        json={"username": user["username"].upper(), "name": "X", "password": "long-enough-pw"},
    )
    assert r.status_code == 409
    assert user["username"].upper() in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"username": "ok_name", "name": "X", "password": "long-enough-pw", "admin": True},
            "admin",
        ),
        ({"username": 12345, "name": "X", "password": "long-enough-pw"}, "username"),
        ({"username": "ok_name", "name": "X" * 121, "password": "long-enough-pw"}, "name"),
        ({"username": "has space", "name": "X", "password": "long-enough-pw"}, "username"),
        ({"username": "ok_name", "name": "X", "password": "short"}, "password"),
        (
            {"username": "ok_name", "name": "X", "password": "long-enough-pw", "role": "root"},
            "role",
        ),
        ({"name": "X", "password": "long-enough-pw"}, "username"),
    ],
)
def test_invalid_user_bodies_are_422_with_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    r = api.post("/users", json=body, token=api.admin_token)
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[1,2]", b"null"])
def test_malformed_bodies_are_4xx_problems(api: Api, raw: bytes) -> None:
    r = api.request(
        "POST",
        "/users",
        content=raw,
        token=api.admin_token,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in r.text


@pytest.mark.parametrize("bad", ["not-a-uuid", "123", "0" * 36])
def test_invalid_ids_are_404(api: Api, bad: str) -> None:
    r = api.get(f"/users/{bad}", token=api.admin_token)
    assert r.status_code == 404 and "UUID" in r.json()["detail"]


def test_unknown_ids_are_404(api: Api) -> None:
    missing = str(uuid.uuid4())
    for method in ("GET", "PATCH", "DELETE"):
        r = api.request(
            method,
            f"/users/{missing}",
            json={} if method == "PATCH" else None,
            token=api.admin_token,
        )
        assert r.status_code == 404, (method, r.text)


def test_bad_query_parameters_are_422(api: Api) -> None:
    for params in ({"limit": "0"}, {"limit": "abc"}, {"offset": "-1"}, {"role": "boss"}):
        assert api.get("/users", params=params, token=api.admin_token).status_code == 422


def test_deleting_an_owner_leaves_devices_unowned(api: Api) -> None:
    owner = api.create_user(role="client")
    d1 = api.create_device(owner_id=owner["id"])
    d2 = api.create_device(owner_id=owner["id"])
    r = api.delete(f"/users/{owner['id']}", token=api.admin_token)
    assert r.status_code == 200
    assert sorted(r.json()["unassigned_device_ids"]) == sorted([d1["id"], d2["id"]])
    for device in (d1, d2):
        assert api.get(f"/devices/{device['id']}", token=api.admin_token).json()["owner_id"] is None
    assert api.get(f"/users/{owner['id']}", token=api.admin_token).status_code == 404


def test_admin_cannot_delete_self(api: Api) -> None:
    me = api.get("/auth/me", token=api.admin_token).json()
    r = api.delete(f"/users/{me['id']}", token=api.admin_token)
    assert r.status_code == 409


def test_promoting_a_client_to_admin_unassigns_their_devices(api: Api) -> None:
    user = api.create_user(role="client")
    device = api.create_device(owner_id=user["id"])
    r = api.patch(f"/users/{user['id']}", json={"role": "admin"}, token=api.admin_token)
    assert r.status_code == 200 and r.json()["role"] == "admin"
    assert api.get(f"/devices/{device['id']}", token=api.admin_token).json()["owner_id"] is None
