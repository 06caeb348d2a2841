"""Alert and consumption notifications: events, the push plan, a logging default, delivery.

`notify` takes what a committed batch changed — alert events and changed hours — and never a
batch outcome, so nothing here depends on ingestion. Alerts for hours older than the backfill
horizon (a meter catching up), and more than a few per owner in one batch, are folded into one
summary per owner instead of one push each (docs/alerts.md, "Backfills").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from shared.metering import AlertStep
from shared.models import utcnow
from shared.settings import Settings, get_settings

logger = logging.getLogger(__name__)
AlertChange = Literal["opened", "updated", "cleared"]
SUMMARY_EXAMPLES = 3
_CHANGES: dict[str, AlertChange] = {"open": "opened", "update": "updated", "clear": "cleared"}


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert raised, changed or withdrawn by a committed batch."""

    alert_id: str
    device_id: str
    owner_id: str | None
    hour_start_utc: datetime
    energy_kwh: float
    peak_kwh: float
    max_hourly_kwh: float
    state: Literal["active", "cleared"]
    change: AlertChange

    @classmethod
    def from_step(
        cls, alert_id: str, device_id: str, owner_id: str | None, step: AlertStep
    ) -> AlertEvent:
        """The event for one planned alert write (not for quiet refreshes)."""
        hour = datetime.fromtimestamp(step.hour_start_ms / 1000, UTC).replace(tzinfo=None)
        return cls(
            alert_id,
            device_id,
            owner_id,
            hour,
            step.energy_kwh,
            step.peak_kwh,
            step.max_hourly_kwh,
            step.state,
            _CHANGES[step.action],
        )


@dataclass(slots=True)
class AlertSummary:
    """Many alert changes for one owner, told once: counts, the hour range, a few examples."""

    owner_id: str
    active: int = 0
    cleared: int = 0
    first_hour: datetime | None = None
    last_hour: datetime | None = None
    device_ids: set[str] = field(default_factory=set)
    examples: list[AlertEvent] = field(default_factory=list)
    backfill: bool = True

    def add(self, event: AlertEvent) -> None:
        """Count one event in the summary."""
        if event.state == "active":
            self.active += 1
        else:
            self.cleared += 1
        hour = event.hour_start_utc
        self.first_hour = hour if self.first_hour is None else min(self.first_hour, hour)
        self.last_hour = hour if self.last_hour is None else max(self.last_hour, hour)
        self.device_ids.add(event.device_id)

    def finish(self, events: list[AlertEvent]) -> None:
        """Pick the examples: the newest active hours (the top of the alerts page)."""
        active = [e for e in events if e.state == "active"]
        active.sort(key=lambda e: e.hour_start_utc, reverse=True)
        self.examples = active[:SUMMARY_EXAMPLES]


@dataclass(frozen=True, slots=True)
class PushPlan:
    """What to push: single alert events, and per-owner summaries."""

    events: list[AlertEvent]
    summaries: list[AlertSummary]


def plan_pushes(
    events: list[AlertEvent],
    *,
    now: datetime,
    backfill_after: timedelta,
    max_per_owner: int,
) -> PushPlan:
    """Split events into live pushes and summaries (pure).

    An owner's events for hours that started before `now - backfill_after` become one backfill
    summary; if an owner still has more than `max_per_owner` live events, those become one
    summary too (`backfill=False`). Events without an owner are dropped.
    """
    horizon = now - backfill_after
    live: dict[str, list[AlertEvent]] = defaultdict(list)
    old: dict[str, list[AlertEvent]] = defaultdict(list)
    for event in events:
        if event.owner_id is None:
            continue
        (old if event.hour_start_utc < horizon else live)[event.owner_id].append(event)
    singles: list[AlertEvent] = []
    summaries: list[AlertSummary] = []
    for owner_id, owned in old.items():
        summaries.append(_summary(owner_id, owned, backfill=True))
    for owner_id, owned in live.items():
        if len(owned) > max_per_owner:
            summaries.append(_summary(owner_id, owned, backfill=False))
        else:
            singles += owned
    return PushPlan(singles, summaries)


def _summary(owner_id: str, events: list[AlertEvent], *, backfill: bool) -> AlertSummary:
    summary = AlertSummary(owner_id, backfill=backfill)
    for event in events:
        summary.add(event)
    summary.finish(events)
    return summary


class Notifier(Protocol):
    """Delivers what a committed batch changed to the people who may see it."""

    def alerts_changed(self, events: list[AlertEvent]) -> None:
        """Tell each owner about their devices' raised, changed or cleared alerts."""

    def alerts_summarised(self, summaries: list[AlertSummary]) -> None:
        """Tell each owner about many alert changes at once."""

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

    def alerts_summarised(self, summaries: list[AlertSummary]) -> None:
        for s in summaries:
            logger.warning(
                "alert summary for owner %s: %d active, %d cleared, hours %s..%s",
                s.owner_id,
                s.active,
                s.cleared,
                s.first_hour,
                s.last_hour,
            )

    def consumption_updated(self, owners: dict[str, set[str]]) -> None:
        logger.debug("consumption updated for %d owners", len(owners))


@dataclass(frozen=True, slots=True)
class PushLimits:
    """When alert events become summaries (ALERT_BACKFILL_HOURS, ALERT_MAX_PUSHES_PER_OWNER)."""

    backfill_after: timedelta = timedelta(hours=24)
    max_per_owner: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> PushLimits:
        """The configured limits."""
        return cls(
            timedelta(hours=settings.ALERT_BACKFILL_HOURS), settings.ALERT_MAX_PUSHES_PER_OWNER
        )


def notify(
    notifier: Notifier,
    alerts: list[AlertEvent],
    hours_changed: Mapping[str, set[int]],
    owners: Mapping[str, str | None],
    limits: PushLimits | None = None,
) -> None:
    """Deliver committed changes; a delivery failure never fails ingestion."""
    limits = limits or PushLimits.from_settings(get_settings())
    try:
        plan = plan_pushes(
            alerts,
            now=utcnow(),
            backfill_after=limits.backfill_after,
            max_per_owner=limits.max_per_owner,
        )
        if plan.events:
            notifier.alerts_changed(plan.events)
        if plan.summaries:
            notifier.alerts_summarised(plan.summaries)
        # An alert message already tells its owner that the device's hours changed (the web app
        # reloads the chart on it), so those devices need no second push.
        alerted = {e.device_id for e in plan.events}
        by_owner: dict[str, set[str]] = {}
        for device_id in hours_changed:
            if device_id in alerted:
                continue
            owner = owners.get(device_id)
            if owner is not None:
                by_owner.setdefault(owner, set()).add(device_id)
        if by_owner:
            notifier.consumption_updated(by_owner)
    except Exception:
        logger.exception("notification failed; alerts are stored and clients catch up via the API")
