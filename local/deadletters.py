"""Inspect and replay a queue's dead letters (`<queue>.dlq`) from the command line.

    python -m local.deadletters --url amqp://guest:guest@127.0.0.1:5672/ list [--limit N]
    python -m local.deadletters --queue measurements replay [--limit N]

A thin front end over the operator console's store (`shared/console/deadletters_rabbitmq.py`),
so both read and replay dead letters the same way: envelopes the function published and raw
messages the host rejected after too many failures (`x-death`; the reason is in the host log).
`list` leaves every message in place; `replay` publishes the original message back to the main
queue (persistent, confirmed) and only then removes the dead letter; a letter of which only the
start was kept is left in place. `--url` defaults to $RABBITMQ_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

import pika
import pika.exceptions

from local.funchost.rabbitmq.topology import (
    connection_parameters,
    declare_topology,
    redact,
)
from shared.console.deadletters import MAX_SCAN, DeadLetter, DeadLettersUnavailable
from shared.console.deadletters_rabbitmq import RabbitMqDeadLetters

DEFAULT_QUEUE = "measurements"
CONNECTION_NAME = "deadletters"


def message_text(letter: DeadLetter) -> str:
    """The original message as text."""
    return letter.message.decode("utf-8", errors="replace")


def format_letter(index: int, letter: DeadLetter) -> str:
    """Lines describing one dead letter."""
    lines = [f"[{index}] reason: {letter.reason}", f"    message: {message_text(letter)}"]
    if letter.received_at is not None:
        lines.append(f"    received_at: {letter.received_at.isoformat()}Z")
    if letter.partial:
        lines.append(f"    truncated: only the start of {letter.size_bytes} bytes was kept")
    for key, value in letter.details.items():
        lines.append(f"    {key}: {json.dumps(value, default=str)}")
    return "\n".join(lines) + "\n"


def list_letters(store: RabbitMqDeadLetters, limit: int | None, out: TextIO) -> int:
    """Write up to `limit` dead letters, leaving them queued; returns how many were listed."""
    letters, total = store.list_letters(limit=limit or MAX_SCAN, offset=0)
    for index, letter in enumerate(letters, start=1):
        out.write(format_letter(index, letter))
    out.write(f"{store.dlq}: {total} dead letter(s), {len(letters)} listed\n")
    return len(letters)


def replay_letters(store: RabbitMqDeadLetters, limit: int | None, out: TextIO) -> int:
    """Move up to `limit` dead letters back to the main queue; returns how many were moved."""
    _, total = store.list_letters(limit=0, offset=0)
    result = store.replay(ids=None, limit=limit or MAX_SCAN)
    for index, letter in enumerate(result.replayed, start=1):
        out.write(f"replayed [{index}] ({letter.reason}): {message_text(letter)}\n")
    for ident in result.skipped:
        out.write(f"kept {ident}: only the start of its message was kept, it cannot be replayed\n")
    moved = len(result.replayed)
    left = max(0, total - moved)  # as of the start; letters may have arrived since
    out.write(f"replayed {moved} message(s) from {store.dlq} to {store.queue}; {left} left\n")
    return moved


Command = Callable[[RabbitMqDeadLetters, int | None, TextIO], int]
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


def _declare(url: str, queue: str) -> None:
    """Declare the queue and its dead-letter queue, so a replay always has a destination."""
    connection = pika.BlockingConnection(connection_parameters(url, CONNECTION_NAME))
    try:
        declare_topology(connection.channel(), queue)
    finally:
        if connection.is_open:
            connection.close()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; exit status 0 on success, 1 when the broker fails."""
    args = parse_args(argv)
    out = out or sys.stdout
    try:
        _declare(args.url, args.queue)
    except pika.exceptions.AMQPError as exc:
        sys.stderr.write(f"cannot connect to {redact(args.url)}: {exc!r}\n")
        return 1
    store = RabbitMqDeadLetters(args.url, args.queue, connection_name=CONNECTION_NAME)
    try:
        COMMANDS[args.command](store, args.limit, out)
    except DeadLettersUnavailable as exc:
        cause = f" ({exc.__cause__!r})" if exc.__cause__ else ""
        sys.stderr.write(f"{args.command} failed: {exc.detail}{cause}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
