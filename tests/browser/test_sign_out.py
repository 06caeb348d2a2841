"""Signing out in the browser ends the session on the server: its refresh token is refused."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import CLIENT_PASSWORD, SESSION_KEY, UI_TIMEOUT_MS, Api, Platform, login

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)


def _refresh_status(platform: Platform, refresh_token: str) -> int:
    req = urllib.request.Request(
        platform.web_url.rstrip("/") + "/api/auth/refresh",
        data=json.dumps({"refresh_token": refresh_token}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return int(res.status)
    except urllib.error.HTTPError as err:
        err.close()
        return int(err.code)


def test_sign_out_revokes_the_refresh_token(page: Any, api: Api, platform: Platform) -> None:
    client = api.create_client("Sign Out")
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    stolen = page.evaluate("k => JSON.parse(localStorage.getItem(k)).refreshToken", SESSION_KEY)
    with page.expect_response("**/api/auth/logout") as ended:
        page.get_by_test_id("logout-button").click()
    assert ended.value.status == 204
    expect(page).to_have_url(re.compile(r"#/login$"))
    assert _refresh_status(platform, stolen) == 401
