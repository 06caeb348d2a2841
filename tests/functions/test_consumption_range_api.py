"""Range view, tariffs and cost, CSV and Green Button exports over HTTP, on each backend."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from greenbutton_objects import parse as gb_parse
from sqlalchemy import update

from shared.db import transaction
from shared.models import HourlyConsumption
from shared.usage.daily import refresh_days
from tests.functions.conftest import Api
from tests.functions.espi_schema import ESPI, load_types, violations
from tests.utils.factories import write_hours

ZONE = ZoneInfo("Europe/Bucharest")
ATOM = "{http://www.w3.org/2005/Atom}"
# 2026-03-27 .. 2026-03-31 in Bucharest: includes the 23-hour spring-forward day (03-29).
FIRST, LAST = "2026-03-27", "2026-03-31"


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=ZONE).astimezone(UTC).replace(tzinfo=None)


def _seed_hours() -> dict[datetime, float]:
    """Irregular values on every hour of 03-27..03-29 and 03-31 (03-30 has no data)."""
    start, end = _utc(datetime(2026, 3, 27)), _utc(datetime(2026, 4, 1))
    hours: dict[datetime, float] = {}
    hour, i = start, 0
    while hour < end:
        if not _utc(datetime(2026, 3, 30)) <= hour < _utc(datetime(2026, 3, 31)):
            hours[hour] = round(0.1 + (i * 37 % 101) / 97, 6)
        hour += timedelta(hours=1)
        i += 1
    return hours


@pytest.fixture(scope="module")
def seeded(api: Api, migrated_url: str) -> dict[str, Any]:
    """A client owning a metered device with two tariffs (flat, then time-of-use)."""
    from shared.db import session_factory

    client = api.create_user(role="client")
    device = api.create_device(owner_id=client["id"])
    hours = _seed_hours()
    estimated = sorted(hours)[5:8]
    with transaction(session_factory(migrated_url)) as session:
        write_hours(session, device_id=device["id"], energy_by_hour=hours)
        session.execute(
            update(HourlyConsumption)
            .where(HourlyConsumption.device_id == device["id"])
            .where(HourlyConsumption.hour_start_utc.in_(estimated))
            .values(estimated=True)
        )
        refresh_days(session, [(device["id"], hour) for hour in estimated])
    flat = _create_tariff(api, kind="flat", price_per_kwh="0.123457")
    tou = _create_tariff(
        api,
        kind="time_of_use",
        bands=[
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 0, "to_hour": 7,
             "price_per_kwh": "0.08"},
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from_hour": 7, "to_hour": 24,
             "price_per_kwh": "0.31"},
            {"days": ["sat", "sun"], "from_hour": 0, "to_hour": 24, "price_per_kwh": "0.05"},
        ],
    )  # fmt: skip
    # flat from 03-27 00:00 local, time-of-use from 03-28 13:00 local (mid-day, mid-period)
    _assign(api, device["id"], flat["id"], "2026-03-27")
    _assign(api, device["id"], tou["id"], "2026-03-28T13:00:00+02:00")
    return {
        "token": api.login(client["username"]),
        "device": device,
        "hours": hours,
        "estimated": set(estimated),
        "change": _utc(datetime(2026, 3, 28, 13)),
    }


def _create_tariff(api: Api, **body: Any) -> dict[str, Any]:
    payload = {"name": "T", "currency": "EUR", "tz": "Europe/Bucharest",
               "valid_from": "2026-01-01", **body}  # fmt: skip
    r = api.post("/tariffs", json=payload, token=api.admin_token)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _assign(api: Api, device_id: str, tariff_id: str, when: str) -> None:
    r = api.post(
        f"/devices/{device_id}/tariffs",
        json={"tariff_id": tariff_id, "effective_from": when},
        token=api.admin_token,
    )
    assert r.status_code == 201, r.text


def _expected_price(hour: datetime, change: datetime) -> Decimal:
    """Independent oracle: the price of an hour under the fixture's two tariffs."""
    if hour < change:
        return Decimal("0.123457")
    local = hour.replace(tzinfo=UTC).astimezone(ZONE)
    if local.weekday() >= 5:
        return Decimal("0.05")
    return Decimal("0.08") if local.hour < 7 else Decimal("0.31")


def _expected_cost(hours: dict[datetime, float], change: datetime) -> Decimal:
    total = Decimal(0)
    for hour, kwh in hours.items():
        cost = Decimal(repr(kwh)) * _expected_price(hour, change)
        total += cost.quantize(Decimal("0.00001"), rounding=ROUND_HALF_EVEN)
    return total


