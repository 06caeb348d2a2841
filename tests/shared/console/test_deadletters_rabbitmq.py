"""Reading what a RabbitMQ dead-letter queue holds (no broker needed)."""

from __future__ import annotations

import json
from datetime import datetime

import pika

from shared.console.deadletters_rabbitmq import parse_letter, replay_properties


def test_a_body_that_is_neither_envelope_nor_x_death_is_kept_whole_with_a_reason() -> None:
    letter = parse_letter(pika.BasicProperties(), b"plain")
    assert letter.reason.startswith("unknown") and letter.message == b"plain"
    assert not letter.rejected and not letter.partial


def test_an_envelope_gives_reason_time_original_message_and_size() -> None:
    envelope = {"reason": "bad", "message": "{x", "received_at_ms": 0, "size_bytes": 9000}
    letter = parse_letter(pika.BasicProperties(), json.dumps(envelope).encode())
    assert (letter.reason, letter.message, letter.size_bytes) == ("bad", b"{x", 9000)
    assert letter.received_at == datetime(1970, 1, 1)


def test_a_rejected_message_names_its_queue_and_replays_without_death_headers() -> None:
    deaths = [{"reason": "rejected", "queue": "measurements", "count": 3}]
    props = pika.BasicProperties(message_id="m-1", headers={"x-death": deaths, "app": "x"})
    letter = parse_letter(props, b"POISON")
    assert letter.rejected and "rejected by the consumer of queue measurements" in letter.reason
    assert letter.details == {"count": 3, "message_id": "m-1"}
    replayed = replay_properties(letter, props)
    assert replayed.headers == {"app": "x"} and replayed.message_id == "m-1"
    assert replayed.delivery_mode == 2
