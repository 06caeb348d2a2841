"""A client never sees consumption recorded while a device belonged to someone else.

Over real HTTP, on SQLite and MariaDB: after a hand-over (a reassignment, an unassignment, a
deleted or promoted owner) the new owner's day view, range view, CSV and Green Button exports
and alerts start at the first whole hour after it (`devices.visible_from_utc`,
shared/ownership.py); administrators still see every hour.
"""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import websocket
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from local.webpubsub.background import RunningTwin
from shared.db import transaction
from shared.models import Device, utcnow
from tests.functions.conftest import Api, serve_api
from tests.utils.factories import write_hours

HOUR = timedelta(hours=1)
HOUR_MS = 3_600_000
PRICE = Decimal("0.2")
ESPI = "{http://naesb.org/espi}"


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str, twin: RunningTwin) -> Iterator[str]:
    with serve_api(
        migrated_url, WEBPUBSUB_CONNECTION_STRING=twin.connection_string, WEBPUBSUB_HUB="alerts"
    ) as base:
        yield base


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _bound(sessions: sessionmaker[Session], device_id: str) -> datetime | None:
    with sessions() as session:
        return session.get_one(Device, device_id).visible_from_utc


def _listed_bound(api: Api, token: str, device_id: str) -> str | None:
    """`visible_from` of the device in the caller's own device list."""
    items = api.get("/me/devices", token=token).json()["items"]
    [device] = [d for d in items if d["id"] == device_id]
    value = device["visible_from"]
    return None if value is None else str(value)


def _set_bound(sessions: sessionmaker[Session], device_id: str, bound: datetime) -> None:
    """Move a device's bound, as if its last hand-over had happened at another time."""
    with transaction(sessions) as session:
        session.execute(update(Device).where(Device.id == device_id).values(visible_from_utc=bound))


def _patch(api: Api, device_id: str, body: dict[str, Any]) -> None:
    r = api.patch(f"/devices/{device_id}", json=body, token=api.admin_token)
    assert r.status_code == 200, r.text


def _hand_over(api: Api, device_id: str, owner: str | None) -> tuple[datetime, datetime]:
    """PATCH the owner; return the UTC moments just before and just after the change."""
    before = utcnow()
    _patch(api, device_id, {"owner_id": owner})
    return before, utcnow()


