"""My account in the browser: the password change asks for the current password, keeps this tab
signed in and ends the other sessions; the new password signs in, the old one no longer does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import CLIENT_PASSWORD, UI_TIMEOUT_MS, Api, login
from tests.browser.test_sign_out import _refresh_status

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)

NEW_PASSWORD = "a-new-client-password-2"


def test_client_changes_their_password(page: Any, api: Api, platform: Any) -> None:
    client = api.create_client("Account Holder")
    elsewhere = api.login(client["username"], CLIENT_PASSWORD)  # another device's session
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))

    page.get_by_role("link", name="My account").click()
    expect(page.get_by_test_id("account-username")).to_have_text(client["username"])

    # checked in the page before anything is sent
    page.get_by_test_id("account-current").fill(CLIENT_PASSWORD)
    page.get_by_test_id("account-new").fill(NEW_PASSWORD)
    page.get_by_test_id("account-confirm").fill(NEW_PASSWORD + "x")
    page.get_by_test_id("account-submit").click()
    expect(page.get_by_test_id("field-error-confirm")).to_have_text("The two new passwords differ.")

    # a wrong current password is refused by the API and said next to the field
    page.get_by_test_id("account-current").fill("not-my-password")
    page.get_by_test_id("account-confirm").fill(NEW_PASSWORD)
    with page.expect_response("**/api/me/password") as refused:
        page.get_by_test_id("account-submit").click()
    assert refused.value.status == 422
    expect(page.get_by_test_id("field-error-current")).to_have_text(
        "This is not your current password."
    )

    page.get_by_test_id("account-current").fill(CLIENT_PASSWORD)
    with page.expect_response("**/api/me/password") as changed:
        page.get_by_test_id("account-submit").click()
    assert changed.value.status == 200
    done = "Password changed. Your other sessions were signed out."
    expect(page.get_by_text(done)).to_be_visible()
    expect(page.get_by_test_id("account-current")).to_have_value("")

    # the other session ended; this tab still works
    assert _refresh_status(platform, elsewhere["refresh_token"]) == 401
    page.get_by_test_id("nav-dashboard").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Hello, Account")

    page.get_by_test_id("logout-button").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page.get_by_test_id("login-error")).to_be_visible()
    page.get_by_test_id("login-password").fill(NEW_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
