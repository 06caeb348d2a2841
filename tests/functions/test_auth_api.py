"""Login, refresh, throttling and token refusal over real HTTP."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.functions.conftest import Api

ADMIN = ("root-admin", "test-admin-password-123")


def test_login_returns_tokens_and_user(api: Api) -> None:
    r = api.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["user"]["role"] == "admin" and body["user"]["username"] == ADMIN[0]
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == body["user"]["id"] and claims["role"] == "admin"


def test_login_is_case_insensitive_on_username(api: Api) -> None:
    r = api.post("/auth/login", json={"username": ADMIN[0].upper(), "password": ADMIN[1]})
    assert r.status_code == 200


def test_wrong_password_is_401_problem(api: Api) -> None:
    r = api.post("/auth/login", json={"username": ADMIN[0], "password": "nope"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "Unknown username or wrong password."


def test_repeated_failures_lock_the_username_with_429(api: Api) -> None:
    user = api.create_user(role="client")
    for _ in range(5):
        assert (
            api.post(
                "/auth/login", json={"username": user["username"], "password": "x"}
            ).status_code
            == 401
        )
    r = api.post("/auth/login", json={"username": user["username"], "password": api.password})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    # other usernames are not affected
    assert (
        api.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}).status_code
        == 200
    )


def test_refresh_returns_a_new_pair(api: Api) -> None:
    pair = api.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
    r = api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    assert api.get("/auth/me", token=r.json()["access_token"]).json()["username"] == ADMIN[0]


def test_access_token_cannot_be_used_to_refresh(api: Api) -> None:
    r = api.post("/auth/refresh", json={"refresh_token": api.admin_token})
    assert r.status_code == 401


def test_refresh_token_cannot_be_used_as_access(api: Api) -> None:
    pair = api.post("/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]}).json()
    assert api.get("/auth/me", token=pair["refresh_token"]).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Bearer not.a.jwt", "Token x"])
def test_malformed_authorization_is_401(api: Api, header: str) -> None:
    r = api.get("/auth/me", headers={"Authorization": header} if header else {})
    assert r.status_code == 401
    assert r.json()["status"] == 401


def test_tampered_token_is_401(api: Api) -> None:
    head, payload, sig = api.admin_token.split(".")
    forged = jwt.encode(
        {**jwt.decode(api.admin_token, options={"verify_signature": False}), "role": "admin"},
        "wrong-secret-" + "y" * 40,
        algorithm="HS256",
    )
    assert api.get("/auth/me", token=f"{head}.{payload}.{sig[::-1]}").status_code == 401
    assert api.get("/auth/me", token=forged).status_code == 401


def test_expired_token_is_401(api: Api) -> None:
    claims = jwt.decode(api.admin_token, options={"verify_signature": False})
    now = int(time.time())
    expired = jwt.encode(
        {**claims, "iat": now - 3600, "exp": now - 60}, api.jwt_secret, algorithm="HS256"
    )
    r = api.get("/auth/me", token=expired)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_password_change_invalidates_old_tokens(api: Api) -> None:
    user = api.create_user(role="client")
    token = api.login(user["username"])
    assert api.get("/auth/me", token=token).status_code == 200
    r = api.patch(
        f"/users/{user['id']}", json={"password": "brand-new-password"}, token=api.admin_token
    )
    assert r.status_code == 200
    assert api.get("/auth/me", token=token).status_code == 401
    assert api.login(user["username"], "brand-new-password")


def test_deleted_users_tokens_stop_working(api: Api) -> None:
    user = api.create_user(role="client")
    token = api.login(user["username"])
    assert api.delete(f"/users/{user['id']}", token=api.admin_token).status_code == 200
    assert api.get("/me/devices", token=token).status_code == 401
