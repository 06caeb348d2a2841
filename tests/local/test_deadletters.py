"""The dead-letter CLI against the real broker: list keeps letters, replay moves them back."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pika
import pika.exceptions
import pytest

from local.deadletters import main
from local.funchost.rabbitmq.topology import declare_topology
from tests.utils.services import unavailable

pytestmark = pytest.mark.rabbitmq
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@contextmanager
def channel_on(url: str = URL) -> Iterator[Any]:
    """A confirm-mode channel on its own connection."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        yield channel
    finally:
        connection.close()


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of this test with its .dlq, holding two envelopes and one rejected message."""
    try:
        pika.BlockingConnection(pika.URLParameters(URL)).close()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", f"{URL}: {exc!r}")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with channel_on() as channel:
        declare_topology(channel, name)
        for reason, message in (("invalid JSON", "not json"), ("unknown device", '{"d": 9}')):
            envelope = {"reason": reason, "message": message, "device_id": 9}
            channel.basic_publish("", f"{name}.dlq", json.dumps(envelope).encode())
        props = pika.BasicProperties(message_id="m-1", delivery_mode=2)
        channel.basic_publish("", name, b"POISON", props)
        method, _, _ = channel.basic_get(name, auto_ack=False)
        channel.basic_reject(method.delivery_tag, requeue=False)  # via the queue's DLX
    yield name
    with channel_on() as channel:
        channel.queue_delete(name)
        channel.queue_delete(f"{name}.dlq")


def counts(queue: str) -> tuple[int, int]:
    """Ready messages in (queue, queue.dlq)."""
    with channel_on() as channel:
        main_count = channel.queue_declare(queue, passive=True).method.message_count
        dlq_count = channel.queue_declare(f"{queue}.dlq", passive=True).method.message_count
    return int(main_count), int(dlq_count)


def run(*args: str) -> str:
    """Run the CLI in-process; its output."""
    out = io.StringIO()
    assert main(["--url", URL, *args], out=out) == 0
    return out.getvalue()


def test_list_shows_reasons_and_messages_and_keeps_them(queue: str) -> None:
    output = run("--queue", queue, "list")
    assert "[1] reason: invalid JSON\n    message: not json\n    device_id: 9" in output
    assert '[2] reason: unknown device\n    message: {"d": 9}' in output
    assert f"[3] reason: rejected by the consumer of queue {queue}" in output
    assert "message: POISON" in output
    assert f"{queue}.dlq: 3 dead letter(s), 3 listed" in output
    assert counts(queue) == (0, 3)
    assert run("--queue", queue, "list") == output  # same order again: nothing was consumed
    limited = run("--queue", queue, "list", "--limit", "1")
    assert "[1]" in limited and "[2]" not in limited and "3 dead letter(s), 1 listed" in limited


def test_replay_moves_original_messages_back(queue: str) -> None:
    output = run("--queue", queue, "replay", "--limit", "1")
    assert "replayed 1 message(s)" in output and "2 left" in output
    assert counts(queue) == (1, 2)
    output = run("--queue", queue, "replay")
    assert "replayed 2 message(s)" in output and "0 left" in output
    replayed = []
    with channel_on() as channel:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            replayed.append((body, properties))
    assert [body for body, _ in replayed] == [b"not json", b'{"d": 9}', b"POISON"]
    assert all(props.delivery_mode == 2 for _, props in replayed)
    poison = replayed[2][1]
    assert poison.message_id == "m-1" and not (poison.headers or {}).get("x-death")
    assert counts(queue) == (0, 0)


def test_cli_runs_as_a_module(queue: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "RABBITMQ_URL": URL}
    result = subprocess.run(
        [sys.executable, "-m", "local.deadletters", "--queue", queue, "list", "--limit", "2"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "reason: invalid JSON" in result.stdout and "2 listed" in result.stdout


def test_unreachable_broker_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--url", "amqp://guest:guest@127.0.0.1:1/", "list"]) == 1
    assert "cannot connect to amqp://guest:***@127.0.0.1:1/" in capsys.readouterr().err


def test_replay_keeps_a_letter_whose_message_was_cut(queue: str) -> None:
    with channel_on() as channel:
        envelope = {"reason": "too big", "message": '{"timestamp": 1', "truncated": True}
        channel.basic_publish("", f"{queue}.dlq", json.dumps(envelope).encode())
    assert "truncated: only the start of" in run("--queue", queue, "list")
    output = run("--queue", queue, "replay")
    assert "replayed 3 message(s)" in output and "cannot be replayed" in output
    assert counts(queue) == (3, 1)
