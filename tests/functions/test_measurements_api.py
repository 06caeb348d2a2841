"""HTTP ingestion: device keys, per-item results, exact hourly totals through the day view."""

from __future__ import annotations

import time

from tests.functions.conftest import Api

HOUR_MS = 3_600_000


def _hour_ago_ms() -> int:
    now = int(time.time() * 1000)
    return (now - 3 * HOUR_MS) // HOUR_MS * HOUR_MS


def test_device_key_ingests_and_day_view_shows_exact_hours(api: Api) -> None:
    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"], max_kwh=100.0)
    start = _hour_ago_ms()
    items = [
        {
            "timestamp": start + i * 600_000,
            "device_id": device["id"],
            "measurement_value": 10.0 + i * 0.5,
        }
        for i in range(13)
    ]  # 2 h, 0.5 kWh per 10 min
    r = api.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 13 and r.json()["rejected"] == 0
    again = api.post(
        "/measurements", json=items[:3], headers={"X-Device-Key": device["device_key"]}
    )
    assert [x["status"] for x in again.json()["results"]] == ["duplicate"] * 3
    date = time.strftime("%Y-%m-%d", time.gmtime(start / 1000))
    token = api.login(client["username"])
    view = api.get(
        f"/me/devices/{device['id']}/consumption", params={"date": date, "tz": "UTC"}, token=token
    ).json()
    by_start = {h["start"]: h["kwh"] for h in view["hours"] if h["kwh"] is not None}
    assert sorted(by_start.values()) == [3.0, 3.0]


def test_per_item_results_for_bad_items(api: Api) -> None:
    device = api.create_device()
    other = api.create_device()
    start = _hour_ago_ms()
    items: list[object] = [
        {"timestamp": start, "device_id": device["id"], "measurement_value": 1.0},
        {"timestamp": start, "device_id": device["id"], "measurement_value": 2.0},
        {"timestamp": start, "device_id": other["id"], "measurement_value": 1.0},
        {"timestamp": start + 1, "device_id": device["id"], "measurement_value": "x"},
        {"timestamp": start + 2, "device_id": device["id"]},
        "not an object",
    ]
    r = api.post("/measurements", json=items, headers={"X-Device-Key": device["device_key"]})
    body = r.json()
    assert [x["status"] for x in body["results"]] == [
        "stored",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    reasons = [x.get("reason", "") for x in body["results"]]
    assert "conflicting" in reasons[1] and "belongs to device" in reasons[2]
    assert "number" in reasons[3] and "missing" in reasons[4] and "object" in reasons[5]


def test_authentication_is_required(api: Api) -> None:
    item = [
        {
            "timestamp": _hour_ago_ms(),
            "device_id": "00000000-0000-4000-8000-000000000000",
            "measurement_value": 1,
        }
    ]
    assert api.post("/measurements", json=item).status_code == 401
    assert (
        api.post("/measurements", json=item, headers={"X-Device-Key": "dk_wrong"}).status_code
        == 401
    )
    client = api.create_user(role="client")
    assert (
        api.post("/measurements", json=item, token=api.login(client["username"])).status_code == 403
    )
    admin = api.post("/measurements", json=item, token=api.admin_token)
    assert admin.status_code == 200 and "unknown device" in admin.json()["results"][0]["reason"]


def test_rotated_key_stops_working(api: Api) -> None:
    device = api.create_device()
    item = [{"timestamp": _hour_ago_ms(), "device_id": device["id"], "measurement_value": 1}]
    api.post(f"/devices/{device['id']}/key", token=api.admin_token)
    r = api.post("/measurements", json=item, headers={"X-Device-Key": device["device_key"]})
    assert r.status_code == 401


def test_bad_bodies_are_4xx(api: Api) -> None:
    for raw in (b"{", b"{}", b"[]", b"[" + b"{}," * 1000 + b"{}]"):
        r = api.request(
            "POST",
            "/measurements",
            content=raw,
            token=api.admin_token,
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code in (400, 422), raw[:10]


def test_a_value_too_large_for_a_float_is_a_rejection_not_a_lost_batch(api: Api) -> None:
    device = api.create_device()
    start = _hour_ago_ms()
    body = (
        f'[{{"timestamp": {start}, "device_id": "{device["id"]}", "measurement_value": 1.0}},'
        f'{{"timestamp": {start + 600_000}, "device_id": "{device["id"]}", '
        f'"measurement_value": 1{"0" * 400}}}]'
    )
    r = api.post(
        "/measurements",
        content=body,
        headers={"X-Device-Key": device["device_key"], "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["stored", "rejected"]
    assert "out of range" in results[1]["reason"]
