"""Alerts: history per owner, acknowledge, and live push over the Web PubSub twin."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import websocket

from local.webpubsub.background import RunningTwin, twin_in_thread
from local.webpubsub.connstr import format_connection_string
from tests.functions.conftest import Api, serve_api

HOUR_MS = 3_600_000
KEY = "twin-access-key-" + "k" * 32


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    with twin_in_thread(format_connection_string("127.0.0.1", 0, KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str, twin: RunningTwin) -> Iterator[str]:
    with serve_api(
        migrated_url, WEBPUBSUB_CONNECTION_STRING=twin.connection_string, WEBPUBSUB_HUB="alerts"
    ) as base:
        yield base


def _crossing_readings(
    device: dict[str, Any], *, hours_back: int = 2, base: float = 100.0
) -> list[dict[str, Any]]:
    start = (int(time.time() * 1000) - hours_back * HOUR_MS) // HOUR_MS * HOUR_MS
    return [
        {
            "timestamp": start + i * 600_000,
            "device_id": device["id"],
            "measurement_value": base + i * 1.0,
        }
        for i in range(7)
    ]  # 6 kWh in one hour


def _send(api: Api, device: dict[str, Any], items: list[dict[str, Any]]) -> None:
    r = api.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
    assert r.status_code == 200 and r.json()["rejected"] == 0, r.text


def _socket_url(api: Api, token: str) -> str:
    r = api.post("/realtime/negotiate", token=token)
    assert r.status_code == 200, r.text
    return str(r.json()["url"])


def _receive_json(ws: Any, wanted: str, timeout: float = 5.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        message = json.loads(frame)
        if message.get("type") == wanted:
            return dict(message)
    return None


def test_negotiate_binds_the_token_to_the_caller(api: Api, twin: RunningTwin) -> None:
    client = api.create_user(role="client")
    url = _socket_url(api, api.login(client["username"]))
    assert url.startswith(f"ws://127.0.0.1:{twin.port}/client/hubs/alerts?access_token=")
    claims = jwt.decode(url.split("access_token=")[1], options={"verify_signature": False})
    assert claims["sub"] == client["id"]
    assert api.post("/realtime/negotiate").status_code == 401


def test_alert_reaches_every_tab_of_the_owner_and_nobody_else(api: Api) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    device = api.create_device(owner_id=a["id"], max_kwh=5.0)
    token_a, token_b = api.login(a["username"]), api.login(b["username"])
    tabs = [
        websocket.create_connection(_socket_url(api, t), timeout=5)
        for t in (token_a, token_a, token_b)
    ]
    tab1, tab2, other = tabs
    try:
        _send(api, device, _crossing_readings(device))
        for tab in (tab1, tab2):
            message = _receive_json(tab, "alert.opened")
            assert message is not None
            assert message["alert"]["device_id"] == device["id"]
            assert message["alert"]["energy_kwh"] == pytest.approx(6.0)
        assert _receive_json(other, "alert.opened", timeout=1.0) is None
    finally:
        for tab in tabs:
            tab.close()


def test_history_ack_and_isolation(api: Api) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    device = api.create_device(owner_id=a["id"], max_kwh=5.0)
    _send(api, device, _crossing_readings(device, hours_back=3))
    _send(api, device, _crossing_readings(device, hours_back=2, base=106.0))
    token_a, token_b = api.login(a["username"]), api.login(b["username"])
    page = api.get("/me/alerts", token=token_a).json()
    assert page["total"] == 2 and page["unacknowledged"] == 2
    newest = page["items"][0]
    assert newest["device_description"] == device["description"]
    assert api.get("/me/alerts", token=token_b).json()["total"] == 0
    assert api.post(f"/me/alerts/{newest['id']}/ack", token=token_b).status_code == 404
    acked = api.post(f"/me/alerts/{newest['id']}/ack", token=token_a).json()
    assert acked["acknowledged_at"] is not None
    assert api.get("/me/alerts", token=token_a).json()["unacknowledged"] == 1
    assert api.post("/me/alerts/ack-all", token=token_a).json() == {"acknowledged": 1}
    open_only = api.get("/me/alerts", params={"unacknowledged": "true"}, token=token_a).json()
    assert open_only["total"] == 0
    later = api.get("/me/alerts", params={"since": "2999-01-01T00:00:00Z"}, token=token_a).json()
    assert later["total"] == 0
    assert api.get("/me/alerts", params={"since": "yesterday"}, token=token_a).status_code == 422


def test_negotiate_without_configuration_is_503(migrated_url: str) -> None:
    with serve_api(migrated_url, WEBPUBSUB_CONNECTION_STRING="") as base:
        unconfigured = Api(base, api_jwt_secret())
        r = unconfigured.post("/realtime/negotiate", token=unconfigured.admin_token)
        assert r.status_code == 503
        assert r.headers["content-type"].startswith("application/problem+json")
        unconfigured.http.close()


def api_jwt_secret() -> str:
    import os

    return os.environ["JWT_SECRET"]
