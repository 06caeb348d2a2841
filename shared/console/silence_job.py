"""The silent-meter scan as the timer function runs it: scan in one transaction, then push."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from shared.console.fleet import Thresholds
from shared.console.push import UserSender, push_silence
from shared.console.silence import SilenceEvent, scan_silence
from shared.db import transaction
from shared.models import User, utcnow
from shared.platform import Platform

logger = logging.getLogger(__name__)


def thresholds(platform: Platform) -> Thresholds:
    """The fleet thresholds from settings."""
    settings = platform.settings
    return Thresholds.from_minutes(
        settings.FLEET_LATE_AFTER_MINUTES, settings.FLEET_SILENT_AFTER_MINUTES
    )


def default_sender(platform: Platform) -> UserSender | None:
    """The Web PubSub client when configured."""
    settings = platform.settings
    if not settings.WEBPUBSUB_CONNECTION_STRING:
        return None
    from shared.realtime import service_client

    return service_client(settings.WEBPUBSUB_CONNECTION_STRING, settings.WEBPUBSUB_HUB)


def run_silence_scan(
    platform: Platform, *, now: datetime | None = None, sender: UserSender | None = None
) -> list[SilenceEvent]:
    """Open and close silence episodes at `now`; push the changes once committed."""
    moment = now or utcnow()
    with transaction(platform.sessions) as session:
        events = scan_silence(session, now=moment, limits=thresholds(platform))
        admin_ids = list(session.scalars(select(User.id).where(User.role == "admin")))
    for event in events:
        logger.warning(
            "meter %s %s (device %s, owner %s, last reading %s)",
            event.device_description,
            event.change,
            event.device_id,
            event.owner_id,
            event.last_reading_at,
        )
    target = sender or default_sender(platform)
    if events and target is not None:
        push_silence(target, events, admin_ids)
    return events
