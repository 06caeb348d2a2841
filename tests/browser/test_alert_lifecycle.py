"""The alert lifecycle in the browser: an alert disproved by late readings is withdrawn live
(toast and list), and hours spread over a gap are drawn as estimated — through the real
platform and the Web PubSub twin."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    CLIENT_PASSWORD,
    TIME_ZONE,
    UI_TIMEOUT_MS,
    Api,
    Platform,
    login,
    post_measurements,
    screenshot,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)
HOUR_MS = 3_600_000
ALERT_WAIT_MS = 5_000


def _open(new_page: Any, client: dict[str, Any], hash_: str) -> Any:
    page = new_page()
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))
    page.goto("/" + hash_)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    return page


def _reading(device: dict[str, Any], at_ms: int, kwh: float) -> dict[str, Any]:
    return {"timestamp": at_ms, "device_id": device["id"], "measurement_value": kwh}


def test_an_alert_disproved_by_late_readings_is_withdrawn_live(
    new_page: Any, api: Api, platform: Platform
) -> None:
    client = api.create_client("Clara Late")
    device = api.create_device("Water heater", 5.0, client["id"])
    page = _open(new_page, client, "#/alerts")
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()

    # 12 kWh between h:50 and h+1:10 (three hours ago): 6 kWh in each hour, both over 5 kWh.
    hour = (int(time.time() * 1000) - 3 * HOUR_MS) // HOUR_MS * HOUR_MS
    post_measurements(
        platform.web_url,
        device["device_key"],
        [_reading(device, hour + 50 * 60_000, 100.0), _reading(device, hour + 70 * 60_000, 112.0)],
    )
    rows = page.get_by_test_id("alert-row")
    expect(rows).to_have_count(2, timeout=ALERT_WAIT_MS)
    expect(page.get_by_test_id("alert-toast")).to_have_count(2)
    expect(page.get_by_test_id("nav-alerts-badge")).to_have_text("2")

    # The meter's buffered reading: nearly all of it happened before h+1:00.
    post_measurements(
        platform.web_url, device["device_key"], [_reading(device, hour + HOUR_MS - 1000, 111.9)]
    )
    withdrawn = page.locator('[data-testid="alert-row"][data-state="cleared"]')
    expect(withdrawn).to_have_count(1, timeout=ALERT_WAIT_MS)
    expect(withdrawn.get_by_test_id("alert-withdrawn")).to_have_text("Withdrawn")
    expect(withdrawn.get_by_test_id("alert-energy")).to_contain_text("0.100 kWh")
    expect(withdrawn.get_by_test_id("alert-peak")).to_contain_text("peak 6.000 kWh")
    # The toast of the withdrawn alert says so, visibly (still shown, struck through).
    struck = page.locator('[data-testid="alert-toast"][data-state="cleared"]')
    expect(struck).to_have_count(1)
    expect(struck).to_have_class(re.compile(r"toast-withdrawn"))
    expect(struck.get_by_test_id("alert-toast-title")).to_contain_text("alert withdrawn")
    expect(page.get_by_test_id("nav-alerts-badge")).to_have_text("1")
    # The list filters by state.
    page.get_by_test_id("filter-active").click()
    expect(page.get_by_test_id("alert-row")).to_have_count(1)
    expect(page.locator('[data-testid="alert-row"][data-state="active"]')).to_have_count(1)
    page.get_by_test_id("filter-cleared").click()
    expect(page.locator('[data-testid="alert-row"][data-state="cleared"]')).to_have_count(1)
    expect(page).to_have_url(re.compile(r"show=cleared"))
    screenshot(page, "alert-withdrawn")


def test_hours_spread_over_a_gap_are_estimated_and_never_alerted(
    new_page: Any, api: Api, platform: Platform
) -> None:
    client = api.create_client("Gabi Gap")
    device = api.create_device("Old meter", 0.5, client["id"])
    # 30 hours ago, then 26 hours ago: 4 kWh spread over four hours (1 kWh/h > 0.5 max).
    start = (int(time.time() * 1000) - 30 * HOUR_MS) // HOUR_MS * HOUR_MS
    post_measurements(
        platform.web_url,
        device["device_key"],
        [_reading(device, start, 10.0), _reading(device, start + 4 * HOUR_MS, 14.0)],
    )
    day = datetime.fromtimestamp(start / 1000, ZoneInfo(TIME_ZONE)).date().isoformat()
    page = _open(new_page, client, f"#/dashboard/{device['id']}?date={day}")
    estimated = page.locator('[data-testid="day-row"][data-estimated="true"]')
    expect(estimated.first).to_be_visible()
    expect(estimated.first.get_by_test_id("estimated")).to_have_text("Estimated")
    expect(page.get_by_test_id("day-legend").first).to_contain_text("estimated")
    screenshot(page, "estimated-hours")
    page.goto("/#/alerts")
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()


def _local_day_hour(at: datetime, now: datetime | None = None) -> str:
    """How the toast names an hour of an earlier day: "Yesterday 10:00–" for the local day
    before today, else "29 Nov 2026, 10:00–" (static_site/src/realtime/format.ts). Which one
    depends on the time of day the test runs: 42 h ago is yesterday late in the evening."""
    zone = ZoneInfo(TIME_ZONE)
    local = at.astimezone(zone)
    today = (now or datetime.now(zone)).astimezone(zone).date()
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {local.strftime('%H:00')}–"
    return f"{local.day} {local.strftime('%b %Y, %H:00')}–"


def test_a_meter_catching_up_gives_one_summary_that_agrees_with_the_alerts_page(
    new_page: Any, api: Api, platform: Platform
) -> None:
    client = api.create_client("Dan Backfill")
    device = api.create_device("Cellar meter", 0.5, client["id"])
    page = _open(new_page, client, "#/alerts")
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()

    # The meter was offline three days ago and now uploads 30 hours, 1 kWh each (max 0.5),
    # one reading per 10 minutes, in two uploads.
    start = (int(time.time() * 1000) - 72 * HOUR_MS) // HOUR_MS * HOUR_MS
    readings = [_reading(device, start + i * 600_000, i / 6) for i in range(30 * 6 + 1)]
    post_measurements(platform.web_url, device["device_key"], readings[:91])
    post_measurements(platform.web_url, device["device_key"], readings[91:])

    summary = page.get_by_test_id("alert-summary-toast")
    expect(summary).to_have_count(1, timeout=ALERT_WAIT_MS)
    expect(summary).to_have_attribute("data-active", "30")
    expect(summary.get_by_test_id("alert-toast-title")).to_contain_text("30 alerts for")
    expect(summary.get_by_test_id("alert-toast-title")).to_contain_text(
        "while the meter was offline"
    )
    expect(summary.get_by_test_id("alert-summary-example")).to_have_count(3)
    expect(page.get_by_test_id("alert-toast")).to_have_count(0)  # no toast per alert
    token = api.login(client["username"], CLIENT_PASSWORD)["access_token"]
    listed = api.call("GET", "/me/alerts?state=active&limit=1", None, token)
    assert listed["total"] == 30
    expect(page.get_by_test_id("nav-alerts-badge")).to_have_text("30")
    # The examples are the newest hours: the top of the alerts page.
    newest = api.call("GET", "/me/alerts?state=active&limit=3", None, token)["items"]
    examples = summary.get_by_test_id("alert-summary-example")
    for example, alert in zip([examples.nth(i) for i in range(3)], newest, strict=True):
        at = datetime.fromisoformat(alert["hour_start"].replace("Z", "+00:00"))
        expect(example).to_contain_text(f"Cellar meter: {_local_day_hour(at)}")
    screenshot(page, "alert-backfill-summary")


def test_the_expected_hour_label_follows_the_web_apps_rule_at_any_time_of_day() -> None:
    """The label the test above expects is the one format.ts gives, late in the evening too."""
    hour = datetime(2026, 11, 30, 22, tzinfo=UTC)  # 00:00 on 1 Dec in Bucharest
    morning = datetime(2026, 12, 2, 6, tzinfo=UTC)
    evening = datetime(2026, 12, 2, 17, 40, tzinfo=UTC)
    assert _local_day_hour(hour, now=morning) == "Yesterday 00:00–"
    assert _local_day_hour(hour, now=evening) == "Yesterday 00:00–"
    assert _local_day_hour(hour - timedelta(hours=1), now=evening) == "30 Nov 2026, 23:00–"