class Meter:
    """A device with hours on both sides of a hand-over happening now, and a flat tariff."""

    def __init__(self, api: Api, sessions: sessionmaker[Session], owner_id: str | None) -> None:
        self.api = api
        self.device = api.create_device(owner_id=owner_id)
        self.id = str(self.device["id"])
        now = _floor(utcnow())
        # before: a day ago, the two hours before this one, and this hour (the hand-over's)
        self.before = {now - 30 * HOUR: 1.5, now - 2 * HOUR: 2.25, now - HOUR: 0.75, now: 3.0}
        # after: from two hours on (the bound is at most the next whole hour, even if the
        # hour turns during the request), up to the day after tomorrow
        self.after = {now + 2 * HOUR: 1.25, now + 3 * HOUR: 0.5, now + 26 * HOUR: 4.0}
        with transaction(sessions) as session:
            write_hours(session, device_id=self.id, energy_by_hour={**self.before, **self.after})
        tariff = api.post(
            "/tariffs",
            json={"name": "Flat", "kind": "flat", "currency": "EUR", "tz": "UTC",
                  "valid_from": "2020-01-01", "price_per_kwh": str(PRICE)},
            token=api.admin_token,
        )  # fmt: skip
        assert tariff.status_code == 201, tariff.text
        assigned = api.post(
            f"/devices/{self.id}/tariffs",
            json={"tariff_id": tariff.json()["id"], "effective_from": "2020-01-01"},
            token=api.admin_token,
        )
        assert assigned.status_code == 201, assigned.text
        hours = sorted({**self.before, **self.after})
        self.first, self.last = hours[0].date(), hours[-1].date()

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def _url(self, admin: bool, suffix: str = "") -> str:
        return f"{'' if admin else '/me'}/devices/{self.id}/consumption{suffix}"

    def _get(self, token: str, admin: bool, params: dict[str, str], suffix: str = "") -> Any:
        r = self.api.get(self._url(admin, suffix), params=params, token=token)
        assert r.status_code == 200, r.text
        return r

    def day_hours(self, token: str, *, admin: bool = False) -> dict[datetime, float]:
        """Every hour with data in the day views of the meter's days; checks each day's total."""
        out: dict[datetime, float] = {}
        for day in self.days():
            body = self._get(token, admin, {"date": day.isoformat(), "tz": "UTC"}).json()
            shown = {_utc(h["start"]): h["kwh"] for h in body["hours"] if h["kwh"] is not None}
            assert body["total_kwh"] == (pytest.approx(sum(shown.values())) if shown else None)
            out.update(shown)
        return out

    def range(self, token: str, *, admin: bool = False, group_by: str = "hour") -> Any:
        params = {"from": str(self.first), "to": str(self.last), "tz": "UTC", "group_by": group_by}
        return self._get(token, admin, params).json()

    def csv_rows(self, token: str, *, admin: bool = False) -> list[dict[str, str]]:
        params = {"from": str(self.first), "to": str(self.last), "tz": "UTC"}
        return list(csv.DictReader(io.StringIO(self._get(token, admin, params, ".csv").text)))

    def espi_readings(self, token: str, *, admin: bool = False) -> dict[datetime, Decimal]:
        params = {"from": str(self.first), "to": str(self.last), "tz": "UTC"}
        root = ET.fromstring(self._get(token, admin, params, ".xml").content)
        out = {}
        for reading in root.iter(f"{ESPI}IntervalReading"):
            start = int(reading.findtext(f"{ESPI}timePeriod/{ESPI}start") or "")
            micro = int(reading.findtext(f"{ESPI}value") or "")
            out[datetime.fromtimestamp(start, UTC).replace(tzinfo=None)] = Decimal(micro) / 10**6
        return out


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def _cost(hours: dict[datetime, float]) -> Decimal:
    return sum((Decimal(repr(kwh)) * PRICE for kwh in hours.values()), Decimal(0))


def _assert_sees_exactly(meter: Meter, token: str, hours: dict[datetime, float]) -> None:
    """Every client view of the meter shows exactly `hours`, and its sums and costs add up."""
    assert meter.day_hours(token) == hours
    for group_by in ("hour", "day"):
        body = meter.range(token, group_by=group_by)
        buckets = [b for b in body["buckets"] if b["kwh"] is not None]
        if group_by == "hour":
            assert {_utc(b["start"]): b["kwh"] for b in buckets} == hours
        assert Decimal(repr(body["total_kwh"])) == sum(Decimal(repr(v)) for v in hours.values())
        assert Decimal(body["total_cost"]) == _cost(hours)
        assert sum(Decimal(b["cost"]) for b in buckets) == _cost(hours)
    rows = [row for row in meter.csv_rows(token) if row["kwh"]]
    assert {_utc(row["utc_start"]): float(row["kwh"]) for row in rows} == hours
    assert sum(Decimal(row["cost"]) for row in rows) == _cost(hours)
    espi = meter.espi_readings(token)
    assert espi == {hour: Decimal(repr(kwh)) for hour, kwh in hours.items()}


