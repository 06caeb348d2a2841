"""The Dead letters page over the real RabbitMQ: a bad reading refused by the ingestion function
shows with its reason; a letter whose reading is fine is replayed from the page and stored."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    UI_TIMEOUT_MS,
    Api,
    Platform,
    login,
    run_platform,
    screenshot,
)
from tests.utils.services import unavailable

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]
expect.set_options(timeout=UI_TIMEOUT_MS)
RABBIT_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    try:
        pika.BlockingConnection(pika.URLParameters(RABBIT_URL)).close()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", repr(exc))
    name = f"browser_deadletters_{uuid.uuid4().hex[:8]}"
    yield name
    conn = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
    for q in (name, f"{name}.dlq"):
        conn.channel().queue_delete(q)
    conn.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, queue: str) -> Iterator[Platform]:
    """The platform consuming our queue; the console reads the same queue's dead letters."""
    with run_platform(
        tmp_path_factory.mktemp("deadletter-platform"),
        RABBITMQ_URL=RABBIT_URL,
        MEASUREMENTS_QUEUE=queue,  # the console follows the ingestion queue
    ) as running:
        yield running


def _publish(queue: str, body: bytes) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
    channel = conn.channel()
    channel.confirm_delivery()
    channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    conn.close()


def _dlq_depth(queue: str) -> int:
    conn = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
    depth = int(conn.channel().queue_declare(f"{queue}.dlq", passive=True).method.message_count)
    conn.close()
    return depth


def _wait(predicate: Any, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_refused_reading_is_listed_and_a_good_letter_is_replayed_from_the_page(
    page: Any, platform: Platform, queue: str
) -> None:
    api = Api(platform.web_url)
    device = api.create_device("Replayed meter", 5.0, None)
    _publish(queue, b"{not json")  # the ingestion function refuses it: dead letter with a reason
    _wait(lambda: _dlq_depth(queue) == 1, "the refused reading in the dead-letter queue")
    reading = {
        "timestamp": int(time.time() * 1000),
        "device_id": device["id"],
        "measurement_value": 3.5,
    }
    envelope = {
        "reason": "database unavailable (simulated)",
        "message": json.dumps(reading),
        "received_at_ms": 1,
    }
    _publish(f"{queue}.dlq", json.dumps(envelope).encode())

    page.goto("/")
    login(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    page.get_by_test_id("nav-deadletters").click()
    rows = page.get_by_test_id("deadletter-row")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("deadletters-summary")).to_have_text("2 dead letters on rabbitmq.")
    expect(rows.nth(0).get_by_test_id("deadletter-message")).to_have_text("{not json")
    expect(rows.nth(1).get_by_test_id("deadletter-reason")).to_have_text(
        "database unavailable (simulated)"
    )
    screenshot(page, "deadletters-01-list")

    rows.nth(1).get_by_test_id("deadletter-select").check()
    expect(page.get_by_test_id("replay-selected")).to_have_text("Replay selected (1)")
    page.get_by_test_id("replay-selected").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_text("Replayed 1 letter.")).to_be_visible()
    expect(rows).to_have_count(1)
    _wait(
        lambda: api.call("GET", f"/devices?q={device['id']}", None, api.admin_token)["items"][0][
            "last_reading_at"
        ],
        "the replayed reading to be stored",
    )
    trail = api.call("GET", "/audit?entity_type=deadletter", None, api.admin_token)["items"]
    assert (
        trail[0]["action"] == "deadletters.replayed"
        and trail[0]["actor_username"] == ADMIN_USERNAME
    )
