"""Sessions over real HTTP: rotation with reuse detection, logout, change password, and live
connections closed on the Web PubSub twin when tokens are revoked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import websocket

from local.webpubsub.background import RunningTwin
from tests.functions.conftest import Api, serve_api


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str, twin: RunningTwin) -> Iterator[str]:
    with serve_api(
        migrated_url,
        WEBPUBSUB_CONNECTION_STRING=twin.connection_string,
        WEBPUBSUB_HUB="alerts",
        REFRESH_REUSE_GRACE_SECONDS="0",
    ) as base:
        yield base


def _pair(api: Api, username: str, password: str = Api.password) -> dict[str, Any]:
    r = api.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _refresh(api: Api, token: str) -> Any:
    return api.post("/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_reuse_revokes_the_session(api: Api) -> None:
    user = api.create_user(role="client")
    first = _pair(api, user["username"])
    r = _refresh(api, first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api.get("/auth/me", token=second["access_token"]).status_code == 200
    # the spent token comes back (a copy): refused, and the whole session ends
    reused = _refresh(api, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert "already used" in reused.json()["detail"]
    assert _refresh(api, second["refresh_token"]).status_code == 401
    assert api.get("/auth/me", token=second["access_token"]).status_code == 401
    assert api.get("/auth/me", token=first["access_token"]).status_code == 401
    # other sessions of the same user are untouched; a new login works
    assert api.get("/auth/me", token=api.login(user["username"])).status_code == 200


def test_logout_ends_only_that_session(api: Api) -> None:
    user = api.create_user(role="client")
    here, elsewhere = _pair(api, user["username"]), _pair(api, user["username"])
    r = api.post("/auth/logout", token=here["access_token"])
    assert r.status_code == 204, r.text
    assert api.get("/auth/me", token=here["access_token"]).status_code == 401
    assert _refresh(api, here["refresh_token"]).status_code == 401
    assert api.post("/auth/logout", token=here["access_token"]).status_code == 401
    assert api.get("/auth/me", token=elsewhere["access_token"]).status_code == 200
    assert _refresh(api, elsewhere["refresh_token"]).status_code == 200


def test_change_password_needs_the_old_one_and_ends_other_sessions(api: Api) -> None:
    user = api.create_user(role="client")
    here, elsewhere = _pair(api, user["username"]), _pair(api, user["username"])
    wrong = api.post(
        "/me/password",
        json={"old_password": "not-my-password", "new_password": "a-new-password-1"},
        token=here["access_token"],
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["field"] == "old_password"
    too_short = api.post(
        "/me/password",
        json={"old_password": api.password, "new_password": "short"},
        token=here["access_token"],
    )
    assert too_short.status_code == 422
    r = api.post(
        "/me/password",
        json={"old_password": api.password, "new_password": "a-new-password-1"},
        token=here["access_token"],
    )
    assert r.status_code == 200, r.text
    fresh = r.json()
    assert api.get("/auth/me", token=fresh["access_token"]).json()["id"] == user["id"]
    for old in (here, elsewhere):
        assert api.get("/auth/me", token=old["access_token"]).status_code == 401
        assert _refresh(api, old["refresh_token"]).status_code == 401
    assert (
        api.post(
            "/auth/login", json={"username": user["username"], "password": api.password}
        ).status_code
        == 401
    )
    assert api.login(user["username"], "a-new-password-1")


def _socket(api: Api, token: str) -> websocket.WebSocket:
    r = api.post("/realtime/negotiate", token=token)
    assert r.status_code == 200, r.text
    ws = websocket.create_connection(r.json()["url"], timeout=5)
    return ws


def _closed_within(ws: websocket.WebSocket, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    ws.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            opcode, _data = ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return True
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return True
    return False


def test_password_change_closes_the_users_live_connections(api: Api) -> None:
    user, other = api.create_user(role="client"), api.create_user(role="client")
    pair = _pair(api, user["username"])
    mine, theirs = _socket(api, pair["access_token"]), _socket(api, api.login(other["username"]))
    try:
        assert not _closed_within(mine, 0.3)  # open before the change
        r = api.post(
            "/me/password",
            json={"old_password": api.password, "new_password": "another-password-2"},
            token=pair["access_token"],
        )
        assert r.status_code == 200, r.text
        assert _closed_within(mine, 5)
        assert not _closed_within(theirs, 0.5)  # nobody else is disconnected
    finally:
        mine.shutdown()
        theirs.shutdown()


def test_refresh_reuse_closes_the_users_live_connections(api: Api) -> None:
    user = api.create_user(role="client")
    first = _pair(api, user["username"])
    second = _refresh(api, first["refresh_token"]).json()
    ws = _socket(api, second["access_token"])
    try:
        assert _refresh(api, first["refresh_token"]).status_code == 401
        assert _closed_within(ws, 5)
    finally:
        ws.shutdown()


def test_admin_password_reset_closes_live_connections(api: Api) -> None:
    user = api.create_user(role="client")
    ws = _socket(api, api.login(user["username"]))
    try:
        r = api.patch(
            f"/users/{user['id']}", json={"password": "set-by-admin-3"}, token=api.admin_token
        )
        assert r.status_code == 200
        assert _closed_within(ws, 5)
    finally:
        ws.shutdown()


def test_negotiated_client_urls_are_short_lived(api: Api) -> None:
    user = api.create_user(role="client")
    r = api.post("/realtime/negotiate", token=api.login(user["username"]))
    assert r.status_code == 200
    assert r.json()["expires_in"] <= 300
    claims = jwt.decode(
        r.json()["url"].split("access_token=")[1], options={"verify_signature": False}
    )
    assert claims["exp"] - claims["iat"] <= 300