def test_a_reassigned_device_shows_the_new_owner_only_hours_after_the_hand_over(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    meter = Meter(api, sessions, a["id"])
    token_a, token_b = api.login(a["username"]), api.login(b["username"])
    everything = {**meter.before, **meter.after}
    _assert_sees_exactly(meter, token_a, everything)  # a's own device: all of it
    assert _bound(sessions, meter.id) is None

    assert _listed_bound(api, token_a, meter.id) is None
    before, after = _hand_over(api, meter.id, b["id"])
    bound = _bound(sessions, meter.id)
    assert bound in {_floor(before) + HOUR, _floor(after) + HOUR}
    # the owner's list says from when they see it (the web app tells them why)
    assert _listed_bound(api, token_b, meter.id) == bound.isoformat() + "Z"
    admin_device = api.get(f"/devices/{meter.id}", token=api.admin_token).json()
    assert admin_device["visible_from"] == bound.isoformat() + "Z"
    _assert_sees_exactly(meter, token_b, meter.after)
    # a no longer has the device; an administrator still sees every hour
    assert api.get(f"/me/devices/{meter.id}/consumption", params={"date": str(meter.first)},
                   token=token_a).status_code == 404  # fmt: skip
    assert meter.day_hours(api.admin_token, admin=True) == everything
    admin_range = meter.range(api.admin_token, admin=True)
    assert Decimal(admin_range["total_cost"]) == _cost(everything)
    assert len([r for r in meter.csv_rows(api.admin_token, admin=True) if r["kwh"]]) == 7
    assert set(meter.espi_readings(api.admin_token, admin=True)) == set(everything)


def test_same_owner_and_other_edits_keep_the_bound_a_new_hand_over_moves_it(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    meter = Meter(api, sessions, a["id"])
    _hand_over(api, meter.id, b["id"])
    # as if the hand-over had been five hours ago: a PATCH that does not take the device away
    # from b must leave this value alone (a reset to "now" would differ)
    earlier = _floor(utcnow()) - 5 * HOUR
    _set_bound(sessions, meter.id, earlier)
    _patch(api, meter.id, {"owner_id": b["id"]})
    _patch(api, meter.id, {"description": "Renamed", "max_hourly_kwh": 9.0})
    assert _bound(sessions, meter.id) == earlier
    token_b = api.login(b["username"])
    _assert_sees_exactly(
        meter, token_b, {h: v for h, v in {**meter.before, **meter.after}.items() if h >= earlier}
    )
    # back to a: a is now a new owner too, and sees only what came after
    before, after = _hand_over(api, meter.id, a["id"])
    assert _bound(sessions, meter.id) in {_floor(before) + HOUR, _floor(after) + HOUR}
    _assert_sees_exactly(meter, api.login(a["username"]), meter.after)


def test_unassign_then_assign_hides_the_previous_owners_hours(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    meter = Meter(api, sessions, a["id"])
    before, after = _hand_over(api, meter.id, None)
    bound = _bound(sessions, meter.id)
    assert bound in {_floor(before) + HOUR, _floor(after) + HOUR}
    _set_bound(sessions, meter.id, bound - 3 * HOUR)  # assigning must not move it either
    _patch(api, meter.id, {"owner_id": b["id"]})
    assert _bound(sessions, meter.id) == bound - 3 * HOUR
    visible = {h: v for h, v in {**meter.before, **meter.after}.items() if h >= bound - 3 * HOUR}
    _assert_sees_exactly(meter, api.login(b["username"]), visible)


def test_a_device_that_never_had_an_owner_shows_its_whole_history(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    b = api.create_user(role="client")
    meter = Meter(api, sessions, None)  # e.g. history replayed before the first assignment
    _patch(api, meter.id, {"owner_id": b["id"]})
    assert _bound(sessions, meter.id) is None
    token_b = api.login(b["username"])
    assert _listed_bound(api, token_b, meter.id) is None
    _assert_sees_exactly(meter, token_b, {**meter.before, **meter.after})


@pytest.mark.parametrize("how", ["deleted", "promoted"])
def test_an_owner_deleted_or_made_administrator_hands_their_devices_over(
    api: Api, sessions: sessionmaker[Session], how: str
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    meter = Meter(api, sessions, a["id"])
    before = utcnow()
    if how == "deleted":
        r = api.delete(f"/users/{a['id']}", token=api.admin_token)
        assert r.status_code == 200 and r.json()["unassigned_device_ids"] == [meter.id]
    else:
        r = api.patch(f"/users/{a['id']}", json={"role": "admin"}, token=api.admin_token)
        assert r.status_code == 200, r.text
    after = utcnow()
    assert _bound(sessions, meter.id) in {_floor(before) + HOUR, _floor(after) + HOUR}
    _patch(api, meter.id, {"owner_id": b["id"]})
    _assert_sees_exactly(meter, api.login(b["username"]), meter.after)


# --- alerts -------------------------------------------------------------------------------


def _crossing(device: dict[str, Any], hour_ms: int, base: float) -> list[dict[str, Any]]:
    """Seven readings ten minutes apart in the hour starting at hour_ms: 6 kWh in it."""
    return [
        {"timestamp": hour_ms + i * 600_000, "device_id": device["id"],
         "measurement_value": base + i}
        for i in range(7)
    ]  # fmt: skip


def _tab(api: Api, token: str) -> Any:
    return websocket.create_connection(api.socket_url(token), timeout=5)


def _messages(ws: Any, timeout: float) -> list[dict[str, Any]]:
    """Every message that arrives within `timeout` seconds."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            out.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            break
    return out


def _alert_hours(api: Api, token: str) -> list[str]:
    page = api.get("/me/alerts", token=token).json()
    assert page["total"] == len(page["items"])
    return [item["hour_start"] for item in page["items"]]


def _iso(hour_ms: int) -> str:
    return datetime.fromtimestamp(hour_ms / 1000, UTC).replace(tzinfo=None).isoformat() + "Z"


def test_alerts_stay_with_their_owner_and_late_hours_reach_nobody(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    device = api.create_device(owner_id=a["id"], max_kwh=5.0)
    token_a, token_b = api.login(a["username"]), api.login(b["username"])
    now_hour = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    api.send_readings(device, _crossing(device, now_hour - 4 * HOUR_MS, 100.0))  # a's alert
    assert _alert_hours(api, token_a) == [_iso(now_hour - 4 * HOUR_MS)]
    _hand_over(api, device["id"], b["id"])
    tab_a, tab_b = _tab(api, token_a), _tab(api, token_b)
    try:
        # the meter catches up on two earlier hours (6 kWh each): they are before the bound
        api.send_readings(device, _crossing(device, now_hour - 8 * HOUR_MS, 80.0))
        api.send_readings(device, _crossing(device, now_hour - 6 * HOUR_MS, 90.0))
        pushed_b, pushed_a = _messages(tab_b, 1.5), _messages(tab_a, 0.2)
    finally:
        tab_a.close()
        tab_b.close()
    assert pushed_b == [] and pushed_a == []  # no alert, no "consumption.updated"
    assert _alert_hours(api, token_b) == []
    assert api.get("/me/alerts", token=token_b).json()["unacknowledged"] == 0
    assert _alert_hours(api, token_a) == [_iso(now_hour - 4 * HOUR_MS)]  # still a's
    admin = api.get("/alerts", params={"device_id": device["id"], "kind": "over_max"},
                    token=api.admin_token).json()  # fmt: skip
    owners = {item["hour_start"]: item["owner_id"] for item in admin["items"]}
    assert owners[_iso(now_hour - 4 * HOUR_MS)] == a["id"]
    for hour in (now_hour - 8 * HOUR_MS, now_hour - 6 * HOUR_MS):
        assert owners[_iso(hour)] is None  # recorded, seen by administrators, nobody's


def test_the_new_owner_gets_alerts_from_the_bound_on(
    api: Api, sessions: sessionmaker[Session]
) -> None:
    a, b = api.create_user(role="client"), api.create_user(role="client")
    device = api.create_device(owner_id=a["id"], max_kwh=5.0)
    _hand_over(api, device["id"], b["id"])
    now_hour = int(time.time() * 1000) // HOUR_MS * HOUR_MS
    # as if the device had been handed over two hours ago (live readings cannot be sent for
    # hours after a bound that is still to come)
    _set_bound(sessions, device["id"], _floor(utcnow()) - 2 * HOUR)
    token_b = api.login(b["username"])
    tab_b = _tab(api, token_b)
    try:
        api.send_readings(device, _crossing(device, now_hour - 3 * HOUR_MS, 100.0))  # before it
        api.send_readings(device, _crossing(device, now_hour - 1 * HOUR_MS, 106.0))  # after it
        pushed = [m for m in _messages(tab_b, 2.0) if m["type"].startswith("alert")]
    finally:
        tab_b.close()
    assert [(m["type"], _utc(m["alert"]["hour_start"])) for m in pushed] == [
        ("alert.opened", _utc(_iso(now_hour - HOUR_MS)))
    ]
    assert _alert_hours(api, token_b) == [_iso(now_hour - HOUR_MS)]
    assert _alert_hours(api, api.login(a["username"])) == []
