"""Alert transitions: which hours first went over the device maximum, and which raised a peak."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AlertChange = Literal["opened", "peak_raised"]


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An hour whose total is over the maximum: a new alert, or a higher peak for an open one."""

    hour_start_ms: int
    change: AlertChange
    kwh: float
    previous_kwh: float | None


def detect_alert_transitions(
    before: Mapping[int, float], after: Mapping[int, float], max_hourly_kwh: float
) -> list[AlertTransition]:
    """Compare hour totals before and after an update, in hour order.

    "opened": the hour was absent or <= max and is now > max. "peak_raised": it was already
    over and rose. Drops are not reported. The caller stores one alert per (device, hour):
    treat "opened" as insert-if-absent (else raise the stored peak), and always keep
    max(stored peak, kwh), since a total may fall and climb again across late readings.
    """
    transitions: list[AlertTransition] = []
    for hour in sorted(after):
        kwh = after[hour]
        if not kwh > max_hourly_kwh:
            continue
        previous_kwh = before.get(hour)
        if previous_kwh is None or previous_kwh <= max_hourly_kwh:
            transitions.append(AlertTransition(hour, "opened", kwh, previous_kwh))
        elif kwh > previous_kwh:
            transitions.append(AlertTransition(hour, "peak_raised", kwh, previous_kwh))
    return transitions
