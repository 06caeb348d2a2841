"""Alert and consumption notifications: an interface, a logging default, and safe delivery."""

from __future__ import annotations

import logging
from typing import Protocol

from shared.ingestion.service import AlertEvent, BatchOutcome

logger = logging.getLogger(__name__)


class Notifier(Protocol):
    """Delivers what a committed batch changed to the people who may see it."""

    def alerts_changed(self, events: list[AlertEvent]) -> None:
        """Tell each owner about their devices' new or raised alerts."""

    def consumption_updated(self, owners: dict[str, set[str]]) -> None:
        """Tell owners (user id -> device ids) that their devices' hourly totals changed."""


class LoggingNotifier:
    """The default when no push channel is configured: log, deliver nothing."""

    def alerts_changed(self, events: list[AlertEvent]) -> None:
        for event in events:
            logger.warning(
                "alert %s: device %s hour %s at %.3f kWh (max %.3f) for owner %s",
                event.change,
                event.device_id,
                event.hour_start_utc.isoformat(),
                event.energy_kwh,
                event.max_hourly_kwh,
                event.owner_id,
            )

    def consumption_updated(self, owners: dict[str, set[str]]) -> None:
        logger.debug("consumption updated for %d owners", len(owners))


def notify_committed(
    notifier: Notifier, outcome: BatchOutcome, owners: dict[str, str | None]
) -> None:
    """Deliver a committed batch's changes; a delivery failure never fails ingestion."""
    try:
        if outcome.alerts:
            notifier.alerts_changed(outcome.alerts)
        by_owner: dict[str, set[str]] = {}
        for device_id in outcome.hours_changed:
            owner = owners.get(device_id)
            if owner is not None:
                by_owner.setdefault(owner, set()).add(device_id)
        if by_owner:
            notifier.consumption_updated(by_owner)
    except Exception:
        logger.exception("notification failed; alerts are stored and clients catch up via the API")
