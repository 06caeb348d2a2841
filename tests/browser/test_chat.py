"""Support chat in the browser: clients and an administrator talk live through gRPC-Web."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLIENT_PASSWORD,
    UI_TIMEOUT_MS,
    Api,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser
expect.set_options(timeout=UI_TIMEOUT_MS)


def _sign_in_client(page: Any, username: str) -> None:
    page.goto("/")
    login(page, username, CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))


def _open_launcher(page: Any) -> Any:
    page.get_by_test_id("chat-launcher").click()
    panel = page.get_by_test_id("chat-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("chat-input")).to_be_visible()
    return panel


def _messages(scope: Any) -> Any:
    return scope.get_by_test_id("chat-message")


def _type_slowly(input_: Any, text: str) -> None:
    input_.click()
    input_.press_sequentially(text, delay=30)


def _pane(page: Any, username: str) -> Any:
    row = page.locator(f'[data-testid="chat-conversation-row"][data-username="{username}"]')
    conversation_id = row.get_attribute("data-conversation-id")
    assert conversation_id
    return page.locator(f'[data-testid="chat-pane"][data-conversation-id="{conversation_id}"]')


def test_client_and_admin_chat_with_typing_seen_and_two_clients(new_page: Any, api: Api) -> None:
    ana = api.create_client("Ana Chat")
    bob = api.create_client("Bob Chat")

    # --- the client opens the chat from the dashboard and writes to Support
    client = new_page()
    _sign_in_client(client, ana["username"])
    panel = _open_launcher(client)
    expect(panel.get_by_test_id("chat-empty")).to_be_visible()

    # empty is refused, with a readable message; nothing is sent
    panel.get_by_test_id("chat-input").press("Enter")
    expect(panel.get_by_test_id("chat-error")).to_have_text("Write a message first.")
    expect(_messages(panel)).to_have_count(0)

    # Shift+Enter is a new line, Enter sends; the counter counts
    box = panel.get_by_test_id("chat-input")
    box.fill("Hello, my meter")
    box.press("Shift+Enter")
    box.press_sequentially("shows nothing.")
    expect(panel.get_by_test_id("chat-counter")).to_have_text("30 / 2000")
    box.press("Enter")
    expect(_messages(panel)).to_have_count(1)
    first = _messages(panel).first
    expect(first.get_by_test_id("chat-message-text")).to_have_text(
        "Hello, my meter\nshows nothing."
    )
    expect(first.get_by_test_id("chat-receipt")).to_have_attribute("data-state", "sent")
    expect(box).to_have_value("")
    expect(panel.get_by_test_id("chat-error")).to_be_hidden()

    # over-long text: the counter turns red and the server is never asked
    box.fill("x" * 2001)
    expect(panel.get_by_test_id("chat-counter")).to_have_text("2001 / 2000")
    box.press("Enter")
    expect(panel.get_by_test_id("chat-error")).to_contain_text("at most 2000 characters")
    expect(_messages(panel)).to_have_count(1)
    box.fill("")

    # --- the administrator sees the conversation with its unread count, newest first
    admin = new_page()
    admin.goto("/")
    login(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(admin).to_have_url(re.compile(r"#/admin/devices"))
    expect(admin.get_by_test_id("nav-chat-badge")).to_have_text(re.compile(r"^[1-9]"))
    admin.get_by_test_id("nav-chat").click()
    expect(admin).to_have_url(re.compile(r"#/admin/chat$"))
    ana_row = admin.locator(
        f'[data-testid="chat-conversation-row"][data-username="{ana["username"]}"]'
    )
    expect(ana_row).to_have_attribute("data-unread", "1")
    expect(ana_row.get_by_test_id("chat-row-preview")).to_contain_text("Hello, my meter")
    expect(ana_row.get_by_test_id("chat-row-name")).to_have_text("Ana Chat")

    # a second client writes while the admin is on the page: the row appears without a reload,
    # at the top (newest activity first)
    bob_page = new_page()
    _sign_in_client(bob_page, bob["username"])
    bob_panel = _open_launcher(bob_page)
    bob_panel.get_by_test_id("chat-input").fill("Bob here: my invoice?")
    bob_panel.get_by_test_id("chat-input").press("Enter")
    expect(_messages(bob_panel)).to_have_count(1)
    bob_row = admin.locator(
        f'[data-testid="chat-conversation-row"][data-username="{bob["username"]}"]'
    )
    expect(bob_row).to_have_attribute("data-unread", "1")
    expect(admin.get_by_test_id("chat-conversation-row").first).to_have_attribute(
        "data-username", bob["username"]
    )
    screenshot(admin, "chat-01-admin-list")

    # --- the admin opens both conversations side by side
    ana_row.click()
    bob_row.click()
    expect(admin.get_by_test_id("chat-pane")).to_have_count(2)
    ana_pane = _pane(admin, ana["username"])
    bob_pane = _pane(admin, bob["username"])
    expect(_messages(ana_pane)).to_have_count(1)
    expect(_messages(bob_pane)).to_have_count(1)
    expect(ana_pane.get_by_test_id("chat-pane-name")).to_have_text("Ana Chat")

    # opening them marks them seen: unread goes to 0, and each client sees ✓✓
    expect(ana_row).to_have_attribute("data-unread", "0")
    expect(bob_row).to_have_attribute("data-unread", "0")
    expect(admin.get_by_test_id("nav-chat-badge")).to_have_count(0)
    expect(_messages(panel).first.get_by_test_id("chat-receipt")).to_have_attribute(
        "data-state", "seen"
    )
    expect(_messages(bob_panel).first.get_by_test_id("chat-receipt")).to_have_attribute(
        "data-state", "seen"
    )
    expect(_messages(panel).first.get_by_test_id("chat-receipt")).to_have_text("✓✓")

    # --- typing shows on the other side: admin → Ana only (not Bob)
    _type_slowly(ana_pane.get_by_test_id("chat-input"), "Let me check")
    expect(panel.get_by_test_id("chat-typing")).to_have_text("Support is typing…")
    expect(bob_panel.get_by_test_id("chat-typing")).to_have_text("")
    screenshot(client, "chat-02-client-support-typing")
    ana_pane.get_by_test_id("chat-input").press("Enter")
    expect(_messages(panel)).to_have_count(2)
    expect(_messages(panel).nth(1).get_by_test_id("chat-message-text")).to_have_text("Let me check")
    expect(panel.get_by_test_id("chat-typing")).to_have_text("")  # a message ends the indicator

    # the admin answers Bob in the other pane; each client sees only their own answer
    bob_pane.get_by_test_id("chat-input").fill("Hi Bob, invoices are under Billing.")
    bob_pane.get_by_test_id("chat-send").click()
    expect(_messages(bob_panel)).to_have_count(2)
    expect(_messages(bob_panel).nth(1)).to_contain_text("Hi Bob, invoices are under Billing.")
    expect(_messages(panel)).to_have_count(2)
    expect(panel).not_to_contain_text("Hi Bob")
    expect(bob_panel).not_to_contain_text("Let me check")

    # the clients' panels are open and visible: the admin's replies become seen (✓✓ on the admin)
    expect(_messages(ana_pane).nth(1).get_by_test_id("chat-receipt")).to_have_attribute(
        "data-state", "seen"
    )
    expect(_messages(bob_pane).nth(1).get_by_test_id("chat-receipt")).to_have_attribute(
        "data-state", "seen"
    )

    # --- client → admin typing
    _type_slowly(panel.get_by_test_id("chat-input"), "Thanks")
    expect(ana_pane.get_by_test_id("chat-typing")).to_have_text("Ana Chat is typing…")
    expect(bob_pane.get_by_test_id("chat-typing")).to_have_text("")
    screenshot(admin, "chat-03-admin-two-panes-typing")
    panel.get_by_test_id("chat-input").press("Enter")
    expect(_messages(ana_pane)).to_have_count(3)
    expect(_messages(ana_pane).nth(2)).to_contain_text("Thanks")

    # --- history survives a reload; the client's badge counts unread while the panel is closed
    client.reload()
    expect(client.get_by_test_id("chat-launcher")).to_be_visible()
    ana_pane.get_by_test_id("chat-input").fill("Anything else?")
    ana_pane.get_by_test_id("chat-input").press("Enter")
    expect(client.get_by_test_id("chat-launcher-badge")).to_have_text("1")
    panel = _open_launcher(client)
    expect(_messages(panel)).to_have_count(4)
    expect(client.get_by_test_id("chat-launcher-badge")).to_be_hidden()
    expect(_messages(panel).nth(0).get_by_test_id("chat-message-text")).to_have_text(
        "Hello, my meter\nshows nothing."
    )
    screenshot(client, "chat-04-client-after-reload")


def test_client_catches_up_after_a_network_drop_without_gaps_or_duplicates(
    new_page: Any, api: Api
) -> None:
    cara = api.create_client("Cara Drop")
    client = new_page()
    _sign_in_client(client, cara["username"])
    panel = _open_launcher(client)
    panel.get_by_test_id("chat-input").fill("Are you there?")
    panel.get_by_test_id("chat-input").press("Enter")
    expect(_messages(panel)).to_have_count(1)
    expect(panel.get_by_test_id("chat-status")).to_be_hidden()  # live

    admin = new_page()
    admin.goto("/")
    login(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(admin).to_have_url(re.compile(r"#/admin/devices"))
    admin.goto("/#/admin/chat")
    row = admin.locator(
        f'[data-testid="chat-conversation-row"][data-username="{cara["username"]}"]'
    )
    row.click()
    pane = _pane(admin, cara["username"])
    expect(_messages(pane)).to_have_count(1)

    # the client's network drops: the stream is dropped and the panel says so
    client.context.set_offline(True)
    status = panel.get_by_test_id("chat-status")
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_contain_text("Offline")
    screenshot(client, "chat-05-client-offline")

    # meanwhile Support answers twice
    for text in ("Yes, one moment.", "Found it: your meter was offline."):
        pane.get_by_test_id("chat-input").fill(text)
        pane.get_by_test_id("chat-input").press("Enter")
    expect(_messages(pane)).to_have_count(3)
    expect(_messages(panel)).to_have_count(1)

    # back online: the stream resumes after the last seq the client had; both answers arrive,
    # in order, each once
    client.context.set_offline(False)
    expect(status).to_be_hidden()
    expect(_messages(panel)).to_have_count(3)
    texts = panel.get_by_test_id("chat-message-text").all_inner_texts()
    assert texts == ["Are you there?", "Yes, one moment.", "Found it: your meter was offline."]
    seqs = [m.get_attribute("data-seq") for m in _messages(panel).all()]
    assert seqs == ["1", "2", "3"]
    # and the client's open panel marks them seen for the administrator
    expect(_messages(pane).nth(2).get_by_test_id("chat-receipt")).to_have_attribute(
        "data-state", "seen"
    )