def _range(api: Api, seeded: dict[str, Any], group_by: str, **extra: str) -> dict[str, Any]:
    params = {"from": FIRST, "to": LAST, "tz": "Europe/Bucharest", "group_by": group_by, **extra}
    r = api.get(
        f"/me/devices/{seeded['device']['id']}/consumption", params=params, token=seeded["token"]
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_hour_buckets_are_the_stored_hours_and_days_follow_dst(api: Api, seeded: dict) -> None:
    body = _range(api, seeded, "hour")
    assert len(body["buckets"]) == 5 * 24 - 1
    by_start = {b["start"]: b for b in body["buckets"]}
    for hour, kwh in seeded["hours"].items():
        local = hour.replace(tzinfo=UTC).astimezone(ZONE).isoformat()
        assert by_start[local]["kwh"] == kwh
        assert by_start[local]["estimated_hours"] == (hour in seeded["estimated"])
    days = _range(api, seeded, "day")["buckets"]
    assert [d["start"][:10] for d in days] == ["2026-03-27", "2026-03-28", "2026-03-29",
                                               "2026-03-30", "2026-03-31"]  # fmt: skip
    assert days[2]["start"].endswith("+02:00") and days[2]["end"].endswith("+03:00")
    assert days[3]["kwh"] is None and days[3]["cost"] is None


@pytest.mark.parametrize("group_by", ["hour", "day", "week", "month"])
def test_sums_equal_the_hourly_values_exactly(api: Api, seeded: dict, group_by: str) -> None:
    body = _range(api, seeded, group_by)
    exact_total = sum(Decimal(repr(v)) for v in seeded["hours"].values())
    assert Decimal(repr(body["total_kwh"])) == exact_total
    bucket_sum = sum(Decimal(repr(b["kwh"])) for b in body["buckets"] if b["kwh"] is not None)
    assert bucket_sum == exact_total
    assert sum(b["estimated_hours"] for b in body["buckets"]) == 3
    assert body["currency"] == "EUR" and body["unit"] == "kWh"
    cost_sum = sum(Decimal(b["cost"]) for b in body["buckets"] if b["cost"] is not None)
    assert cost_sum == Decimal(body["total_cost"])


def test_cost_honours_the_tariff_change_hour_by_hour(api: Api, seeded: dict) -> None:
    body = _range(api, seeded, "day")
    expected = _expected_cost(seeded["hours"], seeded["change"])
    assert Decimal(body["total_cost"]) == expected
    day2 = {h: v for h, v in seeded["hours"].items() if _utc(datetime(2026, 3, 28)) <= h
            < _utc(datetime(2026, 3, 29))}  # fmt: skip
    assert Decimal(body["buckets"][1]["cost"]) == _expected_cost(day2, seeded["change"])
    assert body["buckets"][1]["cost"] == str(Decimal(body["buckets"][1]["cost"]))  # plain text


def test_admin_sees_the_same_range_and_the_day_view_still_works(api: Api, seeded: dict) -> None:
    device_id = seeded["device"]["id"]
    params = {"from": FIRST, "to": LAST, "tz": "Europe/Bucharest", "group_by": "week"}
    admin = api.get(f"/devices/{device_id}/consumption", params=params, token=api.admin_token)
    assert admin.json() == _range(api, seeded, "week")
    day = api.get(
        f"/me/devices/{device_id}/consumption",
        params={"date": "2026-03-29", "tz": "Europe/Bucharest"},
        token=seeded["token"],
    )
    assert day.status_code == 200 and len(day.json()["hours"]) == 23


def test_etag_answers_304_when_unchanged(api: Api, seeded: dict) -> None:
    url = f"/me/devices/{seeded['device']['id']}/consumption"
    params = {"from": FIRST, "to": LAST, "group_by": "day"}
    first = api.get(url, params=params, token=seeded["token"])
    etag = first.headers["ETag"]
    again = api.get(url, params=params, token=seeded["token"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = api.get(url, params={**params, "group_by": "hour"}, token=seeded["token"],
                    headers={"If-None-Match": etag})  # fmt: skip
    assert other.status_code == 200 and other.headers["ETag"] != etag


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),
        ({"from": "2025-01-01", "to": "2025-01-02", "group_by": "quarter"}, "group_by"),
        ({"from": "2025-01-01"}, "to"),
        ({"to": "2025-01-01"}, "from"),
        ({"from": "2025-01-01", "to": "2025-01-02", "tz": "Asia/Kathmandu"}, "tz"),
    ],
)
def test_bad_ranges_are_422_problems(
    api: Api, seeded: dict, params: dict[str, str], field: str
) -> None:
    for suffix in ("", ".csv", ".xml"):
        r = api.get(
            f"/me/devices/{seeded['device']['id']}/consumption{suffix}",
            params=params,
            token=seeded["token"],
        )
        if suffix and "group_by" in params:
            assert r.status_code == 200  # exports ignore group_by
            continue
        assert r.status_code == 422, (suffix, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field


def test_csv_export_has_one_row_per_hour_and_adds_up(api: Api, seeded: dict) -> None:
    r = api.get(
        f"/me/devices/{seeded['device']['id']}/consumption.csv",
        params={"from": FIRST, "to": LAST, "tz": "Europe/Bucharest"},
        token=seeded["token"],
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"{FIRST}_{LAST}.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["local_start", "utc_start", "kwh", "estimated", "cost", "currency"]
    assert len(rows) == 5 * 24 - 1
    with_data = [row for row in rows if row["kwh"]]
    assert len(with_data) == len(seeded["hours"])
    assert sum(Decimal(row["kwh"]) for row in with_data) == sum(
        Decimal(repr(v)) for v in seeded["hours"].values()
    )
    assert sum(Decimal(row["cost"]) for row in with_data) == _expected_cost(
        seeded["hours"], seeded["change"]
    )
    assert sum(row["estimated"] == "true" for row in rows) == 3
    first = rows[0]
    assert first["local_start"] == "2026-03-27T00:00:00+02:00"
    assert first["utc_start"] == "2026-03-26T22:00:00Z"


def _espi(api: Api, seeded: dict) -> bytes:
    r = api.get(
        f"/me/devices/{seeded['device']['id']}/consumption.xml",
        params={"from": FIRST, "to": LAST, "tz": "Europe/Bucharest"},
        token=seeded["token"],
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert f"{FIRST}_{LAST}.xml" in r.headers["content-disposition"]
    return r.content


def test_green_button_export_read_by_an_independent_parser(
    api: Api, seeded: dict, tmp_path: Path
) -> None:
    path = tmp_path / "export.xml"
    path.write_bytes(_espi(api, seeded))
    usage_points = gb_parse.parse_feed(str(path))
    assert len(usage_points) == 1
    assert usage_points[0].serviceCategory.name == "electricity"
    (reading,) = usage_points[0].meterReadings
    rtype = reading.readingType
    assert rtype.uom.name == "wattHours" and rtype.powerOfTenMultiplier == -3
    assert rtype.intervalLength == 3600 and rtype.currency.name == "eur"
    intervals = list(reading.intervalReadings)
    assert len(intervals) == len(seeded["hours"])
    assert all(ir.timePeriod.duration == timedelta(hours=1) for ir in intervals)
    starts = {ir.timePeriod.start.replace(tzinfo=None) for ir in intervals}
    assert starts == set(seeded["hours"])
    range_total = _range(api, seeded, "month")["total_kwh"]
    assert sum(ir.value for ir in intervals) / 1000 == pytest.approx(range_total, abs=1e-9)
    # exact: integer readings in Wh x 10^-3 (= micro-kWh) and costs in 1e-5 EUR
    assert Decimal(sum(ir._value for ir in intervals)).scaleb(-6) == Decimal(repr(range_total))
    cost = sum(Decimal(repr(ir.cost)) for ir in intervals)
    assert cost == _expected_cost(seeded["hours"], seeded["change"])
    estimated = [ir for ir in intervals if ir.readingQualities]
    assert len(estimated) == 3


def test_green_button_export_follows_the_espi_schema_order(api: Api, seeded: dict) -> None:
    feed = ET.fromstring(_espi(api, seeded))
    types = load_types()
    contents = [c[0] for c in feed.iter(f"{ATOM}content")]
    kinds = [c.tag[len(ESPI) :] for c in contents]
    assert kinds[:3] == ["UsagePoint", "MeterReading", "ReadingType"]
    assert set(kinds[3:]) == {"IntervalBlock"} and len(kinds) == 3 + 5
    problems = [p for c in contents for p in violations(c, c.tag[len(ESPI) :], types)]
    assert problems == []


def test_schema_checker_catches_wrong_order() -> None:
    bad = ET.fromstring(
        f'<r xmlns="{ESPI[1:-1]}"><value>1</value><timePeriod><start>0</start>'
        "<duration>1</duration></timePeriod><colour/></r>"
    )
    found = violations(bad, "IntervalReading", load_types())
    assert any("timePeriod is out of order" in p for p in found)
    assert any("duration is out of order" in p for p in found)
    assert any("undeclared element colour" in p for p in found)
