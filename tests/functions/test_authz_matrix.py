"""Every route × {anonymous, client A, client B, admin} → the expected status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.functions.conftest import Api

DAY = {"date": "2026-05-05", "tz": "Europe/Bucharest"}
RANGE = {"from": "2026-05-01", "to": "2026-05-31", "tz": "Europe/Bucharest"}
TARIFF = {"name": "Flat", "kind": "flat", "currency": "EUR", "valid_from": "2026-01-01",
          "price_per_kwh": "0.2"}  # fmt: skip


@dataclass
class World:
    """Two clients each owning a device, and the tokens of everyone."""

    tokens: dict[str, str | None]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    a = api.create_user(role="client")
    b = api.create_user(role="client")
    da = api.create_device(owner_id=a["id"])
    db = api.create_device(owner_id=b["id"])
    tokens = {
        "anon": None,
        "A": api.login(a["username"]),
        "B": api.login(b["username"]),
        "admin": api.admin_token,
    }
    tariff = api.post("/tariffs", json=TARIFF, token=api.admin_token).json()
    ids = {"A": a["id"], "B": b["id"], "dA": da["id"], "dB": db["id"], "T": tariff["id"]}
    return World(tokens, ids)


# (method, path template, body, {caller: expected status}); ids are filled per test.
ADMIN_ONLY = {"anon": 401, "A": 403, "B": 403}
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/health", None, {"anon": 200, "A": 200, "B": 200, "admin": 200}),
    ("GET", "/openapi.json", None, {"anon": 200, "A": 200, "admin": 200}),
    ("GET", "/auth/me", None, {"anon": 401, "A": 200, "B": 200, "admin": 200}),
    # a real logout ends the session: covered per session in test_sessions.py
    ("POST", "/auth/logout", None, {"anon": 401}),
    (
        "POST",
        "/me/password",
        {"old_password": "not-the-password", "new_password": "another-long-pw"},
        {"anon": 401, "A": 422, "admin": 422},
    ),
    ("GET", "/users", None, {**ADMIN_ONLY, "admin": 200}),
    (
        "POST",
        "/users",
        {"username": "@new", "name": "N", "password": "long-enough-pw"},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/users/{B}", None, {**ADMIN_ONLY, "admin": 200}),
    ("PATCH", "/users/{B}", {"name": "Renamed"}, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/devices", None, {**ADMIN_ONLY, "admin": 200}),
    (
        "POST",
        "/devices",
        {"description": "d", "address": "a", "max_hourly_kwh": 1},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/devices/{dB}", None, {**ADMIN_ONLY, "admin": 200}),
    ("PATCH", "/devices/{dB}", {"description": "x"}, {**ADMIN_ONLY, "admin": 200}),
    ("PATCH", "/devices/{dB}", {"owner_id": "{A}"}, {**ADMIN_ONLY}),
    ("POST", "/devices/{dB}/key", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/devices/{dB}/consumption", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/me/devices", None, {"anon": 401, "A": 200, "B": 200, "admin": 200}),
    ("GET", "/me/devices/{dA}/consumption", None, {"anon": 401, "A": 200, "B": 404, "admin": 404}),
    ("GET", "/me/devices/{dB}/consumption", None, {"anon": 401, "A": 404, "B": 200}),
    ("GET", "/devices/{dB}/consumption.csv", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/devices/{dB}/consumption.xml", None, {**ADMIN_ONLY, "admin": 200}),
    (
        "GET",
        "/me/devices/{dA}/consumption.csv",
        None,
        {"anon": 401, "A": 200, "B": 404, "admin": 404},
    ),
    (
        "GET",
        "/me/devices/{dA}/consumption.xml",
        None,
        {"anon": 401, "A": 200, "B": 404, "admin": 404},
    ),
    ("GET", "/me/devices/{dB}/consumption.xml", None, {"anon": 401, "A": 404, "B": 200}),
    ("GET", "/tariffs", None, {**ADMIN_ONLY, "admin": 200}),
    ("POST", "/tariffs", TARIFF, {**ADMIN_ONLY, "admin": 201}),
    ("GET", "/tariffs/{T}", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/devices/{dB}/tariffs", None, {**ADMIN_ONLY, "admin": 200}),
    (
        "POST",
        "/devices/{dB}/tariffs",
        {"tariff_id": "{T}", "effective_from": "2026-01-01"},
        {**ADMIN_ONLY, "admin": 201},
    ),
    ("GET", "/me/alerts", None, {"anon": 401, "A": 200, "B": 200, "admin": 200}),
    ("POST", "/me/alerts/ack-all", None, {"anon": 401, "A": 200}),
    ("POST", "/realtime/negotiate", None, {"anon": 401}),
    # operator console: admins only (no broker in this module: no dead letters, nothing moves)
    ("GET", "/fleet/overview", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/alerts", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/audit", None, {**ADMIN_ONLY, "admin": 200}),
    ("GET", "/deadletters", None, {**ADMIN_ONLY, "admin": 200}),
    ("POST", "/deadletters/replay", {"all": True}, {**ADMIN_ONLY, "admin": 200}),
    ("DELETE", "/devices/{dB}", None, {**ADMIN_ONLY}),
    ("DELETE", "/users/{B}", None, {**ADMIN_ONLY}),
]


def _fill(text: str, world: World) -> str:
    for key, value in world.ids.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("@new", "")


CASES = [
    pytest.param(method, path, body, caller, status, id=f"{method} {path} as {caller}")
    for method, path, body, expected in MATRIX
    for caller, status in expected.items()
]


@pytest.mark.parametrize(("method", "path", "body", "caller", "status"), CASES)
def test_route_access(
    api: Api,
    world: World,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    caller: str,
    status: int,
) -> None:
    payload = None
    if body is not None:
        payload = {k: _fill(v, world) if isinstance(v, str) else v for k, v in body.items()}
        if "username" in payload:
            payload["username"] = f"u{caller}{len(payload)}{id(world) % 997}{method}"
    params = DAY if path.endswith("consumption") else None
    params = RANGE if path.endswith((".csv", ".xml")) else params
    r = api.request(
        method, _fill(path, world), json=payload, params=params, token=world.tokens[caller]
    )
    assert r.status_code == status, r.text
    if status >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_client_a_never_sees_client_b_data(api: Api, world: World) -> None:
    mine = api.get("/me/devices", token=world.tokens["A"]).json()
    assert [d["id"] for d in mine["items"]] == [world.ids["dA"]]
    assert all(d["owner_id"] == world.ids["A"] for d in mine["items"])
    r = api.get(f"/me/devices/{world.ids['dB']}/consumption", params=DAY, token=world.tokens["A"])
    assert r.status_code == 404 and world.ids["dB"] in r.json()["detail"]
    # client A cannot change B's device through the admin routes either
    r = api.patch(
        f"/devices/{world.ids['dB']}", json={"owner_id": world.ids["A"]}, token=world.tokens["A"]
    )
    assert r.status_code == 403
    owner = api.get(f"/devices/{world.ids['dB']}", token=api.admin_token).json()["owner_id"]
    assert owner == world.ids["B"]
