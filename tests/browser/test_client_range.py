"""Week/month/year views: the client's at phone width (totals, cost, comparison, downloads) and
an administrator assigning a tariff on a device page."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_PASSWORD,
    TIME_ZONE,
    UI_TIMEOUT_MS,
    Api,
    login,
    screenshot,
    today_local,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)
PHONE = {"width": 390, "height": 844}


def _month_hours(first: date) -> list[datetime]:
    """Naive UTC starts of every local hour of the month beginning `first`."""
    zone = ZoneInfo(TIME_ZONE)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=zone).astimezone(UTC)
    count = int((end - start) / timedelta(hours=1))
    return [(start + timedelta(hours=i)).replace(tzinfo=None) for i in range(count)]


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide at {PHONE['width']}px"


def test_month_view_with_cost_comparison_and_csv_download_at_390px(
    page: Any, api: Api, seed_hours: Any
) -> None:
    client = api.create_client("Ana Pop")
    device = api.create_device("Apartment", 3.0, client["id"])
    last_month = (today_local().replace(day=1) - timedelta(days=1)).replace(day=1)
    year_before = last_month.replace(year=last_month.year - 1)
    hours = _month_hours(last_month)
    seed_hours(device["id"], {h: 0.25 + (i % 4) * 0.125 for i, h in enumerate(hours)})
    seed_hours(device["id"], dict.fromkeys(_month_hours(year_before), 0.5))
    tariff = api.call(
        "POST",
        "/tariffs",
        {"name": "Flat", "kind": "flat", "currency": "EUR", "tz": TIME_ZONE,
         "valid_from": "2000-01-01", "price_per_kwh": "0.2"},
        api.admin_token,
        expect=201,
    )  # fmt: skip
    api.call(
        "POST",
        f"/devices/{device['id']}/tariffs",
        {"tariff_id": tariff["id"], "effective_from": "2000-01-01"},
        api.admin_token,
        expect=201,
    )
    total = sum(Decimal(str(0.25 + (i % 4) * 0.125)) for i in range(len(hours)))
    before = Decimal("0.5") * len(_month_hours(year_before))

    page.set_viewport_size(PHONE)
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page.get_by_test_id("selected-device-name")).to_have_text("Apartment")
    page.get_by_test_id("view-month").click()
    expect(page.get_by_test_id("range-view")).to_be_visible()
    page.get_by_test_id("range-prev").click()
    expect(page.get_by_test_id("range-picker")).to_have_value(last_month.isoformat()[:7])
    expect(page.get_by_test_id("range-total")).to_have_text(f"{total:.3f} kWh")
    expect(page.get_by_test_id("range-cost")).to_have_text(f"€{total * Decimal('0.2'):.2f}")
    days = page.get_by_test_id("range-row")
    expect(days).to_have_count(len(hours) // 24 + (1 if len(hours) % 24 else 0))
    expect(page).to_have_url(re.compile(rf"view=month&from={last_month}"))

    page.get_by_test_id("range-compare").select_option("year")
    expect(page.get_by_test_id("range-compare-total")).to_have_text(f"{before:.3f} kWh")
    expect(page.get_by_test_id("range-chart")).to_be_visible()
    _no_horizontal_scroll(page)
    screenshot(page, "20-client-month-390px", full_page=True)

    page.get_by_test_id("download-menu").locator("summary").click()
    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(hours)
    assert sum(Decimal(r["kwh"]) for r in rows) == total

    page.get_by_test_id("download-menu").locator("summary").click()
    with page.expect_download() as info:
        page.get_by_test_id("download-xml").click()
    assert info.value.suggested_filename.endswith(".xml")
    assert b"<espi:IntervalBlock>" in Path(info.value.path()).read_bytes()

    page.get_by_test_id("view-year").click()
    expect(page.get_by_test_id("range-picker")).to_have_value(str(today_local().year))
    expect(page.get_by_test_id("range-row")).to_have_count(12)
    _no_horizontal_scroll(page)
    page.get_by_test_id("view-week").click()
    expect(page.get_by_test_id("range-row")).to_have_count(7)
    _no_horizontal_scroll(page)
    screenshot(page, "21-client-week-390px", full_page=True)


def test_admin_creates_and_assigns_a_tariff_and_sees_the_month_cost(
    page: Any, api: Api, seed_hours: Any
) -> None:
    device = api.create_device("Bakery meter", 5.0, None)
    last_month = (today_local().replace(day=1) - timedelta(days=1)).replace(day=1)
    hours = _month_hours(last_month)
    seed_hours(device["id"], dict.fromkeys(hours, 2.0))
    page.goto(f"/#/admin/devices/{device['id']}")
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-title")).to_have_text("Bakery meter")
    expect(page.get_by_test_id("tariff-history")).to_contain_text("No tariff")

    page.get_by_test_id("tariff-panel").locator("summary").click()
    name = f"Bakery flat {uuid.uuid4().hex[:6]}"
    page.get_by_test_id("new-tariff-name").fill(name)
    page.get_by_test_id("new-tariff-currency").select_option("RON")
    page.get_by_test_id("new-tariff-price").fill("0.75")
    page.get_by_test_id("new-tariff-create").click()
    expect(page.get_by_test_id("tariff-select")).to_contain_text(name)
    page.get_by_test_id("tariff-from").fill(last_month.isoformat())
    page.get_by_test_id("tariff-assign").click()
    expect(page.get_by_test_id("tariff-history-item")).to_contain_text(name)

    page.get_by_test_id("view-month").click()
    page.get_by_test_id("range-prev").click()
    total = Decimal(2) * len(hours)
    expect(page.get_by_test_id("range-total")).to_have_text(f"{total:.3f} kWh")
    cost = page.get_by_test_id("range-cost").inner_text()
    assert "RON" in cost and f"{total * Decimal('0.75'):,.2f}" in cost, cost
    assert (
        api.call("GET", f"/devices/{device['id']}/tariffs", None, api.admin_token)["items"][0][
            "tariff_name"
        ]
        == name
    )
    screenshot(page, "22-admin-device-tariff-month", full_page=True)
