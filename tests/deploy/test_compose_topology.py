"""Compose starts with its queues declared, and Envoy lets only the web app's origin call."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest
import yaml

from local.funchost.rabbitmq.topology import dead_letter_queue, declare_topology
from tests.deploy.compose import ROOT
from tests.deploy.test_compose import filled_env, model
from tests.utils.services import unavailable

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
PLACEHOLDER = "https://web-origin.invalid"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(model(filled_env())["services"])


@pytest.fixture
def broker() -> Iterator[pika.BlockingConnection]:
    try:
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", f"{RABBITMQ_URL}: {exc!r}")
        raise
    yield connection
    if connection.is_open:
        connection.close()


def _exists(connection: pika.BlockingConnection, queue: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(queue, passive=True)
    except pika.exceptions.ChannelClosedByBroker as exc:
        assert exc.reply_code == 404, exc
        return False
    channel.close()
    return True


@pytest.mark.rabbitmq
def test_the_queues_one_shot_declares_what_the_function_host_expects(
    services: dict[str, Any], broker: pika.BlockingConnection
) -> None:
    """Run the service's own command; the trigger's and the sensors' declarations then match."""
    queues = services["queues"]
    command = queues["entrypoint"]
    assert command[0] == "python"
    queue = f"measurements-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RABBITMQ_URL": RABBITMQ_URL, "MEASUREMENTS_QUEUE": queue}
    try:
        assert not _exists(broker, queue)
        for _ in range(2):  # idempotent: a restart of the stack runs it again
            done = subprocess.run(
                [sys.executable, *command[1:]], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        assert _exists(broker, queue) and _exists(broker, dead_letter_queue(queue))
        # Same durability and arguments, or RabbitMQ refuses with 406 PRECONDITION_FAILED.
        declare_topology(broker.channel(), queue)
    finally:
        channel = broker.channel()
        channel.queue_delete(queue)
        channel.queue_delete(dead_letter_queue(queue))


def test_the_api_and_the_sensors_wait_for_the_queues(services: dict[str, Any]) -> None:
    queues = services["queues"]
    assert queues["restart"] == "no"
    assert (
        queues["environment"]["MEASUREMENTS_QUEUE"]
        == services["api"]["environment"]["MEASUREMENTS_QUEUE"]
    )
    assert queues["environment"]["RABBITMQ_URL"] == services["api"]["environment"]["RABBITMQ_URL"]
    assert queues["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    for name in ("api", "sensor"):
        condition = services[name]["depends_on"]["queues"]["condition"]
        assert condition == "service_completed_successfully", name


def _cors_origins(envoy_yaml: str) -> list[dict[str, Any]]:
    from tests.envoy.test_envoy_config import parse

    document = yaml.safe_load(envoy_yaml)
    parse(document)  # still a valid Bootstrap
    found = []
    for listener in document["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for network_filter in chain["filters"]:
                for host in network_filter["typed_config"]["route_config"]["virtual_hosts"]:
                    policy = host["typed_per_filter_config"]["envoy.filters.http.cors"]
                    found.extend(policy["allow_origin_string_match"])
    return found


def test_committed_envoy_config_allows_no_site() -> None:
    origins = _cors_origins((ROOT / "envoy" / "envoy.yaml").read_text())
    assert origins == [{"exact": PLACEHOLDER}]


def test_the_compose_envoy_image_allows_exactly_the_web_origin(
    services: dict[str, Any], tmp_path: Path
) -> None:
    """Run the Dockerfile's RUN line on a copy of the config, with compose's build argument."""
    web_origin = services["envoy"]["build"]["args"]["WEB_ORIGIN"]
    web_port = int(filled_env()["WEB_PORT"])
    assert web_origin == f"http://127.0.0.1:{web_port}"
    dockerfile = (ROOT / "envoy" / "Dockerfile").read_text()
    assert f"ARG WEB_ORIGIN={PLACEHOLDER}" in dockerfile
    run = re.search(r"^RUN (sed .*)$", dockerfile, re.M)
    assert run, "envoy/Dockerfile does not render the origin"
    config = tmp_path / "envoy.yaml"
    config.write_text((ROOT / "envoy" / "envoy.yaml").read_text())
    script = run.group(1).replace("/etc/envoy/envoy.yaml", str(config))
    subprocess.run(["sh", "-c", script], env={"WEB_ORIGIN": web_origin}, check=True)
    assert _cors_origins(config.read_text()) == [{"exact": web_origin}]
