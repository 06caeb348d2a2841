"""The web app works under its Content-Security-Policy: chart, live WebSocket, gRPC-Web chat."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import CLIENT_PASSWORD, UI_TIMEOUT_MS, Api, login

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_dashboard_chart_live_updates_and_chat_run_under_the_policy(
    new_page: Any, api: Api, seed_hours: Any
) -> None:
    client = api.create_client("Csp Client")
    device = api.create_device("Csp meter", 1.0, client["id"])
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    seed_hours(device["id"], {hour - timedelta(hours=1): 0.4})

    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))
    page.goto(f"/#/dashboard/{device['id']}")
    expect(page.locator("canvas").first).to_be_visible()  # Chart.js drew under the policy
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")  # WS
    page.get_by_test_id("chat-launcher").click()  # gRPC-Web to the chat URL from /config.json
    panel = page.get_by_test_id("chat-panel")
    expect(panel.get_by_test_id("chat-input")).to_be_visible()
    panel.get_by_test_id("chat-input").fill("Hello under CSP")
    panel.get_by_test_id("chat-input").press("Enter")
    expect(panel.get_by_test_id("chat-message")).to_have_count(1)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__cspViolations") == []
