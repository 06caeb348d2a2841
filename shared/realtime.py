"""Real-time push over Azure Web PubSub (or the local twin): tokens and a non-blocking notifier."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.messaging.webpubsubservice import WebPubSubServiceClient
from requests.adapters import HTTPAdapter

from shared.errors import DomainError
from shared.notify import AlertEvent, AlertSummary
from shared.settings import Settings
from shared.webpubsub_rest import RestSender

logger = logging.getLogger(__name__)
# The SDK's HttpLoggingPolicy logs every request and response (headers included) at INFO,
# whatever logging_enable says: ~10 lines per push. Warnings and errors still come through.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
REVOKED_REASON = "session revoked"
# A client URL only has to live until the WebSocket is open (the token is checked at connect
# time, and the page negotiates again for every reconnect). Short, so a copied URL is soon
# useless and a user whose sessions were revoked cannot come back through an old one.
TOKEN_MINUTES = 5
MAX_PENDING_SENDS = 1000
SEND_WORKERS = 16


class RealtimeUnavailable(DomainError):
    """No Web PubSub connection string is configured."""

    status = 503
    title = "Real-time channel unavailable"
    type_slug = "realtime-unavailable"


@lru_cache(maxsize=4)
def service_client(connection_string: str, hub: str) -> WebPubSubServiceClient:
    """One SDK client per connection string and hub, with a pooled, proxy-free HTTP session."""
    session = requests.Session()
    session.trust_env = False  # no per-request scan of proxy variables (measured: ~0.4 ms/call)
    session.mount("https://", HTTPAdapter(pool_maxsize=SEND_WORKERS))
    session.mount("http://", HTTPAdapter(pool_maxsize=SEND_WORKERS))
    return WebPubSubServiceClient.from_connection_string(
        connection_string,
        hub=hub,
        connection_timeout=2,
        read_timeout=3,
        logging_enable=False,
        transport=RequestsTransport(session=session, session_owner=False),
    )


def client_url(settings: Settings, user_id: str) -> tuple[str, int]:
    """Return a WebSocket URL bound to user_id, and its lifetime in seconds."""
    if not settings.WEBPUBSUB_CONNECTION_STRING:
        raise RealtimeUnavailable("Live updates are not configured on this server.")
    client = service_client(settings.WEBPUBSUB_CONNECTION_STRING, settings.WEBPUBSUB_HUB)
    token = client.get_client_access_token(user_id=user_id, minutes_to_expire=TOKEN_MINUTES)
    return str(token["url"]), TOKEN_MINUTES * 60


def disconnect_user(settings: Settings, user_id: str) -> None:
    """Close every live connection of a user whose tokens were revoked (best effort).

    A page that still has a valid session negotiates again and reconnects; one that does not,
    cannot. A failure is logged and never fails the request that revoked the tokens.
    """
    if not settings.WEBPUBSUB_CONNECTION_STRING:
        return
    client = service_client(settings.WEBPUBSUB_CONNECTION_STRING, settings.WEBPUBSUB_HUB)
    try:
        client.close_user_connections(user_id, reason=REVOKED_REASON)
    except Exception:
        logger.exception("could not close the live connections of %s", user_id)


def _iso(hour: datetime | None) -> str | None:
    return hour.replace(tzinfo=UTC).isoformat() if hour is not None else None


def _alert_body(event: AlertEvent) -> dict[str, Any]:
    return {
        "id": event.alert_id,
        "device_id": event.device_id,
        "hour_start": _iso(event.hour_start_utc),
        "energy_kwh": event.energy_kwh,
        "peak_kwh": event.peak_kwh,
        "max_hourly_kwh": event.max_hourly_kwh,
        "state": event.state,
    }


def alert_message(event: AlertEvent) -> dict[str, Any]:
    """The JSON pushed to the owner for an alert change: alert.opened|updated|cleared."""
    return {
        "type": f"alert.{event.change}",
        "alert": _alert_body(event),
        "sent_at": datetime.now(UTC).isoformat(),
    }


def summary_message(summary: AlertSummary) -> dict[str, Any]:
    """The JSON pushed once for many alert changes of one owner (a backfill or a burst)."""
    return {
        "type": "alerts.summary",
        "backfill": summary.backfill,
        "active": summary.active,
        "cleared": summary.cleared,
        "first_hour": _iso(summary.first_hour),
        "last_hour": _iso(summary.last_hour),
        "device_ids": sorted(summary.device_ids),
        "examples": [_alert_body(e) for e in summary.examples],
        "sent_at": datetime.now(UTC).isoformat(),
    }


class WebPubSubNotifier:
    """Sends to each owner's connections with send_to_user, off the ingestion path.

    The sends go through `RestSender` (one event loop, many calls in flight) rather than the
    SDK client in a thread pool: same REST call, a fraction of the CPU (shared/webpubsub_rest.py).
    """

    def __init__(self, connection_string: str, hub: str, *, workers: int = SEND_WORKERS) -> None:
        self._sender = RestSender(
            connection_string, hub, concurrency=2 * workers, max_pending=MAX_PENDING_SENDS
        )

    def alerts_changed(self, events: list[AlertEvent]) -> None:
        """Queue one message per event to its owner."""
        for event in events:
            if event.owner_id is not None:
                self._submit(event.owner_id, alert_message(event))

    def alerts_summarised(self, summaries: list[AlertSummary]) -> None:
        """Queue one summary message per owner."""
        for summary in summaries:
            self._submit(summary.owner_id, summary_message(summary))

    def consumption_updated(self, owners: dict[str, set[str]]) -> None:
        """Tell each owner which of their devices changed."""
        for owner_id, device_ids in owners.items():
            self._submit(
                owner_id, {"type": "consumption.updated", "device_ids": sorted(device_ids)}
            )

    def _submit(self, user_id: str, message: dict[str, Any]) -> None:
        if not self._sender.send_to_user(user_id, message):
            logger.warning(
                "push queue full; dropping %s for %s (clients catch up via the API)",
                message["type"],
                user_id,
            )
