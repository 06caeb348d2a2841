"""Every page on a 390 × 844 phone: no sideways page scroll, every action on screen, labelled
navigation, tables as cards, and the Support button never covering content."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
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
PHONE = {"width": 390, "height": 844}

# Every visible control in the page (not the hidden thead of a card table) and its box.
ACTIONS = """() => [...document.querySelectorAll(
    'main button, main a[href], main select, main input, main textarea, header a, header button'
  )].filter(el => el.offsetParent !== null && !el.closest('thead'))
   .map(el => { const r = el.getBoundingClientRect();
     return { left: r.left, right: r.right, width: r.width, height: r.height,
              text: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40),
              tid: el.dataset.testid || '' }; })"""
NAV_NAMES = """() => [...document.querySelectorAll('nav[aria-label] .nav-link')]
  .map(a => ({ name: (a.innerText || '').trim(), visible: a.getBoundingClientRect().width > 0 }))"""


@pytest.fixture
def phone(chromium: Any, platform: Platform) -> Iterator[Any]:
    """A page in a phone-sized context that fails on JavaScript errors."""
    context = chromium.new_context(
        base_url=platform.web_url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id=TIME_ZONE,
        locale="en-GB",
        reduced_motion="reduce",
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def _fits(page: Any, name: str) -> None:
    """No sideways scroll, and every action lies within the 390 px width, with a real size."""
    page.wait_for_timeout(150)  # let late layout (fonts, charts) settle
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"mobile-{name}", full_page=True)
    assert width <= PHONE["width"], f"{name}: page is {width} px wide"
    outside = [
        a
        for a in page.evaluate(ACTIONS)
        if a["left"] < -0.5 or a["right"] > PHONE["width"] + 0.5 or a["width"] < 1
    ]
    # Links inside the navigation row scroll within their own box; everything else must fit.
    outside = [a for a in outside if not a["tid"].startswith("nav-")]
    assert outside == [], f"{name}: actions off screen: {outside}"


def _open(page: Any, path: str, ready: str, name: str) -> None:
    page.goto(f"/#{path}")
    expect(page.get_by_test_id(ready).first).to_be_visible()
    _fits(page, name)


def _fleet(api: Api, platform: Platform) -> dict[str, Any]:
    client = api.create_client("Maria Ionescu-Vasilescu")
    device = api.create_device("Kitchen heat pump with a long descriptive name", 0.5, client["id"])
    quiet = api.create_device("Garage meter", 2.0, client["id"])
    now_ms = int(time.time() * 1000)
    items = [
        {
            "timestamp": now_ms - (60 - i * 10) * 60_000,
            "device_id": device["id"],
            "measurement_value": 10 + i,
        }
        for i in range(6)
    ]
    post_measurements(platform.web_url, device["device_key"], items)
    old = [
        {
            "timestamp": now_ms - (300 - i * 10) * 60_000,
            "device_id": quiet["id"],
            "measurement_value": 5 + i,
        }
        for i in range(3)
    ]
    post_measurements(platform.web_url, quiet["device_key"], old)
    from shared.console.silence_job import run_silence_scan
    from shared.db import dispose_all
    from shared.platform import build_platform
    from shared.settings import Settings

    settings = Settings(
        DATABASE_URL=platform.database_url, JWT_SECRET="x" * 40, ADMIN_PASSWORD="y" * 16
    )
    run_silence_scan(
        build_platform(settings), now=datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    )
    dispose_all()
    return {"client": client, "device": device, "quiet": quiet}


def test_admin_pages_fit_a_phone(phone: Any, api: Api, platform: Platform) -> None:
    fleet = _fleet(api, platform)
    phone.goto("/")
    login(phone, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(phone.get_by_test_id("admin-devices-page")).to_be_visible()
    _fits(phone, "admin-devices")
    # the status is shown on the card, labelled
    row = phone.locator(f'[data-testid="device-row"][data-device-id="{fleet["quiet"]["id"]}"]')
    expect(row.get_by_test_id("status-badge")).to_have_text("Silent")
    assert row.locator("td").first.get_attribute("data-label") == "Device"
    # every navigation entry has a visible, readable name; icon-only controls keep theirs
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    expect(phone.get_by_role("link", name="Energy", exact=False).first).to_be_visible()
    names = phone.evaluate(NAV_NAMES)
    assert all(n["name"] and n["visible"] for n in names), names
    assert [n["name"] for n in names][:3] == ["Overview", "Devices", "Users"]

    _open(phone, "/admin/overview", "admin-overview-page", "admin-overview")
    expect(phone.get_by_test_id("count-silent")).not_to_have_text("0")
    _open(phone, f"/admin/devices/{fleet['device']['id']}", "admin-device-page", "admin-device")
    _open(phone, "/admin/users", "users-table", "admin-users")
    _open(phone, "/admin/alerts", "admin-alerts-table", "admin-alerts")
    expect(
        phone.locator('[data-testid="admin-alert-row"][data-kind="silent"]').first
    ).to_be_visible()
    _open(phone, "/admin/audit", "audit-table", "admin-audit")
    _open(phone, "/admin/deadletters", "admin-deadletters-page", "admin-deadletters")
    _open(phone, "/admin/chat", "page-title", "admin-chat")
    phone.get_by_test_id("nav-devices").click()
    phone.get_by_test_id("new-device-button").click()
    expect(phone.get_by_test_id("device-form")).to_be_visible()
    _fits(phone, "admin-device-form")


def test_client_pages_fit_a_phone_and_support_never_covers_content(
    phone: Any, api: Api, platform: Platform
) -> None:
    fleet = _fleet(api, platform)
    phone.goto("/")
    expect(phone.get_by_test_id("login-username")).to_be_visible()
    _fits(phone, "login")
    login(phone, fleet["client"]["username"], CLIENT_PASSWORD)
    expect(phone.get_by_test_id("page-title")).to_have_text("Hello, Maria")
    _fits(phone, "client-dashboard")
    _open(phone, "/alerts", "page-title", "client-alerts")
    _open(phone, "/account", "password-form", "client-account")
    _open(phone, "/no-such-page", "not-found-page", "not-found")

    phone.goto("/#/dashboard")
    expect(phone.get_by_test_id("page-title")).to_have_text("Hello, Maria")
    launcher = phone.locator(".chat-launcher")
    expect(launcher).to_be_visible()
    expect(phone.get_by_test_id("day-table")).to_be_visible()  # the page at its full length
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    phone.wait_for_timeout(300)
    box = launcher.bounding_box()
    covered = phone.evaluate(
        """(b) => [...document.querySelectorAll('main *')].filter(el => {
             if (el.children.length || el.offsetParent === null) return false;
             const r = el.getBoundingClientRect();
             return r.width > 0 && r.height > 0 && r.left < b.x + b.width && r.right > b.x
               && r.top < b.y + b.height && r.bottom > b.y;
           }).map(el => el.tagName + ':' + (el.textContent || '').trim().slice(0, 30))""",
        box,
    )
    assert covered == [], f"the Support button covers {covered}"
