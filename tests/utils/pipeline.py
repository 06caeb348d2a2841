"""Helpers for tests that run the local Functions host against the real RabbitMQ and MariaDB."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pika
import pika.exceptions

from local.funchost.rabbitmq.topology import declare_topology
from tests.utils.services import unavailable

RABBIT_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def broker_url() -> str:
    """The broker URL, or skip (fail under CI=true) when RabbitMQ is unreachable."""
    try:
        pika.BlockingConnection(pika.URLParameters(RABBIT_URL)).close()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", repr(exc))
    return RABBIT_URL


@contextmanager
def declared_queue(url: str, prefix: str) -> Iterator[str]:
    """A queue and its .dlq declared up front, as deployments do (the trigger never declares
    its queue); both deleted afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = pika.BlockingConnection(pika.URLParameters(url))
    declare_topology(conn.channel(), name)
    conn.close()
    try:
        yield name
    finally:
        conn = pika.BlockingConnection(pika.URLParameters(url))
        for queue in (name, f"{name}.dlq"):
            conn.channel().queue_delete(queue)
        conn.close()


def wait_for(check: Callable[[], bool], seconds: float, what: str, poll: float = 0.2) -> None:
    """Poll `check` until it holds; AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def host_healthy(port: int) -> bool:
    """Whether the local host on `port` answers /api/health."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
