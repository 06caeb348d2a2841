"""The alert plan: given an hour's current total, what its alert must become (pure).

An alert exists per (device, hour) once the hour's total has gone over the device maximum.
Its `state` is "active" while the current total is over the maximum and the hour is measured
(not estimated), otherwise "cleared"; `energy_kwh` is always the current total and `peak_kwh`
the highest total seen. Planning from the *current* total (not from the change) is what makes
the final alert set independent of delivery order and duplication (docs/alerts.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AlertState = Literal["active", "cleared"]
# "open": insert a new active alert; "update": an active alert's total changed (or a cleared
# one is active again); "clear": withdraw it; "refresh": a cleared alert's total changed quietly.
AlertAction = Literal["open", "update", "clear", "refresh"]


@dataclass(frozen=True, slots=True)
class HourTotal:
    """An hour's current total and whether any of it was interpolated over a long gap."""

    kwh: float
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """What is stored for an alert the plan may change."""

    state: AlertState
    energy_kwh: float
    peak_kwh: float
    max_hourly_kwh: float


@dataclass(frozen=True, slots=True)
class AlertStep:
    """One write to the alerts table: the hour, what to do, and the alert's new values."""

    hour_start_ms: int
    action: AlertAction
    state: AlertState
    energy_kwh: float
    peak_kwh: float
    max_hourly_kwh: float

    @property
    def notifies(self) -> bool:
        """True when the owner should hear about it (a quiet refresh is not news)."""
        return self.action != "refresh"


def alert_wanted(total: HourTotal, max_hourly_kwh: float) -> bool:
    """True when the hour must have an active alert: measured and strictly over the maximum."""
    return total.kwh > max_hourly_kwh and not total.estimated


def plan_alert(
    hour_start_ms: int, total: HourTotal, stored: StoredAlert | None, max_hourly_kwh: float
) -> AlertStep | None:
    """The write (if any) that brings one hour's alert in line with its current total."""
    wanted = alert_wanted(total, max_hourly_kwh)
    kwh = total.kwh
    if stored is None:
        if not wanted:
            return None
        return AlertStep(hour_start_ms, "open", "active", kwh, kwh, max_hourly_kwh)
    peak = max(stored.peak_kwh, kwh) if wanted else stored.peak_kwh
    unchanged = kwh == stored.energy_kwh and max_hourly_kwh == stored.max_hourly_kwh
    if wanted:
        if stored.state == "active" and unchanged:
            return None
        return AlertStep(hour_start_ms, "update", "active", kwh, peak, max_hourly_kwh)
    if stored.state == "active":
        return AlertStep(hour_start_ms, "clear", "cleared", kwh, peak, max_hourly_kwh)
    if kwh == stored.energy_kwh:
        return None
    return AlertStep(hour_start_ms, "refresh", "cleared", kwh, peak, stored.max_hourly_kwh)


def plan_alerts(
    totals: Mapping[int, HourTotal],
    stored: Mapping[int, StoredAlert],
    max_hourly_kwh: float,
) -> list[AlertStep]:
    """Plan every changed hour of one device, in hour order."""
    steps = (plan_alert(h, totals[h], stored.get(h), max_hourly_kwh) for h in sorted(totals))
    return [step for step in steps if step is not None]


def replan_for_maximum(
    stored: Mapping[int, StoredAlert], totals: Mapping[int, HourTotal], max_hourly_kwh: float
) -> list[AlertStep]:
    """A device's maximum changed: re-evaluate its active alerts against the new maximum.

    Only active alerts are re-evaluated (a lower maximum does not raise alerts for past hours
    retroactively); an hour with no stored total keeps its alert's last total.
    """
    steps: list[AlertStep] = []
    for hour in sorted(stored):
        alert = stored[hour]
        if alert.state != "active":
            continue
        total = totals.get(hour, HourTotal(alert.energy_kwh))
        step = plan_alert(hour, total, alert, max_hourly_kwh)
        if step is not None:
            steps.append(step)
    return steps
