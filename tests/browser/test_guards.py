"""Routing guards and the session in the browser: roles, deep links, refresh, expiry, lockout."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_PASSWORD,
    SESSION_KEY,
    UI_TIMEOUT_MS,
    Api,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)

SET_TOKENS = """([key, access, refresh]) => {
  const s = JSON.parse(localStorage.getItem(key));
  if (access !== null) s.accessToken = access;
  if (refresh !== null) s.refreshToken = refresh;
  localStorage.setItem(key, JSON.stringify(s));
}"""


def _signed_in_client(page: Any, api: Api, name: str) -> dict[str, Any]:
    client = api.create_client(name)
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    return client


def test_client_pasting_an_admin_url_is_sent_to_their_dashboard(page: Any, api: Api) -> None:
    _signed_in_client(page, api, "Ion Vasile")
    expect(page.get_by_test_id("no-devices")).to_contain_text("No devices yet")

    page.goto("/#/admin/users")
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.get_by_test_id("toast").filter(has_text="Not allowed")).to_be_visible()
    expect(page.get_by_test_id("admin-users-page")).to_have_count(0)
    expect(page.get_by_test_id("dashboard-page")).to_be_visible()
    expect(page.get_by_test_id("nav-users")).to_have_count(0)
    screenshot(page, "11-not-allowed")

    # Typed into a new tab (a full page load) it is refused the same way.
    tab = page.context.new_page()
    tab.goto("/#/admin/devices/00000000-0000-4000-8000-000000000000")
    expect(tab).to_have_url(re.compile(r"#/dashboard$"))
    expect(tab.get_by_test_id("toast").filter(has_text="Not allowed")).to_be_visible()


def test_signed_out_visitor_returns_to_the_requested_page_after_login(page: Any) -> None:
    page.goto("/#/admin/users?role=admin")
    expect(page).to_have_url(re.compile(r"#/login\?next="))
    expect(page.get_by_test_id("app-header")).to_have_count(0)
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/admin/users\?role=admin$"))
    expect(page.get_by_test_id("user-row").filter(has_text=ADMIN_USERNAME)).to_be_visible()
    screenshot(page, "02-admin-users")


def test_rejected_access_token_is_refreshed_transparently(page: Any, api: Api) -> None:
    _signed_in_client(page, api, "Elena Marin")
    page.evaluate(SET_TOKENS, [SESSION_KEY, "not-a-valid-token", None])
    with page.expect_response("**/api/auth/refresh") as refreshed:
        page.reload()
    assert refreshed.value.status == 200
    expect(page.get_by_test_id("dashboard-page")).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_have_text("Elena Marin")
    stored = page.evaluate("k => JSON.parse(localStorage.getItem(k)).accessToken", SESSION_KEY)
    assert stored != "not-a-valid-token"


def test_session_that_cannot_be_renewed_returns_to_login_with_a_message(
    page: Any, api: Api
) -> None:
    client = _signed_in_client(page, api, "Victor Pop")
    page.evaluate(SET_TOKENS, [SESSION_KEY, "not-a-valid-token", "not-a-refresh-token"])
    page.reload()
    expect(page).to_have_url(re.compile(r"#/login\?next="))
    expect(page.get_by_test_id("login-notice")).to_have_text(
        "Your session expired. Please sign in again."
    )
    assert page.evaluate("k => localStorage.getItem(k)", SESSION_KEY) is None
    screenshot(page, "13-session-expired")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))


def test_logout_clears_the_session(page: Any, api: Api) -> None:
    _signed_in_client(page, api, "Ana Dobre")
    page.get_by_test_id("logout-button").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    assert page.evaluate("k => localStorage.getItem(k)", SESSION_KEY) is None
    page.goto("/#/dashboard")
    expect(page).to_have_url(re.compile(r"#/login\?next="))


def test_repeated_failed_logins_lock_the_form_with_a_countdown(page: Any) -> None:
    page.goto("/")
    username = f"nobody_{uuid.uuid4().hex[:6]}"
    submit = page.get_by_test_id("login-submit")
    for _ in range(8):
        with page.expect_response("**/api/auth/login") as answered:
            login(page, username, "wrong-password")
        if answered.value.status == 429:
            break
        assert answered.value.status == 401
        expect(submit).to_be_enabled()
    else:
        raise AssertionError("never throttled")
    expect(page.get_by_test_id("login-error")).to_contain_text("Too many failed logins")
    expect(submit).to_be_disabled()
    expect(submit).to_contain_text(re.compile(r"Try again in \d+ s"))
