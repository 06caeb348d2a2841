"""A meter handed over from one client to another: the new owner is told that the earlier
readings are not theirs (and the API shows them none); a meter never taken from anyone says
nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
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
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)


def test_the_new_owner_is_told_from_when_the_meter_is_theirs(page: Any, api: Api) -> None:
    first, second = api.create_client("First Owner"), api.create_client("Second Owner")
    meter = api.create_device("Handed-over meter", 2.0, first["id"])
    own = api.create_device("Always mine", 2.0, second["id"])
    api.call("PATCH", f"/devices/{meter['id']}", {"owner_id": second["id"]}, api.admin_token)
    bound = api.device(meter["id"])["visible_from"]
    assert bound is not None
    utc = datetime.fromisoformat(bound.replace("Z", "+00:00"))
    assert utc.minute == 0 and utc >= datetime.now(UTC).replace(microsecond=0)  # the next hour
    local = utc.astimezone(ZoneInfo(TIME_ZONE))

    page.goto("/")
    login(page, second["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))
    page.locator(f'[data-testid="my-device-card"][data-device-id="{meter["id"]}"]').click()
    expect(page.get_by_test_id("selected-device-name")).to_have_text("Handed-over meter")
    notice = page.get_by_test_id("hand-over-notice")
    expect(notice).to_contain_text(f"Readings before {local.day} ")
    expect(notice).to_contain_text(f"{local:%H}:00 belong to this meter's previous owner")

    page.locator(f'[data-testid="my-device-card"][data-device-id="{own["id"]}"]').click()
    expect(page.get_by_test_id("selected-device-name")).to_have_text("Always mine")
    expect(page.get_by_test_id("hand-over-notice")).to_have_count(0)


def test_the_administrator_sees_what_the_owner_sees_and_it_follows_a_hand_over(
    page: Any, api: Api
) -> None:
    first, second = api.create_client("Old Owner"), api.create_client("New Owner")
    meter = api.create_device("Meter changing hands", 2.0, first["id"])
    page.goto("/")
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/admin"))
    page.goto(f"/#/admin/devices/{meter['id']}")
    sees = page.get_by_test_id("owner-sees-from")
    expect(sees).to_have_text("All of its history")

    with page.expect_response(f"**/api/devices/{meter['id']}") as patched:
        page.get_by_test_id("owner-select").select_option(second["id"])
    assert patched.value.status == 200
    bound = api.device(meter["id"])["visible_from"]
    local = datetime.fromisoformat(bound.replace("Z", "+00:00")).astimezone(ZoneInfo(TIME_ZONE))
    expect(sees).to_have_text(
        f"Readings from {local.day} {local:%b %Y, %H}:00 on (earlier ones were a previous owner's)"
    )
