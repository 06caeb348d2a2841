"""End to end through the real RabbitMQ: readings published to the measurements queue, consumed
by the local Functions host, alert pushed over the Web PubSub twin to the owner's browsers only."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    CLIENT_PASSWORD,
    UI_TIMEOUT_MS,
    Api,
    Meter,
    Platform,
    keep_within_one_hour,
    login,
    run_platform,
)
from tests.utils.services import unavailable

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]
expect.set_options(timeout=UI_TIMEOUT_MS)
RABBIT_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
ALERT_WAIT_MS = 8_000


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    try:
        pika.BlockingConnection(pika.URLParameters(RABBIT_URL)).close()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", repr(exc))
    name = f"browser_measurements_{uuid.uuid4().hex[:8]}"
    yield name
    conn = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
    for q in (name, f"{name}.dlq"):
        conn.channel().queue_delete(q)
    conn.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, queue: str) -> Iterator[Platform]:
    """`make run` with RABBITMQ_URL set: the host consumes the queue."""
    with run_platform(
        tmp_path_factory.mktemp("rabbit-platform"),
        RABBITMQ_URL=RABBIT_URL,
        MEASUREMENTS_QUEUE=queue,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def api(platform: Platform) -> Api:
    return Api(platform.web_url)


class QueuePublisher:
    """Publishes readings to the measurements queue like a meter does (persistent, confirmed)."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def __call__(self, items: list[dict[str, Any]]) -> None:
        conn = pika.BlockingConnection(pika.URLParameters(RABBIT_URL))
        channel = conn.channel()
        channel.confirm_delivery()
        props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
        for item in items:
            channel.basic_publish("", self.queue, json.dumps(item).encode(), props)
        conn.close()


def _open(new_page: Any, client: dict[str, Any]) -> Any:
    page = new_page()
    page.goto("/")
    login(page, client["username"], CLIENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"#/dashboard"))
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    return page


def test_alerts_published_to_rabbitmq_reach_only_the_owner_and_are_caught_up(
    new_page: Any, api: Api, platform: Platform, queue: str
) -> None:
    keep_within_one_hour(60)
    publish = QueuePublisher(queue)
    ana, bogdan = api.create_client("Ana Queue"), api.create_client("Bogdan Queue")
    boiler = Meter(platform.web_url, api.create_device("Boiler", 1.0, ana["id"]), publish=publish)
    pump = Meter(platform.web_url, api.create_device("Pump", 1.0, ana["id"]), publish=publish)
    garage = api.create_device("Garage", 1.0, bogdan["id"])
    boiler.send(0.0)
    pump.send(0.0)
    tab1, tab2, other = _open(new_page, ana), _open(new_page, ana), _open(new_page, bogdan)

    boiler.send(1.5, 2.5)  # 4 kWh in this hour, maximum 1 kWh
    for tab in (tab1, tab2):
        toast = tab.get_by_test_id("alert-toast").filter(has_text="Boiler")
        expect(toast).to_have_count(1, timeout=ALERT_WAIT_MS)
        expect(toast).to_contain_text("4.000 kWh of max 1.000 kWh")

    tab1.context.set_offline(True)  # tab1 drops its socket; the pump goes over meanwhile
    expect(tab1.get_by_test_id("live-status")).to_have_attribute("data-state", "offline")
    pump.send(3.0)
    expect(tab2.get_by_test_id("alert-toast").filter(has_text="Pump")).to_have_count(
        1, timeout=ALERT_WAIT_MS
    )
    tab1.context.set_offline(False)
    expect(tab1.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    expect(tab1.get_by_test_id("alert-toast").filter(has_text="Pump")).to_have_count(
        1, timeout=ALERT_WAIT_MS
    )
    expect(tab1.get_by_test_id("nav-alerts-badge")).to_have_text("2")

    # Bogdan was live the whole time and saw none of it.
    expect(other.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    expect(other.get_by_test_id("alert-toast")).to_have_count(0)
    token = api.login(bogdan["username"], CLIENT_PASSWORD)["access_token"]
    assert api.call("GET", "/me/alerts", None, token)["total"] == 0
    assert garage["owner_id"] == bogdan["id"]
