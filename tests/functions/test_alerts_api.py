"""Alerts: history per owner, acknowledge, and live push over the Web PubSub twin."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import websocket

from local.webpubsub.background import RunningTwin
from tests.functions.conftest import Api, serve_api

HOUR_MS = 3_600_000


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
    url = api.socket_url(api.login(client["username"]))
    assert url.startswith(f"ws://127.0.0.1:{twin.port}/client/hubs/alerts?access_token=")
    claims = jwt.decode(url.split("access_token=")[1], options={"verify_signature": False})
    assert claims["sub"] == client["id"]
    assert api.post("/realtime/negotiate").status_code == 401


def test_alert_reaches_every_tab_of_the_owner_and_nobody_else(api: Api) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    device = api.create_device(owner_id=a["id"], max_kwh=5.0)
    token_a, token_b = api.login(a["username"]), api.login(b["username"])
    tabs = [
        websocket.create_connection(api.socket_url(t), timeout=5)
        for t in (token_a, token_a, token_b)
    ]
    tab1, tab2, other = tabs
    try:
        api.send_readings(device, _crossing_readings(device))
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
    api.send_readings(device, _crossing_readings(device, hours_back=3))
    api.send_readings(device, _crossing_readings(device, hours_back=2, base=106.0))
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


def _collect(ws: Any, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Up to `count` alert messages (any alert.* type), in arrival order."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            message = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            break
        if str(message.get("type", "")).startswith("alert"):
            out.append(message)
    return out


def test_late_data_clears_an_alert_live_and_the_list_filters_by_state(api: Api) -> None:
    owner = api.create_user(role="client")
    device = api.create_device(owner_id=owner["id"], max_kwh=5.0)
    token = api.login(owner["username"])
    hour = (int(time.time() * 1000) - 3 * HOUR_MS) // HOUR_MS * HOUR_MS
    tab = websocket.create_connection(api.socket_url(token), timeout=5)
    try:
        # 12 kWh between h:50 and h+1:10: 6 kWh in each hour, both over the maximum.
        api.send_readings(
            device,
            [
                {
                    "timestamp": hour + 50 * 60_000,
                    "device_id": device["id"],
                    "measurement_value": 100.0,
                },
                {
                    "timestamp": hour + 70 * 60_000,
                    "device_id": device["id"],
                    "measurement_value": 112.0,
                },
            ],
        )
        opened = _collect(tab, 2)
        assert [m["type"] for m in opened] == ["alert.opened", "alert.opened"]
        # The late reading shows it all happened before h+1:00.
        late = hour + HOUR_MS - 1000
        api.send_readings(
            device,
            [{"timestamp": late, "device_id": device["id"], "measurement_value": 111.9}],
        )
        changes = {m["alert"]["hour_start"][:13]: m for m in _collect(tab, 2)}
        by_hour = {m["alert"]["hour_start"][:13]: m for m in opened}
        first, second = sorted(by_hour)
        assert changes[second]["type"] == "alert.cleared"
        assert changes[second]["alert"]["id"] == by_hour[second]["alert"]["id"]
        assert changes[second]["alert"]["state"] == "cleared"
        assert changes[second]["alert"]["energy_kwh"] == pytest.approx(0.1, abs=1e-3)
        assert changes[second]["alert"]["peak_kwh"] == pytest.approx(6.0)
        assert changes[first]["type"] == "alert.updated"
        assert changes[first]["alert"]["energy_kwh"] == pytest.approx(11.9, abs=1e-3)
    finally:
        tab.close()
    active = api.get("/me/alerts", params={"state": "active"}, token=token).json()
    cleared = api.get("/me/alerts", params={"state": "cleared"}, token=token).json()
    assert [a["energy_kwh"] for a in active["items"]] == [pytest.approx(11.9, abs=1e-3)]
    assert [a["state"] for a in cleared["items"]] == ["cleared"]
    assert cleared["items"][0]["cleared_at"] is not None
    assert active["unacknowledged"] == 1  # the badge counts active alerts only
    bad = api.get("/me/alerts", params={"state": "gone"}, token=token)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_huge_readings_are_rejected_with_a_reason_over_http(api: Api) -> None:
    device = api.create_device(max_kwh=5.0)
    now = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    items = [
        {
            "timestamp": now - 30 * 60_000 + i * 60_000,
            "device_id": device["id"],
            "measurement_value": v,
        }
        for i, v in enumerate([1.0, 1.7e308, 2.0, 1.7e308])
    ]
    r = api.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["status"] for x in body["results"]] == ["stored", "rejected", "stored", "rejected"]
    assert "bound" in body["results"][1]["reason"]


def test_a_reading_years_after_the_last_is_a_new_baseline(api: Api) -> None:
    device = api.create_device(max_kwh=0.001)
    now = int(time.time() * 1000)
    items = [
        {"timestamp": 946_684_800_000, "device_id": device["id"], "measurement_value": 1.0},
        {"timestamp": now, "device_id": device["id"], "measurement_value": 2.0},
    ]
    r = api.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
    assert r.status_code == 200, r.text
    second = r.json()["results"][1]
    assert second["status"] == "stored" and "new baseline" in second["reason"]


def test_raising_a_device_maximum_clears_alerts_now_within_it(api: Api) -> None:
    owner = api.create_user(role="client")
    device = api.create_device(owner_id=owner["id"], max_kwh=5.0)
    api.send_readings(device, _crossing_readings(device, hours_back=4))  # 6 kWh in one hour
    token = api.login(owner["username"])
    assert api.get("/me/alerts", params={"state": "active"}, token=token).json()["total"] == 1
    tab = websocket.create_connection(api.socket_url(token), timeout=5)
    try:
        r = api.patch(
            f"/devices/{device['id']}", json={"max_hourly_kwh": 10.0}, token=api.admin_token
        )
        assert r.status_code == 200, r.text
        pushed = _receive_json(tab, "alert.cleared")
        assert pushed is not None and pushed["alert"]["max_hourly_kwh"] == 10.0
    finally:
        tab.close()
    cleared = api.get("/me/alerts", params={"state": "cleared"}, token=token).json()
    assert [(a["state"], a["max_hourly_kwh"]) for a in cleared["items"]] == [("cleared", 10.0)]
    assert cleared["unacknowledged"] == 0
