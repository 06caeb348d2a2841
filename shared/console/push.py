"""Push silent-meter events to the owner's and every administrator's browsers (Web PubSub)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from shared.console.silence import SilenceEvent

logger = logging.getLogger(__name__)


class UserSender(Protocol):
    """What is needed of the Web PubSub service client."""

    def send_to_user(self, user_id: str, message: Any, *, content_type: str) -> None:
        """Send one JSON message to every connection of user_id."""


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat() if moment is not None else None


def silence_message(event: SilenceEvent) -> dict[str, Any]:
    """The JSON pushed for a silence that started (`meter.silent`) or ended (`meter.resumed`)."""
    return {
        "type": "meter.silent" if event.change == "silent" else "meter.resumed",
        "episode": {
            "id": event.episode_id,
            "device_id": event.device_id,
            "device_description": event.device_description,
            "last_reading_at": _iso(event.last_reading_at),
            "at": _iso(event.at),
        },
        "sent_at": datetime.now(UTC).isoformat(),
    }


def recipients(event: SilenceEvent, admin_ids: Iterable[str]) -> list[str]:
    """The owner (if any) and every administrator, each once."""
    seen = dict.fromkeys([*([event.owner_id] if event.owner_id else []), *admin_ids])
    return list(seen)


def push_silence(
    sender: UserSender, events: Iterable[SilenceEvent], admin_ids: Iterable[str]
) -> int:
    """Send every event to its recipients; returns how many sends succeeded (failures logged)."""
    admins = list(admin_ids)
    sent = 0
    for event in events:
        message = silence_message(event)
        for user_id in recipients(event, admins):
            try:
                sender.send_to_user(user_id, message, content_type="application/json")
                sent += 1
            except Exception:
                logger.exception(
                    "push %s of device %s to %s failed; it stays in GET /api/alerts",
                    message["type"],
                    event.device_id,
                    user_id,
                )
    return sent
