"""Dead letters in the product, over the real RabbitMQ: list (nothing consumed), replay, audit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pytest

from local.funchost.rabbitmq.topology import declare_topology
from tests.functions.conftest import Api, serve_api
from tests.utils.services import free_port, unavailable

pytestmark = pytest.mark.rabbitmq
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
BIG = "x" * 10_000


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The broker is what is tested here; SQLite holds the users and the audit trail."""
    path: Path = tmp_path_factory.mktemp("deadletters") / "energy.db"
    yield f"sqlite:///{path}"


def _channel() -> Any:
    connection = pika.BlockingConnection(pika.URLParameters(URL))
    return connection, connection.channel()


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    """A queue of this module: two envelopes from the function and one broker-rejected message."""
    try:
        connection, channel = _channel()
    except pika.exceptions.AMQPError as exc:
        unavailable("RabbitMQ", f"{URL}: {exc!r}")
        raise
    name = f"test_console_{uuid.uuid4().hex[:10]}"
    declare_topology(channel, name)
    channel.confirm_delivery()
    envelopes = [
        {"reason": "invalid JSON", "message": "not json", "received_at_ms": 1_767_225_600_000},
        {"reason": "too large", "message": BIG, "received_at_ms": 1_767_225_601_000},
        # the function kept only the start of a 2 MB message (shared/ingestion/messages.py)
        {
            "reason": "batch too large",
            "message": "[" * 100,
            "received_at_ms": 1_767_225_602_000,
            "size_bytes": 2_000_000,
            "truncated": True,
        },
    ]
    for envelope in envelopes:
        channel.basic_publish("", f"{name}.dlq", json.dumps(envelope).encode())
    channel.basic_publish("", name, b"POISON", pika.BasicProperties(message_id="m-1"))
    method, _, _ = channel.basic_get(name, auto_ack=False)
    channel.basic_reject(method.delivery_tag, requeue=False)  # dead-lettered by the broker
    connection.close()
    yield name
    connection, channel = _channel()
    channel.queue_delete(name)
    channel.queue_delete(f"{name}.dlq")
    connection.close()


@pytest.fixture(scope="module")
def api_base_url(migrated_url: str, queue: str) -> Iterator[str]:
    # ingestion off (nothing consumes the queue), dead letters read from RabbitMQ
    env = {
        "RABBITMQ_URL": URL,
        "DEADLETTER_QUEUE": queue,
        "MEASUREMENTS_TRANSPORT": "none",
        "DEADLETTER_TRANSPORT": "rabbitmq",
    }
    with serve_api(migrated_url, **env) as base:
        yield base


def _main_queue(queue: str) -> list[bytes]:
    connection, channel = _channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        bodies.append(body)
    connection.close()
    return bodies


def _letters(api: Api, **params: Any) -> dict[str, Any]:
    r = api.get("/deadletters", params=params, token=api.admin_token)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_list_shows_reason_time_and_capped_message_and_consumes_nothing(api: Api) -> None:
    first = _letters(api)
    assert first["transport"] == "rabbitmq" and first["total"] == 4
    invalid, large, cut, rejected = first["items"]
    assert (invalid["reason"], invalid["message"]) == ("invalid JSON", "not json")
    assert invalid["received_at"] == "2026-01-01T00:00:00Z"
    assert large["truncated"] and len(large["message"]) == 4096 and large["size_bytes"] == 10_000
    assert (cut["size_bytes"], cut["truncated"], cut["message"]) == (2_000_000, True, "[" * 100)
    assert rejected["rejected_by_broker"] and rejected["message"] == "POISON"
    assert "rejected by the consumer of queue" in rejected["reason"]
    assert _letters(api) == first  # listing twice: same letters, same order, same ids
    second = _letters(api, limit=1, offset=1)
    assert [item["id"] for item in second["items"]] == [large["id"]]


def test_replay_validation(api: Api) -> None:
    for body in ({}, {"all": True, "ids": ["0" * 32]}, {"ids": ["not-an-id"]}, {"ids": []}):
        r = api.post("/deadletters/replay", json=body, token=api.admin_token)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_replay_selected_then_all_moves_originals_back_and_is_audited(api: Api, queue: str) -> None:
    items = _letters(api)["items"]
    unknown = "f" * 32
    r = api.post(
        "/deadletters/replay", json={"ids": [items[0]["id"], unknown]}, token=api.admin_token
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "replayed": 1,
        "replayed_ids": [items[0]["id"]],
        "missing_ids": [unknown],
        "skipped_ids": [],
    }
    assert _main_queue(queue) == [b"not json"]
    left = _letters(api)
    assert [item["id"] for item in left["items"]] == [i["id"] for i in items[1:]]

    r = api.post("/deadletters/replay", json={"all": True}, token=api.admin_token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["replayed"] == 2 and body["skipped_ids"] == [items[2]["id"]]
    assert _main_queue(queue) == [BIG.encode(), b"POISON"]
    # only the cut letter stays: replaying the start of a message could only fail again
    assert [item["id"] for item in _letters(api)["items"]] == [items[2]["id"]]

    trail = api.get("/audit", params={"entity_type": "deadletter"}, token=api.admin_token).json()
    actions = [(e["action"], e["after"]["replayed_ids"]) for e in trail["items"]]
    assert actions == [
        ("deadletters.replayed", [items[1]["id"], items[3]["id"]]),
        ("deadletters.replayed", [items[0]["id"]]),
    ]


def test_an_unreachable_broker_is_a_503_problem(migrated_url: str) -> None:
    closed = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"  # nobody listens there
    env = {
        "RABBITMQ_URL": closed,
        "MEASUREMENTS_TRANSPORT": "none",
        "DEADLETTER_TRANSPORT": "rabbitmq",
    }
    with serve_api(migrated_url, **env) as base:
        api = Api(base, "unused")
        r = api.get("/deadletters", token=api.admin_token)
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert "amqp" not in r.text and "guest" not in r.text
        api.http.close()


def test_without_a_broker_there_is_nothing_to_list_or_replay(migrated_url: str) -> None:
    env = {"RABBITMQ_URL": "", "MEASUREMENTS_TRANSPORT": "none", "DEADLETTER_TRANSPORT": "none"}
    with serve_api(migrated_url, **env) as base:
        api = Api(base, "unused")
        listed = api.get("/deadletters", token=api.admin_token).json()
        assert listed == {"transport": "none", "items": [], "total": 0, "limit": 50, "offset": 0}
        r = api.post("/deadletters/replay", json={"ids": ["a" * 32]}, token=api.admin_token)
        assert r.json() == {
            "replayed": 0,
            "replayed_ids": [],
            "missing_ids": ["a" * 32],
            "skipped_ids": [],
        }
        api.http.close()
