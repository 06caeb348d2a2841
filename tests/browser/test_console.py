"""The operator console in the browser: a meter goes silent and the owner's and the admin's
browsers are told at once; overview, all alerts, device status filters, users, audit trail."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from local.webpubsub.background import RunningTwin, twin_in_thread
from local.webpubsub.connstr import format_connection_string
from shared.console.silence_job import run_silence_scan
from shared.db import dispose_all
from shared.platform import build_platform
from shared.settings import Settings
from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_PASSWORD,
    UI_TIMEOUT_MS,
    Api,
    Platform,
    login,
    post_measurements,
    run_platform,
    screenshot,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="module")
def twin() -> Iterator[RunningTwin]:
    key = "console-browser-key-" + uuid.uuid4().hex
    with twin_in_thread(format_connection_string("127.0.0.1", 0, key)) as running:
        yield running


@pytest.fixture(scope="module")
def console_platform(
    tmp_path_factory: pytest.TempPathFactory, twin: RunningTwin
) -> Iterator[Platform]:
    """Our own platform whose Web PubSub twin this process can also push through."""
    data = tmp_path_factory.mktemp("console-platform")
    # The host's own timer would scan on every fifth minute and could raise the episode before
    # the test's scan does; the test drives the scan itself, so the timer is off (Azure's switch).
    env = {
        "WEBPUBSUB_CONNECTION_STRING": twin.connection_string,
        "AzureWebJobs.scan_silent_meters.Disabled": "true",
    }
    with run_platform(data, **env) as running:
        yield running


def _scan(platform: Platform, twin: RunningTwin) -> list[Any]:
    """What the timer function does, against the platform's database and twin."""
    settings = Settings(
        DATABASE_URL=platform.database_url,
        JWT_SECRET="s" * 40,
        ADMIN_PASSWORD="p" * 16,
        WEBPUBSUB_CONNECTION_STRING=twin.connection_string,
    )
    try:
        now = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
        return run_silence_scan(build_platform(settings), now=now)
    finally:
        dispose_all()


def _page(chromium: Any, platform: Platform) -> Any:
    context = chromium.new_context(
        base_url=platform.web_url, viewport={"width": 1360, "height": 900}
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context.new_page()


def test_silent_meter_reaches_owner_and_admin_and_shows_across_the_console(
    chromium: Any, console_platform: Platform, twin: RunningTwin
) -> None:
    api = Api(console_platform.web_url)
    client = api.create_client("Ioana Quiet")
    garage = api.create_device("Garage meter", 2.0, client["id"])
    kitchen = api.create_device("Kitchen meter", 2.0, client["id"])
    now_ms = int(time.time() * 1000)
    old = [
        {
            "timestamp": now_ms - (300 - i * 10) * 60_000,
            "device_id": garage["id"],
            "measurement_value": float(i),
        }
        for i in range(3)
    ]
    fresh = [
        {
            "timestamp": now_ms - (30 - i * 10) * 60_000,
            "device_id": kitchen["id"],
            "measurement_value": float(i),
        }
        for i in range(3)
    ]
    post_measurements(console_platform.web_url, garage["device_key"], old)
    post_measurements(console_platform.web_url, kitchen["device_key"], fresh)

    admin = _page(chromium, console_platform)
    admin.goto("/")
    login(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(admin.get_by_test_id("admin-devices-page")).to_be_visible()
    owner = _page(chromium, console_platform)
    owner.goto("/")
    login(owner, client["username"], CLIENT_PASSWORD)
    expect(owner.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    admin.get_by_test_id("nav-overview").click()
    expect(admin.get_by_test_id("count-silent")).to_have_text("1")
    admin.wait_for_timeout(1500)  # the admin's socket connects in the background

    events = _scan(console_platform, twin)
    assert [(e.change, e.device_id) for e in events] == [("silent", garage["id"])]
    for page in (admin, owner):
        toast = page.get_by_test_id("silence-toast")
        expect(toast).to_be_visible()
        expect(toast.get_by_test_id("silence-toast-title")).to_have_text(
            "Garage meter has gone silent"
        )
    screenshot(admin, "console-01-silent-toast")

    admin.get_by_test_id("overview-refresh").click()
    expect(admin.get_by_test_id("open-alerts")).to_have_text("1")
    rows = admin.get_by_test_id("attention-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-device-id", garage["id"])
    screenshot(admin, "console-02-overview")

    admin.get_by_test_id("nav-admin-alerts").click()
    admin.get_by_test_id("alert-kind-filter").select_option("silent")
    expect(admin).to_have_url(re.compile(r"kind=silent"))
    alert_rows = admin.get_by_test_id("admin-alert-row")
    expect(alert_rows).to_have_count(1)
    expect(alert_rows.first).to_contain_text("Garage meter")
    expect(alert_rows.first).to_contain_text("Ioana Quiet")

    admin.get_by_test_id("nav-devices").click()
    admin.get_by_test_id("status-filter").select_option("silent")
    device_rows = admin.get_by_test_id("device-row")
    expect(device_rows).to_have_count(1)
    expect(device_rows.first.get_by_test_id("status-badge")).to_have_text("Silent")
    admin.get_by_test_id("status-filter").select_option("")
    admin.get_by_test_id("device-search").fill("kitchen")
    expect(device_rows).to_have_count(1)
    expect(device_rows.first.get_by_test_id("status-badge")).to_have_text("Reporting")
    screenshot(admin, "console-03-devices")

    admin.get_by_test_id("nav-users").click()
    admin.get_by_test_id("user-search").fill("quiet")
    user_rows = admin.get_by_test_id("user-row")
    expect(user_rows).to_have_count(1)
    expect(user_rows.first.get_by_test_id("user-device-count")).to_have_text("2")

    admin.get_by_test_id("nav-audit").click()
    admin.get_by_test_id("audit-entity-filter").select_option("device")
    created = admin.locator('[data-testid="audit-row"][data-action="device.created"]')
    expect(created).to_have_count(2)
    expect(created.first).to_contain_text(ADMIN_USERNAME)
    expect(admin.get_by_test_id("audit-table")).not_to_contain_text("dk_")
    screenshot(admin, "console-04-audit")

    # readings resume: both are told, and the alert closes
    post_measurements(
        console_platform.web_url,
        garage["device_key"],
        [
            {
                "timestamp": int(time.time() * 1000),
                "device_id": garage["id"],
                "measurement_value": 9.0,
            }
        ],
    )
    assert [e.change for e in _scan(console_platform, twin)] == ["resumed"]
    expect(
        owner.get_by_test_id("silence-toast-title").filter(has_text="reporting again")
    ).to_be_visible()
    admin.goto("/#/admin/alerts?kind=silent")
    expect(admin.get_by_test_id("admin-alert-row")).to_have_count(1)
    expect(admin.get_by_test_id("admin-alert-row").first).to_have_attribute("data-state", "closed")
    for page in (admin, owner):
        page.context.close()
