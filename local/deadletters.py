"""Inspect and replay a queue's dead letters (`<queue>.dlq`).

    python -m local.deadletters --url amqp://guest:guest@127.0.0.1:5672/ list [--limit N]
    python -m local.deadletters --queue measurements replay [--limit N]

Two kinds of dead letters share the queue: envelopes the function published
(`{"reason": ..., "message": <original text>, ...}`) and raw messages the local host rejected
after they failed too often (RabbitMQ adds an `x-death` header; the reason is in the host log).
`list` leaves every message in place (got, then requeued in order); `replay` publishes the
original message back to the main queue (persistent, confirmed) and only then removes the
dead letter. `--url` defaults to $RABBITMQ_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

from local.funchost.rabbitmq.topology import (
    connection_parameters,
    dead_letter_queue,
    declare_topology,
    publish_persistent,
    redact,
)

DEFAULT_QUEUE = "measurements"
ENVELOPE_KEYS = ("reason", "message")
# Headers RabbitMQ adds when dead-lettering; dropped on replay so counts start afresh.
DEATH_HEADERS = frozenset(
    {"x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"}
    | {"x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"}
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead letter: why, the original message, and anything else known about it."""

    reason: str
    message: bytes
    details: Mapping[str, Any] = field(default_factory=dict)
    rejected: bool = False  # rejected by the host (x-death), not an envelope from the function

    @property
    def text(self) -> str:
        """The original message as text."""
        return self.message.decode("utf-8", errors="replace")


def parse_dead_letter(properties: pika.BasicProperties, body: bytes) -> DeadLetter:
    """Read an envelope, or describe a message RabbitMQ dead-lettered (x-death)."""
    headers = properties.headers or {}
    deaths = headers.get("x-death")
    if deaths:
        death = deaths[0] if isinstance(deaths, list) and deaths else {}
        reason = (
            f"{_text(death.get('reason', 'dead-lettered'))} by the consumer of queue "
            f"{_text(death.get('queue', '?'))} (failed repeatedly; see the host log)"
        )
        details = {"count": death.get("count"), "message_id": properties.message_id}
        return DeadLetter(reason, body, {k: v for k, v in details.items() if v}, True)
    try:
        envelope = json.loads(body)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or "message" not in envelope:
        return DeadLetter("unknown: not an envelope and no x-death header", body)
    message = envelope["message"]
    original = message if isinstance(message, str) else json.dumps(message)
    details = {k: v for k, v in envelope.items() if k not in ENVELOPE_KEYS}
    return DeadLetter(str(envelope.get("reason", "(no reason given)")), original.encode(), details)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def replay_properties(letter: DeadLetter, properties: pika.BasicProperties) -> pika.BasicProperties:
    """Properties for the replayed message: the original ones for a rejected message."""
    if not letter.rejected:
        return pika.BasicProperties()
    headers = {k: v for k, v in (properties.headers or {}).items() if k not in DEATH_HEADERS}
    return pika.BasicProperties(
        content_type=properties.content_type,
        content_encoding=properties.content_encoding,
        message_id=properties.message_id,
        correlation_id=properties.correlation_id,
        timestamp=properties.timestamp,
        headers=headers or None,
    )


def format_letter(index: int, letter: DeadLetter) -> str:
    """Lines describing one dead letter."""
    lines = [f"[{index}] reason: {letter.reason}", f"    message: {letter.text}"]
    for key, value in letter.details.items():
        lines.append(f"    {key}: {json.dumps(value, default=str)}")
    return "\n".join(lines) + "\n"


def list_letters(channel: BlockingChannel, queue: str, limit: int | None, out: TextIO) -> int:
    """Write up to `limit` dead letters of `queue`, leaving them queued; returns the count."""
    dlq = dead_letter_queue(queue)
    total = _ready(channel, dlq)  # before getting: counts lag behind requeues
    shown, last_tag = 0, 0
    while limit is None or shown < limit:
        method, properties, body = channel.basic_get(dlq, auto_ack=False)
        if method is None:
            break
        shown += 1
        last_tag = method.delivery_tag
        out.write(format_letter(shown, parse_dead_letter(properties, body)))
    if last_tag:
        channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)
    out.write(f"{dlq}: {total} dead letter(s), {shown} listed\n")
    return shown


def replay_letters(channel: BlockingChannel, queue: str, limit: int | None, out: TextIO) -> int:
    """Move up to `limit` dead letters back to `queue`; returns how many were moved."""
    dlq = dead_letter_queue(queue)
    total = _ready(channel, dlq)
    channel.confirm_delivery()
    moved = 0
    while limit is None or moved < limit:
        method, properties, body = channel.basic_get(dlq, auto_ack=False)
        if method is None:
            break
        letter = parse_dead_letter(properties, body)
        publish_persistent(channel, queue, letter.message, replay_properties(letter, properties))
        channel.basic_ack(delivery_tag=method.delivery_tag)
        moved += 1
        out.write(f"replayed [{moved}] ({letter.reason}): {letter.text}\n")
    left = max(0, total - moved)  # as of the start; letters may have arrived since
    out.write(f"replayed {moved} message(s) from {dlq} to {queue}; {left} left\n")
    return moved


def _ready(channel: BlockingChannel, queue: str) -> int:
    return int(channel.queue_declare(queue, passive=True).method.message_count)


Command = Callable[[BlockingChannel, str, int | None, TextIO], int]
COMMANDS: dict[str, Command] = {"list": list_letters, "replay": replay_letters}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m local.deadletters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", default=os.environ.get("RABBITMQ_URL"), help="$RABBITMQ_URL")
    parser.add_argument("--queue", default=DEFAULT_QUEUE, help="main queue (default %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("list", "show dead letters, keep them"), ("replay", "move them back")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--limit", type=_positive, default=None, help="at most N messages")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("--url is required when RABBITMQ_URL is not set")
    return args


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; exit status 0 on success, 1 when the broker fails."""
    args = parse_args(argv)
    out = out or sys.stdout
    try:
        connection = pika.BlockingConnection(connection_parameters(args.url, "deadletters"))
    except pika.exceptions.AMQPError as exc:
        sys.stderr.write(f"cannot connect to {redact(args.url)}: {exc!r}\n")
        return 1
    try:
        channel = connection.channel()
        declare_topology(channel, args.queue)
        COMMANDS[args.command](channel, args.queue, args.limit, out)
    except pika.exceptions.AMQPError as exc:
        sys.stderr.write(f"{args.command} failed: {exc!r}\n")
        return 1
    finally:
        if connection.is_open:
            connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
