"""Entry points used by the edges: a queue batch and an HTTP batch, each one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.db import transaction
from shared.ingestion.messages import Measurement, Rejection, dead_letter, parse_body, parse_item
from shared.ingestion.service import BatchOutcome, ingest
from shared.notify import LoggingNotifier, Notifier, notify
from shared.platform import Platform
from shared.settings import get_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _notifier_for(connection_string: str | None, hub: str) -> Notifier:
    if not connection_string:
        return LoggingNotifier()
    from shared.realtime import WebPubSubNotifier

    return WebPubSubNotifier(connection_string, hub)


def default_notifier() -> Notifier:
    """Web PubSub when WEBPUBSUB_CONNECTION_STRING is set, else a logging notifier."""
    settings = get_settings()
    return _notifier_for(settings.WEBPUBSUB_CONNECTION_STRING, settings.WEBPUBSUB_HUB)


def store_batch(
    platform: Platform, items: Sequence[Measurement | Rejection], notifier: Notifier | None = None
) -> BatchOutcome:
    """Ingest parsed items in one transaction, then notify (after the commit)."""
    with transaction(platform.sessions) as session:
        outcome = ingest(session, items)
    notify(notifier or default_notifier(), outcome.alerts, outcome.hours_changed, outcome.owners)
    return outcome


def is_systemic(exc: BaseException) -> bool:
    """True for failures that are not the messages' fault: the database is unreachable."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


def queue_batch_letters(
    platform: Platform, bodies: Sequence[str | bytes], notifier: Notifier | None = None
) -> list[str | None]:
    """Store queue bodies; per body, its dead-letter envelope (None when stored or a duplicate).

    A data-caused failure of the batch is isolated by bisection inside this call (no pauses,
    no redelivery): the message that still fails alone is dead-lettered with the error as its
    reason, and its neighbours are stored. A systemic failure (database unreachable) raises,
    so the caller leaves the messages to the broker.
    """
    now_ms = int(time.time() * 1000)
    items = [parse_body(body, now_ms=now_ms) for body in bodies]
    reasons = _store_isolating(platform, items, notifier)
    return [
        None if reason is None else dead_letter(reason, body, received_at_ms=now_ms)
        for body, reason in zip(bodies, reasons, strict=True)
    ]


def _store_isolating(
    platform: Platform, items: Sequence[Measurement | Rejection], notifier: Notifier | None
) -> list[str | None]:
    try:
        outcome = store_batch(platform, items, notifier)
    except Exception as exc:
        if is_systemic(exc):
            raise
        if len(items) == 1:
            logger.exception("a message fails ingestion on its own; dead-lettered")
            return [f"ingestion failed: {type(exc).__name__}"]
        middle = len(items) // 2
        left = _store_isolating(platform, items[:middle], notifier)
        return left + _store_isolating(platform, items[middle:], notifier)
    return [
        (result.reason or "rejected") if result.status == "rejected" else None
        for result in outcome.results
    ]


def process_queue_batch(
    platform: Platform, bodies: Sequence[str | bytes], notifier: Notifier | None = None
) -> tuple[BatchOutcome, list[str]]:
    """Store a batch of queue bodies; return the outcome and dead-letter envelopes."""
    now_ms = int(time.time() * 1000)
    items = [parse_body(body, now_ms=now_ms) for body in bodies]
    outcome = store_batch(platform, items, notifier)
    letters = [
        dead_letter(result.reason or "rejected", body, received_at_ms=now_ms)
        for body, result in zip(bodies, outcome.results, strict=True)
        if result.status == "rejected"
    ]
    logger.info(
        "ingested %d messages: %d stored, %d duplicate, %d dead-lettered, %d alerts",
        len(bodies),
        outcome.count("stored"),
        outcome.count("duplicate"),
        len(letters),
        len(outcome.alerts),
    )
    return outcome, letters


def parse_http_items(
    raw_items: Sequence[object], *, only_device: str | None
) -> list[Measurement | Rejection]:
    """Validate HTTP items; a device key may only write readings of its own device."""
    now_ms = int(time.time() * 1000)
    items = [parse_item(raw, now_ms=now_ms) for raw in raw_items]
    if only_device is None:
        return items
    return [
        Rejection(f"this device key belongs to device {only_device}")
        if isinstance(item, Measurement) and item.device_id != only_device
        else item
        for item in items
    ]
