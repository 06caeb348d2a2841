"""Administrator journeys in the browser: accounts, devices, the one-time key, assignment."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    UI_TIMEOUT_MS,
    Api,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)


def _wait_for(predicate: Any, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_admin_creates_client_and_device_sees_key_once_and_assigns_it(page: Any, api: Api) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    expect(page).to_have_url(re.compile(r"#/login$"))
    screenshot(page, "01-login")

    # A wrong password shows the API's detail inline, not raw JSON.
    login(page, ADMIN_USERNAME, "not-the-password")
    error = page.get_by_test_id("login-error")
    expect(error).to_have_text("Unknown username or wrong password.")
    expect(page.get_by_test_id("login-password")).to_have_value("")

    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/admin/devices$"))
    expect(page.get_by_test_id("user-name")).to_have_text("Administrator")
    expect(page.get_by_test_id("nav-users")).to_be_visible()

    # --- a client account, with client-side and server-side (409) validation
    page.get_by_test_id("nav-users").click()
    expect(page).to_have_url(re.compile(r"#/admin/users$"))
    page.get_by_test_id("new-user-button").click()
    dialog = page.get_by_test_id("user-dialog")
    dialog.get_by_test_id("user-form-submit").click()
    expect(dialog.get_by_test_id("field-error-username")).to_have_text("Username is required.")
    expect(dialog.get_by_test_id("field-error-password")).to_have_text("Password is required.")
    screenshot(page, "03-user-form-errors")

    username = f"ana_{uuid.uuid4().hex[:6]}"
    dialog.get_by_test_id("user-name-input").fill("Ana Popescu")
    dialog.get_by_test_id("user-username").fill(username)
    dialog.get_by_test_id("user-password").fill("ana-password-1")
    expect(dialog.get_by_test_id("user-role-select")).to_have_value("client")
    dialog.get_by_test_id("user-form-submit").click()
    expect(dialog).to_have_count(0)
    expect(
        page.get_by_test_id("toast").filter(has_text=f"Account “{username}” created.")
    ).to_be_visible()
    row = page.locator(f'[data-testid="user-row"][data-username="{username}"]')
    expect(row).to_contain_text("Ana Popescu")
    expect(row).to_contain_text("Client")
    client_id = row.get_attribute("data-user-id")
    assert client_id

    page.get_by_test_id("new-user-button").click()
    dialog = page.get_by_test_id("user-dialog")
    dialog.get_by_test_id("user-name-input").fill("Someone Else")
    dialog.get_by_test_id("user-username").fill(username)
    dialog.get_by_test_id("user-password").fill("other-password-1")
    dialog.get_by_test_id("user-form-submit").click()
    expect(dialog.get_by_test_id("form-error")).to_contain_text(
        f"The username '{username}' is already taken."
    )
    screenshot(page, "04-user-form-conflict")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # --- a device: the server's 422 lands on the field; the key is shown once
    page.get_by_test_id("nav-devices").click()
    page.get_by_test_id("new-device-button").click()
    dialog = page.get_by_test_id("device-dialog")
    description = f"Kitchen meter {uuid.uuid4().hex[:4]}"
    dialog.get_by_test_id("device-description").fill(description)
    dialog.get_by_test_id("device-address").fill("4 Observatorului St, Cluj-Napoca")
    dialog.get_by_test_id("device-max").fill("20000")
    dialog.get_by_test_id("device-form-submit").click()
    expect(dialog.get_by_test_id("field-error-max_hourly_kwh")).to_be_visible()
    expect(dialog.get_by_test_id("form-error")).to_be_visible()
    assert "{" not in dialog.get_by_test_id("form-error").inner_text()

    dialog.get_by_test_id("device-max").fill("2.5")
    expect(dialog.get_by_test_id("field-error-max_hourly_kwh")).to_be_hidden()
    dialog.get_by_test_id("device-form-submit").click()
    key_dialog = page.get_by_test_id("device-key-dialog")
    expect(key_dialog).to_be_visible()
    expect(key_dialog).to_contain_text("This key is shown only once.")
    key = key_dialog.get_by_test_id("device-key-value").input_value()
    assert len(key) >= 16
    key_dialog.get_by_test_id("device-key-copy").click()
    expect(key_dialog).to_contain_text("Copied to clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == key
    page.keyboard.press("Escape")  # must be acknowledged with the button, not dismissed
    expect(key_dialog).to_be_visible()
    screenshot(page, "05-device-key-dialog")
    key_dialog.get_by_test_id("device-key-close").click()
    expect(key_dialog).to_have_count(0)
    expect(
        page.get_by_test_id("toast").filter(has_text=f"Device “{description}” created.")
    ).to_be_visible()
    assert key not in page.content()

    row = page.get_by_test_id("device-row").filter(has_text=description)
    expect(row).to_contain_text("2.500")
    device_id = row.get_attribute("data-device-id")
    assert device_id
    assert api.device(device_id)["owner_id"] is None

    # --- assignment from the row's owner picker
    row.get_by_test_id("owner-select").select_option(label=f"Ana Popescu ({username})")
    expect(
        page.get_by_test_id("toast").filter(has_text=f"“{description}” assigned to Ana Popescu.")
    ).to_be_visible()
    _wait_for(lambda: api.device(device_id)["owner_id"] == client_id, "owner_id to be stored")

    page.reload()
    row = page.get_by_test_id("device-row").filter(has_text=description)
    expect(row.get_by_test_id("owner-select")).to_have_value(client_id)
    screenshot(page, "06-admin-devices")

    page.get_by_test_id("owner-filter").select_option(label="Ana Popescu")
    expect(page.get_by_test_id("device-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(rf"owner={client_id}"))


def test_admin_deletes_account_after_confirmation_and_devices_become_unowned(
    page: Any, api: Api
) -> None:
    client = api.create_client("Radu Stan")
    devices = [api.create_device(f"Meter {i}", 2.0, client["id"]) for i in (1, 2)]
    page.goto("/#/admin/users?role=client")
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/admin/users\?role=client$"))
    row = page.locator(f'[data-testid="user-row"][data-username="{client["username"]}"]')

    row.get_by_test_id("user-delete").click()
    confirm = page.get_by_test_id("confirm-dialog")
    expect(confirm).to_contain_text("Radu Stan")
    confirm.get_by_test_id("confirm-cancel").click()
    expect(confirm).to_have_count(0)
    expect(row).to_be_visible()
    assert api.device(devices[0]["id"])["owner_id"] == client["id"]

    row.get_by_test_id("user-delete").click()
    screenshot(page, "07-confirm-delete")
    page.get_by_test_id("confirm-ok").click()
    expect(
        page.get_by_test_id("toast").filter(has_text="2 devices are now unowned.")
    ).to_be_visible()
    expect(row).to_have_count(0)
    assert all(api.device(d["id"])["owner_id"] is None for d in devices)


def test_admin_sees_any_device_day_on_its_detail_page(page: Any, api: Api) -> None:
    device = api.create_device("Boiler room meter", 4.0, None)
    page.goto(f"/#/admin/devices/{device['id']}")
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-title")).to_have_text("Boiler room meter")
    expect(page.get_by_test_id("owner-select")).to_have_value("")
    expect(page.get_by_test_id("day-empty")).to_contain_text("No readings for this day")
    screenshot(page, "12-admin-device-detail")

    # A new meter key is issued only after confirmation, and shown once.
    page.get_by_test_id("device-rotate-key").click()
    page.get_by_test_id("confirm-ok").click()
    key_dialog = page.get_by_test_id("device-key-dialog")
    new_key = key_dialog.get_by_test_id("device-key-value").input_value()
    assert len(new_key) >= 16
    assert new_key != device["device_key"]
    key_dialog.get_by_test_id("device-key-close").click()
    expect(page.get_by_test_id("toast").filter(has_text="A new key was issued.")).to_be_visible()
