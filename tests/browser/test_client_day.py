"""Client's day view in the browser: chart, table values, empty days, DST days."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    CLIENT_PASSWORD,
    TIME_ZONE,
    UI_TIMEOUT_MS,
    Api,
    local_hour_starts_utc,
    login,
    screenshot,
    today_local,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)

# Pixels of the bar colours (day-chart.ts CHART_COLORS), counted on the canvas.
COUNT_BAR_PIXELS = """canvas => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const near = (i, r, g, b) => Math.abs(data[i] - r) < 4 && Math.abs(data[i + 1] - g) < 4
    && Math.abs(data[i + 2] - b) < 4 && data[i + 3] > 250;
  let bar = 0, over = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (near(i, 15, 148, 136)) bar++;
    else if (near(i, 245, 158, 11)) over++;
  }
  return { bar, over };
}"""


def _ordinary_day_before(day: date) -> date:
    """The latest day before `day` with 24 local hours (not a DST change day)."""
    day -= timedelta(days=1)
    while len(local_hour_starts_utc(day)) != 24:
        day -= timedelta(days=1)
    return day


def _last_fall_back_day(today: date) -> date:
    """The most recent past last-Sunday-of-October (EU clocks go back: a 25-hour day)."""
    for year in (today.year, today.year - 1):
        day = date(year, 10, 31)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day < today:
            return day
    raise AssertionError("unreachable")


def test_client_sees_chart_and_table_matching_the_data_and_an_empty_day(
    page: Any, api: Api, seed_hours: Any
) -> None:
    client = api.create_client("Maria Ionescu")
    heat_pump = api.create_device("Heat pump", 1.5, client["id"])
    api.create_device("Garage", 3.0, client["id"])
    day = _ordinary_day_before(today_local() - timedelta(days=2))
    starts = local_hour_starts_utc(day)
    energy = {s: round(0.2 + 0.04 * i, 3) for i, s in enumerate(starts) if i >= 2}
    energy[starts[18]] = 1.8
    energy[starts[19]] = 2.25
    seed_hours(heat_pump["id"], energy)

    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))
    expect(page.get_by_test_id("user-name")).to_have_text("Maria Ionescu")
    expect(page.get_by_test_id("my-device-card")).to_have_count(2)
    expect(page.get_by_test_id("nav-devices")).to_have_count(0)

    page.get_by_test_id("my-device-card").filter(has_text="Heat pump").click()
    expect(page.get_by_test_id("selected-device-name")).to_have_text("Heat pump")
    with page.expect_request(lambda r: "/consumption?" in r.url) as request:
        page.get_by_test_id("day-date").fill(day.isoformat())
    query = parse_qs(urlparse(request.value.url).query)
    assert query == {"date": [day.isoformat()], "tz": [TIME_ZONE]}
    assert f"/api/me/devices/{heat_pump['id']}/consumption" in request.value.url

    table = page.get_by_test_id("day-table")
    rows = table.get_by_test_id("day-row")
    expect(rows).to_have_count(24)
    expect(rows.locator("td:first-child")).to_have_text([f"{h:02d}:00" for h in range(24)])
    expected = [f"{energy[s]:.3f}" if s in energy else "—" for s in starts]
    expect(table.get_by_test_id("day-row-kwh")).to_have_text(expected)
    over = table.locator('[data-testid="day-row"]:has([data-testid="over-max"])')
    expect(over).to_have_count(2)
    assert [over.nth(i).get_attribute("data-hour") for i in (0, 1)] == ["18:00", "19:00"]
    total = f"{sum(energy.values()):.3f}"
    expect(page.get_by_test_id("day-total")).to_have_text(f"{total} kWh")
    expect(page.get_by_test_id("day-table-total")).to_have_text(total)
    expect(page.get_by_test_id("day-over-count")).to_have_text("2")
    expect(page.get_by_test_id("day-max")).to_have_text("1.500 kWh")
    expect(page).to_have_url(re.compile(rf"#/dashboard/{heat_pump['id']}\?date={day}$"))

    canvas = page.get_by_test_id("day-chart")
    expect(canvas).to_be_visible()
    pixels = canvas.evaluate(COUNT_BAR_PIXELS)
    assert pixels["bar"] > 500, pixels  # ordinary bars drawn
    assert pixels["over"] > 100, pixels  # over-max bars in the warning colour
    screenshot(page, "08-client-dashboard", full_page=True)

    # The day before has no data: a clear empty state, no chart.
    page.get_by_test_id("day-prev").click()
    expect(page.get_by_test_id("day-date")).to_have_value((day - timedelta(days=1)).isoformat())
    expect(page.get_by_test_id("day-empty")).to_contain_text("No readings for this day")
    expect(page.get_by_test_id("day-chart")).to_have_count(0)
    screenshot(page, "09-client-empty-day")

    page.get_by_test_id("day-next").click()
    expect(rows).to_have_count(24)
    expect(page.get_by_test_id("day-total")).to_have_text(f"{total} kWh")

    # A reload keeps device and day (they are in the address).
    page.reload()
    expect(page.get_by_test_id("selected-device-name")).to_have_text("Heat pump")
    expect(page.get_by_test_id("day-date")).to_have_value(day.isoformat())
    expect(page.get_by_test_id("day-table-total")).to_have_text(total)


def test_dst_fall_back_day_shows_25_distinct_hours(page: Any, api: Api, seed_hours: Any) -> None:
    client = api.create_client("Dan Petrescu")
    device = api.create_device("Flat meter", 2.0, client["id"])
    day = _last_fall_back_day(today_local())
    starts = local_hour_starts_utc(day)
    assert len(starts) == 25
    energy = {s: round(0.1 * (i + 1), 3) for i, s in enumerate(starts)}
    seed_hours(device["id"], energy)

    # Deep link while signed out: after login the client lands on exactly that day.
    page.goto(f"/#/dashboard/{device['id']}?date={day}")
    expect(page).to_have_url(re.compile(r"#/login\?next="))
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(rf"#/dashboard/{device['id']}\?date={day}$"))

    rows = page.get_by_test_id("day-row")
    expect(rows).to_have_count(25)
    labels = rows.locator("td:first-child").all_inner_texts()
    assert labels[2:6] == ["02:00", "03:00 (+03)", "03:00 (+02)", "04:00"]
    assert len(set(labels)) == 25
    expect(page.get_by_test_id("day-row-kwh")).to_have_text([f"{energy[s]:.3f}" for s in starts])
    expect(page.get_by_test_id("day-total")).to_have_text(f"{sum(energy.values()):.3f} kWh")
    screenshot(page, "10-dst-day", full_page=True)
